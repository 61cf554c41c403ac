export { lessonSchema, lessonJsonSchema, eventFilterSchema, EVENT_TYPES } from "./schema.ts";
export type { Lesson, LessonStep, EventFilter } from "./schema.ts";
export { parseLesson } from "./parse.ts";
export type { ParsedLesson, RawLesson } from "./parse.ts";
export { locateSteps, answerOf, matchesFilter, findEvent, sentMessages, describeFilter, LessonStepError } from "./locate.ts";
export type { LocatedStep } from "./locate.ts";
export { forkSource, challengeSource, withFaults, withBugs } from "./variants.ts";

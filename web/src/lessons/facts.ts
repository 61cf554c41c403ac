import { answerOf, locateSteps, LessonStepError, parseLesson, type LocatedStep } from "../../../src/lesson/index.ts";
import type { TraceEvent } from "../../../src/sim/index.ts";

/**
 * What a lesson needs from its run, found where the run's events are (the
 * trace worker, which runs the scenario and reads every line): each step's
 * event, with the core's locateSteps, and each question's answer, with the
 * core's answerOf. Only these few numbers and strings go to the page.
 */

/** The lesson file the trace worker is asked to locate in the run it makes. */
export interface LessonRequest {
  readonly text: string;
  readonly file: string;
}

export interface LessonFacts {
  readonly name: string;
  /** Per step, in order: its event (the trace's `i`, the diagram's event index) and instant. */
  readonly steps: readonly LocatedStep[];
  /** Per step index that asks a question: the answer the run gives. */
  readonly answers: Readonly<Record<number, string>>;
}

export type LessonFactsResult = { readonly ok: true; readonly facts: LessonFacts } | { readonly ok: false; readonly message: string };

/** Locates a lesson's steps and answers in a run's events; a lesson that does not fit its run says which step and why. */
export function lessonFacts(request: LessonRequest, events: readonly TraceEvent[]): LessonFactsResult {
  try {
    const { lesson } = parseLesson(request.text, request.file);
    const steps = locateSteps(lesson, events);
    const answers: Record<number, string> = {};
    lesson.steps.forEach((step, k) => {
      if (step.question !== undefined) answers[k] = answerOf(lesson, k, events, steps);
    });
    return { ok: true, facts: { name: lesson.name, steps, answers } };
  } catch (error) {
    if (error instanceof LessonStepError) return { ok: false, message: error.message };
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

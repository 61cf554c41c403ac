import { z } from "zod";
import { PAXOS_BUGS } from "../paxos/index.ts";
import { faultEntrySchema } from "../scenario/index.ts";

/**
 * A lesson: a bundled scenario and an ordered list of steps through its run.
 * A step finds its event with a filter (never a hard-coded index, so that a
 * lesson survives harmless changes to the protocols), highlights what
 * matters there, narrates it, and may ask a question whose answer is read
 * from the run itself, or show a "what if" fork. A lesson may end with a
 * challenge: a goal the student reaches with live interventions, shipped
 * with a solution.
 */

const nodeId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, "expected a node id such as s1 or c2");
const text = z.string().min(1);
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** The trace's event types a filter may ask for. */
export const EVENT_TYPES = ["start", "send", "deliver", "drop", "duplicate", "timer", "sync", "fault", "note", "violation"] as const;

/**
 * Which event a step stops at: the `nth` event (1 by default) after the
 * previous step's event (or from the start, with `from: start`) that has
 * every field given.
 */
export const eventFilterSchema = z.strictObject({
  type: z.enum(EVENT_TYPES).optional(),
  /** A message's type (`msg.type` of a send; the sent message's, for a delivery, drop or duplicate). */
  msg: z.string().optional(),
  from: nodeId.optional(),
  to: nodeId.optional(),
  /** The node an event happens on: a note's, a timer's, a start's, a delivery's receiver, a send's sender, a fault's target. */
  node: nodeId.optional(),
  /** A note's kind (role, zk-apply, zk-invoke, lock-acquired...). */
  kind: z.string().optional(),
  /** A fault's type (crash, restart, partition...). */
  fault: z.string().optional(),
  /** A violation's check. */
  check: z.string().optional(),
  /** Fields of the event, by dotted path into its line (for a delivery, into the sent message as `msg.…`), and the value each must have. */
  where: z.record(z.string(), scalar).optional(),
  nth: z.int().min(1).max(100_000).default(1),
  /** Search from the start of the run instead of after the previous step. */
  since: z.enum(["previous", "start"]).default("previous"),
});
export type EventFilter = z.output<typeof eventFilterSchema>;

const highlightSchema = z.strictObject({
  nodes: z.array(nodeId).optional(),
  /** Message types. */
  messages: z.array(z.string()).optional(),
  slots: z.array(z.int().min(0)).optional(),
  znodes: z.array(z.string().startsWith("/")).optional(),
});

/** A question asked before the next step is revealed; the right choice is read from the run. */
const questionSchema = z.strictObject({
  ask: text,
  choices: z.array(z.string().min(1)).min(2).max(8),
  /** The answer: this field (dotted path into the line) of the first event matching `at`, searched after the step's event. */
  answer: z.strictObject({ at: eventFilterSchema, field: z.string().min(1) }),
  /** What the reveal says (Markdown). */
  reveal: text,
});

/** A fault entry applied at the step's instant (written without `at`). */
const interventionSchema = z.preprocess((value) => (typeof value === "object" && value !== null && !Array.isArray(value) ? { at: 0, ...value } : value), faultEntrySchema);

/** What if: the run again with something changed, to show its consequence. */
const forkSchema = z
  .strictObject({
    say: text,
    /** Interventions applied at the step's instant. */
    apply: z.array(interventionSchema).min(1).optional(),
    /** The same scenario with these bugs in the Paxos code. */
    bugs: z.array(z.enum(PAXOS_BUGS)).min(1).optional(),
    /** Another bundled scenario, the same seed: a variant of this one (sync before reads, fencing on...). */
    scenario: z.string().optional(),
    /** The check that breaks in the fork, or "pass" when every check holds there. */
    expect: z.string().min(1),
  })
  .refine((f) => [f.apply, f.bugs, f.scenario].filter((x) => x !== undefined).length === 1, { message: "expected exactly one of apply, bugs or scenario" });

const stepSchema = z.strictObject({
  title: z.string().optional(),
  at: eventFilterSchema,
  say: text,
  highlight: highlightSchema.optional(),
  question: questionSchema.optional(),
  fork: forkSchema.optional(),
});

/** A goal reached with live interventions; the solution is a recorded set of them (timed fault entries). */
const challengeSchema = z.strictObject({
  goal: text,
  /** The check whose failure means the goal is reached. */
  check: z.string().min(1),
  hint: z.string().optional(),
  solution: z.array(faultEntrySchema).min(1),
});

export const lessonSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]{1,64}$/, "expected a lowercase name such as basic-paxos"),
  /** Its place in the course (1, 2, 3...). */
  order: z.int().min(1).max(1_000),
  title: text,
  /** What the lesson is about (Markdown). */
  summary: text,
  /** The bundled scenario it walks through (zksim list). */
  scenario: z.string().min(1),
  seed: z.int().min(0).max(999_999_999_999_999).optional(),
  steps: z.array(stepSchema).min(1).max(200),
  challenge: challengeSchema.optional(),
});
export type Lesson = z.output<typeof lessonSchema>;
export type LessonStep = Lesson["steps"][number];

export function lessonJsonSchema(): unknown {
  return z.toJSONSchema(lessonSchema, { io: "input", unrepresentable: "any" });
}

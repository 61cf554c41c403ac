import { z } from "zod";
import { buggifyConfigSchema } from "./buggify.ts";

/** Virtual time: integer microseconds. 2^50 µs is about 35 years, far past any run. */
export const TIME_US_MAX = 2 ** 50;
/** The longest latency, sync delay or timer delay accepted: one virtual hour. */
export const DELAY_US_MAX = 3_600_000_000;
/** Clock drift is bounded so that a node's clock always runs forward. */
export const DRIFT_PPM_MAX = 500_000;
/** Cluster size limit (servers and clients together). */
export const NODE_COUNT_MAX = 256;

const timeUs = z.int().min(0).max(TIME_US_MAX);
const delayUs = z.int().min(0).max(DELAY_US_MAX);
const messageId = z.int().min(1).max(Number.MAX_SAFE_INTEGER);
const rate = z.number().min(0, "a rate must be at least 0").max(1, "a rate is a fraction of 1 (0.3 means 30%)");

/** A node id: a letter, then letters, digits, '-' or '_' (for example s1, c3, server-2). */
export const nodeIdSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, "a node id is a letter followed by up to 31 letters, digits, '-' or '_'");

export const latencySchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("constant"), us: delayUs }),
  z
    .strictObject({ kind: z.literal("uniform"), minUs: delayUs, maxUs: delayUs })
    .refine((d) => d.minUs <= d.maxUs, { message: "minUs must not exceed maxUs", path: ["maxUs"] }),
  z
    .strictObject({
      kind: z.literal("normal"),
      meanUs: delayUs,
      stddevUs: delayUs,
      minUs: delayUs,
      maxUs: delayUs,
    })
    .refine((d) => d.minUs <= d.maxUs, { message: "minUs must not exceed maxUs", path: ["maxUs"] }),
  z
    .strictObject({ kind: z.literal("exponential"), minUs: delayUs, meanUs: delayUs.min(1), capUs: delayUs })
    .refine((d) => d.minUs <= d.capUs, { message: "capUs must be at least minUs", path: ["capUs"] }),
]);

const linkSettings = {
  latency: latencySchema.optional(),
  loss: rate.optional(),
  duplication: rate.optional(),
};

/** A change to how one directed link (or both directions) behaves, overriding the network default. */
export const linkSchema = z.strictObject({
  from: nodeIdSchema,
  to: nodeIdSchema,
  /** When false (the default), the settings apply in both directions. */
  oneWay: z.boolean().default(false),
  ...linkSettings,
});

/** Every fault the engine can inject. Each one becomes a trace event when applied. */
export const faultSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("crash"), node: nodeIdSchema }),
  z.strictObject({ type: z.literal("restart"), node: nodeIdSchema }),
  z.strictObject({ type: z.literal("pause"), node: nodeIdSchema }),
  z.strictObject({ type: z.literal("resume"), node: nodeIdSchema }),
  /** Nodes in different groups cannot talk; nodes listed in no group form one more group. Replaces earlier cuts. */
  z.strictObject({ type: z.literal("partition"), groups: z.array(z.array(nodeIdSchema).min(1)).min(1) }),
  /** Cuts one node off from every other node, both ways. Adds to the cuts in force. */
  z.strictObject({ type: z.literal("isolate"), node: nodeIdSchema }),
  /** Cuts the link from → to (and to → from unless oneWay). Adds to the cuts in force. */
  z.strictObject({ type: z.literal("cut"), from: nodeIdSchema, to: nodeIdSchema, oneWay: z.boolean().default(false) }),
  /** Removes every cut and partition. */
  z.strictObject({ type: z.literal("heal") }),
  /** Sets a node's clock: skewUs is how far it reads ahead of true time from now on; driftPpm its rate error. */
  z.strictObject({
    type: z.literal("clock"),
    node: nodeIdSchema,
    skewUs: z.int().min(-DELAY_US_MAX).max(DELAY_US_MAX).optional(),
    driftPpm: z.int().min(-DRIFT_PPM_MAX).max(DRIFT_PPM_MAX).optional(),
  }),
  /** Changes the network-wide defaults (links with their own settings keep them). */
  z.strictObject({ type: z.literal("network"), ...linkSettings }),
  /** Gives one link (or a pair) its own latency, loss or duplication. */
  z.strictObject({ type: z.literal("link"), ...linkSchema.shape }),
  /** Drops one message that is in the network now (recorded as a drop with reason "intervention"). */
  z.strictObject({ type: z.literal("drop"), message: messageId }),
  /** Sends a copy of one message that is in the network now, over the same link (recorded as a duplicate). */
  z.strictObject({ type: z.literal("duplicate"), message: messageId }),
  /** Delivers one message that is in the network now `byUs` later than it would have arrived. */
  z.strictObject({ type: z.literal("delay"), message: messageId, byUs: delayUs.min(1) }),
  /**
   * Hands a node a request from outside the simulated world (a person at the
   * viewer's console, a scenario's request entry): the node's `command`
   * handler takes it, in its own context. The request is plain data that the
   * node validates; nodes without the handler take none.
   */
  z.strictObject({ type: z.literal("request"), node: nodeIdSchema, request: z.unknown() }),
]);

/** The faults that act on one message in flight. */
export type MessageFault = Extract<Fault, { type: "drop" | "duplicate" | "delay" }>;

export const scheduledFaultSchema = z.strictObject({ atUs: timeUs, fault: faultSchema });

export const nemesisSchema = z
  .strictObject({
    /** The nemesis acts between startUs and stopUs; at stopUs it heals everything it did. */
    startUs: timeUs.default(0),
    stopUs: timeUs,
    /** Time between two actions, drawn uniformly from [intervalUsMin, intervalUsMax]. */
    intervalUsMin: delayUs.min(1),
    intervalUsMax: delayUs.min(1),
    /** Relative weight of each kind of action; 0 turns it off. */
    weights: z
      .strictObject({
        crash: z.int().min(0).default(0),
        restart: z.int().min(0).default(0),
        pause: z.int().min(0).default(0),
        resume: z.int().min(0).default(0),
        partition: z.int().min(0).default(0),
        heal: z.int().min(0).default(0),
        clock: z.int().min(0).default(0),
      })
      .refine((w) => Object.values(w).some((x) => x > 0), { message: "at least one weight must be above 0" }),
    /** The nodes the nemesis may touch; all nodes when absent. */
    targets: z.array(nodeIdSchema).min(1).optional(),
    /** At most this many targets are crashed or paused at once. */
    downMax: z.int().min(0),
    /** Bounds of the clock faults it draws. */
    skewUsMax: delayUs.default(0),
    driftPpmMax: z.int().min(0).max(DRIFT_PPM_MAX).default(0),
  })
  .refine((n) => n.intervalUsMin <= n.intervalUsMax, {
    message: "intervalUsMin must not exceed intervalUsMax",
    path: ["intervalUsMax"],
  })
  .refine((n) => n.startUs <= n.stopUs, { message: "stopUs must not be before startUs", path: ["stopUs"] });

export const engineConfigSchema = z
  .strictObject({
    /** The run is a pure function of (configuration, seed). */
    seed: z.union([z.int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(200)]),
    nodes: z.array(nodeIdSchema).min(1).max(NODE_COUNT_MAX),
    network: z
      .strictObject({
        latency: latencySchema.default({ kind: "uniform", minUs: 1_000, maxUs: 5_000 }),
        loss: rate.default(0),
        duplication: rate.default(0),
        links: z.array(linkSchema).default([]),
      })
      .default({ latency: { kind: "uniform", minUs: 1_000, maxUs: 5_000 }, loss: 0, duplication: 0, links: [] }),
    disk: z
      .strictObject({
        /** Virtual time from sync() until the writes before it are durable. */
        syncLatencyUs: delayUs.default(0),
      })
      .default({ syncLatencyUs: 0 }),
    /** A paused node keeps at most this many deliveries and timers; past it, deliveries are dropped. */
    pausedQueueMax: z.int().min(1).max(10_000_000).default(100_000),
    faults: z.array(scheduledFaultSchema).default([]),
    nemesis: nemesisSchema.optional(),
    /** Deep-freeze every message at send so that a node that mutates one fails at once. */
    freezeMessages: z.boolean().default(true),
    /**
     * Events processed at one virtual instant, at most: past it the run stops
     * with a SimulationFailure (a StallError) instead of spinning while the
     * clock stands still, as zero-delay timers or messages in a loop would make it.
     * A resumed node's held queue (pausedQueueMax) arrives at one instant: keep this above it.
     */
    eventsPerInstantMax: z.int().min(1).max(1_000_000_000).default(1_000_000),
    /** Run every node's own `invariants()` after each of its handlers; a broken one stops the run as a bug. */
    checkInvariants: z.boolean().default(true),
    /** Fault points inside the code (ctx.buggify): which are enabled and how often they fire. Absent: every point is off and draws nothing. */
    buggify: buggifyConfigSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const known = new Set<string>();
    config.nodes.forEach((id, index) => {
      if (known.has(id)) ctx.addIssue({ code: "custom", path: ["nodes", index], message: `duplicate node id "${id}"` });
      known.add(id);
    });
    const expectKnown = (id: string, path: (string | number)[]) => {
      if (!known.has(id)) {
        ctx.addIssue({ code: "custom", path, message: `unknown node "${id}"; expected one of ${[...known].join(", ")}` });
      }
    };
    config.network.links.forEach((link, index) => {
      expectKnown(link.from, ["network", "links", index, "from"]);
      expectKnown(link.to, ["network", "links", index, "to"]);
      if (link.from === link.to) ctx.addIssue({ code: "custom", path: ["network", "links", index], message: "a link joins two different nodes" });
    });
    config.faults.forEach((scheduled, index) => checkFaultNodes(scheduled.fault, ["faults", index, "fault"], expectKnown, ctx));
    config.nemesis?.targets?.forEach((id, index) => expectKnown(id, ["nemesis", "targets", index]));
  });

function checkFaultNodes(
  fault: Fault,
  path: (string | number)[],
  expectKnown: (id: string, path: (string | number)[]) => void,
  ctx: z.RefinementCtx,
): void {
  switch (fault.type) {
    case "crash":
    case "restart":
    case "pause":
    case "resume":
    case "isolate":
    case "clock":
    case "request":
      expectKnown(fault.node, [...path, "node"]);
      return;
    case "partition": {
      const seen = new Set<string>();
      fault.groups.forEach((group, g) =>
        group.forEach((id, i) => {
          expectKnown(id, [...path, "groups", g, i]);
          if (seen.has(id)) ctx.addIssue({ code: "custom", path: [...path, "groups", g, i], message: `node "${id}" is in two groups` });
          seen.add(id);
        }),
      );
      return;
    }
    case "cut":
    case "link":
      expectKnown(fault.from, [...path, "from"]);
      expectKnown(fault.to, [...path, "to"]);
      if (fault.from === fault.to) ctx.addIssue({ code: "custom", path, message: "a link joins two different nodes" });
      return;
    case "heal":
    case "network":
    case "drop":
    case "duplicate":
    case "delay":
      return;
  }
}

export type EngineConfig = z.output<typeof engineConfigSchema>;
/** What a person writes: every field with a default may be left out. */
export type EngineConfigInput = z.input<typeof engineConfigSchema>;
export type Fault = z.output<typeof faultSchema>;
export type FaultInput = z.input<typeof faultSchema>;
export type ScheduledFault = z.output<typeof scheduledFaultSchema>;
export type NemesisConfig = z.output<typeof nemesisSchema>;
export type LinkSettings = z.output<typeof linkSchema>;

/** One problem in a piece of bad input: where it is and what was expected. */
export interface InputProblem {
  /** Dotted path to the field, for example `network.links[0].loss`; empty for the whole input. */
  readonly path: string;
  readonly message: string;
}

/** Bad input from a person or a file. The CLI prints it and exits with status 2. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    /** What was being read: a file name, or "engine config". */
    readonly source: string,
    readonly problems: readonly InputProblem[],
  ) {
    super(`${source}: invalid input\n${problems.map((p) => `  ${p.path === "" ? "(top level)" : p.path}: ${p.message}`).join("\n")}`);
  }
}

/** Formats a zod issue path as `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Turns zod issues into InputProblems (one per issue, in zod's order). */
export function problemsFromZod(error: z.ZodError): InputProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Validates an engine configuration. Throws InputError naming every bad field
 * and what was expected; nothing starts from an invalid configuration.
 */
export function parseEngineConfig(input: unknown, source = "engine config"): EngineConfig {
  const result = engineConfigSchema.safeParse(input);
  if (!result.success) throw new InputError(source, problemsFromZod(result.error));
  return result.data;
}

import { z } from "zod";
import { consoleRequestShapes, CONSOLE_OPERATIONS, ZK_PAXOS_DEFAULTS } from "../client/index.ts";
import { paxosConfigSchema, PAXOS_BUGS } from "../paxos/index.ts";
import { BUGGIFY_POINT_NAMES, isBuggifyPoint, NODE_COUNT_MAX, unknownPointMessage } from "../sim/index.ts";
import { ZK_BUGS } from "../zk/index.ts";

/**
 * The scenario file: a cluster, its clients' workloads, a fault schedule,
 * the checks to run and the outcome to expect. Written in YAML, validated
 * here; unknown fields are errors. Durations are text: "250ms", "2s", "1m"
 * (also "500us").
 */

const DURATION = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m)$/;
const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000 };
/** Virtual time a scenario may run: an hour. */
const DURATION_US_MAX = 3_600_000_000;

/** "250ms" → 250000 (µs). */
export const durationSchema = z
  .string({ error: 'expected a duration such as "250ms", "2s" or "1m"' })
  .regex(DURATION, 'expected a duration such as "250ms", "2s" or "1m"')
  .transform((text) => {
    const match = DURATION.exec(text) as RegExpExecArray;
    return Math.round(Number(match[1]) * (UNIT_US[match[2] as string] as number));
  })
  // A number too large for a double ("1e400" digits) is Infinity: not an integer, and too long either way.
  .pipe(z.int({ error: "at most 1m·60 (an hour)" }).min(0).max(DURATION_US_MAX, "at most 1m·60 (an hour)"));

const SIGNED_DURATION = /^(-?)(\d+(?:\.\d+)?)(us|µs|ms|s|m)$/;

/**
 * "-2s" or "2s": a clock step. The bound is checked by the pipe, never by a
 * parse inside the transform: a transform that throws escapes safeParse.
 */
export const signedDurationSchema = z
  .string({ error: 'expected a duration such as "2s" or "-500ms"' })
  .regex(SIGNED_DURATION, 'expected a duration such as "2s" or "-500ms"')
  .transform((text) => {
    const match = SIGNED_DURATION.exec(text) as RegExpExecArray;
    const us = Math.round(Number(match[2]) * (UNIT_US[match[3] as string] as number));
    return match[1] === "-" ? -us : us;
  })
  .pipe(z.int({ error: "at most 1m·60 (an hour) either way" }).min(-DURATION_US_MAX, "at most 1m·60 (an hour) either way").max(DURATION_US_MAX, "at most 1m·60 (an hour) either way"));

/** A duration of at least `minUs`, for settings that drive timers: shorter ones flood the run with events. */
function durationAtLeast(minUs: number, message: string) {
  return durationSchema.refine((us) => us >= minUs, message);
}

/** A duration in whole milliseconds of at least 1 ms (ZooKeeper counts ticks and session timeouts in ms). */
function wholeMsDuration() {
  return durationSchema
    .refine((us) => us >= 1_000, { message: "expected at least 1ms", abort: true })
    .refine((us) => us % 1_000 === 0, "expected a whole number of milliseconds, such as 200ms or 2s");
}

/** The shortest heartbeat: a leader sends one to every follower each period. */
const HEARTBEAT_US_MIN = 1_000;
/** The shortest period of the nemesis and of proposals: each period is at least one event. */
const PERIOD_US_MIN = 1_000;
/** The Paxos log runs 1 to 9 servers (Replica asserts it). */
const SERVER_COUNT_MAX = 9;
/** Names become file names (traces/NAME-SEED.trace.jsonl): keep them well inside a file system's 255 bytes. */
const NAME_CHARS_MAX = 100;
/** Paxos timing when a scenario leaves it out, by system (as the runner fills it in). */
const TIMING_DEFAULTS_US = {
  zookeeper: paxosConfigSchema.parse(ZK_PAXOS_DEFAULTS),
  paxos: paxosConfigSchema.parse({}),
} as const;

const probability = z.number().min(0).max(1);
const nodeId = z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a node id such as s1 or c2");

export const latencyScenarioSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("constant"), value: durationSchema }),
    z.strictObject({ kind: z.literal("uniform"), min: durationSchema, max: durationSchema }),
    z.strictObject({ kind: z.literal("normal"), mean: durationSchema, stddev: durationSchema, min: durationSchema.optional(), max: durationSchema.optional() }),
    z.strictObject({ kind: z.literal("exponential"), mean: durationSchema, max: durationSchema.optional() }),
  ])
  .superRefine((l, ctx) => {
    // The bounds the engine's distributions need, with the defaults the runner fills in (normal: max 4·mean; exponential: max 10·mean).
    if (l.kind === "uniform" && l.min > l.max) ctx.addIssue({ code: "custom", path: ["max"], message: `expected at least min (${formatUs(l.min)})` });
    if (l.kind === "normal") {
      const max = l.max ?? 4 * l.mean;
      if (l.max === undefined && max > DURATION_US_MAX) ctx.addIssue({ code: "custom", path: ["mean"], message: "at most 15m without a max (the default max is 4·mean, at most an hour)" });
      else if ((l.min ?? 0) > max) ctx.addIssue({ code: "custom", path: [l.max === undefined ? "min" : "max"], message: `min (${formatUs(l.min ?? 0)}) must not exceed max (${formatUs(max)}${l.max === undefined ? ", 4·mean" : ""})` });
    }
    if (l.kind === "exponential" && l.max === undefined && 10 * l.mean > DURATION_US_MAX) {
      ctx.addIssue({ code: "custom", path: ["mean"], message: "at most 6m without a max (the default max is 10·mean, at most an hour)" });
    }
  });

const networkSchema = z.strictObject({
  latency: latencyScenarioSchema.optional(),
  loss: probability.optional(),
  duplication: probability.optional(),
});

// ---- live entries (issue 12): a message's id, a client's request; see FAULT_KINDS and ALWAYS_LIVE below.
const messageId = z.int({ error: "expected a message id (the id of a send in the trace), such as 1234" }).min(1).max(Number.MAX_SAFE_INTEGER);
/** A request one of the clients issues, with the fields its operation takes. */
const requestEntrySchema = z.discriminatedUnion(
  "op",
  [
    z.strictObject({ client: nodeId, op: z.literal("create"), ...consoleRequestShapes.create }),
    z.strictObject({ client: nodeId, op: z.literal("setData"), ...consoleRequestShapes.setData }),
    z.strictObject({ client: nodeId, op: z.literal("getData"), ...consoleRequestShapes.getData }),
    z.strictObject({ client: nodeId, op: z.literal("exists"), ...consoleRequestShapes.exists }),
    z.strictObject({ client: nodeId, op: z.literal("getChildren"), ...consoleRequestShapes.getChildren }),
    z.strictObject({ client: nodeId, op: z.literal("delete"), ...consoleRequestShapes.delete }),
    z.strictObject({ client: nodeId, op: z.literal("sync"), ...consoleRequestShapes.sync }),
  ],
  { error: `expected op: ${CONSOLE_OPERATIONS.join(", ")} (and client:, path:, and the fields the operation takes)` },
);
/** The kinds of fault entry, one per entry besides "at" and "live". */
export const FAULT_KINDS = ["crash", "restart", "pause", "resume", "isolate", "partition", "cut", "heal", "skew", "network", "drop", "duplicate", "delay", "request"] as const;
/** Kinds that act on the run as it is at their instant (a message in flight, a client's session): always applied live. */
export const ALWAYS_LIVE: readonly string[] = ["drop", "duplicate", "delay", "request"];
// ---- end of live entries

/**
 * One timed fault. The node "leader" means whichever server leads at that
 * moment. `live: true` applies the fault when the run reaches its instant,
 * after every event due at that instant (as faults aimed at the leader are).
 */
export const faultEntrySchema = z
  .strictObject({
    at: durationSchema,
    live: z.boolean().optional(),
    crash: nodeId.optional(),
    restart: nodeId.optional(),
    pause: nodeId.optional(),
    resume: nodeId.optional(),
    isolate: nodeId.optional(),
    partition: z.array(z.array(nodeId).min(1)).min(1).optional(),
    cut: z.strictObject({ from: nodeId, to: nodeId, oneWay: z.boolean().optional() }).optional(),
    heal: z.literal(true).optional(),
    skew: z.strictObject({ node: nodeId, by: signedDurationSchema.optional(), driftPpm: z.int().min(-500_000).max(500_000).optional() }).optional(),
    network: networkSchema.optional(),
    drop: messageId.optional(),
    duplicate: messageId.optional(),
    delay: z.strictObject({ message: messageId, by: durationSchema.refine((us) => us >= 1, "expected at least 1us") }).optional(),
    request: requestEntrySchema.optional(),
  })
  .superRefine((entry, ctx) => {
    const kinds = FAULT_KINDS.filter((k) => entry[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: "custom", message: `expected exactly one fault (${FAULT_KINDS.slice(0, -1).join(", ")} or ${FAULT_KINDS[FAULT_KINDS.length - 1]}) besides "at" and "live", got ${kinds.length === 0 ? "none" : kinds.join(", ")}` });
    const kind = kinds[0];
    if (entry.live === false && kind !== undefined && ALWAYS_LIVE.includes(kind)) ctx.addIssue({ code: "custom", path: ["live"], message: `a ${kind} is always applied live: leave live out, or write live: true` });
  });

const nemesisSchema = z.strictObject({
  // The nemesis waits between every/2 and 2·every, which the engine bounds by an hour.
  every: durationAtLeast(PERIOD_US_MIN, "expected at least 1ms").refine((us) => us <= DURATION_US_MAX / 2, "at most 30m (the nemesis waits up to twice as long)"),
  kinds: z.array(z.enum(["crash", "pause", "partition", "isolate", "clock"])).min(1).optional(),
  until: durationSchema,
});

// ---- fault points (issue 15): ctx.buggify in the service, Paxos and client code; see BUGGIFY_POINTS.
/** Which fault points a run enables, and how often they fire (FoundationDB's BUGGIFY; fractions of 1, default 0.25 each). */
export const buggifyScenarioSchema = z.strictObject({
  points: z
    .union([z.literal("all"), z.array(z.string(), { error: "expected a list of fault point names" })], { error: `expected all, or a list of fault points from: ${BUGGIFY_POINT_NAMES.join(", ")}` })
    .superRefine((points, ctx) => {
      if (points === "all") return;
      points.forEach((name, index) => {
        if (!isBuggifyPoint(name)) ctx.addIssue({ code: "custom", path: [index], message: unknownPointMessage(name) });
      });
    }),
  /** The chance that an enabled point, reached for the first time, is active for the whole run. */
  activate: probability.optional(),
  /** The chance that an active point fires each time it is reached. */
  fire: probability.optional(),
});
// ---- end of fault points

export const WORKLOAD_KINDS = ["register", "znode", "pipeline", "lock", "election", "barrier", "config", "stale-read", "membership"] as const;

/** The operations a mix may weigh, by workload. */
export const MIX_OPERATIONS: Readonly<Record<string, readonly string[]>> = {
  register: ["read", "write", "cas"],
  znode: ["create", "ephemeral", "sequential", "delete", "setData", "getData", "exists", "getChildren"],
  pipeline: ["read", "exists", "children", "write", "cas", "create", "delete", "child", "unchild", "sync"],
};

const workloadObjectSchema = z.strictObject({
  kind: z.enum(WORKLOAD_KINDS),
  /** Operations (or rounds, for recipes) per client. */
  ops: z.int().min(1).max(100_000).optional(),
  /** Think time between operations. */
  every: durationSchema.optional(),
  /** Registers or znodes the clients share. */
  keys: z.int().min(1).max(1_000).optional(),
  /** Percent weights of the operations. */
  mix: z.record(z.string(), z.int().min(0).max(100)).optional(),
  /** sync before each read. */
  sync: z.boolean().optional(),
  /** Hold a lock or a leadership this long. */
  hold: durationSchema.optional(),
  /** Start after this long. */
  start: durationSchema.optional(),
  /** Lock holders write their fencing token to the storage node. */
  store: z.boolean().optional(),
  /**
   * config and stale-read: whether this group writes or reads (default: the group's first client writes);
   * membership: members of the application or its load balancer (default: members).
   */
  role: z.enum(["writer", "reader", "member", "balancer"]).optional(),
  /** pipeline: requests each client keeps in flight at once (ZooKeeper's asynchronous API). */
  inflight: z.int().min(1).max(1_000).optional(),
});

const workloadSchema = workloadObjectSchema.superRefine((w, ctx) => {
  if (w.inflight !== undefined && w.kind !== "pipeline") ctx.addIssue({ code: "custom", path: ["inflight"], message: `inflight is for pipeline workloads, not ${w.kind}` });
  if (w.role !== undefined) {
    const roles: Readonly<Record<string, readonly string[]>> = { config: ["writer", "reader"], "stale-read": ["writer", "reader"], membership: ["member", "balancer"] };
    const allowed = roles[w.kind];
    if (allowed === undefined) ctx.addIssue({ code: "custom", path: ["role"], message: `a ${w.kind} workload has no roles` });
    else if (!allowed.includes(w.role)) ctx.addIssue({ code: "custom", path: ["role"], message: `expected ${allowed.join(" or ")} for a ${w.kind} workload, found ${w.role}` });
  }
  if (w.mix === undefined) return;
  const known = MIX_OPERATIONS[w.kind];
  if (known === undefined) return ctx.addIssue({ code: "custom", path: ["mix"], message: `a ${w.kind} workload has no operation mix` });
  for (const name of Object.keys(w.mix)) {
    if (!known.includes(name)) ctx.addIssue({ code: "custom", path: ["mix", name], message: `unknown operation "${name}"; expected ${known.join(", ")}` });
  }
  if (Object.values(w.mix).every((weight) => weight === 0)) ctx.addIssue({ code: "custom", path: ["mix"], message: "at least one operation needs a weight above 0" });
});

const clientGroupSchema = z.strictObject({
  count: z.int().min(1).max(1_000).default(1),
  /** Index of the server the group's clients connect to first (default: spread). */
  server: z.int().min(0).optional(),
  sessionTimeout: wholeMsDuration().optional(),
  workload: workloadSchema,
});

export const CHECK_NAMES = ["paxos-safety", "paxos-liveness", "replica-agreement", "zk-guarantees", "linearizable-reads", "recipes", "zk-liveness", "workloads"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** What `expect` may name: a check, one of ZooKeeper's guarantees, or a recipe invariant. */
export const EXPECTABLE: readonly string[] = [
  ...CHECK_NAMES,
  "writes-linearizable",
  "reads-linearizable",
  "session-order",
  "monotonic-reads",
  "read-after-sync",
  "watch-before-change",
  "watches-fire-once",
  "write-zxids",
  "sync-reads-linearizable",
  "ephemerals-gone-after-expiry",
  "sequential-names",
  "lock-exclusive",
  "fencing",
  "one-leader-per-term",
  "barrier",
  "requests-answered",
  "lock-progress",
  "election-progress",
  "barrier-progress",
];

export const scenarioSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lower-case name with dashes, such as leader-crash")
      .max(NAME_CHARS_MAX, `at most ${NAME_CHARS_MAX} characters (the name is part of the trace's file name)`),
    description: z.string().min(1),
    system: z.enum(["zookeeper", "paxos"]).default("zookeeper"),
    seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
    duration: durationSchema,
    servers: z
      .strictObject({
        count: z.int().min(1).max(SERVER_COUNT_MAX, `at most ${SERVER_COUNT_MAX}: the Paxos log runs 1 to ${SERVER_COUNT_MAX} servers`),
        tick: wholeMsDuration().optional(),
        bugs: z.array(z.enum([...PAXOS_BUGS, ...ZK_BUGS])).optional(),
        mode: z.enum(["multi", "single"]).optional(),
        heartbeat: durationAtLeast(HEARTBEAT_US_MIN, "expected at least 1ms (a leader sends a heartbeat to every follower each period)").optional(),
        electionTimeout: z.tuple([durationSchema, durationSchema]).optional(),
        snapshotEvery: z.int().min(1).max(1_000_000, "at most 1000000 (the log keeps that many entries between snapshots)").optional(),
        snapshotChunkChars: z.int().min(16).max(10_000_000, "at most 10000000").optional(),
        pipelineWindow: z.int().min(1).max(1_024).optional(),
      })
      .default({ count: 3 }),
    network: networkSchema.optional(),
    disk: z.strictObject({ sync: durationSchema }).optional(),
    clients: z.array(clientGroupSchema).optional(),
    /** Paxos scenarios: how proposals arrive. */
    proposals: z.strictObject({ every: durationAtLeast(PERIOD_US_MIN, "expected at least 1ms (leave every out for no periodic proposals)").optional(), at: z.array(z.strictObject({ at: durationSchema, node: nodeId })).optional() }).optional(),
    storage: z.strictObject({ fencing: z.boolean() }).optional(),
    faults: z.array(faultEntrySchema).optional(),
    nemesis: nemesisSchema.optional(),
    /** Fault points inside the code (off when absent). */
    buggify: buggifyScenarioSchema.optional(),
    /** Judge liveness after this calm point (default: the last fault). */
    calm: durationSchema.optional(),
    /** zk-liveness: how long after the calm point (or its invocation) a request may wait for its answer, and a recipe for progress (default: the longest session timeout, two election timeouts and 1 s). */
    liveness: durationSchema.optional(),
    checks: z.array(z.enum(CHECK_NAMES)).min(1).optional(),
    /** "pass", or the name of a check (or a guarantee or invariant) that must fail. */
    expect: z.string().default("pass"),
  })
  .superRefine((s, ctx) => {
    checkTiming(s, ctx);
    checkNodeCount(s, ctx);
    checkFaultShapes(s, ctx);
    // The service's zoo (ZK_BUGS) lives in the ZooKeeper layer, which a Paxos scenario does not run.
    (s.servers.bugs ?? []).forEach((bug, index) => {
      if (s.system === "paxos" && (ZK_BUGS as readonly string[]).includes(bug)) ctx.addIssue({ code: "custom", path: ["servers", "bugs", index], message: `${bug} is a bug of the ZooKeeper service: it needs system: zookeeper` });
    });
    // Every node a fault names must exist: s1..sN, c1..cM, the storage node, or "leader".
    const known = new Set<string>(["leader"]);
    for (let i = 1; i <= s.servers.count; i++) known.add(`s${i}`);
    const clientCount = (s.clients ?? []).reduce((sum, group) => sum + group.count, 0);
    for (let i = 1; i <= clientCount; i++) known.add(`c${i}`);
    if (s.storage !== undefined) known.add("store");
    const expected = () => `expected one of ${[...known].filter((n) => n !== "leader").join(", ")}, or leader`;
    (s.faults ?? []).forEach((fault, index) => {
      const named: [string, string | undefined][] = [
        ["crash", fault.crash],
        ["restart", fault.restart],
        ["pause", fault.pause],
        ["resume", fault.resume],
        ["isolate", fault.isolate],
        ["skew", fault.skew?.node],
        ["cut", fault.cut?.from],
        ["cut", fault.cut?.to],
      ];
      checkRequest(s, fault, index, ctx);
      for (const [field, node] of named) {
        if (node !== undefined && !known.has(node)) ctx.addIssue({ code: "custom", path: ["faults", index, field], message: `unknown node "${node}"; ${expected()}` });
      }
      (fault.partition ?? []).forEach((group, g) =>
        group.forEach((node, n) => {
          if (node === "leader" || !known.has(node)) ctx.addIssue({ code: "custom", path: ["faults", index, "partition", g, n], message: `unknown node "${node}" (a partition names nodes, not the leader); ${expected()}` });
        }),
      );
    });
    (s.clients ?? []).forEach((group, index) => {
      if (group.server !== undefined && group.server >= s.servers.count) {
        ctx.addIssue({ code: "custom", path: ["clients", index, "server"], message: `there are ${s.servers.count} servers: expected an index from 0 to ${s.servers.count - 1}` });
      }
    });
    (s.proposals?.at ?? []).forEach((proposal, index) => {
      if (!/^s\d+$/.test(proposal.node) || Number(proposal.node.slice(1)) > s.servers.count || Number(proposal.node.slice(1)) < 1) {
        ctx.addIssue({ code: "custom", path: ["proposals", "at", index, "node"], message: `expected a server, s1 to s${s.servers.count}` });
      }
    });
    const zkOnly = ["replica-agreement", "zk-guarantees", "linearizable-reads", "recipes", "zk-liveness", "workloads"];
    if (s.system === "paxos") {
      (s.checks ?? []).forEach((check, index) => {
        if (zkOnly.includes(check)) ctx.addIssue({ code: "custom", path: ["checks", index], message: `${check} judges the ZooKeeper service: a paxos scenario has paxos-safety and paxos-liveness` });
      });
    }
    if (s.expect !== "pass" && !EXPECTABLE.includes(s.expect)) {
      ctx.addIssue({ code: "custom", path: ["expect"], message: `expected pass, or the name of a check that must fail: ${EXPECTABLE.join(", ")}` });
    }
    if (s.system === "paxos" && s.clients !== undefined) ctx.addIssue({ code: "custom", path: ["clients"], message: "a paxos scenario has no ZooKeeper clients (use proposals)" });
    if (s.system === "zookeeper" && s.proposals !== undefined) ctx.addIssue({ code: "custom", path: ["proposals"], message: "proposals are for system: paxos" });
  });

/** A request entry names one of the clients (c1..cM) of a ZooKeeper scenario. */
function checkRequest(s: Scenario, fault: FaultEntry, index: number, ctx: z.RefinementCtx): void {
  if (fault.request === undefined) return;
  const path = ["faults", index, "request", "client"];
  if (s.system !== "zookeeper") return ctx.addIssue({ code: "custom", path: ["faults", index, "request"], message: "a request is issued by a ZooKeeper client: a paxos scenario has none" });
  const clientCount = (s.clients ?? []).reduce((sum, group) => sum + group.count, 0);
  const client = fault.request.client;
  const number = /^c\d+$/.test(client) ? Number(client.slice(1)) : 0;
  if (number >= 1 && number <= clientCount) return;
  const expected = clientCount === 0 ? "the scenario has no clients (add a group under clients:)" : `expected a client, c1 to c${clientCount}`;
  const what = /^s\d+$/.test(client) || client === "leader" ? `"${client}" is a server, not a client` : client === "store" ? `"store" is the storage node, not a client` : `unknown client "${client}"`;
  ctx.addIssue({ code: "custom", path, message: `${what}; ${expected}` });
}

/**
 * Election timeouts against the heartbeat, with the defaults the scenario
 * leaves in place: a follower must hear a heartbeat before its election
 * timeout, and the timeout is a range [min, max].
 */
function checkTiming(s: Scenario, ctx: z.RefinementCtx): void {
  const defaults = TIMING_DEFAULTS_US[s.system];
  const heartbeatUs = s.servers.heartbeat ?? defaults.heartbeatUs;
  const [minUs, maxUs] = s.servers.electionTimeout ?? [defaults.electionTimeoutUsMin, defaults.electionTimeoutUsMax];
  if (s.servers.electionTimeout !== undefined && minUs > maxUs) {
    ctx.addIssue({ code: "custom", path: ["servers", "electionTimeout", 1], message: `expected at least the minimum before it (${formatUs(minUs)})` });
  }
  if (minUs > heartbeatUs) return;
  if (s.servers.electionTimeout !== undefined) {
    const heartbeat = s.servers.heartbeat === undefined ? `the default heartbeat, ${formatUs(heartbeatUs)}` : `the heartbeat, ${formatUs(heartbeatUs)}`;
    ctx.addIssue({ code: "custom", path: ["servers", "electionTimeout", 0], message: `expected more than ${heartbeat}: followers would time out between heartbeats` });
  } else {
    ctx.addIssue({ code: "custom", path: ["servers", "heartbeat"], message: `expected less than the election timeout's minimum (${formatUs(minUs)}, the default for system ${s.system}): followers would time out between heartbeats` });
  }
}

/** Servers, clients and the storage node are the engine's nodes, of which it runs at most NODE_COUNT_MAX. */
function checkNodeCount(s: Scenario, ctx: z.RefinementCtx): void {
  const clientCount = (s.clients ?? []).reduce((sum, group) => sum + group.count, 0);
  const nodeCount = s.servers.count + clientCount + (s.storage === undefined ? 0 : 1);
  if (nodeCount > NODE_COUNT_MAX) {
    ctx.addIssue({ code: "custom", path: ["clients"], message: `${clientCount} clients in all: expected at most ${NODE_COUNT_MAX - s.servers.count - (s.storage === undefined ? 0 : 1)} (a run simulates at most ${NODE_COUNT_MAX} servers, clients and storage nodes)` });
  }
}

/**
 * What the engine refuses in a fault, said in the scenario's terms: a cut
 * joins two different nodes, and names nodes (the runner resolves "leader"
 * for single-node faults only); a node is in one partition group at most.
 */
function checkFaultShapes(s: Scenario, ctx: z.RefinementCtx): void {
  (s.faults ?? []).forEach((fault, index) => {
    if (fault.cut !== undefined) {
      for (const end of ["from", "to"] as const) {
        if (fault.cut[end] === "leader") ctx.addIssue({ code: "custom", path: ["faults", index, "cut", end], message: "a cut names nodes, not the leader (crash, restart, pause, resume, isolate and skew may name it)" });
      }
      if (fault.cut.from === fault.cut.to) ctx.addIssue({ code: "custom", path: ["faults", index, "cut", "to"], message: `expected a node other than from (${fault.cut.from}): a cut is between two nodes` });
    }
    const groupOf = new Map<string, number>();
    (fault.partition ?? []).forEach((group, g) =>
      group.forEach((node, n) => {
        const first = groupOf.get(node);
        if (first !== undefined) ctx.addIssue({ code: "custom", path: ["faults", index, "partition", g, n], message: `"${node}" is in group ${first} already: a node is in one group at most` });
        else groupOf.set(node, g);
      }),
    );
  });
}

function formatUs(us: number): string {
  return us % 1_000 === 0 ? `${us / 1_000}ms` : `${us}us`;
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type WorkloadSpec = z.output<typeof workloadObjectSchema>;
export type FaultEntry = z.output<typeof faultEntrySchema>;
/** A fault entry as written (durations as text, such as "20ms"). */
export type FaultEntryInput = z.input<typeof faultEntrySchema>;

/** The JSON Schema of scenario files (for editors). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" });
}

import { z } from "zod";
import { PAXOS_BUGS } from "../paxos/index.ts";

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
  .pipe(z.int().min(0).max(DURATION_US_MAX, "at most 1m·60 (an hour)"));

/** "-2s" or "2s": a clock step. */
export const signedDurationSchema = z
  .string({ error: 'expected a duration such as "2s" or "-500ms"' })
  .regex(/^-?\d+(?:\.\d+)?(us|µs|ms|s|m)$/, 'expected a duration such as "2s" or "-500ms"')
  .transform((text) => (text.startsWith("-") ? -1 : 1) * durationSchema.parse(text.replace(/^-/, "")));

const probability = z.number().min(0).max(1);
const nodeId = z.string().regex(/^[a-z][a-z0-9-]*$/, "expected a node id such as s1 or c2");

export const latencyScenarioSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("constant"), value: durationSchema }),
  z.strictObject({ kind: z.literal("uniform"), min: durationSchema, max: durationSchema }),
  z.strictObject({ kind: z.literal("normal"), mean: durationSchema, stddev: durationSchema, min: durationSchema.optional(), max: durationSchema.optional() }),
  z.strictObject({ kind: z.literal("exponential"), mean: durationSchema, max: durationSchema.optional() }),
]);

const networkSchema = z.strictObject({
  latency: latencyScenarioSchema.optional(),
  loss: probability.optional(),
  duplication: probability.optional(),
});

/** One timed fault. The node "leader" means whichever server leads at that moment. */
const faultEntrySchema = z
  .strictObject({
    at: durationSchema,
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
  })
  .superRefine((entry, ctx) => {
    const kinds = ["crash", "restart", "pause", "resume", "isolate", "partition", "cut", "heal", "skew", "network"].filter((k) => (entry as Record<string, unknown>)[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: "custom", message: `expected exactly one fault (crash, restart, pause, resume, isolate, partition, cut, heal, skew or network) besides "at", got ${kinds.length === 0 ? "none" : kinds.join(", ")}` });
  });

const nemesisSchema = z.strictObject({
  every: durationSchema,
  kinds: z.array(z.enum(["crash", "pause", "partition", "isolate", "clock"])).min(1).optional(),
  until: durationSchema,
});

export const WORKLOAD_KINDS = ["register", "znode", "pipeline", "lock", "election", "barrier", "config", "stale-read"] as const;

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
  /** config and stale-read: whether this group writes or reads (default: the group's first client writes). */
  role: z.enum(["writer", "reader"]).optional(),
  /** pipeline: requests each client keeps in flight at once (ZooKeeper's asynchronous API). */
  inflight: z.int().min(1).max(1_000).optional(),
});

const workloadSchema = workloadObjectSchema.superRefine((w, ctx) => {
  if (w.inflight !== undefined && w.kind !== "pipeline") ctx.addIssue({ code: "custom", path: ["inflight"], message: `inflight is for pipeline workloads, not ${w.kind}` });
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
  sessionTimeout: durationSchema.optional(),
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
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lower-case name with dashes, such as leader-crash"),
    description: z.string().min(1),
    system: z.enum(["zookeeper", "paxos"]).default("zookeeper"),
    seed: z.int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
    duration: durationSchema,
    servers: z
      .strictObject({
        count: z.int().min(1).max(15),
        tick: durationSchema.optional(),
        bugs: z.array(z.enum(PAXOS_BUGS)).optional(),
        mode: z.enum(["multi", "single"]).optional(),
        heartbeat: durationSchema.optional(),
        electionTimeout: z.tuple([durationSchema, durationSchema]).optional(),
        snapshotEvery: z.int().min(1).optional(),
        snapshotChunkChars: z.int().min(16).optional(),
        pipelineWindow: z.int().min(1).max(1_024).optional(),
      })
      .default({ count: 3 }),
    network: networkSchema.optional(),
    disk: z.strictObject({ sync: durationSchema }).optional(),
    clients: z.array(clientGroupSchema).optional(),
    /** Paxos scenarios: how proposals arrive. */
    proposals: z.strictObject({ every: durationSchema.optional(), at: z.array(z.strictObject({ at: durationSchema, node: nodeId })).optional() }).optional(),
    storage: z.strictObject({ fencing: z.boolean() }).optional(),
    faults: z.array(faultEntrySchema).optional(),
    nemesis: nemesisSchema.optional(),
    /** Judge liveness after this calm point (default: the last fault). */
    calm: durationSchema.optional(),
    /** zk-liveness: how long after the calm point (or its invocation) a request may wait for its answer, and a recipe for progress (default: the longest session timeout, two election timeouts and 1 s). */
    liveness: durationSchema.optional(),
    checks: z.array(z.enum(CHECK_NAMES)).min(1).optional(),
    /** "pass", or the name of a check (or a guarantee or invariant) that must fail. */
    expect: z.string().default("pass"),
  })
  .superRefine((s, ctx) => {
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

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type WorkloadSpec = z.output<typeof workloadObjectSchema>;
export type FaultEntry = z.output<typeof faultEntrySchema>;

/** The JSON Schema of scenario files (for editors). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" });
}

/**
 * Operation sequences for the conformance suite, as plain data, and the
 * fast-check arbitraries that generate them over a small path universe.
 *
 * Paths in a sequence are relative to a root that the runner creates fresh
 * for each run ("/" is that root), except paths under /zookeeper, which are
 * the server's own and are only read.
 */
import fc from "fast-check";
import { generateDigestId } from "../../../src/zk/index.ts";
import { OPEN_ACL, PERMS, READ_ACL, type Acl, type CreateMode, type MultiOp, type ZkOp, type ZnodeData } from "../../../src/zk/types.ts";

/** One step of a sequence: a session runs an op, or closes. */
export type SequenceStep =
  | { readonly kind: "op"; readonly session: number; readonly op: ZkOp }
  | { readonly kind: "close"; readonly session: number };

export interface OpSequence {
  /** Says where the sequence came from (seed and index, or a test's name). */
  readonly name: string;
  /** Sessions 0 … sessionCount-1 are open when the first step runs. */
  readonly sessionCount: number;
  readonly steps: readonly SequenceStep[];
}

/** A TTL long enough that no TTL node expires during a test. */
export const TTL_MS_LONG = 3_600_000;

/**
 * Nodes that ops read, write and delete: plain nodes, the sequential and
 * ephemeral parents, and the names their children get. Repeats weight the
 * draw towards nodes that usually exist.
 */
const NODE_PATHS = [
  "/",
  "/",
  "/a",
  "/a",
  "/a",
  "/a/b",
  "/a/b",
  "/c",
  "/c",
  "/s",
  "/s",
  "/s/n0000000000",
  "/s/n0000000000",
  "/s/n0000000001",
  "/s/n0000000002",
  "/e",
  "/e",
  "/e/x",
  "/e/x",
  "/e/x/y",
  "/e/q0000000000",
  "/e/q0000000001",
] as const;
/** What deletes may target: the universe except its root, whose deletion would leave nothing to do. */
const DELETE_PATHS = NODE_PATHS.filter((p) => p !== "/");
/**
 * Where plain creates go, parents weighted up so that the tree grows
 * (creating /e/x/y under an ephemeral /e/x gives NoChildrenForEphemerals).
 */
const CREATE_PATHS = ["/a", "/a", "/a", "/a/b", "/a/b", "/c", "/c", "/s", "/s", "/s", "/e", "/e", "/e", "/e/x", "/e/x", "/e/x/y"] as const;
/** The parents a sequence usually starts by creating. */
const PARENT_PATHS = ["/a", "/c", "/s", "/e"] as const;
/** The server's own nodes: read-only probes whose answers do not depend on the sequence. */
const PROBE_PATHS = ["/zookeeper", "/zookeeper/quota"] as const;
const PREFIXES = ["/", "/e", "/e/", "/s", "/a"] as const;

const dataArb: fc.Arbitrary<ZnodeData> = fc.constantFrom(null, "", "x", "hello", "é☃");
/** -1 matches any version; the others make BadVersion common. */
const versionArb = fc.constantFrom(-1, 0, 1, 2);
const nodePathArb = fc.constantFrom(...NODE_PATHS);
const deletePathArb = fc.constantFrom(...DELETE_PATHS);
/** Inside a multi, mostly -1, so that whole multis succeed often enough. */
const multiVersionArb = fc.oneof({ arbitrary: fc.constant(-1), weight: 4 }, { arbitrary: versionArb, weight: 1 });

const createModeArb: fc.Arbitrary<CreateMode> = fc.oneof(
  { arbitrary: fc.constant<CreateMode>("PERSISTENT"), weight: 6 },
  { arbitrary: fc.constant<CreateMode>("EPHEMERAL"), weight: 3 },
  { arbitrary: fc.constant<CreateMode>("CONTAINER"), weight: 2 },
  { arbitrary: fc.constant<CreateMode>("PERSISTENT_SEQUENTIAL"), weight: 1 },
  { arbitrary: fc.constant<CreateMode>("EPHEMERAL_SEQUENTIAL"), weight: 1 },
  { arbitrary: fc.constant<CreateMode>("PERSISTENT_WITH_TTL"), weight: 1 },
);

type CreateOp = Extract<ZkOp, { op: "create" }>;

function createOp(path: string, data: ZnodeData, mode: CreateMode): CreateOp {
  const ttl = mode === "PERSISTENT_WITH_TTL" || mode === "PERSISTENT_SEQUENTIAL_WITH_TTL";
  return ttl ? { op: "create", path, data, acl: OPEN_ACL, mode, ttlMs: TTL_MS_LONG } : { op: "create", path, data, acl: OPEN_ACL, mode };
}

/** A create: anywhere in the universe with any mode, or a sequential child of /s or /e. */
const createArb: fc.Arbitrary<CreateOp> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...CREATE_PATHS), dataArb, createModeArb).map(([p, d, m]) => createOp(p, d, m)), weight: 5 },
  {
    arbitrary: fc.tuple(dataArb, fc.constantFrom<CreateMode>("PERSISTENT_SEQUENTIAL", "EPHEMERAL_SEQUENTIAL")).map(([d, m]) => createOp("/s/n", d, m)),
    weight: 2,
  },
  {
    arbitrary: fc.tuple(dataArb, fc.constantFrom<CreateMode>("EPHEMERAL_SEQUENTIAL", "PERSISTENT_SEQUENTIAL")).map(([d, m]) => createOp("/e/q", d, m)),
    weight: 1,
  },
);

const multiOpArb: fc.Arbitrary<MultiOp> = fc.oneof(
  { arbitrary: createArb, weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), path: deletePathArb, version: multiVersionArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("setData" as const), path: nodePathArb, data: dataArb, version: multiVersionArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("check" as const), path: nodePathArb, version: multiVersionArb }), weight: 1 },
);

/** Reads of the server's own /zookeeper nodes. */
const probeArb: fc.Arbitrary<ZkOp> = fc.oneof(
  fc.record({ op: fc.constant("exists" as const), path: fc.constantFrom(...PROBE_PATHS), watch: fc.constant(false) }),
  fc.record({ op: fc.constant("getData" as const), path: fc.constantFrom(...PROBE_PATHS), watch: fc.constant(false) }),
  fc.record({ op: fc.constant("getChildren" as const), path: fc.constantFrom(...PROBE_PATHS), watch: fc.constant(false), withStat: fc.boolean() }),
  fc.record({ op: fc.constant("getAllChildrenNumber" as const), path: fc.constant("/zookeeper") }),
);

/**
 * Persistent and recursive watches live on paths of their own (/p, /r and
 * below), which no standard watch touches: ZooKeeper 3.8 keeps one watch
 * mode per path and connection (a standard watch would replace a persistent
 * one), while zksim follows 3.9, where they coexist.
 */
const WATCHED_PATHS = ["/p", "/p/x", "/r", "/r/x", "/r/x/y"] as const;
const watchedPathArb = fc.constantFrom(...WATCHED_PATHS);
const persistentArb: fc.Arbitrary<ZkOp> = fc.oneof(
  { arbitrary: fc.constantFrom<ZkOp>({ op: "addWatch", path: "/p", mode: "PERSISTENT" }, { op: "addWatch", path: "/r", mode: "PERSISTENT_RECURSIVE" }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("removeWatches" as const), path: fc.constantFrom("/p", "/r"), type: fc.constant("Any" as const) }), weight: 1 },
  { arbitrary: fc.tuple(watchedPathArb, dataArb).map(([path, data]) => createOp(path, data, "PERSISTENT")), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("setData" as const), path: watchedPathArb, data: dataArb, version: fc.constant(-1) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), path: watchedPathArb, version: fc.constant(-1) }), weight: 2 },
);

/**
 * ACLs a setACL may set: open, read-only, a digest identity (u:p, which
 * addAuth gives), the caller's own identities ("auth"), and two invalid ones.
 */
const aclArb: fc.Arbitrary<readonly Acl[]> = fc.constantFrom<readonly Acl[]>(
  OPEN_ACL,
  READ_ACL,
  [{ perms: PERMS.ALL, scheme: "digest", id: generateDigestId("u:p") }],
  [{ perms: PERMS.ALL, scheme: "auth", id: "" }],
  [{ perms: PERMS.READ | PERMS.ADMIN, scheme: "world", id: "anyone" }, { perms: PERMS.ALL, scheme: "digest", id: generateDigestId("u:p") }],
  [],
  [{ perms: PERMS.ALL, scheme: "world", id: "nobody" }],
);

/** Any single op of the universe, weighted towards writes so that the tree changes. */
export const opArb: fc.Arbitrary<ZkOp> = fc.oneof(
  { arbitrary: createArb, weight: 10 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), path: deletePathArb, version: versionArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("setData" as const), path: nodePathArb, data: dataArb, version: versionArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("exists" as const), path: nodePathArb, watch: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("getData" as const), path: nodePathArb, watch: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("getChildren" as const), path: nodePathArb, watch: fc.boolean(), withStat: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("getAllChildrenNumber" as const), path: nodePathArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("getEphemerals" as const), prefix: fc.constantFrom(...PREFIXES) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("multi" as const), ops: fc.array(multiOpArb, { minLength: 1, maxLength: 4 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("sync" as const), path: nodePathArb }), weight: 1 },
  { arbitrary: probeArb, weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("setACL" as const), path: nodePathArb, acl: aclArb, version: versionArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("getACL" as const), path: nodePathArb }), weight: 1 },
  { arbitrary: fc.constant<ZkOp>({ op: "addAuth", scheme: "digest", auth: "u:p" }), weight: 1 },
  { arbitrary: persistentArb, weight: 3 },
);

/**
 * Watch bursts: a read sets a standard watch, then two changes follow that
 * the watch covers, with no read in between to set it again. The first
 * change fires the one-shot watch; the second must fire nothing, which is
 * what shows a server that never uses a watch up (a client's own watch
 * tables would drop the extra event, so only the wire shows it).
 */
const WATCH_BURSTS: readonly { readonly read: ZkOp; readonly writes: readonly [ZkOp, ZkOp] }[] = [
  ...["/a", "/c", "/s", "/e", "/a/b"].flatMap((path) => {
    const setData: ZkOp = { op: "setData", path, data: "w", version: -1 };
    return [
      { read: { op: "getData", path, watch: true }, writes: [setData, setData] } as const,
      { read: { op: "exists", path, watch: true }, writes: [setData, setData] } as const,
    ];
  }),
  // An exists watch on a missing node is used up by the create; on a present one, by the delete.
  { read: { op: "exists", path: "/c", watch: true }, writes: [createOp("/c", null, "PERSISTENT"), { op: "delete", path: "/c", version: -1 }] },
  // Child watches: two changes among the children.
  { read: { op: "getChildren", path: "/", watch: true, withStat: false }, writes: [createOp("/c", null, "PERSISTENT"), { op: "delete", path: "/c", version: -1 }] },
  { read: { op: "getChildren", path: "/a", watch: true, withStat: false }, writes: [createOp("/a/b", "x", "PERSISTENT"), { op: "delete", path: "/a/b", version: -1 }] },
  { read: { op: "getChildren", path: "/s", watch: true, withStat: true }, writes: [createOp("/s/n", null, "PERSISTENT_SEQUENTIAL"), createOp("/s/n", null, "EPHEMERAL_SEQUENTIAL")] },
  { read: { op: "getChildren", path: "/e", watch: true, withStat: false }, writes: [createOp("/e/x", null, "EPHEMERAL"), { op: "delete", path: "/e/x", version: -1 }] },
];

/** A watch burst read by one session and written by another (or the same). */
function watchBurstArb(sessionArb: fc.Arbitrary<number>): fc.Arbitrary<SequenceStep[]> {
  return fc.tuple(fc.constantFrom(...WATCH_BURSTS), sessionArb, sessionArb).map(([burst, watcher, writer]) => [
    { kind: "op", session: watcher, op: burst.read },
    { kind: "op", session: writer, op: burst.writes[0] },
    { kind: "op", session: writer, op: burst.writes[1] },
  ]);
}

/** Limits of a generated sequence. */
export interface SequenceShape {
  readonly sessionCount: number;
  /** Random steps after the parents, a watch burst counting as one (it is three). */
  readonly stepCountMin: number;
  readonly stepCountMax: number;
}

/**
 * Steps for `sessionCount` sessions: usually a few persistent parents first
 * (so that later ops find a tree rather than NoNode), then random steps, now
 * and then a watch burst (three steps). A session closes now and then;
 * later ops on it fail SessionExpired.
 */
export function stepsArb(shape: SequenceShape): fc.Arbitrary<SequenceStep[]> {
  const sessionArb = fc.integer({ min: 0, max: shape.sessionCount - 1 });
  const stepArb: fc.Arbitrary<SequenceStep[]> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("op" as const), session: sessionArb, op: opArb }).map((step) => [step]), weight: 80 },
    { arbitrary: fc.record({ kind: fc.constant("close" as const), session: sessionArb }).map((step) => [step]), weight: shape.sessionCount > 1 ? 1 : 0 },
    { arbitrary: watchBurstArb(sessionArb), weight: 4 },
  );
  const parentsArb = fc.subarray([...PARENT_PATHS]).map((paths) =>
    paths.map((path): SequenceStep => ({ kind: "op", session: 0, op: createOp(path, null, "PERSISTENT") })),
  );
  const randomArb = fc.array(stepArb, { minLength: shape.stepCountMin, maxLength: shape.stepCountMax, size: "max" });
  return fc.tuple(parentsArb, randomArb).map(([parents, random]) => [...parents, ...random.flat()]);
}

/** `count` sequences drawn from a fixed seed: the same seed always gives the same list. */
export function generateSequences(seed: number, count: number, shape: SequenceShape): OpSequence[] {
  const samples = fc.sample(stepsArb(shape), { seed, numRuns: count });
  return samples.map((steps, index) => ({ name: `seed ${seed} #${index} (${shape.sessionCount} sessions)`, sessionCount: shape.sessionCount, steps }));
}

/** One line for a step, for messages: `s1 setData /a "x" v=0`. */
export function describeStep(step: SequenceStep): string {
  return step.kind === "close" ? `s${step.session} close` : `s${step.session} ${describeOp(step.op)}`;
}

export function describeOp(op: ZkOp | MultiOp): string {
  switch (op.op) {
    case "create":
      return `create ${op.path} ${JSON.stringify(op.data)} ${op.mode}${op.ttlMs !== undefined ? ` ttl=${op.ttlMs}` : ""}`;
    case "delete":
      return `delete ${op.path} v=${op.version}`;
    case "setData":
      return `setData ${op.path} ${JSON.stringify(op.data)} v=${op.version}`;
    case "check":
      return `check ${op.path} v=${op.version}`;
    case "exists":
    case "getData":
      return `${op.op} ${op.path}${op.watch ? " +watch" : ""}`;
    case "getChildren":
      return `getChildren${op.withStat ? "2" : ""} ${op.path}${op.watch ? " +watch" : ""}`;
    case "getEphemerals":
      return `getEphemerals ${op.prefix}`;
    case "multi":
      return `multi [${op.ops.map(describeOp).join("; ")}]`;
    case "setACL":
      return `setACL ${op.path} v=${op.version}`;
    case "addWatch":
      return `addWatch ${op.path} ${op.mode}`;
    case "removeWatches":
      return `removeWatches ${op.path} ${op.type}`;
    case "addAuth":
      return `addAuth ${op.scheme}`;
    case "getAllChildrenNumber":
    case "getACL":
    case "sync":
      return `${op.op} ${op.path}`;
    default: {
      const unreachable: never = op;
      return JSON.stringify(unreachable);
    }
  }
}

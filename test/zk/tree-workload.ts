import fc from "fast-check";
import { DataTree, generateDigestId, OPEN_ACL, PERMS, READ_ACL } from "../../src/zk/index.ts";
import type { Acl, Caller, CreateMode, MultiOp, RequestOrigin, Txn, TxnOutcome, WriteRequest, ZnodeData } from "../../src/zk/index.ts";

/**
 * Random workloads for the data tree, as plain data that fast-check can
 * shrink: paths are picked when a step applies (an existing node by its
 * index in path order, or a child of it), so most steps hit real nodes,
 * sequential ones included. Used by the rollback and snapshot properties.
 */

/** Sessions the workloads use: the first three are created up front; 9 never is. */
export const SESSION_IDS: readonly number[] = [1, 2, 3, 9];
const NAMES = ["a", "b", "c", "s"] as const;
const DIGEST_ID = generateDigestId("u:p");

export type AclChoice = "open" | "read" | "digest" | "auth" | "invalid";

export type OpSpec =
  | { readonly kind: "create"; readonly parent: number; readonly name: string; readonly data: ZnodeData; readonly mode: CreateMode; readonly ttlMs: number; readonly acl: AclChoice }
  | { readonly kind: "delete" | "check"; readonly at: number; readonly version: number }
  | { readonly kind: "setData"; readonly at: number; readonly data: ZnodeData; readonly version: number };

export type StepSpec =
  | { readonly kind: "createSession"; readonly sessionId: number; readonly timeoutMs: number; readonly advanceMs: number }
  | { readonly kind: "closeSession"; readonly sessionId: number; readonly reason: "close" | "expire"; readonly advanceMs: number }
  | { readonly kind: "reap"; readonly pick: number; readonly advanceMs: number }
  | { readonly kind: "setACL"; readonly sessionId: number; readonly digestAuth: boolean; readonly at: number; readonly acl: AclChoice; readonly version: number; readonly advanceMs: number }
  | { readonly kind: "ops"; readonly sessionId: number; readonly digestAuth: boolean; readonly ops: readonly OpSpec[]; readonly multi: boolean; readonly advanceMs: number };

/** Values with weights (fc.constantFrom leans towards the first and last values). */
function weighted<T>(...choices: readonly (readonly [T, number])[]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));
}

const dataArb = weighted<ZnodeData>([null, 1], ["", 1], ["x", 2], ["héllo", 1]);
const versionArb = weighted([-1, 6], [0, 2], [1, 1], [2, 1]);
const aclArb = weighted<AclChoice>(["open", 12], ["read", 1], ["digest", 1], ["auth", 1], ["invalid", 1]);
/** Mostly the live sessions; now and then one that never was. */
const sessionArb = weighted([1, 6], [2, 6], [3, 6], [9, 1]);
const advanceArb = weighted([0, 2], [1, 2], [50, 2], [400, 1]);
const modeArb = weighted<CreateMode>(
  ["PERSISTENT", 4],
  ["EPHEMERAL", 3],
  ["PERSISTENT_SEQUENTIAL", 2],
  ["EPHEMERAL_SEQUENTIAL", 2],
  ["CONTAINER", 2],
  ["PERSISTENT_WITH_TTL", 1],
  ["PERSISTENT_SEQUENTIAL_WITH_TTL", 1],
);

export const opArb: fc.Arbitrary<OpSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("create" as const), parent: fc.nat(99), name: fc.constantFrom(...NAMES), data: dataArb, mode: modeArb, ttlMs: fc.constantFrom(1, 100, 1_000), acl: aclArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("delete" as const, "check" as const), at: fc.nat(99), version: versionArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("setData" as const), at: fc.nat(99), data: dataArb, version: versionArb }) },
);

export const stepArb: fc.Arbitrary<StepSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("createSession" as const), sessionId: fc.constantFrom(1, 2, 3), timeoutMs: fc.constantFrom(2_000, 4_000, 20_000), advanceMs: advanceArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("closeSession" as const), sessionId: sessionArb, reason: fc.constantFrom("close" as const, "expire" as const), advanceMs: advanceArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reap" as const), pick: fc.nat(9), advanceMs: advanceArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("setACL" as const), sessionId: sessionArb, digestAuth: fc.boolean(), at: fc.nat(99), acl: aclArb, version: versionArb, advanceMs: advanceArb }) },
  {
    weight: 16,
    arbitrary: fc.record({
      kind: fc.constant("ops" as const),
      sessionId: sessionArb,
      digestAuth: fc.boolean(),
      ops: fc.array(opArb, { minLength: 1, maxLength: 3 }),
      multi: fc.constantFrom(false, false, true),
      advanceMs: advanceArb,
    }),
  },
);

/** A history: the three sessions, then random steps. */
export const historyArb: fc.Arbitrary<StepSpec[]> = fc
  .array(stepArb, { minLength: 5, maxLength: 80, size: "max" })
  .map((steps) => [...[1, 2, 3].map((sessionId): StepSpec => ({ kind: "createSession", sessionId, timeoutMs: 4_000, advanceMs: 1 })), ...steps]);

/** What a step applies to: a bare tree, or the service's state machine (which also tracks zxids and xids). */
export interface Target {
  readonly tree: DataTree;
  apply(txn: Txn, origin: RequestOrigin | null): TxnOutcome;
}

export function bareTree(tree: DataTree = new DataTree({ extendedTypesEnabled: true })): Target {
  return { tree, apply: (txn) => tree.applyTxn(txn) };
}

/** The leader's side of a workload: zxids, its clock, and each session's next xid. */
export class Clock {
  zxid = 0;
  timeMs = 1_000;
  private readonly xids = new Map<number, number>();

  origin(sessionId: number): RequestOrigin {
    const xid = (this.xids.get(sessionId) ?? 0) + 1;
    this.xids.set(sessionId, xid);
    return { server: "s1", client: `c${sessionId}`, connection: 1, sessionId, xid };
  }
}

/** The transaction a step becomes on this tree, with the origin the service would record. */
export function txnOf(step: StepSpec, tree: DataTree, clock: Clock): { txn: Txn; origin: RequestOrigin | null } {
  clock.zxid++;
  clock.timeMs += step.advanceMs;
  const at = { zxid: clock.zxid, timeMs: clock.timeMs };
  switch (step.kind) {
    case "createSession":
      return { txn: { ...at, body: { type: "createSession", sessionId: step.sessionId, timeoutMs: step.timeoutMs } }, origin: null };
    case "closeSession":
      return { txn: { ...at, body: { type: "closeSession", sessionId: step.sessionId, reason: step.reason } }, origin: step.reason === "close" ? clock.origin(step.sessionId) : null };
    case "reap": {
      const due = tree.reapCandidates(clock.timeMs);
      const path = due.length > 0 ? (due[step.pick % due.length] as string) : pathAt(tree, step.pick);
      return { txn: { ...at, body: { type: "reap", path } }, origin: null };
    }
    case "setACL": {
      const request: WriteRequest = { op: "setACL", path: pathAt(tree, step.at), acl: aclOf(step.acl), version: step.version };
      return { txn: { ...at, body: { type: "write", caller: callerOf(step.sessionId, step.digestAuth), request } }, origin: clock.origin(step.sessionId) };
    }
    case "ops": {
      const ops = step.ops.map((op) => multiOpOf(op, tree));
      const first = ops[0] as MultiOp;
      const request: WriteRequest = step.multi || first.op === "check" ? { op: "multi", ops } : first;
      return { txn: { ...at, body: { type: "write", caller: callerOf(step.sessionId, step.digestAuth), request } }, origin: clock.origin(step.sessionId) };
    }
    default: {
      const unknown: never = step;
      throw new Error(`unknown step ${JSON.stringify(unknown)}`);
    }
  }
}

/** Applies a history; returns each step's outcome. */
export function run(target: Target, steps: readonly StepSpec[], clock: Clock): TxnOutcome[] {
  return steps.map((step) => {
    const { txn, origin } = txnOf(step, target.tree, clock);
    return target.apply(txn, origin);
  });
}

/** An op of a multi, its paths picked on this tree. */
export function multiOpOf(op: OpSpec, tree: DataTree): MultiOp {
  switch (op.kind) {
    case "create": {
      const isTtl = op.mode === "PERSISTENT_WITH_TTL" || op.mode === "PERSISTENT_SEQUENTIAL_WITH_TTL";
      const path = childOf(pathAt(tree, op.parent), op.name);
      return { op: "create", path, data: op.data, acl: aclOf(op.acl), mode: op.mode, ...(isTtl ? { ttlMs: op.ttlMs } : {}) };
    }
    case "delete":
    case "check":
      return { op: op.kind, path: pathAt(tree, op.at), version: op.version };
    case "setData":
      return { op: "setData", path: pathAt(tree, op.at), data: op.data, version: op.version };
    default: {
      const unknown: never = op;
      throw new Error(`unknown op ${JSON.stringify(unknown)}`);
    }
  }
}

export function callerOf(sessionId: number, digestAuth: boolean): Caller {
  return { sessionId, authIds: digestAuth ? ["world:anyone", `digest:${DIGEST_ID}`] : ["world:anyone"] };
}

function aclOf(choice: AclChoice): readonly Acl[] {
  switch (choice) {
    case "open":
      return OPEN_ACL;
    case "read":
      return READ_ACL;
    case "digest":
      return [{ perms: PERMS.ALL, scheme: "digest", id: DIGEST_ID }, { perms: PERMS.READ | PERMS.CREATE, scheme: "world", id: "anyone" }];
    case "auth":
      return [{ perms: PERMS.ALL, scheme: "auth", id: "" }];
    case "invalid":
      return [];
    default: {
      const unknown: never = choice;
      throw new Error(`unknown ACL choice ${String(unknown)}`);
    }
  }
}

/** The node at this index in depth-first order (indexes wrap); the server's own nodes only for the top indexes. */
export function pathAt(tree: DataTree, index: number): string {
  const paths: string[] = [];
  const visit = (path: string): void => {
    if (index >= 95 || !path.startsWith("/zookeeper")) paths.push(path);
    const reply = tree.read({ op: "getChildren", path, watch: false, withStat: false }, SUPER);
    if (reply.ok && reply.result.op === "getChildren") for (const name of reply.result.children) visit(childOf(path, name));
  };
  visit("/");
  return paths[index % paths.length] as string;
}

/** A caller every ACL lets in. */
const SUPER: Caller = { sessionId: 0, authIds: ["super:zksim"] };

function childOf(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/**
 * Every answer the tree gives: each read for each node (and a few missing
 * paths) as a plain and a digest-authenticated caller, each session's
 * ephemerals under a few prefixes and its timeout, the live sessions, what
 * reaping would take now and later, the size and the digest.
 */
export function observe(tree: DataTree, nowMs: number): unknown {
  const paths = [...new Set([...tree.inspect().nodes.map((n) => n.path), "/a", "/a/b", "/missing", "/zookeeper/x"])].sort();
  const callers = [callerOf(1, false), callerOf(1, true)];
  const reads = paths.map((path) => ({
    path,
    stat: tree.statOf(path),
    replies: callers.map((caller) => [
      tree.read({ op: "exists", path, watch: false }, caller),
      tree.read({ op: "getData", path, watch: false }, caller),
      tree.read({ op: "getChildren", path, watch: false, withStat: true }, caller),
      tree.read({ op: "getAllChildrenNumber", path }, caller),
      tree.read({ op: "getACL", path }, caller),
    ]),
  }));
  const sessions = SESSION_IDS.map((sessionId) => ({
    sessionId,
    timeoutMs: tree.sessionTimeoutMs(sessionId) ?? null,
    ephemerals: ["", "/", "/a", "/s"].map((prefix) => tree.read({ op: "getEphemerals", prefix }, callerOf(sessionId, false))),
  }));
  const reapable = [nowMs, nowMs + 150, nowMs + 2_000].map((t) => tree.reapCandidates(t));
  return { reads, sessions, live: tree.liveSessions(), reapable, size: tree.size, digest: tree.digest() };
}

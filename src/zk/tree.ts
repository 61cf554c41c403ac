import { z } from "zod";
import { assert, AssertionError } from "../sim/index.ts";
import { allows, fixupAcl, maskAcl } from "./acl.ts";
import { OPEN_ACL, PERMS, READ_ACL } from "./types.ts";
import type { ZkBug } from "./bugs.ts";
import type {
  Acl,
  Caller,
  CreateMode,
  MultiOp,
  MultiResult,
  ReadRequest,
  Stat,
  Txn,
  TxnOutcome,
  WatchTrigger,
  WriteRequest,
  ZkErrorCode,
  ZkReply,
  ZnodeData,
} from "./types.ts";

export interface DataTreeOptions {
  /** zookeeper.extendedTypesEnabled: TTL nodes are allowed (else Unimplemented). */
  readonly extendedTypesEnabled: boolean;
  /** Bugs of the service's zoo to plant (ZK_BUGS; none by default). */
  readonly bugs?: readonly ZkBug[];
}

const NODE_KINDS = ["persistent", "ephemeral", "container", "ttl"] as const;
/** How a node lives: until deleted, with its session, until reaped empty, or until reaped after its TTL. */
export type NodeKind = (typeof NODE_KINDS)[number];

/** What a znode holds that nothing else determines: everything a snapshot keeps of it besides its path. */
export interface ZnodeFields {
  readonly data: ZnodeData;
  readonly acl: readonly Acl[];
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  /** ZooKeeper's internal cversion (C): creates under this node, ever. It numbers sequential children; clients see 2·C − numChildren. */
  readonly childCreates: number;
  readonly aversion: number;
  /** The owning session of an ephemeral, else 0. */
  readonly ephemeralOwner: number;
  readonly kind: NodeKind;
  /** A TTL node's time to live, else 0. */
  readonly ttlMs: number;
}

/**
 * A znode as the tree holds it: its fields and what follows from them, kept
 * so that a rehash costs a few multiplications. Every field is a value
 * (numbers, strings, ACL lists that are never changed in place), so a copy
 * of the record is the whole record. Its children are not in it: they are an
 * index over the paths, which the tree keeps.
 */
export interface ZnodeRecord extends ZnodeFields {
  /** The data's length in UTF-8 bytes. */
  readonly dataLength: number;
  /** Hashes of the path, the data and the ACL. */
  readonly pathHash: number;
  readonly dataHash: number;
  readonly aclHash: number;
  /** This node's share of the tree digest (two 32-bit lanes), which counts its children. */
  readonly hashHigh: number;
  readonly hashLow: number;
}

/** The fields that say what a node is, and so which indexes hold it: no change may touch them. */
type ZnodeIdentity = "czxid" | "ctime" | "ephemeralOwner" | "kind" | "ttlMs";

/** A record as the tree changes it, in DataTree.update only. */
type Znode = { -readonly [K in Exclude<keyof ZnodeRecord, ZnodeIdentity>]: ZnodeRecord[K] } & Pick<ZnodeRecord, ZnodeIdentity>;

/** The snapshot format this code writes and reads. */
const TREE_SNAPSHOT_FORMAT = 1;

/** A node in a snapshot: its path and its fields. */
export interface SnapshotNode extends ZnodeFields {
  readonly path: string;
}

/** A live session in a snapshot: its negotiated timeout and its ephemerals (which the nodes' owners must agree with). */
export interface SnapshotSession {
  readonly sessionId: number;
  readonly timeoutMs: number;
  readonly ephemerals: readonly string[];
}

/** The tree as plain data: nodes in path order (every parent before its children), sessions by id. */
export interface TreeSnapshot {
  readonly formatVersion: typeof TREE_SNAPSHOT_FORMAT;
  readonly nodes: readonly SnapshotNode[];
  readonly sessions: readonly SnapshotSession[];
}

/** Everything a tree holds, as plain data in path and id order (DataTree.inspect). */
export interface TreeImage {
  readonly digest: string;
  /** Every node's record with every own field, its children's names in order, and the Stat a client sees. */
  readonly nodes: readonly { readonly path: string; readonly record: ZnodeRecord; readonly children: readonly string[]; readonly stat: Stat }[];
  readonly sessions: readonly SnapshotSession[];
  /** The containers and TTL nodes (the index reaping looks in). */
  readonly reapable: readonly string[];
}

/** The server's own nodes: they cannot be deleted (BadArguments). */
const RESERVED: ReadonlySet<string> = new Set(["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]);
/** TTLs are 1 .. 2^40 - 1 ms (EphemeralType.TTL's range). */
const TTL_MS_MAX = 2 ** 40 - 1;
/** Nodes a tree may hold: a bound, not a ZooKeeper limit. A create beyond it is refused (QuotaExceeded). */
const NODE_COUNT_MAX = 10_000_000;

const int32Schema = z.int().min(-(2 ** 31)).max(2 ** 31 - 1);
const aclSchema = z.strictObject({ perms: z.int().min(0).max(PERMS.ALL), scheme: z.enum(["world", "digest", "auth", "super", "ip"]), id: z.string() });
const treeSnapshotSchema: z.ZodType<TreeSnapshot> = z.strictObject({
  formatVersion: z.literal(TREE_SNAPSHOT_FORMAT),
  nodes: z.array(
    z.strictObject({
      path: z.string(),
      data: z.string().nullable(),
      acl: z.array(aclSchema),
      czxid: z.int(),
      mzxid: z.int(),
      pzxid: z.int(),
      ctime: z.int(),
      mtime: z.int(),
      version: int32Schema,
      childCreates: int32Schema,
      aversion: int32Schema,
      ephemeralOwner: z.int(),
      kind: z.enum(NODE_KINDS),
      ttlMs: z.int().min(0).max(TTL_MS_MAX),
    }),
  ),
  // Timeouts are whatever the server negotiated from what the client asked: not necessarily whole milliseconds.
  sessions: z.array(z.strictObject({ sessionId: z.int(), timeoutMs: z.number().min(0), ephemerals: z.array(z.string()) })),
});

/**
 * The znode tree: a pure, deterministic state machine. Every replica applies
 * the same transactions in the same order and so holds the same tree; reads
 * are answered from it directly. Checks run in ZooKeeper's order (the first
 * failure wins), and the Stat fields change exactly as ZooKeeper changes
 * them. A multi runs its ops against the live tree and, at the first
 * failure, puts back every node it touched as it was before, whole.
 *
 * Every change to a node goes through insert, update or remove, which keep
 * what follows from the records right: the undo log of a running multi, the
 * digest, and the indexes (each node's children, each session's ephemerals,
 * the containers and TTL nodes). The digest is the sum, lane by lane, of one
 * hash per node (path, data, ACL and the whole Stat), so comparing two
 * replicas at the same zxid costs nothing.
 */
export class DataTree {
  private readonly nodes = new Map<string, Znode>();
  /** The names of each node's children, for the nodes that have any (an index over the paths). */
  private readonly childNames = new Map<string, Set<string>>();
  /** Live sessions: their negotiated timeouts and their ephemerals (an index over the nodes' ephemeralOwner). */
  private readonly sessions = new Map<number, { readonly timeoutMs: number; readonly ephemerals: Set<string> }>();
  /** The containers and TTL nodes (an index over the nodes' kind), where reaping looks. */
  private readonly reapable = new Set<string>();
  private digestHigh = 0;
  private digestLow = 0;
  /** While a multi runs: each node it touched, as it was before its first change (null: it did not exist). */
  private undo: Map<string, Znode | null> | null = null;

  constructor(private readonly options: DataTreeOptions) {
    this.insert("/", newZnode("/", initialFields(OPEN_ACL, 0), 0));
    this.insert("/zookeeper", newZnode("/zookeeper", initialFields(OPEN_ACL, 0), 0));
    this.insert("/zookeeper/quota", newZnode("/zookeeper/quota", initialFields(OPEN_ACL, 0), 0));
    // ZooKeeper creates the config node and then sets its ACL with version -1, which leaves aversion at -1.
    this.insert("/zookeeper/config", newZnode("/zookeeper/config", initialFields(READ_ACL, -1), 0));
    // Rehashed to count their children, which are not counted as creates: the root shows cversion -1, /zookeeper -2.
    const noChange = () => {};
    this.update("/", noChange);
    this.update("/zookeeper", noChange);
  }

  // ---------------------------------------------------------------- transactions

  applyTxn(txn: Txn): TxnOutcome {
    const body = txn.body;
    switch (body.type) {
      case "createSession":
        if (!this.sessions.has(body.sessionId)) this.sessions.set(body.sessionId, { timeoutMs: body.timeoutMs, ephemerals: new Set() });
        return { reply: { ok: true, result: { op: "createSession", sessionId: body.sessionId } }, triggers: [] };
      case "closeSession":
        return this.closeSession(body.sessionId, txn);
      case "reap":
        return this.reap(body.path, txn);
      case "write":
        return this.write(body.request, body.caller, txn);
      default: {
        const unknown: never = body;
        assert(false, "unknown transaction", { body: unknown });
        return { reply: { ok: false, err: "Unimplemented" }, triggers: [] };
      }
    }
  }

  private write(request: WriteRequest, caller: Caller, txn: Txn): TxnOutcome {
    const triggers: WatchTrigger[] = [];
    if (request.op === "multi") return this.multi(request.ops, caller, txn, triggers);
    if (request.op === "setACL") {
      const failure = this.sessionFailure(caller) ?? this.setAcl(request.path, request.acl, request.version, caller);
      if (typeof failure === "string") return { reply: { ok: false, err: failure }, triggers };
      return { reply: { ok: true, result: { op: "setACL", stat: failure } }, triggers };
    }
    const outcome = this.writeOp(request, caller, txn, triggers, true);
    if (typeof outcome === "string") return { reply: { ok: false, err: outcome }, triggers: [] };
    switch (outcome.type) {
      case "create":
        assert(outcome.stat !== null, "a single create returns its Stat");
        return { reply: { ok: true, result: { op: "create", path: outcome.path, stat: outcome.stat } }, triggers };
      case "delete":
        return { reply: { ok: true, result: { op: "delete" } }, triggers };
      case "setData":
        return { reply: { ok: true, result: { op: "setData", stat: outcome.stat } }, triggers };
      default:
        assert(false, "a single write returned a multi-only result", { outcome });
        return { reply: { ok: false, err: "SystemError" }, triggers: [] };
    }
  }

  /**
   * All or nothing: the ops run in order against the state the earlier ones
   * left; at the first failure everything is undone, the failing op carries
   * its error, earlier ones OK and later ones RuntimeInconsistency.
   */
  private multi(ops: readonly MultiOp[], caller: Caller, txn: Txn, triggers: WatchTrigger[]): TxnOutcome {
    assert(this.undo === null, "multis do not nest");
    const undo = new Map<string, Znode | null>();
    const results: MultiResult[] = [];
    let failedAt = -1;
    let failure: ZkErrorCode = "SystemError";
    this.undo = undo;
    try {
      for (let i = 0; i < ops.length; i++) {
        const outcome = this.writeOp(ops[i] as MultiOp, caller, txn, triggers, false);
        if (typeof outcome === "string") {
          failedAt = i;
          failure = outcome;
          break;
        }
        results.push(outcome);
      }
    } finally {
      this.undo = null;
    }
    if (failedAt < 0) return { reply: { ok: true, result: { op: "multi", results } }, triggers };
    this.rollBack(undo);
    const errors: MultiResult[] = ops.map((_, i) => ({ type: "error", err: i < failedAt ? "OK" : i === failedAt ? failure : "RuntimeInconsistency" }));
    return { reply: { ok: false, err: failure, results: errors }, triggers: [] };
  }

  /** One create, delete, setData or check: its result, or the first failing check's error. */
  private writeOp(op: MultiOp, caller: Caller, txn: Txn, triggers: WatchTrigger[], single: boolean): MultiResult | ZkErrorCode {
    switch (op.op) {
      case "create":
        return this.create(op.path, op.data, op.acl, op.mode, op.ttlMs, caller, txn, triggers, single);
      case "delete": {
        const failure = this.sessionFailure(caller) ?? this.delete(op.path, op.version, caller, txn, triggers);
        return failure ?? { type: "delete" };
      }
      case "setData": {
        const outcome = this.sessionFailure(caller) ?? this.setData(op.path, op.data, op.version, caller, txn, triggers);
        return typeof outcome === "string" ? outcome : { type: "setData", stat: outcome };
      }
      case "check": {
        const failure = this.sessionFailure(caller) ?? this.check(op.path, op.version, caller);
        return failure ?? { type: "check" };
      }
      default: {
        const unknown: never = op;
        assert(false, "unknown multi op", { op: unknown });
        return "BadArguments";
      }
    }
  }

  private sessionFailure(caller: Caller): ZkErrorCode | undefined {
    return this.sessions.has(caller.sessionId) ? undefined : "SessionExpired";
  }

  private create(
    requestPath: string,
    data: ZnodeData,
    aclRequested: readonly Acl[],
    mode: CreateMode,
    ttlMs: number | undefined,
    caller: Caller,
    txn: Txn,
    triggers: WatchTrigger[],
    single: boolean,
  ): MultiResult | ZkErrorCode {
    const isTtl = mode === "PERSISTENT_WITH_TTL" || mode === "PERSISTENT_SEQUENTIAL_WITH_TTL";
    if (isTtl && !this.options.extendedTypesEnabled) return "Unimplemented";
    if (isTtl ? ttlMs === undefined || ttlMs < 1 || ttlMs > TTL_MS_MAX || !Number.isInteger(ttlMs) : ttlMs !== undefined && ttlMs >= 0) return "BadArguments";
    const sessionFailure = this.sessionFailure(caller);
    if (sessionFailure !== undefined) return sessionFailure;
    const lastSlash = requestPath.lastIndexOf("/");
    if (lastSlash < 0 || requestPath.includes("\u0000")) return "BadArguments";
    const acl = fixupAcl(aclRequested, caller);
    if (typeof acl === "string") return acl;
    const parentPath = lastSlash === 0 ? "/" : requestPath.slice(0, lastSlash);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return "NoNode";
    if (!allows(parent.acl, caller, PERMS.CREATE)) return "NoAuth";
    const sequential = mode === "PERSISTENT_SEQUENTIAL" || mode === "EPHEMERAL_SEQUENTIAL" || mode === "PERSISTENT_SEQUENTIAL_WITH_TTL";
    const counter = this.hasBug("sequence-from-child-count") ? this.childCount(parentPath) : parent.childCreates;
    const path = sequential ? requestPath + sequenceSuffix(counter) : requestPath;
    if (pathProblem(path) !== null) return "BadArguments";
    if (this.nodes.has(path)) return "NodeExists";
    if (parent.kind === "ephemeral") return "NoChildrenForEphemerals";
    if (this.nodes.size >= NODE_COUNT_MAX) return "QuotaExceeded";

    const kind: NodeKind = mode === "EPHEMERAL" || mode === "EPHEMERAL_SEQUENTIAL" ? "ephemeral" : mode === "CONTAINER" ? "container" : isTtl ? "ttl" : "persistent";
    const node = newZnode(path, {
      data,
      acl,
      czxid: txn.zxid,
      mzxid: txn.zxid,
      pzxid: txn.zxid,
      ctime: txn.timeMs,
      mtime: txn.timeMs,
      version: 0,
      childCreates: 0,
      aversion: 0,
      ephemeralOwner: kind === "ephemeral" ? caller.sessionId : 0,
      kind,
      ttlMs: isTtl ? (ttlMs ?? 0) : 0,
    }, 0);
    this.insert(path, node);
    this.update(parentPath, (p) => {
      p.childCreates = (p.childCreates + 1) | 0;
      p.pzxid = txn.zxid;
    });
    triggers.push({ path, type: "NodeCreated", acl }, { path: parentPath, type: "NodeChildrenChanged", acl: parent.acl });
    // Plain creates inside a multi return no Stat (OpCode.create); single creates, containers and TTL nodes do.
    const withStat = single || kind === "container" || kind === "ttl";
    return { type: "create", path, stat: withStat ? visibleStat(node, 0) : null };
  }

  private delete(path: string, version: number, caller: Caller, txn: Txn, triggers: WatchTrigger[]): ZkErrorCode | undefined {
    const lastSlash = path.lastIndexOf("/");
    if (lastSlash < 0 || path.includes("\u0000") || RESERVED.has(path)) return "BadArguments";
    const parentPath = lastSlash === 0 ? "/" : path.slice(0, lastSlash);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return "NoNode";
    if (!allows(parent.acl, caller, PERMS.DELETE)) return "NoAuth";
    const node = this.nodes.get(path);
    if (node === undefined) return "NoNode";
    if (version !== -1 && version !== node.version) return "BadVersion";
    if (this.childCount(path) > 0) return "NotEmpty";
    this.removeNode(path, txn, triggers);
    return undefined;
  }

  private setData(path: string, data: ZnodeData, version: number, caller: Caller, txn: Txn, triggers: WatchTrigger[]): Stat | ZkErrorCode {
    if (pathProblem(path) !== null) return "BadArguments";
    const node = this.nodes.get(path);
    if (node === undefined) return "NoNode";
    if (!allows(node.acl, caller, PERMS.WRITE)) return "NoAuth";
    if (version !== -1 && version !== node.version) return "BadVersion";
    this.update(path, (n) => {
      n.data = data;
      n.version = (n.version + 1) | 0;
      n.mzxid = txn.zxid;
      n.mtime = txn.timeMs;
    });
    triggers.push({ path, type: "NodeDataChanged", acl: node.acl });
    return this.stat(path, node);
  }

  private check(path: string, version: number, caller: Caller): ZkErrorCode | undefined {
    if (pathProblem(path) !== null) return "BadArguments";
    const node = this.nodes.get(path);
    if (node === undefined) return "NoNode";
    if (!allows(node.acl, caller, PERMS.READ)) return "NoAuth";
    if (version !== -1 && version !== node.version) return "BadVersion";
    return undefined;
  }

  /** setACL fires no watches. */
  private setAcl(path: string, aclRequested: readonly Acl[], version: number, caller: Caller): Stat | ZkErrorCode {
    if (pathProblem(path) !== null) return "BadArguments";
    const acl = fixupAcl(aclRequested, caller);
    if (typeof acl === "string") return acl;
    const node = this.nodes.get(path);
    if (node === undefined) return "NoNode";
    if (!allows(node.acl, caller, PERMS.ADMIN)) return "NoAuth";
    if (version !== -1 && version !== node.aversion) return "BadVersion";
    this.update(path, (n) => {
      n.acl = acl;
      n.aversion = (n.aversion + 1) | 0;
    });
    return this.stat(path, node);
  }

  /** One transaction deletes every ephemeral of the session (in path order), then the session is gone. */
  private closeSession(sessionId: number, txn: Txn): TxnOutcome {
    const triggers: WatchTrigger[] = [];
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { reply: { ok: false, err: "SessionExpired" }, triggers };
    for (const path of [...session.ephemerals].sort()) this.removeNode(path, txn, triggers);
    assert(session.ephemerals.size === 0, "a closed session's ephemerals are gone", { sessionId });
    this.sessions.delete(sessionId);
    return { reply: { ok: true, result: { op: "closeSession" } }, triggers };
  }

  /** The leader found a container or TTL node due; it is deleted only if it still is when the transaction applies. */
  private reap(path: string, txn: Txn): TxnOutcome {
    const node = this.nodes.get(path);
    if (node === undefined || !isDue(node, this.childCount(path), txn.timeMs)) return { reply: { ok: false, err: "NoNode" }, triggers: [] };
    const triggers: WatchTrigger[] = [];
    this.removeNode(path, txn, triggers);
    return { reply: { ok: true, result: { op: "delete" } }, triggers };
  }

  // ---------------------------------------------------------------- reads

  read(request: ReadRequest, caller: Caller): ZkReply {
    switch (request.op) {
      case "exists": {
        if (request.path.includes("\u0000")) return { ok: false, err: "BadArguments" };
        const node = this.nodes.get(request.path);
        return node === undefined ? { ok: false, err: "NoNode" } : { ok: true, result: { op: "exists", stat: this.stat(request.path, node) } };
      }
      case "getData": {
        const node = this.nodes.get(request.path);
        if (node === undefined) return { ok: false, err: "NoNode" };
        if (!allows(node.acl, caller, PERMS.READ)) return { ok: false, err: "NoAuth" };
        return { ok: true, result: { op: "getData", data: node.data, stat: this.stat(request.path, node) } };
      }
      case "getChildren": {
        const node = this.nodes.get(request.path);
        if (node === undefined) return { ok: false, err: "NoNode" };
        if (!allows(node.acl, caller, PERMS.READ)) return { ok: false, err: "NoAuth" };
        return { ok: true, result: { op: "getChildren", children: this.childList(request.path), stat: request.withStat ? this.stat(request.path, node) : null } };
      }
      case "getAllChildrenNumber": {
        const node = this.nodes.get(request.path);
        if (node === undefined) return { ok: false, err: "NoNode" };
        if (!allows(node.acl, caller, PERMS.READ)) return { ok: false, err: "NoAuth" };
        return { ok: true, result: { op: "getAllChildrenNumber", count: this.descendantCount(request.path) } };
      }
      case "getEphemerals": {
        const own = this.sessions.get(caller.sessionId)?.ephemerals ?? new Set<string>();
        const prefix = request.prefix;
        const all = prefix === "" || prefix === "/";
        return { ok: true, result: { op: "getEphemerals", paths: [...own].filter((p) => all || p.startsWith(prefix)).sort() } };
      }
      case "getACL": {
        const node = this.nodes.get(request.path);
        if (node === undefined) return { ok: false, err: "NoNode" };
        if (!allows(node.acl, caller, PERMS.READ | PERMS.ADMIN)) return { ok: false, err: "NoAuth" };
        const acl = allows(node.acl, caller, PERMS.ADMIN) ? node.acl : maskAcl(node.acl);
        return { ok: true, result: { op: "getACL", acl, stat: this.stat(request.path, node) } };
      }
      default: {
        const unknown: never = request;
        assert(false, "unknown read", { request: unknown });
        return { ok: false, err: "Unimplemented" };
      }
    }
  }

  /** The Stat of a node, or null: for servers and checkers (no ACL check). */
  statOf(path: string): Stat | null {
    const node = this.nodes.get(path);
    return node === undefined ? null : this.stat(path, node);
  }

  /** A live session's negotiated timeout, or undefined once it is closed or expired (or never was). */
  sessionTimeoutMs(sessionId: number): number | undefined {
    return this.sessions.get(sessionId)?.timeoutMs;
  }

  /** Live sessions and their timeouts, by id. */
  liveSessions(): [number, number][] {
    return [...this.sessions].map(([id, session]): [number, number] => [id, session.timeoutMs]).sort((a, b) => a[0] - b[0]);
  }

  /** How many znodes the tree holds, the root and the server's own nodes included. */
  get size(): number {
    return this.nodes.size;
  }

  /**
   * Containers that had children and have none now, and TTL nodes with no
   * children whose TTL has passed since their last change (ZooKeeper's
   * ContainerManager), in path order.
   */
  reapCandidates(nowMs: number): string[] {
    const out: string[] = [];
    for (const path of this.reapable) if (isDue(this.nodes.get(path) as Znode, this.childCount(path), nowMs)) out.push(path);
    return out.sort();
  }

  /** The digest of the whole tree (16 hex digits). Equal trees have equal digests. */
  digest(): string {
    return hex32(this.digestHigh) + hex32(this.digestLow);
  }

  // ---------------------------------------------------------------- inspection, for tests and tools

  /** A node's record, every field the tree holds for it (a live, read-only view), or undefined. */
  nodeRecord(path: string): ZnodeRecord | undefined {
    return this.nodes.get(path);
  }

  /**
   * Everything the tree holds, as plain data in path and id order, for
   * comparing two trees. A node's record is copied with every own field, so
   * a field added later is compared too.
   */
  inspect(): TreeImage {
    const nodes = [...this.nodes]
      .sort(byKey)
      .map(([path, node]) => ({ path, record: { ...node }, children: this.childList(path), stat: this.stat(path, node) }));
    return { digest: this.digest(), nodes, sessions: this.sessionList(), reapable: [...this.reapable].sort() };
  }

  /**
   * What is wrong with the tree, if anything: everything that follows from
   * the records (cached hashes, the digest, the indexes) recomputed from
   * scratch and compared. Empty when the tree is consistent.
   */
  consistencyProblems(): string[] {
    const problems: string[] = [];
    let digestHigh = 0;
    let digestLow = 0;
    const ephemerals = new Map<number, string[]>();
    const reapable: string[] = [];
    const children = new Map<string, string[]>();
    for (const [path, node] of this.nodes) {
      const fresh = newZnode(path, node, this.childCount(path));
      for (const key of ["dataLength", "pathHash", "dataHash", "aclHash", "hashHigh", "hashLow"] as const) {
        if (fresh[key] !== node[key]) problems.push(`${path}: ${key} is ${node[key]}, recomputed ${fresh[key]}`);
      }
      digestHigh = (digestHigh + fresh.hashHigh) | 0;
      digestLow = (digestLow + fresh.hashLow) | 0;
      if (path !== "/") {
        const { parentPath, name } = splitPath(path);
        if (!this.nodes.has(parentPath)) problems.push(`${path}: no parent`);
        listIn(children, parentPath).push(name);
      }
      if (node.kind === "ephemeral") listIn(ephemerals, node.ephemeralOwner).push(path);
      if (node.kind === "container" || node.kind === "ttl") reapable.push(path);
    }
    if (digestHigh !== this.digestHigh || digestLow !== this.digestLow) problems.push(`digest is ${this.digest()}, recomputed ${hex32(digestHigh)}${hex32(digestLow)}`);
    for (const [sessionId, paths] of ephemerals) if (!this.sessions.has(sessionId)) problems.push(`session ${sessionId} owns ${paths.join(", ")} but is not live`);
    for (const [sessionId, session] of this.sessions) {
      const indexed = [...session.ephemerals].sort().join(", ");
      const owned = (ephemerals.get(sessionId) ?? []).sort().join(", ");
      if (indexed !== owned) problems.push(`session ${sessionId}: ephemerals index [${indexed}], owned [${owned}]`);
    }
    for (const path of new Set([...this.childNames.keys(), ...children.keys()])) {
      const indexed = this.childList(path).join(", ");
      const present = (children.get(path) ?? []).sort().join(", ");
      if (indexed !== present) problems.push(`${path}: children index [${indexed}], nodes [${present}]`);
    }
    if ([...this.reapable].sort().join(", ") !== reapable.sort().join(", ")) problems.push(`reapable index [${[...this.reapable].sort().join(", ")}], containers and TTL nodes [${reapable.join(", ")}]`);
    return problems;
  }

  // ---------------------------------------------------------------- snapshots

  toSnapshot(): TreeSnapshot {
    const nodes: SnapshotNode[] = [];
    for (const [path, n] of this.nodes) {
      nodes.push({
        path,
        data: n.data,
        acl: n.acl,
        czxid: n.czxid,
        mzxid: n.mzxid,
        pzxid: n.pzxid,
        ctime: n.ctime,
        mtime: n.mtime,
        version: n.version,
        childCreates: n.childCreates,
        aversion: n.aversion,
        ephemeralOwner: n.ephemeralOwner,
        kind: n.kind,
        ttlMs: n.ttlMs,
      });
    }
    nodes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { formatVersion: TREE_SNAPSHOT_FORMAT, nodes, sessions: this.sessionList() };
  }

  /**
   * The tree a snapshot describes. The snapshot is validated first: its
   * shape, and that it is a tree (paths valid and in order, every parent
   * there and not ephemeral, each ephemeral owned by a live session that
   * lists it). An invalid snapshot is a bug in zksim, which wrote it.
   */
  static fromSnapshot(data: unknown, options: DataTreeOptions): DataTree {
    const snapshot = validSnapshot(data);
    const tree = new DataTree(options);
    tree.clear();
    for (const { sessionId, timeoutMs } of snapshot.sessions) tree.sessions.set(sessionId, { timeoutMs, ephemerals: new Set() });
    // Each node is hashed with its children counted, so the counts come first.
    const childCounts = new Map<string, number>();
    for (const { path } of snapshot.nodes) {
      if (path === "/") continue;
      const parentPath = splitPath(path).parentPath;
      childCounts.set(parentPath, (childCounts.get(parentPath) ?? 0) + 1);
    }
    for (const { path, ...fields } of snapshot.nodes) tree.insert(path, newZnode(path, fields, childCounts.get(path) ?? 0));
    return tree;
  }

  private sessionList(): SnapshotSession[] {
    return [...this.sessions]
      .sort(byKey)
      .map(([sessionId, session]) => ({ sessionId, timeoutMs: session.timeoutMs, ephemerals: [...session.ephemerals].sort() }));
  }

  private clear(): void {
    this.nodes.clear();
    this.childNames.clear();
    this.sessions.clear();
    this.reapable.clear();
    this.digestHigh = 0;
    this.digestLow = 0;
  }

  // ---------------------------------------------------------------- changes: records, undo, digest and indexes

  /** The one way a node enters the tree. */
  private insert(path: string, node: Znode): void {
    assert(!this.nodes.has(path), "inserting a node that exists", { path });
    this.remember(path, undefined);
    this.nodes.set(path, node);
    this.index(path, node);
  }

  /**
   * The one way a node changes. What follows from the fields (data length,
   * cached hashes, the node's hash, which counts its children) is recomputed
   * here, so a change sets fields and nothing else. It cannot touch the
   * identity fields, so the node stays in the indexes it was in.
   */
  private update(path: string, change: (node: Znode) => void): Znode {
    const node = this.nodes.get(path);
    assert(node !== undefined, "changing a missing node", { path });
    this.remember(path, node);
    this.digestHigh = (this.digestHigh - node.hashHigh) | 0;
    this.digestLow = (this.digestLow - node.hashLow) | 0;
    const data = node.data;
    const acl = node.acl;
    change(node);
    if (node.data !== data) {
      node.dataLength = utf8Length(node.data);
      node.dataHash = dataHashOf(node.data);
    }
    if (node.acl !== acl) node.aclHash = aclHashOf(node.acl);
    rehashNode(node, this.childCount(path));
    this.digestHigh = (this.digestHigh + node.hashHigh) | 0;
    this.digestLow = (this.digestLow + node.hashLow) | 0;
    return node;
  }

  /** The one way a node leaves the tree. */
  private remove(path: string): Znode {
    const node = this.nodes.get(path);
    assert(node !== undefined, "removing a missing node", { path });
    this.remember(path, node);
    this.unindex(path, node);
    this.nodes.delete(path);
    return node;
  }

  /** In a multi, keeps a node's record as it was before its first change: a copy, whole, with every field. */
  private remember(path: string, node: Znode | undefined): void {
    if (this.undo === null || this.undo.has(path)) return;
    this.undo.set(path, node === undefined ? null : { ...node });
  }

  /** Puts back every node a failed multi touched, as it was; the digest and the indexes follow the records. */
  private rollBack(undo: ReadonlyMap<string, Znode | null>): void {
    for (const [path, before] of undo) {
      const now = this.nodes.get(path);
      if (now !== undefined) this.unindex(path, now);
      if (before === null) {
        this.nodes.delete(path);
      } else {
        this.nodes.set(path, before);
        this.index(path, before);
      }
    }
  }

  /**
   * Adds a node's share of the digest and its entries in the indexes. A
   * parent's hash counts its children, so whoever adds or takes away a node
   * also updates its parent (create and removeNode; a rollback restores both).
   */
  private index(path: string, node: Znode): void {
    this.digestHigh = (this.digestHigh + node.hashHigh) | 0;
    this.digestLow = (this.digestLow + node.hashLow) | 0;
    if (path !== "/") {
      const { parentPath, name } = splitPath(path);
      const siblings = this.childNames.get(parentPath);
      if (siblings === undefined) this.childNames.set(parentPath, new Set([name]));
      else siblings.add(name);
    }
    if (node.kind === "ephemeral") this.ownEphemerals(node.ephemeralOwner, path).add(path);
    else if (node.kind === "container" || node.kind === "ttl") this.reapable.add(path);
  }

  /** Takes away what index added. */
  private unindex(path: string, node: Znode): void {
    this.digestHigh = (this.digestHigh - node.hashHigh) | 0;
    this.digestLow = (this.digestLow - node.hashLow) | 0;
    if (path !== "/") {
      const { parentPath, name } = splitPath(path);
      const siblings = this.childNames.get(parentPath);
      assert(siblings?.delete(name) === true, "a node missing from its parent's children", { path });
      if (siblings.size === 0) this.childNames.delete(parentPath);
    }
    if (node.kind === "ephemeral") this.ownEphemerals(node.ephemeralOwner, path).delete(path);
    else if (node.kind === "container" || node.kind === "ttl") this.reapable.delete(path);
  }

  private childCount(path: string): number {
    return this.childNames.get(path)?.size ?? 0;
  }

  private childList(path: string): string[] {
    const names = this.childNames.get(path);
    return names === undefined ? [] : [...names].sort();
  }

  private stat(path: string, node: ZnodeRecord): Stat {
    return visibleStat(node, this.childCount(path));
  }

  private ownEphemerals(sessionId: number, path: string): Set<string> {
    const session = this.sessions.get(sessionId);
    assert(session !== undefined, "an ephemeral whose session is gone", { sessionId, path });
    return session.ephemerals;
  }

  private hasBug(bug: ZkBug): boolean {
    return this.options.bugs !== undefined && this.options.bugs.includes(bug);
  }

  /** Deletes a childless node: the parent's pzxid moves (its cversion, as clients see it, goes up by one). */
  private removeNode(path: string, txn: Txn, triggers: WatchTrigger[]): void {
    assert(this.childCount(path) === 0, "removing a node with children", { path });
    const node = this.remove(path);
    const parentPath = splitPath(path).parentPath;
    const parent = this.update(parentPath, (p) => {
      p.pzxid = txn.zxid;
    });
    triggers.push({ path, type: "NodeDeleted", acl: node.acl }, { path: parentPath, type: "NodeChildrenChanged", acl: parent.acl });
  }

  private descendantCount(path: string): number {
    const names = this.childNames.get(path);
    if (names === undefined) return 0;
    let count = 0;
    const prefix = path === "/" ? "/" : `${path}/`;
    for (const name of names) count += 1 + this.descendantCount(prefix + name);
    return count;
  }
}

/** A new record with its derived fields computed; its hash counts `childCount` children. */
function newZnode(path: string, f: ZnodeFields, childCount: number): Znode {
  const node: Znode = {
    data: f.data,
    acl: f.acl,
    czxid: f.czxid,
    mzxid: f.mzxid,
    pzxid: f.pzxid,
    ctime: f.ctime,
    mtime: f.mtime,
    version: f.version,
    childCreates: f.childCreates,
    aversion: f.aversion,
    ephemeralOwner: f.ephemeralOwner,
    kind: f.kind,
    ttlMs: f.ttlMs,
    dataLength: utf8Length(f.data),
    pathHash: textHash(path, 0x9e3779b9),
    dataHash: dataHashOf(f.data),
    aclHash: aclHashOf(f.acl),
    hashHigh: 0,
    hashLow: 0,
  };
  rehashNode(node, childCount);
  return node;
}

/** The server's own nodes: empty data, created at zxid 0. */
function initialFields(acl: readonly Acl[], aversion: number): ZnodeFields {
  return { data: "", acl, czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, childCreates: 0, aversion, ephemeralOwner: 0, kind: "persistent", ttlMs: 0 };
}

/** A snapshot checked for shape and for being a tree; throws an AssertionError naming the first problems. */
function validSnapshot(data: unknown): TreeSnapshot {
  const parsed = treeSnapshotSchema.safeParse(data);
  const problems = parsed.success ? treeProblems(parsed.data) : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  if (!parsed.success || problems.length > 0) throw new AssertionError("not a valid tree snapshot", { problems: problems.slice(0, 10) });
  return parsed.data;
}

/** What keeps a well-shaped snapshot from being a tree this code could have written. */
function treeProblems(snapshot: TreeSnapshot): string[] {
  const problems: string[] = [];
  const kinds = new Map<string, NodeKind>();
  const owned = new Map<number, string[]>();
  let previous = "";
  for (const node of snapshot.nodes) {
    const path = node.path;
    const problem = pathProblem(path);
    if (problem !== null) problems.push(`${path}: ${problem}`);
    if (!(previous < path)) problems.push(`${path}: not in path order after ${previous}`);
    previous = path;
    if (path !== "/") {
      const parentKind = kinds.get(splitPath(path).parentPath);
      if (parentKind === undefined) problems.push(`${path}: no parent`);
      else if (parentKind === "ephemeral") problems.push(`${path}: the child of an ephemeral`);
    }
    kinds.set(path, node.kind);
    if (node.kind === "ephemeral") listIn(owned, node.ephemeralOwner).push(path);
    else if (node.ephemeralOwner !== 0) problems.push(`${path}: a ${node.kind} node with ephemeralOwner ${node.ephemeralOwner}`);
    if ((node.kind === "ttl") !== (node.ttlMs > 0)) problems.push(`${path}: a ${node.kind} node with ttlMs ${node.ttlMs}`);
  }
  for (const path of RESERVED) if (!kinds.has(path)) problems.push(`${path} is missing`);
  if (snapshot.nodes.length > NODE_COUNT_MAX) problems.push(`${snapshot.nodes.length} nodes, more than ${NODE_COUNT_MAX}`);
  let previousId = -Infinity;
  for (const session of snapshot.sessions) {
    if (!(previousId < session.sessionId)) problems.push(`session ${session.sessionId}: not in id order after ${previousId}`);
    previousId = session.sessionId;
    const listed = session.ephemerals.join(", ");
    const owners = (owned.get(session.sessionId) ?? []).join(", ");
    if (listed !== owners) problems.push(`session ${session.sessionId}: lists ephemerals [${listed}], owns [${owners}]`);
    owned.delete(session.sessionId);
  }
  for (const [sessionId, paths] of owned) problems.push(`${paths.join(", ")}: owned by session ${sessionId}, which is not live`);
  return problems;
}

/** The list under a key, made empty if there was none. */
function listIn<K, V>(lists: Map<K, V[]>, key: K): V[] {
  let list = lists.get(key);
  if (list === undefined) {
    list = [];
    lists.set(key, list);
  }
  return list;
}

function splitPath(path: string): { parentPath: string; name: string } {
  const cut = path.lastIndexOf("/");
  return { parentPath: cut === 0 ? "/" : path.slice(0, cut), name: path.slice(cut + 1) };
}

function byKey<K extends string | number>(a: readonly [K, unknown], b: readonly [K, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The Stat a client sees. cversion is 2·C − numChildren (DataNode.copyStat); containers and TTL nodes show owner 0. */
function visibleStat(node: ZnodeRecord, numChildren: number): Stat {
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    pzxid: node.pzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: (2 * node.childCreates - numChildren) | 0,
    aversion: node.aversion,
    ephemeralOwner: node.ephemeralOwner,
    dataLength: node.dataLength,
    numChildren,
  };
}

function isDue(node: ZnodeRecord, numChildren: number, nowMs: number): boolean {
  if (numChildren > 0) return false;
  if (node.kind === "container") return node.childCreates !== 0;
  if (node.kind === "ttl") return nowMs - node.mtime > node.ttlMs;
  return false;
}

/** Java's String.format("%010d", n): ten digits, zero-padded after the sign. */
export function sequenceSuffix(counter: number): string {
  return counter < 0 ? `-${String(-counter).padStart(9, "0")}` : String(counter).padStart(10, "0");
}

/**
 * Why a path is invalid (ZooKeeper's PathUtils.validatePath), or null when it
 * is valid. Works on UTF-16 code units, as Java does.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return "Path length must be > 0";
  if (path.charCodeAt(0) !== 0x2f) return "Path must start with / character";
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f) return "Path must not end with / character";
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    const last = path.charCodeAt(i - 1);
    const segmentEnds = i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f;
    if (c === 0) return `null character not allowed @${i}`;
    if (c === 0x2f && last === 0x2f) return `empty node name specified @${i}`;
    if (c === 0x2e && last === 0x2e && path.charCodeAt(i - 2) === 0x2f && segmentEnds) return `relative paths not allowed @${i}`;
    if (c === 0x2e && last === 0x2f && segmentEnds) return `relative paths not allowed @${i}`;
    if ((c > 0 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || (c >= 0xfff0 && c <= 0xffff)) return `invalid character @${i}`;
  }
  return null;
}

/** The number of bytes of the data in UTF-8 (0 for null). */
export function utf8Length(data: ZnodeData): number {
  if (data === null) return 0;
  let bytes = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < data.length && (data.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Sets a node's hash: two 32-bit multiply–xor lanes over its path, data, ACL
 * and every Stat field. The text parts are hashed when they change and kept
 * in the record, so rehashing a node after a Stat change costs a few
 * multiplications. Pure: the lanes are local, so trees never share state.
 */
function rehashNode(node: Znode, childCount: number): void {
  let lane1 = node.pathHash;
  let lane2 = node.dataHash;
  for (let field = 0; field < MIXED_FIELD_COUNT; field++) {
    // Feeds one number (an integer below 2^53) into both lanes.
    const value = field === CHILD_COUNT_FIELD ? childCount : mixedField(node, field);
    const low = value | 0;
    const high = Math.floor(value / 4294967296) | 0;
    lane1 = Math.imul(lane1 ^ low, 2654435761);
    lane2 = Math.imul(lane2 ^ high, 1597334677) ^ (lane1 >>> 15);
    lane1 ^= lane2 >>> 13;
  }
  const h1 = Math.imul(lane1 ^ (lane1 >>> 16), 2246822507) ^ Math.imul(lane2 ^ (lane2 >>> 13), 3266489909);
  const h2 = Math.imul(lane2 ^ (lane2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  node.hashHigh = h1 | 0;
  node.hashLow = h2 | 0;
}

const MIXED_FIELD_COUNT = 14;
/** Where the number of children goes among the mixed fields. */
const CHILD_COUNT_FIELD = 12;

/** The numbers a node's hash mixes, in order (the order is part of every digest ever recorded). */
function mixedField(node: ZnodeRecord, field: number): number {
  switch (field) {
    case 0:
      return node.aclHash;
    case 1:
      return node.czxid;
    case 2:
      return node.mzxid;
    case 3:
      return node.pzxid;
    case 4:
      return node.ctime;
    case 5:
      return node.mtime;
    case 6:
      return node.version;
    case 7:
      return node.childCreates;
    case 8:
      return node.aversion;
    case 9:
      return node.ephemeralOwner;
    case 10:
      return KIND_CODES[node.kind];
    case 11:
      return node.ttlMs;
    case 13:
      return node.dataLength;
    default:
      assert(false, "no such hashed field", { field });
      return 0;
  }
}

const KIND_CODES: Readonly<Record<NodeKind, number>> = Object.freeze({ persistent: 1, ephemeral: 2, container: 3, ttl: 4 });

function textHash(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 2654435761);
  return Math.imul(h ^ (h >>> 16), 2246822507) ^ text.length;
}

function dataHashOf(data: ZnodeData): number {
  return data === null ? 0x5bd1e995 : textHash(data, 0x85ebca6b);
}

function aclHashOf(acl: readonly Acl[]): number {
  let text = "";
  for (const entry of acl) text += `${entry.perms}:${entry.scheme}:${entry.id};`;
  return textHash(text, 0x27d4eb2f);
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

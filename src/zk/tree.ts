import { assert } from "../sim/index.ts";
import { allows, fixupAcl, maskAcl } from "./acl.ts";
import { OPEN_ACL, PERMS, READ_ACL } from "./types.ts";
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
}

/** How a node lives: until deleted, with its session, until reaped empty, or until reaped after its TTL. */
type NodeKind = "persistent" | "ephemeral" | "container" | "ttl";

/** A znode as the tree holds it. `childCreates` is ZooKeeper's internal cversion (C): creates under it, ever. */
interface Znode {
  data: ZnodeData;
  dataLength: number;
  acl: readonly Acl[];
  readonly czxid: number;
  mzxid: number;
  pzxid: number;
  readonly ctime: number;
  mtime: number;
  version: number;
  childCreates: number;
  aversion: number;
  /** The owning session of an ephemeral, else 0. */
  readonly owner: number;
  readonly kind: NodeKind;
  readonly ttlMs: number;
  readonly children: Set<string>;
  /** This node's share of the tree digest (two 32-bit lanes). */
  hashHigh: number;
  hashLow: number;
  /** Hashes of the path and the data, kept between rehashes (undefined: not computed yet, or the data changed). */
  pathHash?: number;
  dataHash?: number | undefined;
}

/** A node in a snapshot, as plain data: [path, data, acl, czxid, mzxid, pzxid, ctime, mtime, version, childCreates, aversion, owner, kind, ttlMs]. */
type SnapshotNode = readonly [string, ZnodeData, readonly Acl[], number, number, number, number, number, number, number, number, number, NodeKind, number];

interface TreeSnapshot {
  readonly nodes: readonly SnapshotNode[];
  /** Live sessions and their negotiated timeouts. */
  readonly sessions: readonly (readonly [number, number])[];
}

/** The server's own nodes: they cannot be deleted (BadArguments). */
const RESERVED = new Set(["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]);
/** TTLs are 1 .. 2^40 - 1 ms (EphemeralType.TTL's range). */
const TTL_MS_MAX = 2 ** 40 - 1;
/** Nodes a tree may hold: a bound, not a ZooKeeper limit. A create beyond it is refused (QuotaExceeded). */
const NODE_COUNT_MAX = 10_000_000;

/**
 * The znode tree: a pure, deterministic state machine. Every replica applies
 * the same transactions in the same order and so holds the same tree; reads
 * are answered from it directly. Checks run in ZooKeeper's order (the first
 * failure wins), and the Stat fields change exactly as ZooKeeper changes
 * them. A multi runs its ops against the live tree with an undo log, and
 * rolls back at the first failure.
 *
 * The digest is the sum, lane by lane, of one hash per node (path, data,
 * ACL and the whole Stat), kept up to date as nodes change, so comparing
 * two replicas at the same zxid costs nothing.
 */
export class DataTree {
  private readonly nodes = new Map<string, Znode>();
  /** Live sessions: their negotiated timeouts and their ephemerals. */
  private readonly sessions = new Map<number, { readonly timeoutMs: number; readonly ephemerals: Set<string> }>();
  private digestHigh = 0;
  private digestLow = 0;
  /** While a multi runs: how to put back what it changed. */
  private undo: (() => void)[] | null = null;

  constructor(private readonly options: DataTreeOptions) {
    this.put("/", initialNode("", OPEN_ACL, 0));
    this.put("/zookeeper", initialNode("", OPEN_ACL, 0));
    this.put("/zookeeper/quota", initialNode("", OPEN_ACL, 0));
    // ZooKeeper creates the config node and then sets its ACL with version -1, which leaves aversion at -1.
    this.put("/zookeeper/config", initialNode("", READ_ACL, -1));
    const noChange = () => {};
    this.changeChildren("/", "zookeeper", true, noChange);
    this.changeChildren("/zookeeper", "quota", true, noChange);
    this.changeChildren("/zookeeper", "config", true, noChange);
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
    this.undo = [];
    const results: MultiResult[] = [];
    let failedAt = -1;
    let failure: ZkErrorCode = "SystemError";
    for (let i = 0; i < ops.length; i++) {
      const outcome = this.writeOp(ops[i] as MultiOp, caller, txn, triggers, false);
      if (typeof outcome === "string") {
        failedAt = i;
        failure = outcome;
        break;
      }
      results.push(outcome);
    }
    const undo = this.undo;
    this.undo = null;
    if (failedAt < 0) return { reply: { ok: true, result: { op: "multi", results } }, triggers };
    for (let i = undo.length - 1; i >= 0; i--) (undo[i] as () => void)();
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
    const path = sequential ? requestPath + sequenceSuffix(parent.childCreates) : requestPath;
    if (pathProblem(path) !== null) return "BadArguments";
    if (this.nodes.has(path)) return "NodeExists";
    if (parent.kind === "ephemeral") return "NoChildrenForEphemerals";
    if (this.nodes.size >= NODE_COUNT_MAX) return "QuotaExceeded";

    const kind: NodeKind = mode === "EPHEMERAL" || mode === "EPHEMERAL_SEQUENTIAL" ? "ephemeral" : mode === "CONTAINER" ? "container" : isTtl ? "ttl" : "persistent";
    const node: Znode = {
      data,
      dataLength: utf8Length(data),
      acl,
      czxid: txn.zxid,
      mzxid: txn.zxid,
      pzxid: txn.zxid,
      ctime: txn.timeMs,
      mtime: txn.timeMs,
      version: 0,
      childCreates: 0,
      aversion: 0,
      owner: kind === "ephemeral" ? caller.sessionId : 0,
      kind,
      ttlMs: isTtl ? (ttlMs ?? 0) : 0,
      children: new Set(),
      hashHigh: 0,
      hashLow: 0,
    };
    this.put(path, node);
    this.changeChildren(parentPath, path.slice(parentPath === "/" ? 1 : parentPath.length + 1), true, (p) => {
      p.childCreates = (p.childCreates + 1) | 0;
      p.pzxid = txn.zxid;
    });
    if (kind === "ephemeral") this.trackEphemeral(caller.sessionId, path, true);
    triggers.push({ path, type: "NodeCreated", acl }, { path: parentPath, type: "NodeChildrenChanged", acl: parent.acl });
    // Plain creates inside a multi return no Stat (OpCode.create); single creates, containers and TTL nodes do.
    const withStat = single || kind === "container" || kind === "ttl";
    return { type: "create", path, stat: withStat ? visibleStat(node) : null };
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
    if (node.children.size > 0) return "NotEmpty";
    this.removeNode(path, txn, triggers);
    return undefined;
  }

  private setData(path: string, data: ZnodeData, version: number, caller: Caller, txn: Txn, triggers: WatchTrigger[]): Stat | ZkErrorCode {
    if (pathProblem(path) !== null) return "BadArguments";
    const node = this.nodes.get(path);
    if (node === undefined) return "NoNode";
    if (!allows(node.acl, caller, PERMS.WRITE)) return "NoAuth";
    if (version !== -1 && version !== node.version) return "BadVersion";
    this.changeNode(path, (n) => {
      n.data = data;
      n.dataHash = undefined;
      n.dataLength = utf8Length(data);
      n.version = (n.version + 1) | 0;
      n.mzxid = txn.zxid;
      n.mtime = txn.timeMs;
    });
    triggers.push({ path, type: "NodeDataChanged", acl: node.acl });
    return visibleStat(node);
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
    this.changeNode(path, (n) => {
      n.acl = acl;
      n.aversion = (n.aversion + 1) | 0;
    });
    return visibleStat(node);
  }

  /** One transaction deletes every ephemeral of the session (in path order), then the session is gone. */
  private closeSession(sessionId: number, txn: Txn): TxnOutcome {
    const triggers: WatchTrigger[] = [];
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { reply: { ok: false, err: "SessionExpired" }, triggers };
    for (const path of [...session.ephemerals].sort()) this.removeNode(path, txn, triggers);
    this.sessions.delete(sessionId);
    return { reply: { ok: true, result: { op: "closeSession" } }, triggers };
  }

  /** The leader found a container or TTL node due; it is deleted only if it still is when the transaction applies. */
  private reap(path: string, txn: Txn): TxnOutcome {
    const node = this.nodes.get(path);
    if (node === undefined || !isDue(node, txn.timeMs)) return { reply: { ok: false, err: "NoNode" }, triggers: [] };
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
        return node === undefined ? { ok: false, err: "NoNode" } : { ok: true, result: { op: "exists", stat: visibleStat(node) } };
      }
      case "getData": {
        const node = this.nodes.get(request.path);
        if (node === undefined) return { ok: false, err: "NoNode" };
        if (!allows(node.acl, caller, PERMS.READ)) return { ok: false, err: "NoAuth" };
        return { ok: true, result: { op: "getData", data: node.data, stat: visibleStat(node) } };
      }
      case "getChildren": {
        const node = this.nodes.get(request.path);
        if (node === undefined) return { ok: false, err: "NoNode" };
        if (!allows(node.acl, caller, PERMS.READ)) return { ok: false, err: "NoAuth" };
        return { ok: true, result: { op: "getChildren", children: [...node.children].sort(), stat: request.withStat ? visibleStat(node) : null } };
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
        return { ok: true, result: { op: "getACL", acl, stat: visibleStat(node) } };
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
    return node === undefined ? null : visibleStat(node);
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
    for (const [path, node] of this.nodes) if (isDue(node, nowMs)) out.push(path);
    return out.sort();
  }

  /** The digest of the whole tree (16 hex digits). Equal trees have equal digests. */
  digest(): string {
    return hex32(this.digestHigh) + hex32(this.digestLow);
  }

  // ---------------------------------------------------------------- snapshots

  toSnapshot(): TreeSnapshot {
    const nodes: SnapshotNode[] = [];
    for (const [path, n] of this.nodes) {
      nodes.push([path, n.data, n.acl, n.czxid, n.mzxid, n.pzxid, n.ctime, n.mtime, n.version, n.childCreates, n.aversion, n.owner, n.kind, n.ttlMs]);
    }
    nodes.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { nodes, sessions: this.liveSessions() };
  }

  static fromSnapshot(data: unknown, options: DataTreeOptions): DataTree {
    const snapshot = data as TreeSnapshot;
    const tree = new DataTree(options);
    for (const path of [...tree.nodes.keys()]) tree.unhash(tree.nodes.get(path) as Znode);
    tree.nodes.clear();
    for (const [sessionId, timeoutMs] of snapshot.sessions) tree.sessions.set(sessionId, { timeoutMs, ephemerals: new Set() });
    // Sorted by path, so every parent comes before its children.
    for (const [path, data, acl, czxid, mzxid, pzxid, ctime, mtime, version, childCreates, aversion, owner, kind, ttlMs] of snapshot.nodes) {
      const node: Znode = { data, dataLength: utf8Length(data), acl, czxid, mzxid, pzxid, ctime, mtime, version, childCreates, aversion, owner, kind, ttlMs, children: new Set(), hashHigh: 0, hashLow: 0 };
      tree.nodes.set(path, node);
      if (path !== "/") {
        const cut = path.lastIndexOf("/");
        const parent = tree.nodes.get(cut === 0 ? "/" : path.slice(0, cut));
        assert(parent !== undefined, "a snapshot node without its parent", { path });
        parent.children.add(path.slice(cut + 1));
      }
      if (kind === "ephemeral") tree.sessions.get(owner)?.ephemerals.add(path);
    }
    for (const [path, node] of tree.nodes) tree.rehash(path, node);
    return tree;
  }

  // ---------------------------------------------------------------- changes, with undo and digest upkeep

  private put(path: string, node: Znode): void {
    this.nodes.set(path, node);
    this.rehash(path, node);
    this.undo?.push(() => {
      this.unhash(node);
      this.nodes.delete(path);
    });
  }

  /** Changes a node's fields (not its children set) and keeps the digest and the undo log right. */
  private changeNode(path: string, change: (node: Znode) => void): void {
    const node = this.nodes.get(path);
    assert(node !== undefined, "changing a missing node", { path });
    if (this.undo !== null) {
      const saved = { ...node };
      this.undo.push(() => {
        this.unhash(node);
        node.data = saved.data;
        node.dataHash = saved.dataHash;
        node.dataLength = saved.dataLength;
        node.acl = saved.acl;
        node.mzxid = saved.mzxid;
        node.pzxid = saved.pzxid;
        node.mtime = saved.mtime;
        node.version = saved.version;
        node.childCreates = saved.childCreates;
        node.aversion = saved.aversion;
        this.rehash(path, node);
      });
    }
    this.unhash(node);
    change(node);
    this.rehash(path, node);
  }

  /** Adds or removes a child name and changes the parent's fields with it: one rehash of the parent. */
  private changeChildren(parentPath: string, name: string, add: boolean, change: (parent: Znode) => void): void {
    const parent = this.nodes.get(parentPath);
    assert(parent !== undefined, "changing the children of a missing node", { parentPath, name });
    this.changeNode(parentPath, (p) => {
      if (add) p.children.add(name);
      else p.children.delete(name);
      change(p);
    });
    // Undone before changeNode's undo, which rehashes the parent with its children as they were.
    this.undo?.push(() => {
      if (add) parent.children.delete(name);
      else parent.children.add(name);
    });
  }

  /** Deletes a childless node: the parent's pzxid moves (its cversion, as clients see it, goes up by one). */
  private removeNode(path: string, txn: Txn, triggers: WatchTrigger[]): void {
    const node = this.nodes.get(path);
    assert(node !== undefined && node.children.size === 0, "removing a missing or non-empty node", { path });
    const cut = path.lastIndexOf("/");
    const parentPath = cut === 0 ? "/" : path.slice(0, cut);
    const name = path.slice(cut + 1);
    const parent = this.nodes.get(parentPath);
    assert(parent !== undefined, "a node without its parent", { path });
    this.unhash(node);
    this.nodes.delete(path);
    this.changeChildren(parentPath, name, false, (p) => {
      p.pzxid = txn.zxid;
    });
    if (node.kind === "ephemeral") this.trackEphemeral(node.owner, path, false);
    this.undo?.push(() => {
      this.nodes.set(path, node);
      this.rehash(path, node);
    });
    triggers.push({ path, type: "NodeDeleted", acl: node.acl }, { path: parentPath, type: "NodeChildrenChanged", acl: parent.acl });
  }

  private trackEphemeral(sessionId: number, path: string, add: boolean): void {
    const own = this.sessions.get(sessionId)?.ephemerals;
    if (own === undefined) return;
    if (add) own.add(path);
    else own.delete(path);
    this.undo?.push(() => {
      if (add) own.delete(path);
      else own.add(path);
    });
  }

  private descendantCount(path: string): number {
    const node = this.nodes.get(path);
    if (node === undefined) return 0;
    let count = 0;
    const prefix = path === "/" ? "/" : `${path}/`;
    for (const name of node.children) count += 1 + this.descendantCount(prefix + name);
    return count;
  }

  private rehash(path: string, node: Znode): void {
    const [high, low] = nodeHash(path, node);
    node.hashHigh = high;
    node.hashLow = low;
    this.digestHigh = (this.digestHigh + high) | 0;
    this.digestLow = (this.digestLow + low) | 0;
  }

  private unhash(node: Znode): void {
    this.digestHigh = (this.digestHigh - node.hashHigh) | 0;
    this.digestLow = (this.digestLow - node.hashLow) | 0;
  }
}

function initialNode(data: ZnodeData, acl: readonly Acl[], aversion: number): Znode {
  return {
    data,
    dataLength: utf8Length(data),
    acl,
    czxid: 0,
    mzxid: 0,
    pzxid: 0,
    ctime: 0,
    mtime: 0,
    version: 0,
    childCreates: 0,
    aversion,
    owner: 0,
    kind: "persistent",
    ttlMs: 0,
    children: new Set(),
    hashHigh: 0,
    hashLow: 0,
  };
}

/** The Stat a client sees. cversion is 2·C − numChildren (DataNode.copyStat); containers and TTL nodes show owner 0. */
function visibleStat(node: Znode): Stat {
  const numChildren = node.children.size;
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    pzxid: node.pzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: (2 * node.childCreates - numChildren) | 0,
    aversion: node.aversion,
    ephemeralOwner: node.owner,
    dataLength: node.dataLength,
    numChildren,
  };
}

function isDue(node: Znode, nowMs: number): boolean {
  if (node.children.size > 0) return false;
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
 * A node's hash: two 32-bit multiply–xor lanes over its path, data, ACL and
 * every Stat field. The text parts are hashed once each and kept (the path
 * never changes; data and ACL are hashed when they change), so rehashing a
 * node after a Stat change costs a few multiplications.
 */
function nodeHash(path: string, node: Znode): [number, number] {
  if (node.pathHash === undefined) node.pathHash = textHash(path, 0x9e3779b9);
  if (node.dataHash === undefined) node.dataHash = node.data === null ? 0x5bd1e995 : textHash(node.data, 0x85ebca6b);
  lane1 = node.pathHash;
  lane2 = node.dataHash;
  mix(aclHash(node.acl));
  mix(node.czxid);
  mix(node.mzxid);
  mix(node.pzxid);
  mix(node.ctime);
  mix(node.mtime);
  mix(node.version);
  mix(node.childCreates);
  mix(node.aversion);
  mix(node.owner);
  mix(KIND_CODES[node.kind]);
  mix(node.ttlMs);
  mix(node.children.size);
  mix(node.dataLength);
  const h1 = Math.imul(lane1 ^ (lane1 >>> 16), 2246822507) ^ Math.imul(lane2 ^ (lane2 >>> 13), 3266489909);
  const h2 = Math.imul(lane2 ^ (lane2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 | 0, h2 | 0];
}

/** The two lanes nodeHash feeds (module state, so that mixing allocates nothing). */
let lane1 = 0;
let lane2 = 0;

/** Feeds one number (an integer below 2^53) into both lanes. */
function mix(value: number): void {
  const low = value | 0;
  const high = Math.floor(value / 4294967296) | 0;
  lane1 = Math.imul(lane1 ^ low, 2654435761);
  lane2 = Math.imul(lane2 ^ high, 1597334677) ^ (lane1 >>> 15);
  lane1 ^= lane2 >>> 13;
}

const KIND_CODES: Record<NodeKind, number> = { persistent: 1, ephemeral: 2, container: 3, ttl: 4 };

function textHash(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 2654435761);
  return Math.imul(h ^ (h >>> 16), 2246822507) ^ text.length;
}

/** ACL lists are shared and never changed in place, so their hashes are kept by identity. */
const aclHashes = new WeakMap<readonly Acl[], number>();

function aclHash(acl: readonly Acl[]): number {
  let hash = aclHashes.get(acl);
  if (hash === undefined) {
    let text = "";
    for (const entry of acl) text += `${entry.perms}:${entry.scheme}:${entry.id};`;
    hash = textHash(text, 0x27d4eb2f);
    aclHashes.set(acl, hash);
  }
  return hash;
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

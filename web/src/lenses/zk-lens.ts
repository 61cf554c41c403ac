import type { NodeStatus } from "../../../src/sim/index.ts";
import type { ServerInspection } from "../../../src/zk/index.ts";
import type { Inspection } from "../resim/inspect-nodes.ts";

/**
 * The ZooKeeper lens at the cursor, from the servers' own inspect() in a
 * re-run stopped there: their znode trees side by side with the zxid each
 * has applied (a server behind the highest is lagging), the sessions and the
 * ephemerals they own (and which client holds each), and the watches each
 * server holds for the clients connected to it.
 */

export interface ZkServerColumn {
  readonly node: string;
  readonly status: NodeStatus;
  /** False when crashed (nothing to read). */
  readonly known: boolean;
  readonly role: string;
  readonly lastZxid: number;
  /** Its applied Paxos slot end. */
  readonly applied: number;
  readonly digest: string;
  /** Running, and behind the highest zxid any server has applied. */
  readonly lagging: boolean;
  /** Transactions behind the highest, when both are of one epoch; null otherwise. */
  readonly behind: number | null;
}

export interface ZnodeCell {
  readonly version: number;
  readonly mzxid: number;
  readonly ephemeralOwner: number;
  readonly numChildren: number;
  readonly data: string | null;
}

export interface ZnodeRow {
  readonly path: string;
  readonly depth: number;
  readonly cells: readonly (ZnodeCell | null)[];
  /** The servers that can be read do not all hold this node the same (missing, or another version). */
  readonly differs: boolean;
}

export interface SessionRow {
  readonly sessionId: number;
  readonly timeoutMs: number;
  /** The client connected with this session (on any server), if one is. */
  readonly client: string | null;
  readonly server: string | null;
  readonly ephemerals: readonly string[];
  /** Per server column: whether its tree holds the session. */
  readonly held: readonly boolean[];
}

export interface WatchRow {
  readonly server: string;
  readonly client: string;
  readonly sessionId: number | null;
  readonly data: readonly string[];
  readonly child: readonly string[];
  readonly persistent: readonly string[];
  readonly recursive: readonly string[];
}

export interface ZkLensView {
  readonly servers: readonly ZkServerColumn[];
  readonly maxZxid: number;
  readonly znodes: readonly ZnodeRow[];
  /** Znodes left out past the row limit. */
  readonly znodesLeftOut: number;
  readonly sessions: readonly SessionRow[];
  readonly watches: readonly WatchRow[];
}

/** Znode rows shown (a busy tree holds thousands). */
export const ZNODE_ROWS_MAX = 300;

/** The server inside a node's inspection, or null for other nodes. */
export function zkServerOf(state: unknown): ServerInspection | null {
  return typeof state === "object" && state !== null && (state as { kind?: unknown }).kind === "zk-server" ? (state as ServerInspection) : null;
}

/** Null when no node of the inspection is a ZooKeeper server (a bare Paxos run). */
export function zkLens(inspection: Inspection, rowsMax = ZNODE_ROWS_MAX): ZkLensView | null {
  const servers = inspection.nodes.map((node) => ({ node, server: node.status === "crashed" ? null : zkServerOf(node.state) })).filter((s) => s.server !== null || (s.node.status === "crashed" && /^s\d+$/.test(s.node.id)));
  if (!servers.some((s) => s.server !== null)) return null;
  let maxZxid = 0;
  for (const { server } of servers) if (server !== null) maxZxid = Math.max(maxZxid, server.lastZxid);
  const columns = servers.map(({ node, server }) => {
    const lastZxid = server?.lastZxid ?? 0;
    const lagging = server !== null && lastZxid < maxZxid;
    return {
      node: node.id,
      status: node.status,
      known: server !== null,
      role: server?.paxos.proposer.role ?? "",
      lastZxid,
      applied: server?.paxos.learner.appliedEnd ?? 0,
      digest: server?.digest ?? "",
      lagging,
      behind: server !== null && epochOf(lastZxid) === epochOf(maxZxid) ? maxZxid - lastZxid : null,
    };
  });
  const trees = servers.map(({ server }) => (server === null ? null : new Map(server.znodes.map((z) => [z.path, z]))));
  const paths = new Set<string>();
  for (const { server } of servers) for (const z of server?.znodes ?? []) if (!isSystemPath(z.path)) paths.add(z.path);
  const ordered = [...paths].sort(byPath);
  const znodes = ordered.slice(0, rowsMax).map((path) => {
    const cells = trees.map((tree) => {
      const z = tree?.get(path);
      return z === undefined ? null : { version: z.stat.version, mzxid: z.stat.mzxid, ephemeralOwner: z.stat.ephemeralOwner, numChildren: z.stat.numChildren, data: z.data };
    });
    const seen = cells.filter((_, k) => trees[k] !== null).map((c) => (c === null ? "-" : `${c.version}/${c.mzxid}`));
    return { path, depth: path === "/" ? 0 : path.split("/").length - 1, cells, differs: new Set(seen).size > 1 };
  });
  return { servers: columns, maxZxid, znodes, znodesLeftOut: ordered.length - znodes.length, sessions: sessionsOf(servers.map((s) => s.server), columns), watches: watchesOf(servers.map((s) => s.server), columns) };
}

function sessionsOf(servers: readonly (ServerInspection | null)[], columns: readonly ZkServerColumn[]): SessionRow[] {
  const rows = new Map<number, { timeoutMs: number; ephemerals: Set<string>; held: boolean[] }>();
  servers.forEach((server, k) => {
    for (const session of server?.sessions ?? []) {
      let row = rows.get(session.sessionId);
      if (row === undefined) {
        row = { timeoutMs: session.timeoutMs, ephemerals: new Set(), held: servers.map(() => false) };
        rows.set(session.sessionId, row);
      }
      row.held[k] = true;
      for (const path of session.ephemerals) row.ephemerals.add(path);
    }
  });
  const holder = new Map<number, { client: string; server: number }>();
  servers.forEach((server, k) => {
    for (const conn of server?.connections ?? []) if (conn.sessionId !== null) holder.set(conn.sessionId, { client: conn.client, server: k });
  });
  return [...rows]
    .sort((a, b) => a[0] - b[0])
    .map(([sessionId, row]) => {
      const held = holder.get(sessionId);
      return { sessionId, timeoutMs: row.timeoutMs, client: held?.client ?? null, server: held === undefined ? null : (columns[held.server] as ZkServerColumn).node, ephemerals: [...row.ephemerals].sort(byPath), held: row.held };
    });
}

function watchesOf(servers: readonly (ServerInspection | null)[], columns: readonly ZkServerColumn[]): WatchRow[] {
  const out: WatchRow[] = [];
  servers.forEach((server, k) => {
    for (const conn of server?.connections ?? []) {
      const w = conn.watches;
      if (w.data.length + w.child.length + w.persistent.length + w.recursive.length + w.exist.length === 0) continue;
      out.push({ server: (columns[k] as ZkServerColumn).node, client: conn.client, sessionId: conn.sessionId, data: [...w.data, ...w.exist], child: w.child, persistent: w.persistent, recursive: w.recursive });
    }
  });
  return out;
}

/** zxid = (epoch << 32) | counter. */
export function epochOf(zxid: number): number {
  return Math.floor(zxid / 2 ** 32);
}

export function formatZxid(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}

function isSystemPath(path: string): boolean {
  return path === "/zookeeper" || path.startsWith("/zookeeper/");
}

/** Paths in tree order: a parent before its children, siblings by name. */
function byPath(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    if (pa[k] !== pb[k]) return (pa[k] as string) < (pb[k] as string) ? -1 : 1;
  }
  return pa.length - pb.length;
}

import type { NodeId } from "../sim/index.ts";
import type { WatchSet } from "./messages.ts";
import type { WatchEvent, WatcherType, WatchTrigger } from "./types.ts";

type Table = "data" | "child" | "persistent" | "recursive";
const TABLES: readonly Table[] = ["data", "child", "persistent", "recursive"];

/**
 * The watches a server holds for the clients connected to it, by table and
 * path (ZooKeeper's WatchManager, with 3.9 semantics: standard, persistent and
 * recursive watches on one path coexist). A connection appears at most once
 * per (table, path), and gets at most one event per change.
 */
export class WatchTable {
  private readonly tables: Record<Table, Map<string, Set<NodeId>>> = {
    data: new Map(),
    child: new Map(),
    persistent: new Map(),
    recursive: new Map(),
  };

  /** exists and getData register in the data table; getChildren in the child table; addWatch in the persistent ones. */
  register(client: NodeId, table: Table, path: string): void {
    let set = this.tables[table].get(path);
    if (set === undefined) {
      set = new Set();
      this.tables[table].set(path, set);
    }
    set.add(client);
  }

  /** removeWatches: false when the connection held no watch of that type on the path (NoWatcher). */
  remove(client: NodeId, path: string, type: WatcherType): boolean {
    const tables: Table[] = type === "Data" ? ["data"] : type === "Children" ? ["child"] : [...TABLES];
    let removed = false;
    for (const table of tables) removed = this.take(table, path, client) || removed;
    return removed;
  }

  /**
   * The events each connection gets for one transaction's triggers, in
   * trigger order. Watches that fire are used up even when `mayRead` says the
   * connection may not be told (it lacks READ in the trigger's ACL).
   */
  fire(triggers: readonly WatchTrigger[], zxid: number, mayRead: (client: NodeId, trigger: WatchTrigger) => boolean = () => true): Map<NodeId, WatchEvent[]> {
    const out = new Map<NodeId, WatchEvent[]>();
    if (this.isEmpty()) return out; // most transactions on a busy server meet no watch at all
    for (const trigger of triggers) {
      const reached = new Set<NodeId>();
      const { path, type } = trigger;
      if (type === "NodeChildrenChanged") {
        this.takeAll("child", path, reached);
        this.addAll("persistent", path, reached);
      } else {
        this.takeAll("data", path, reached);
        if (type === "NodeDeleted") this.takeAll("child", path, reached);
        this.addAll("persistent", path, reached);
        if (this.tables.recursive.size > 0) for (let p: string | null = path; p !== null; p = parentOf(p)) this.addAll("recursive", p, reached);
      }
      for (const client of reached) {
        if (!mayRead(client, trigger)) continue;
        let events = out.get(client);
        if (events === undefined) {
          events = [];
          out.set(client, events);
        }
        events.push({ type, path, zxid });
      }
    }
    return out;
  }

  private isEmpty(): boolean {
    return this.tables.data.size === 0 && this.tables.child.size === 0 && this.tables.persistent.size === 0 && this.tables.recursive.size === 0;
  }

  /** Forgets a connection (closed, moved, expired). */
  drop(client: NodeId): void {
    for (const table of TABLES) {
      for (const [path, set] of this.tables[table]) {
        set.delete(client);
        if (set.size === 0) this.tables[table].delete(path);
      }
    }
  }

  /** What a connection holds, in the form a reconnecting client sends. */
  watchesOf(client: NodeId): WatchSet {
    const pick = (table: Table) => [...this.tables[table]].filter(([, set]) => set.has(client)).map(([path]) => path).sort();
    return { data: pick("data"), exist: [], child: pick("child"), persistent: pick("persistent"), recursive: pick("recursive") };
  }

  /** Watches held in all (a bound the server checks). */
  get size(): number {
    let count = 0;
    for (const table of TABLES) for (const set of this.tables[table].values()) count += set.size;
    return count;
  }

  private takeAll(table: Table, path: string, into: Set<NodeId>): void {
    const set = this.tables[table].get(path);
    if (set === undefined) return;
    for (const client of set) into.add(client);
    this.tables[table].delete(path);
  }

  private addAll(table: Table, path: string, into: Set<NodeId>): void {
    const set = this.tables[table].get(path);
    if (set !== undefined) for (const client of set) into.add(client);
  }

  private take(table: Table, path: string, client: NodeId): boolean {
    const set = this.tables[table].get(path);
    if (set === undefined || !set.delete(client)) return false;
    if (set.size === 0) this.tables[table].delete(path);
    return true;
  }
}

/** "/a/b" → "/a", "/a" → "/", "/" → null. */
export function parentOf(path: string): string | null {
  if (path === "/") return null;
  const cut = path.lastIndexOf("/");
  return cut === 0 ? "/" : path.slice(0, cut);
}

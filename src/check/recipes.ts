/**
 * The recipes' invariants, judged from the trace notes their clients write
 * (what each client believes) and the storage node's notes (what it accepted).
 */
export interface NoteRecord {
  readonly node: string;
  /** Virtual time, µs. */
  readonly t: number;
  readonly kind: string;
  readonly data: unknown;
}

export interface InvariantResult {
  readonly name: "lock-exclusive" | "fencing" | "one-leader-per-term" | "barrier";
  readonly description: string;
  readonly holds: boolean;
  readonly checked: number;
  readonly violations: readonly string[];
}

const VIOLATIONS_MAX = 5;

function field<T>(data: unknown, name: string): T | undefined {
  return typeof data === "object" && data !== null ? ((data as Record<string, unknown>)[name] as T | undefined) : undefined;
}

function result(name: InvariantResult["name"], description: string, checked: number, violations: string[]): InvariantResult {
  return { name, description, holds: violations.length === 0, checked, violations: violations.slice(0, VIOLATIONS_MAX) };
}

/** Invariants of the recipes that appear in the notes (a recipe nobody used is not reported). */
export function checkRecipes(notes: readonly NoteRecord[]): InvariantResult[] {
  const out: InvariantResult[] = [];
  if (notes.some((n) => n.kind === "lock-acquired")) out.push(lockExclusive(notes));
  if (notes.some((n) => n.kind === "storage-write")) out.push(fencing(notes));
  if (notes.some((n) => n.kind === "elected")) out.push(oneLeaderPerTerm(notes));
  if (notes.some((n) => n.kind === "barrier-passed")) out.push(barrier(notes));
  return out;
}

/** At no instant do two clients both believe they hold the same lock. */
function lockExclusive(notes: readonly NoteRecord[]): InvariantResult {
  const holders = new Map<string, Map<string, number>>();
  const violations: string[] = [];
  let checked = 0;
  for (const n of notes) {
    const lock = field<string>(n.data, "lock") ?? "/lock";
    let held = holders.get(lock);
    if (held === undefined) {
      held = new Map();
      holders.set(lock, held);
    }
    if (n.kind === "lock-acquired") {
      checked++;
      for (const [other, since] of held) {
        if (other !== n.node) violations.push(`${lock}: ${n.node} acquired it at ${n.t} µs while ${other} still believed it held it (since ${since} µs)`);
      }
      held.set(n.node, n.t);
    } else if (n.kind === "lock-released" || n.kind === "workload-done" || n.kind === "session-expired") {
      held.delete(n.node);
    }
  }
  return result("lock-exclusive", "at no instant do two clients both believe they hold the lock", checked, violations);
}

/** The storage node never accepts a write whose fencing token is lower than one it accepted before. */
function fencing(notes: readonly NoteRecord[]): InvariantResult {
  const highest = new Map<string, number>();
  const violations: string[] = [];
  let checked = 0;
  for (const n of notes) {
    if (n.kind !== "storage-write" || field<boolean>(n.data, "accepted") !== true) continue;
    checked++;
    const key = field<string>(n.data, "key") ?? "";
    const token = field<number>(n.data, "token") ?? 0;
    const before = highest.get(key) ?? 0;
    if (token < before) violations.push(`storage accepted ${field<string>(n.data, "from") ?? "?"}'s write to ${key} with token ${token} at ${n.t} µs after token ${before}: a stale lock holder's write got through`);
    highest.set(key, Math.max(before, token));
  }
  return result("fencing", "no write with a stale fencing token is accepted", checked, violations);
}

/** At most one leader per term (and terms are not reused). */
function oneLeaderPerTerm(notes: readonly NoteRecord[]): InvariantResult {
  const leaders = new Map<string, string>();
  const violations: string[] = [];
  let checked = 0;
  for (const n of notes) {
    if (n.kind !== "elected") continue;
    checked++;
    const key = `${field<string>(n.data, "election") ?? "/election"} term ${String(field<number>(n.data, "term"))}`;
    const other = leaders.get(key);
    if (other !== undefined && other !== n.node) violations.push(`${key}: both ${other} and ${n.node} were elected`);
    leaders.set(key, n.node);
  }
  return result("one-leader-per-term", "at most one leader per term", checked, violations);
}

/** Nobody passes a barrier before all of its participants have entered. */
function barrier(notes: readonly NoteRecord[]): InvariantResult {
  const entered = new Map<string, Set<string>>();
  const violations: string[] = [];
  let checked = 0;
  for (const n of notes) {
    const name = field<string>(n.data, "barrier") ?? "";
    if (n.kind === "barrier-enter") {
      let set = entered.get(name);
      if (set === undefined) {
        set = new Set();
        entered.set(name, set);
      }
      set.add(n.node);
    } else if (n.kind === "barrier-passed") {
      checked++;
      const count = field<number>(n.data, "count") ?? 0;
      const inside = entered.get(name)?.size ?? 0;
      if (inside < count) violations.push(`${name}: ${n.node} passed at ${n.t} µs when only ${inside} of ${count} had entered`);
    }
  }
  return result("barrier", "no one passes the barrier before all have entered", checked, violations);
}

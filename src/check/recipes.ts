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
  readonly name: "lock-exclusive" | "fencing" | "one-leader-per-term" | "barrier" | "lock-progress" | "election-progress" | "barrier-progress";
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

/** When progress is due: after the calm point, within a bound, judged up to the end of the run. */
export interface ProgressOptions {
  readonly calmUs: number;
  readonly boundUs: number;
  readonly endUs: number;
  /** Spans in which a client was crashed or paused: from the start of one, it neither waits nor holds as far as progress goes. */
  readonly absences?: readonly { readonly node: string; readonly fromUs: number; readonly toUs: number }[];
}

/**
 * The recipes make progress once the faults stop: a lock nobody holds is
 * taken by one of those who want it, an election with candidates elects,
 * and a barrier that everyone has entered opens, each within the bound.
 * (A recipe that queues behind an orphan node of its own session, say,
 * stops for good, and breaks no safety invariant.)
 */
export function checkRecipeProgress(notes: readonly NoteRecord[], options: ProgressOptions): InvariantResult[] {
  const out: InvariantResult[] = [];
  if (notes.some((n) => n.kind === "lock-wanted")) {
    out.push(queueProgress(notes, options, { name: "lock-progress", key: "lock", wanted: "lock-wanted", got: "lock-acquired", gone: ["lock-released", "workload-done"], abandoned: "lock-abandoned", what: "the lock" }));
  }
  if (notes.some((n) => n.kind === "election-wanted")) {
    out.push(queueProgress(notes, options, { name: "election-progress", key: "election", wanted: "election-wanted", got: "elected", gone: ["resigned", "workload-done"], abandoned: "election-abandoned", what: "the leadership" }));
  }
  if (notes.some((n) => n.kind === "barrier-enter")) out.push(barrierProgress(notes, options));
  return out;
}

interface QueueKinds {
  readonly name: "lock-progress" | "election-progress";
  readonly key: string;
  readonly wanted: string;
  readonly got: string;
  readonly gone: readonly string[];
  readonly abandoned: string;
  readonly what: string;
}

/** A stretch longer than the bound, after the calm point, in which someone wanted it and nobody held it. */
function queueProgress(notes: readonly NoteRecord[], options: ProgressOptions, kinds: QueueKinds): InvariantResult {
  const state = new Map<string, { holders: Set<string>; waiters: Map<string, number>; idleSinceUs: number | null }>();
  const violations: string[] = [];
  let checked = 0;
  /** Judges the idle stretch up to `nowUs`; a reported one starts afresh, so that each is reported once. */
  const judge = (name: string, s: { idleSinceUs: number | null; waiters: Map<string, number> }, nowUs: number): void => {
    if (s.idleSinceUs === null) return;
    const fromUs = Math.max(s.idleSinceUs, options.calmUs);
    if (nowUs - fromUs <= options.boundUs) return;
    checked++;
    violations.push(`${name}: nobody held ${kinds.what} from ${fromUs} µs to ${nowUs} µs while ${[...s.waiters.keys()].sort().join(", ")} wanted it`);
    s.idleSinceUs = nowUs;
  };
  const update = (s: { holders: Set<string>; waiters: Map<string, number>; idleSinceUs: number | null }, nowUs: number): void => {
    const idle = s.holders.size === 0 && s.waiters.size > 0;
    if (!idle) s.idleSinceUs = null;
    else if (s.idleSinceUs === null) s.idleSinceUs = nowUs;
  };
  const departures = [...(options.absences ?? [])].sort((a, b) => a.fromUs - b.fromUs);
  let departed = 0;
  /** Clients that crashed or were paused by `nowUs` stop waiting and holding. */
  const depart = (nowUs: number): void => {
    for (; departed < departures.length && (departures[departed] as { fromUs: number }).fromUs <= nowUs; departed++) {
      const { node, fromUs } = departures[departed] as { node: string; fromUs: number };
      for (const [name, s] of state) {
        judge(name, s, fromUs);
        s.waiters.delete(node);
        s.holders.delete(node);
        update(s, fromUs);
      }
    }
  };
  for (const n of notes) {
    const name = field<string>(n.data, kinds.key) ?? `/${kinds.key}`;
    const isRecipe = n.kind === kinds.wanted || n.kind === kinds.got || n.kind === kinds.abandoned || kinds.gone.includes(n.kind);
    if (!isRecipe) continue;
    depart(n.t);
    let s = state.get(name);
    if (s === undefined) {
      s = { holders: new Set(), waiters: new Map(), idleSinceUs: null };
      state.set(name, s);
    }
    judge(name, s, n.t);
    if (n.kind === kinds.wanted) s.waiters.set(n.node, n.t);
    else if (n.kind === kinds.got) {
      checked++;
      s.waiters.delete(n.node);
      s.holders.add(n.node);
    } else {
      s.waiters.delete(n.node);
      s.holders.delete(n.node);
    }
    update(s, n.t);
  }
  depart(options.endUs);
  for (const [name, s] of state) judge(name, s, options.endUs);
  return result(kinds.name, `once the faults stop, ${kinds.what} does not stay free for longer than the bound while someone wants it`, checked, violations);
}

/** Once everyone has entered a barrier (and none gave up), everyone passes it within the bound. */
function barrierProgress(notes: readonly NoteRecord[], options: ProgressOptions): InvariantResult {
  const barriers = new Map<string, { count: number; entered: Map<string, number>; passed: Set<string>; abandoned: boolean }>();
  for (const n of notes) {
    if (n.kind !== "barrier-enter" && n.kind !== "barrier-passed" && n.kind !== "barrier-abandoned") continue;
    const name = field<string>(n.data, "barrier") ?? "";
    let b = barriers.get(name);
    if (b === undefined) {
      b = { count: field<number>(n.data, "count") ?? 0, entered: new Map(), passed: new Set(), abandoned: false };
      barriers.set(name, b);
    }
    if (n.kind === "barrier-enter") b.entered.set(n.node, n.t);
    else if (n.kind === "barrier-passed") b.passed.add(n.node);
    else b.abandoned = true;
  }
  const violations: string[] = [];
  let checked = 0;
  for (const [name, b] of barriers) {
    if (b.abandoned || b.entered.size < b.count) continue; // someone never came (or gave up): it may rightly stay shut
    const fullUs = Math.max(...b.entered.values());
    const dueUs = Math.max(fullUs, options.calmUs) + options.boundUs;
    if (dueUs > options.endUs) continue;
    checked++;
    const stuck = [...b.entered.keys()].filter((node) => !b.passed.has(node)).sort();
    if (stuck.length > 0) violations.push(`${name}: all ${b.count} entered by ${fullUs} µs, but ${stuck.join(", ")} had not passed by the end (${options.endUs} µs)`);
  }
  return result("barrier-progress", "once everyone has entered a barrier, everyone passes it within the bound", checked, violations);
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

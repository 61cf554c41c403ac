import { Found, type ViolationSite } from "./violations.ts";

/**
 * The recipes' invariants, judged from the trace notes their clients write
 * (what each client believes) and the storage node's notes (what it accepted).
 * The notes come typed: the layer that writes them gives their schema, and
 * the scenario runner hands them here in this shape, so a renamed field is a
 * type error, not a check that silently sees nothing.
 */
export type RecipeNote =
  | { readonly kind: "lock-wanted"; readonly data: { readonly lock: string } }
  | { readonly kind: "lock-acquired"; readonly data: { readonly lock: string; readonly token: number } }
  | { readonly kind: "lock-released"; readonly data: { readonly lock: string; readonly token: number } }
  | { readonly kind: "lock-abandoned"; readonly data: { readonly lock: string; readonly error: string } }
  | { readonly kind: "election-wanted"; readonly data: { readonly election: string } }
  | { readonly kind: "elected"; readonly data: { readonly election: string; readonly term: number } }
  | { readonly kind: "resigned"; readonly data: { readonly election: string } }
  | { readonly kind: "election-abandoned"; readonly data: { readonly election: string; readonly error: string } }
  | { readonly kind: "barrier-enter"; readonly data: { readonly barrier: string; readonly name: string; readonly count: number } }
  | { readonly kind: "barrier-passed"; readonly data: { readonly barrier: string; readonly name: string; readonly count: number } }
  | { readonly kind: "barrier-left"; readonly data: { readonly barrier: string } }
  | { readonly kind: "barrier-abandoned"; readonly data: { readonly barrier: string; readonly name: string; readonly error: string } }
  | { readonly kind: "storage-write"; readonly data: { readonly key: string; readonly token: number; readonly from: string; readonly accepted: boolean } }
  | { readonly kind: "member-joined"; readonly data: { readonly group: string; readonly name: string } }
  | { readonly kind: "member-left"; readonly data: { readonly group: string; readonly name: string } }
  | { readonly kind: "members-seen"; readonly data: { readonly group: string; readonly members: readonly string[]; readonly pzxid: number } }
  | { readonly kind: "routed"; readonly data: { readonly group: string; readonly member: string } }
  /** The client's program ended: whatever it believed it held, it holds no more. */
  | { readonly kind: "workload-done"; readonly data: Readonly<Record<string, never>> };

/** A recipe note as the trace placed it: which node wrote it, when (virtual µs), and its index in the trace (-1 when unknown). */
export type NoteRecord = RecipeNote & { readonly node: string; readonly t: number; readonly i: number };

export interface InvariantResult {
  readonly name: "lock-exclusive" | "fencing" | "one-leader-per-term" | "barrier" | "membership" | "lock-progress" | "election-progress" | "barrier-progress" | "membership-progress";
  readonly description: string;
  readonly holds: boolean;
  readonly checked: number;
  readonly violations: readonly string[];
  /** When the invariant was first broken, and the notes that show it (null when it holds). */
  readonly first: ViolationSite | null;
}

const VIOLATIONS_MAX = 5;

function result(name: InvariantResult["name"], description: string, checked: number, found: Found): InvariantResult {
  return { name, description, holds: found.length === 0, checked, violations: found.texts.slice(0, VIOLATIONS_MAX), first: found.site };
}

/** The site of a violation shown by these notes, at `atUs` (by default the last note's time). */
function noteSite(notes: readonly NoteRecord[], atUs = Math.max(0, ...notes.map((n) => n.t))): ViolationSite {
  return { atUs, ops: [], events: notes.map((n) => n.i).filter((i) => i >= 0) };
}

/** Invariants of the recipes that appear in the notes (a recipe nobody used is not reported). */
export function checkRecipes(notes: readonly NoteRecord[]): InvariantResult[] {
  const out: InvariantResult[] = [];
  if (notes.some((n) => n.kind === "lock-acquired")) out.push(lockExclusive(notes));
  if (notes.some((n) => n.kind === "storage-write")) out.push(fencing(notes));
  if (notes.some((n) => n.kind === "elected")) out.push(oneLeaderPerTerm(notes));
  if (notes.some((n) => n.kind === "barrier-passed")) out.push(barrier(notes));
  if (notes.some((n) => n.kind === "members-seen" || n.kind === "routed")) out.push(membership(notes));
  return out;
}

/** When progress is due: after the calm point, within a bound, judged up to the end of the run. */
export interface ProgressOptions {
  readonly calmUs: number;
  readonly boundUs: number;
  readonly endUs: number;
  /** Spans in which a client was crashed or paused: from the start of one, it neither waits nor holds as far as progress goes. */
  readonly absences?: readonly { readonly node: string; readonly fromUs: number; readonly toUs: number }[];
  /** Znodes deleted in the committed log: their path, zxid, and when (and in which trace event) a replica first applied it. */
  readonly deletions?: readonly { readonly path: string; readonly zxid: number; readonly t: number; readonly i: number }[];
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
  if (notes.some((n) => n.kind === "lock-wanted")) out.push(queueProgress(notes, options, "lock-progress", "the lock", lockStep));
  if (notes.some((n) => n.kind === "election-wanted")) out.push(queueProgress(notes, options, "election-progress", "the leadership", electionStep));
  if (notes.some((n) => n.kind === "barrier-enter")) out.push(barrierProgress(notes, options));
  if (notes.some((n) => n.kind === "members-seen")) out.push(membershipProgress(notes, options));
  return out;
}

/** What a note means to a queue (a lock's, an election's): who wants it, who got it, who is out of it (all queues, for null). */
type QueueStep = { readonly queue: string | null; readonly step: "wanted" | "got" | "gone" } | null;

function lockStep(n: NoteRecord): QueueStep {
  switch (n.kind) {
    case "lock-wanted":
      return { queue: n.data.lock, step: "wanted" };
    case "lock-acquired":
      return { queue: n.data.lock, step: "got" };
    case "lock-released":
    case "lock-abandoned":
      return { queue: n.data.lock, step: "gone" };
    case "workload-done":
      return { queue: null, step: "gone" };
    default:
      return null;
  }
}

function electionStep(n: NoteRecord): QueueStep {
  switch (n.kind) {
    case "election-wanted":
      return { queue: n.data.election, step: "wanted" };
    case "elected":
      return { queue: n.data.election, step: "got" };
    case "resigned":
    case "election-abandoned":
      return { queue: n.data.election, step: "gone" };
    case "workload-done":
      return { queue: null, step: "gone" };
    default:
      return null;
  }
}

/** A stretch longer than the bound, after the calm point, in which someone wanted it and nobody held it. */
function queueProgress(notes: readonly NoteRecord[], options: ProgressOptions, name: "lock-progress" | "election-progress", what: string, stepOf: (n: NoteRecord) => QueueStep): InvariantResult {
  const state = new Map<string, { holders: Set<string>; waiters: Map<string, NoteRecord>; idleSinceUs: number | null }>();
  const violations = new Found();
  let checked = 0;
  /** Judges the idle stretch up to `nowUs`; a reported one starts afresh, so that each is reported once. */
  const judge = (queue: string, s: { idleSinceUs: number | null; waiters: Map<string, NoteRecord> }, nowUs: number): void => {
    if (s.idleSinceUs === null) return;
    const fromUs = Math.max(s.idleSinceUs, options.calmUs);
    if (nowUs - fromUs <= options.boundUs) return;
    checked++;
    violations.add(`${queue}: nobody held ${what} from ${fromUs} µs to ${nowUs} µs while ${[...s.waiters.keys()].sort().join(", ")} wanted it`, noteSite([...s.waiters.values()], fromUs + options.boundUs));
    s.idleSinceUs = nowUs;
  };
  const update = (s: { holders: Set<string>; waiters: Map<string, NoteRecord>; idleSinceUs: number | null }, nowUs: number): void => {
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
      for (const [queue, s] of state) {
        judge(queue, s, fromUs);
        s.waiters.delete(node);
        s.holders.delete(node);
        update(s, fromUs);
      }
    }
  };
  for (const n of notes) {
    const step = stepOf(n);
    if (step === null) continue;
    depart(n.t);
    // A workload that ended leaves every queue it was in.
    const queues = step.queue === null ? [...state.keys()] : [step.queue];
    for (const queue of queues) {
      let s = state.get(queue);
      if (s === undefined) {
        s = { holders: new Set(), waiters: new Map(), idleSinceUs: null };
        state.set(queue, s);
      }
      judge(queue, s, n.t);
      if (step.step === "wanted") s.waiters.set(n.node, n);
      else if (step.step === "got") {
        checked++;
        s.waiters.delete(n.node);
        s.holders.add(n.node);
      } else {
        s.waiters.delete(n.node);
        s.holders.delete(n.node);
      }
      update(s, n.t);
    }
  }
  depart(options.endUs);
  for (const [queue, s] of state) judge(queue, s, options.endUs);
  return result(name, `once the faults stop, ${what} does not stay free for longer than the bound while someone wants it`, checked, violations);
}

/** Once everyone has entered a barrier (and none gave up), everyone passes it within the bound. */
function barrierProgress(notes: readonly NoteRecord[], options: ProgressOptions): InvariantResult {
  const barriers = new Map<string, { count: number; entered: Map<string, number>; passed: Set<string>; abandoned: boolean; notes: NoteRecord[] }>();
  for (const n of notes) {
    if (n.kind !== "barrier-enter" && n.kind !== "barrier-passed" && n.kind !== "barrier-abandoned") continue;
    const name = n.data.barrier;
    let b = barriers.get(name);
    if (b === undefined) {
      b = { count: 0, entered: new Map(), passed: new Set(), abandoned: false, notes: [] };
      barriers.set(name, b);
    }
    if (n.kind !== "barrier-abandoned") b.count = n.data.count;
    if (n.kind === "barrier-enter") {
      b.entered.set(n.node, n.t);
      b.notes.push(n);
    }
    if (n.kind === "barrier-passed") b.passed.add(n.node);
    if (n.kind === "barrier-abandoned") b.abandoned = true;
  }
  const violations = new Found();
  let checked = 0;
  for (const [name, b] of barriers) {
    if (b.abandoned || b.entered.size < b.count) continue; // someone never came (or gave up): it may rightly stay shut
    const fullUs = Math.max(...b.entered.values());
    const dueUs = Math.max(fullUs, options.calmUs) + options.boundUs;
    if (dueUs > options.endUs) continue;
    checked++;
    const stuck = [...b.entered.keys()].filter((node) => !b.passed.has(node)).sort();
    if (stuck.length > 0) violations.add(`${name}: all ${b.count} entered by ${fullUs} µs, but ${stuck.join(", ")} had not passed by the end (${options.endUs} µs)`, noteSite(b.notes, dueUs));
  }
  return result("barrier-progress", "once everyone has entered a barrier, everyone passes it within the bound", checked, violations);
}

/** At no instant do two clients both believe they hold the same lock. */
function lockExclusive(notes: readonly NoteRecord[]): InvariantResult {
  const holders = new Map<string, Map<string, NoteRecord>>();
  const violations = new Found();
  let checked = 0;
  const heldAt = (lock: string): Map<string, NoteRecord> => {
    let held = holders.get(lock);
    if (held === undefined) {
      held = new Map();
      holders.set(lock, held);
    }
    return held;
  };
  for (const n of notes) {
    if (n.kind === "lock-acquired") {
      checked++;
      const held = heldAt(n.data.lock);
      for (const [other, since] of held) {
        if (other !== n.node) violations.add(`${n.data.lock}: ${n.node} acquired it at ${n.t} µs while ${other} still believed it held it (since ${since.t} µs)`, noteSite([since, n]));
      }
      held.set(n.node, n);
    } else if (n.kind === "lock-released") {
      heldAt(n.data.lock).delete(n.node);
    } else if (n.kind === "workload-done") {
      for (const held of holders.values()) held.delete(n.node); // a program that ended believes nothing
    }
  }
  return result("lock-exclusive", "at no instant do two clients both believe they hold the lock", checked, violations);
}

/** The storage node never accepts a write whose fencing token is lower than one it accepted before. */
function fencing(notes: readonly NoteRecord[]): InvariantResult {
  const highest = new Map<string, number>();
  const violations = new Found();
  let checked = 0;
  for (const n of notes) {
    if (n.kind !== "storage-write" || !n.data.accepted) continue;
    checked++;
    const { key, token, from } = n.data;
    const before = highest.get(key) ?? 0;
    if (token < before) violations.add(`storage accepted ${from}'s write to ${key} with token ${token} at ${n.t} µs after token ${before}: a stale lock holder's write got through`, noteSite([n]));
    highest.set(key, Math.max(before, token));
  }
  return result("fencing", "no write with a stale fencing token is accepted", checked, violations);
}

/** At most one leader per term (and terms are not reused). */
function oneLeaderPerTerm(notes: readonly NoteRecord[]): InvariantResult {
  const leaders = new Map<string, NoteRecord>();
  const violations = new Found();
  let checked = 0;
  for (const n of notes) {
    if (n.kind !== "elected") continue;
    checked++;
    const key = `${n.data.election} term ${n.data.term}`;
    const other = leaders.get(key);
    if (other !== undefined && other.node !== n.node) violations.add(`${key}: both ${other.node} and ${n.node} were elected`, noteSite([other, n]));
    leaders.set(key, n);
  }
  return result("one-leader-per-term", "at most one leader per term", checked, violations);
}

/** Nobody passes a barrier before all of its participants have entered. */
function barrier(notes: readonly NoteRecord[]): InvariantResult {
  const entered = new Map<string, Set<string>>();
  const violations = new Found();
  let checked = 0;
  for (const n of notes) {
    if (n.kind === "barrier-enter") {
      let set = entered.get(n.data.barrier);
      if (set === undefined) {
        set = new Set();
        entered.set(n.data.barrier, set);
      }
      set.add(n.node);
    } else if (n.kind === "barrier-passed") {
      checked++;
      const inside = entered.get(n.data.barrier)?.size ?? 0;
      if (inside < n.data.count) violations.add(`${n.data.barrier}: ${n.node} passed at ${n.t} µs when only ${inside} of ${n.data.count} had entered`, noteSite([n]));
    }
  }
  return result("barrier", "no one passes the barrier before all have entered", checked, violations);
}

/**
 * A balancer routes only to members of the latest view it has seen of the
 * group, and its views never go back (their pzxid only grows): once its
 * watcher has seen a member leave (its session expired, its node gone), no
 * request goes to that member until a later view has it again.
 */
function membership(notes: readonly NoteRecord[]): InvariantResult {
  const views = new Map<string, NoteRecord & { kind: "members-seen" }>();
  const violations = new Found();
  let checked = 0;
  for (const n of notes) {
    if (n.kind === "members-seen") {
      const key = `${n.node} ${n.data.group}`;
      const before = views.get(key);
      if (before !== undefined && n.data.pzxid < before.data.pzxid) {
        violations.add(`${n.node} saw ${n.data.group} at pzxid ${n.data.pzxid} at ${n.t} µs after a view at pzxid ${before.data.pzxid}: its view went back`, noteSite([before, n]));
      }
      views.set(key, n);
    } else if (n.kind === "routed") {
      checked++;
      const view = views.get(`${n.node} ${n.data.group}`);
      if (view === undefined || !view.data.members.includes(n.data.member)) {
        const seen = view === undefined ? "before seeing the group" : `when its latest view (pzxid ${view.data.pzxid}, ${view.t} µs) was ${view.data.members.join(", ") || "empty"}`;
        violations.add(`${n.node} routed to ${n.data.member} in ${n.data.group} at ${n.t} µs ${seen}`, noteSite(view === undefined ? [n] : [view, n]));
      }
    }
  }
  return result("membership", "a balancer routes only to members of its latest view of the group, and its views never go back", checked, violations);
}

/**
 * Once a member's node is gone (its session expired or it left), every
 * watcher of its group sees a view without it within the bound (counted from
 * the calm point at the earliest), unless it crashed or ended.
 */
function membershipProgress(notes: readonly NoteRecord[], options: ProgressOptions): InvariantResult {
  const watchers = new Map<string, { group: string; views: (NoteRecord & { kind: "members-seen" })[] }>();
  const ended = new Map<string, number>();
  for (const n of notes) {
    if (n.kind === "workload-done" && !ended.has(n.node)) ended.set(n.node, n.t);
    if (n.kind !== "members-seen") continue;
    const key = `${n.node} ${n.data.group}`;
    let w = watchers.get(key);
    if (w === undefined) {
      w = { group: n.data.group, views: [] };
      watchers.set(key, w);
    }
    w.views.push(n);
  }
  const violations = new Found();
  let checked = 0;
  for (const [key, w] of watchers) {
    const node = key.slice(0, key.indexOf(" "));
    const prefix = `${w.group}/`;
    for (const gone of options.deletions ?? []) {
      if (!gone.path.startsWith(prefix) || gone.path.slice(prefix.length).includes("/")) continue;
      const first = w.views[0];
      if (first === undefined || first.t > gone.t) continue; // it was not watching yet
      const dueUs = Math.max(gone.t, options.calmUs) + options.boundUs;
      if (dueUs > options.endUs || (ended.get(node) ?? Infinity) <= dueUs) continue;
      if ((options.absences ?? []).some((a) => a.node === node && a.fromUs <= dueUs && a.toUs >= gone.t)) continue;
      checked++;
      const name = gone.path.slice(prefix.length);
      const caughtUp = w.views.find((v) => v.data.pzxid >= gone.zxid || (v.t >= gone.t && !v.data.members.includes(name)));
      if (caughtUp === undefined || caughtUp.t > dueUs) {
        const when = caughtUp === undefined ? "by the end" : `until ${caughtUp.t} µs`;
        violations.add(`${node} did not see ${name} leave ${w.group} (deleted at zxid ${gone.zxid}, ${gone.t} µs) ${when}, past the bound (${dueUs} µs)`, {
          atUs: dueUs,
          ops: [],
          events: [gone.i, ...(caughtUp === undefined ? [] : [caughtUp.i])].filter((i) => i >= 0),
        });
      }
    }
  }
  return result("membership-progress", "once a member's node is gone, every watcher of the group sees it gone within the bound", checked, violations);
}

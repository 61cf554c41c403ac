import type { Operation, Value } from "./history.ts";
import type { Model } from "./models.ts";

/**
 * A linearizability checker in the style of Porcupine: the Wing–Gong search
 * with Lowe's improvements. Operations are calls and returns in one list;
 * the search linearizes a call whose operation the model accepts in the
 * current state, lifting it out of the list, and backtracks when it meets a
 * return whose operation is not yet linearized. A cache of (set of
 * linearized operations, state) pairs that were explored already cuts the
 * search; the set is a bitset with an incrementally kept hash. Histories
 * split by key (P-compositionality) when the model allows, and each part is
 * checked on its own.
 *
 * Operations with an unknown outcome (`info`) return at infinity: they may
 * take effect at any point after their call, or never (the search ends when
 * every operation that completed is linearized, leaving out those of
 * unknown outcome that it has not placed). Failed operations took no effect
 * and are dropped.
 *
 * The search is bounded by a step budget and an optional `stop` callback
 * (the caller's wall-clock deadline): when either ends it, the verdict is
 * `unknown`. It never hangs.
 */

export type Verdict = "linearizable" | "not-linearizable" | "unknown";

export interface CheckOptions {
  /** Search steps (calls tried) over the whole history; past it the verdict is unknown. */
  readonly stepsMax?: number;
  /** Asked every few thousand steps; true stops the search (unknown). Lets a CLI bound wall time. */
  readonly stop?: () => boolean;
}

/** Why a part of a history is not linearizable, for a person (and the viewer) to read. */
export interface Counterexample {
  /** The key of the failing part (null for a single register). */
  readonly key: string | null;
  /** The longest order of operations found that the model accepts, from the start. */
  readonly prefix: readonly CounterexampleOp[];
  /** The state after the prefix. */
  readonly state: Value;
  /** Operations that had to come next (called before the earliest pending return) and that the model refuses after the prefix. */
  readonly stuck: readonly CounterexampleOp[];
}

export interface CounterexampleOp {
  readonly id: number;
  readonly process: number;
  readonly text: string;
}

export interface CheckResult {
  readonly verdict: Verdict;
  /** Present when the verdict is not-linearizable. */
  readonly counterexample?: Counterexample;
  /** Parts (keys) checked, and search steps taken over all of them. */
  readonly partitions: number;
  readonly steps: number;
  /** Why the search stopped early (unknown). */
  readonly reason?: string;
}

const STEPS_MAX_DEFAULT = 50_000_000;
const STOP_CHECK_EVERY = 4_096;

interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  /** For a call: its return entry; for a return: its call entry. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

export function checkLinearizable(operations: readonly Operation[], model: Model, options: CheckOptions = {}): CheckResult {
  const relevant = operations.filter((op) => op.outcome !== "fail" && !(op.outcome === "info" && isReadOnly(op)));
  const parts = new Map<string | null, Operation[]>();
  for (const op of relevant) {
    const key = model.partitionByKey ? op.key : null;
    let part = parts.get(key);
    if (part === undefined) {
      part = [];
      parts.set(key, part);
    }
    part.push(op);
  }
  const budget = { steps: 0, stepsMax: options.stepsMax ?? STEPS_MAX_DEFAULT, stop: options.stop };
  let unknownReason: string | undefined;
  // Smaller parts first: a violation in a small part is found quickly.
  const ordered = [...parts].sort((a, b) => a[1].length - b[1].length);
  for (const [key, ops] of ordered) {
    const outcome = checkPart(key, ops, model, budget);
    if (outcome.verdict === "not-linearizable") {
      return { verdict: "not-linearizable", counterexample: outcome.counterexample as Counterexample, partitions: parts.size, steps: budget.steps };
    }
    if (outcome.verdict === "unknown") unknownReason ??= outcome.reason;
  }
  if (unknownReason !== undefined) return { verdict: "unknown", partitions: parts.size, steps: budget.steps, reason: unknownReason };
  return { verdict: "linearizable", partitions: parts.size, steps: budget.steps };
}

function isReadOnly(op: Operation): boolean {
  return op.f === "read" || op.f === "getData" || op.f === "exists";
}

interface PartOutcome {
  readonly verdict: Verdict;
  readonly counterexample?: Counterexample;
  readonly reason?: string;
}

function checkPart(key: string | null, ops: readonly Operation[], model: Model, budget: { steps: number; stepsMax: number; stop: (() => boolean) | undefined }): PartOutcome {
  const n = ops.length;
  if (n === 0) return { verdict: "linearizable" };
  // The entry list: calls and returns in history order (a return at infinity goes last).
  const events: { time: number; isCall: boolean; op: number }[] = [];
  ops.forEach((op, i) => {
    events.push({ time: op.call, isCall: true, op: i });
    events.push({ time: op.ret, isCall: false, op: i });
  });
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? 1 : -1));
  const head: Entry = { op: -1, isCall: false, match: null, prev: null, next: null };
  const calls: Entry[] = new Array<Entry>(n);
  const returns: Entry[] = new Array<Entry>(n);
  let last = head;
  for (const e of events) {
    const entry: Entry = { op: e.op, isCall: e.isCall, match: null, prev: last, next: null };
    last.next = entry;
    last = entry;
    if (e.isCall) calls[e.op] = entry;
    else returns[e.op] = entry;
  }
  for (let i = 0; i < n; i++) {
    (calls[i] as Entry).match = returns[i] as Entry;
    (returns[i] as Entry).match = calls[i] as Entry;
  }

  const words = Math.ceil(n / 32);
  const linearized = new Uint32Array(words);
  const opHashes = new Int32Array(n);
  for (let i = 0; i < n; i++) opHashes[i] = mixInt(i + 1);
  let bitsHash = 0;
  // The cache: (hash of the linearized set, state id) → the sets seen with that state. States are
  // interned to small integers: primitives by value, others by their canonical key, in a map of
  // their own (a primitive string may look like any key).
  const cache = new VisitedSet(words);
  const primitiveIds = new Map<Value, number>();
  const compositeIds = new Map<string, number>();
  let stateCount = 0;
  const intern = <K>(ids: Map<K, number>, k: K): number => {
    let id = ids.get(k);
    if (id === undefined) {
      id = stateCount++;
      ids.set(k, id);
    }
    return id;
  };
  const stateId = (value: Value): number => {
    if (typeof value === "object" && value !== null) return intern(compositeIds, model.key(value));
    // An integer is a number exactly when it is safe; one that is not (a program may build one) is interned as its bigint.
    if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) return intern(primitiveIds, BigInt(value));
    return intern(primitiveIds, value);
  };
  const stackEntries: Entry[] = [];
  const stackStates: Value[] = [];
  const steps = ops.map((op) => model.compile?.(op) ?? ((state: Value) => model.step(state, op)));
  let state: Value = model.init(key);
  let best: { prefix: number[]; state: Value } = { prefix: [], state };

  // An operation of unknown outcome may also never have happened: once every operation that
  // completed is linearized, the rest are left out, whatever the model would say of them.
  let okLeft = ops.reduce((count, op) => count + (op.outcome === "ok" ? 1 : 0), 0);
  let entry: Entry | null = head.next;
  while (okLeft > 0) {
    if (++budget.steps > budget.stepsMax) return { verdict: "unknown", reason: `the search took more than ${budget.stepsMax} steps` };
    if (budget.steps % STOP_CHECK_EVERY === 0 && budget.stop?.() === true) return { verdict: "unknown", reason: "the time budget ran out" };
    if (entry === null) break; // cannot happen while head.next is set: a return is always met first
    if (entry.isCall) {
      const next = (steps[entry.op] as (state: Value) => Value | undefined)(state);
      let advanced = false;
      if (next !== undefined) {
        const bit = entry.op;
        linearized[bit >>> 5] = (linearized[bit >>> 5] as number) | (1 << (bit & 31));
        const hash = bitsHash ^ (opHashes[bit] as number);
        const id = stateId(next);
        if (cache.addIfNew(hash, id, linearized)) {
          stackEntries.push(entry);
          stackStates.push(state);
          state = next;
          bitsHash = hash;
          lift(entry);
          if ((ops[entry.op] as Operation).outcome === "ok") okLeft--;
          advanced = true;
          if (stackEntries.length > best.prefix.length) best = { prefix: stackEntries.map((e) => e.op), state };
          entry = head.next;
        } else {
          linearized[bit >>> 5] = (linearized[bit >>> 5] as number) & ~(1 << (bit & 31));
        }
      }
      if (!advanced) entry = (entry as Entry).next;
    } else {
      // A return of an operation not yet linearized: undo the last choice.
      const top = stackEntries.pop();
      if (top === undefined) return { verdict: "not-linearizable", counterexample: counterexample(key, ops, model, best) };
      const bit = top.op;
      linearized[bit >>> 5] = (linearized[bit >>> 5] as number) & ~(1 << (bit & 31));
      bitsHash ^= opHashes[bit] as number;
      state = stackStates.pop() as Value;
      unlift(top);
      if ((ops[top.op] as Operation).outcome === "ok") okLeft++;
      entry = top.next;
    }
  }
  return { verdict: "linearizable" };
}

/** Takes a call and its return out of the list. */
function lift(call: Entry): void {
  const ret = call.match as Entry;
  (call.prev as Entry).next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  (ret.prev as Entry).next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

/** Puts them back, in the reverse order. */
function unlift(call: Entry): void {
  const ret = call.match as Entry;
  (ret.prev as Entry).next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  (call.prev as Entry).next = call;
  if (call.next !== null) call.next.prev = call;
}

/**
 * The set of (linearized operations, state) pairs explored, as one hash
 * table in typed arrays: each record is [hash, state id, bitset words...] in
 * an arena that doubles when full, chained from a power-of-two head table.
 * It allocates nothing per insertion (the arena grows rarely), which keeps
 * the garbage collector out of the search.
 */
class VisitedSet {
  private readonly stride: number;
  private arena: Uint32Array;
  private next: Int32Array;
  private heads: Int32Array;
  private count = 0;

  constructor(private readonly words: number) {
    this.stride = 2 + words;
    this.arena = new Uint32Array(1_024 * this.stride);
    this.next = new Int32Array(1_024);
    this.heads = new Int32Array(2_048).fill(-1);
  }

  /** Adds the pair and returns true, or returns false when it was there already. */
  addIfNew(hash: number, state: number, bits: Uint32Array): boolean {
    const key = (hash ^ Math.imul(state, 0x9e3779b1)) >>> 0;
    const stride = this.stride;
    const arena = this.arena;
    for (let r = this.heads[key & (this.heads.length - 1)] as number; r >= 0; r = this.next[r] as number) {
      const at = r * stride;
      if (arena[at] !== key || arena[at + 1] !== state) continue;
      let same = true;
      for (let w = 0; w < this.words; w++) {
        if (arena[at + 2 + w] !== bits[w]) {
          same = false;
          break;
        }
      }
      if (same) return false;
    }
    if ((this.count + 1) * stride > this.arena.length) this.growArena();
    if (this.count + 1 > this.heads.length * 0.75) this.growHeads();
    const r = this.count++;
    const at = r * stride;
    this.arena[at] = key;
    this.arena[at + 1] = state;
    this.arena.set(bits, at + 2);
    const slot = key & (this.heads.length - 1);
    this.next[r] = this.heads[slot] as number;
    this.heads[slot] = r;
    return true;
  }

  private growArena(): void {
    const arena = new Uint32Array(this.arena.length * 2);
    arena.set(this.arena);
    this.arena = arena;
    const next = new Int32Array(this.next.length * 2);
    next.set(this.next);
    this.next = next;
  }

  private growHeads(): void {
    this.heads = new Int32Array(this.heads.length * 2).fill(-1);
    const mask = this.heads.length - 1;
    for (let r = 0; r < this.count; r++) {
      const slot = (this.arena[r * this.stride] as number) & mask;
      this.next[r] = this.heads[slot] as number;
      this.heads[slot] = r;
    }
  }
}

function mixInt(x: number): number {
  let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The deepest point the search reached: the operations linearized there, in
 * order, and the operations that were called before the earliest pending
 * return (one of them had to come next) and that the model refused.
 */
function counterexample(key: string | null, ops: readonly Operation[], model: Model, best: { prefix: number[]; state: Value }): Counterexample {
  const describe = (i: number): CounterexampleOp => {
    const op = ops[i] as Operation;
    return { id: op.id, process: op.process, text: model.describe(op) };
  };
  const placed = new Set(best.prefix);
  const stuck: number[] = [];
  // Walk the history order from the start: candidates are calls not placed, up to the first return of an unplaced op.
  const order = ops.map((op, i) => ({ i, call: op.call, ret: op.ret })).filter((o) => !placed.has(o.i));
  const firstReturn = Math.min(...order.map((o) => o.ret));
  for (const o of order) if (o.call < firstReturn) stuck.push(o.i);
  return { key, prefix: best.prefix.map(describe), state: best.state, stuck: stuck.map(describe) };
}

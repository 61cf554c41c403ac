import { assert } from "../sim/index.ts";
import type { Operation, Value } from "./history.ts";
import type { Model } from "./models.ts";

/**
 * A linearizability checker in the style of Porcupine: the Wing–Gong search
 * with Lowe's improvements. Operations are calls and returns in one list;
 * the search linearizes a call whose operation the model accepts in the
 * current state, lifting it out of the list, and backtracks when it meets a
 * return whose operation is not yet linearized. A cache of (set of
 * linearized operations, state) pairs that were explored already cuts the
 * search. Histories split by key (P-compositionality) when the model allows,
 * and each part is checked on its own.
 *
 * Operations with an unknown outcome (`info`) have no return: they may take
 * effect at any point after their call, or never (the search ends when
 * every operation that completed is linearized, leaving out those of
 * unknown outcome that it has not placed). Failed operations took no effect
 * and are dropped.
 *
 * A process may pipeline (ZooKeeper's asynchronous API: a session with many
 * requests in flight, which its server executes in the order they were
 * issued). Operations of one process that overlap take effect in the order
 * they were called, and one of unknown outcome that a later operation of
 * its process overtook never takes effect. In a Jepsen history a process
 * has one operation open at a time, and real time implies this order
 * already. The search counts such an overtaken operation as placed (its
 * bit is set, as if it had been linearized): the sets that differ only in
 * which of a pipeline's unknown operations they skipped are then one set,
 * so a burst of ConnectionLoss costs the search a few states per operation
 * instead of one per subset.
 *
 * Each step costs about the same however long the history: the cache keeps
 * a set of linearized operations not as a bitset of the whole history but
 * as its canonical short form (the completed operations are numbered in
 * return order, and a set is the first one not linearized plus the few
 * words of bits from there to the last one linearized; the operations of
 * unknown outcome are a bitset of their own), and the longest order found so
 * far is kept by extending it, never by copying the stack.
 *
 * The search is bounded by a step budget, a memory budget for its tables,
 * and an optional `stop` callback (the caller's wall-clock deadline): when
 * one ends it, the verdict is `unknown`. It never hangs.
 */

export type Verdict = "linearizable" | "not-linearizable" | "unknown";

export interface CheckOptions {
  /** Search steps (calls tried, returns met) over the whole history; past it the verdict is unknown. */
  readonly stepsMax?: number;
  /** Asked every few thousand steps; true stops the search (unknown). Lets a CLI bound wall time. */
  readonly stop?: () => boolean;
  /** Bytes the search's tables may take (the explored pairs, the states, the stacks), for one part at a time; past it the verdict is unknown. */
  readonly memoryBytesMax?: number;
  /**
   * For tests: how many bits of the cache's hash to keep (1 to 32; default 32). With few, different
   * sets share hashes all the time, and the verdicts must not change: the cache compares whole sets.
   */
  readonly hashBits?: number;
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
  /** The most memory the search's tables took at once, in bytes (an estimate for the states, exact for the typed arrays). */
  readonly memoryBytes: number;
  /** Why the search stopped early (unknown): which budget ran out, and in words. */
  readonly limit?: Limit;
  readonly reason?: string;
}

/** The budgets that can end a search early. */
export type Limit = "steps" | "time" | "memory";

const STEPS_MAX_DEFAULT = 50_000_000;
/** 2 GB: the default bound on the search's tables. */
export const MEMORY_BYTES_MAX_DEFAULT = 2_000_000_000;
const STOP_CHECK_EVERY = 4_096;
/** What one operation costs the search before it explores anything (typed arrays, its compiled step, its slots in the stacks), an estimate. */
const BYTES_PER_OPERATION = 160;
/** What one distinct state costs in the intern tables, besides its key's characters. */
const BYTES_PER_STATE = 64;

interface Budget {
  readonly hashMask: number;
  steps: number;
  readonly stepsMax: number;
  readonly stop: (() => boolean) | undefined;
  readonly memoryBytesMax: number;
  memoryBytesPeak: number;
}

export function checkLinearizable(operations: readonly Operation[], model: Model, options: CheckOptions = {}): CheckResult {
  const parts = new Map<string | null, Operation[]>();
  const whole: Operation[] = [];
  for (const op of operations) {
    if (op.outcome === "fail" || (op.outcome === "info" && isReadOnly(op))) continue;
    if (!model.partitionByKey) {
      whole.push(op);
      continue;
    }
    let part = parts.get(op.key);
    if (part === undefined) {
      part = [];
      parts.set(op.key, part);
    }
    part.push(op);
  }
  if (whole.length > 0) parts.set(null, whole);
  const hashBits = options.hashBits ?? 32;
  assert(Number.isInteger(hashBits) && hashBits >= 1 && hashBits <= 32, "hashBits is from 1 to 32", { hashBits });
  const budget: Budget = { hashMask: hashBits === 32 ? -1 : (1 << hashBits) - 1, steps: 0, stepsMax: options.stepsMax ?? STEPS_MAX_DEFAULT, stop: options.stop, memoryBytesMax: options.memoryBytesMax ?? MEMORY_BYTES_MAX_DEFAULT, memoryBytesPeak: 0 };
  let stopped: { limit: Limit; reason: string } | undefined;
  // Smaller parts first: a violation in a small part is found quickly.
  const ordered = [...parts].sort((a, b) => a[1].length - b[1].length);
  for (const [key, ops] of ordered) {
    const outcome = checkPart(key, ops, model, budget);
    if (outcome.verdict === "not-linearizable") {
      return { verdict: "not-linearizable", counterexample: outcome.counterexample as Counterexample, partitions: parts.size, steps: budget.steps, memoryBytes: budget.memoryBytesPeak };
    }
    if (outcome.verdict !== "unknown") continue;
    stopped ??= { limit: outcome.limit as Limit, reason: outcome.reason as string };
    // Out of time or steps, the check ends; a part too large for the memory budget does not stop the others,
    // which may still prove the history not linearizable.
    if (outcome.limit !== "memory") break;
  }
  if (stopped !== undefined) return { verdict: "unknown", partitions: parts.size, steps: budget.steps, memoryBytes: budget.memoryBytesPeak, ...stopped };
  return { verdict: "linearizable", partitions: parts.size, steps: budget.steps, memoryBytes: budget.memoryBytesPeak };
}

function isReadOnly(op: Operation): boolean {
  return op.f === "read" || op.f === "getData" || op.f === "exists";
}

interface PartOutcome {
  readonly verdict: Verdict;
  readonly counterexample?: Counterexample;
  readonly limit?: Limit;
  readonly reason?: string;
}

/**
 * One part's search. Node ids of the entry list: the call of operation i is
 * i, its return n + i (only operations that completed have one), the head
 * 2n; -1 ends the list.
 */
function checkPart(key: string | null, ops: readonly Operation[], model: Model, budget: Budget): PartOutcome {
  const n = ops.length;
  if (n === 0) return { verdict: "linearizable" };
  const fixedBytes = n * BYTES_PER_OPERATION;
  if (fixedBytes > budget.memoryBytesMax) return { verdict: "unknown", limit: "memory", reason: memoryReason(budget) };

  // The per-operation arrays, carved out of one allocation, so that a part of a few hundred operations costs
  // little to set up (a part of up to 16 takes them one by one: arrays that small live in the engine's heap).
  const ints = new Int32Array(n <= 16 ? 0 : 12 * n + 2);
  let carved = 0;
  const carve = (length: number) => (n <= 16 ? new Int32Array(length) : ints.subarray(carved, (carved += length)));
  const isOk = carve(n);
  const bitOf = carve(n);
  const opHash = carve(n);
  const next = carve(2 * n + 1).fill(-1);
  const prev = carve(2 * n + 1).fill(-1);
  // The stack of choices: the operation, and what to restore when it is undone.
  const stackOp = carve(n);
  const stackFirstUnset = carve(n);
  const stackOkTop = carve(n);
  const stackInfoTop = carve(n);
  // The longest order found: it agrees with the stack on its first `agree` operations.
  const bestOps = carve(n);
  const pipeline = pipelineOf(ops);
  // Per pipelining process: the rank (call order in the process) of its last operation placed, -1 for none.
  const procLast = new Int32Array(pipeline === null ? 0 : pipeline.processCount).fill(-1);
  const stackProcLast = new Int32Array(pipeline === null ? 0 : n);

  // Completed operations numbered in return order (0..okCount-1), those of unknown outcome in call order.
  const okIds: number[] = [];
  const infoIds: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((ops[i] as Operation).outcome === "ok") {
      isOk[i] = 1;
      okIds.push(i);
    } else {
      infoIds.push(i);
    }
  }
  const okCount = okIds.length;
  sortBy(okIds, ops, "ret");
  sortBy(infoIds, ops, "call");
  for (let b = 0; b < okCount; b++) {
    bitOf[okIds[b] as number] = b;
    opHash[okIds[b] as number] = mixInt(b + 1);
  }
  for (let b = 0; b < infoIds.length; b++) {
    bitOf[infoIds[b] as number] = b;
    opHash[infoIds[b] as number] = mixInt(okCount + b + 1);
  }
  linkEntries(ops, okIds, next, prev);
  const head = 2 * n;
  const okBits = new Uint32Array(Math.ceil(okCount / 32));
  const infoBits = new Uint32Array(Math.ceil(infoIds.length / 32));

  // States are interned to small integers: primitives by value, others by their canonical key, in a
  // map of their own (a primitive string may look like any key). -1: a new state the memory budget has no room for.
  const primitiveIds = new Map<Value, number>();
  const compositeIds = new Map<string, number>();
  let stateBytes = 0;
  // Whether the tables fit the budget with the visited set at `cacheBytes`.
  const room = (cacheBytes: number) => fixedBytes + stateBytes + cacheBytes <= budget.memoryBytesMax;
  // About one record per operation that must be linearized, for a history that needs little backtracking.
  const cache = new VisitedSet(okCount + 16, room, budget.hashMask);
  const stateId = (value: Value): number => {
    if (typeof value === "object" && value !== null) {
      const k = model.key(value);
      const id = compositeIds.get(k);
      if (id !== undefined) return id;
      return newState(compositeIds, k, 2 * k.length);
    }
    // An integer is a number exactly when it is safe; one that is not (a program may build one) is interned as its bigint.
    const k = typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) ? BigInt(value) : value;
    const id = primitiveIds.get(k);
    if (id !== undefined) return id;
    return newState(primitiveIds, k, typeof k === "string" ? 2 * k.length : 0);
  };
  function newState<K>(ids: Map<K, number>, k: K, keyBytes: number): number {
    if (!room(cache.bytes + BYTES_PER_STATE + keyBytes)) return -1;
    stateBytes += BYTES_PER_STATE + keyBytes;
    const id = primitiveIds.size + compositeIds.size;
    ids.set(k, id);
    return id;
  }
  const notePeak = () => {
    budget.memoryBytesPeak = Math.max(budget.memoryBytesPeak, fixedBytes + stateBytes + cache.bytes);
  };

  // Each operation's step, prepared when the search first tries it (a search that fails early tries few).
  const steps: (((state: Value) => Value | undefined) | undefined)[] = new Array<((state: Value) => Value | undefined) | undefined>(n);
  const stepOf = (op: number): ((state: Value) => Value | undefined) => {
    const operation = ops[op] as Operation;
    const step = model.compile?.(operation) ?? ((state: Value) => model.step(state, operation));
    steps[op] = step;
    return step;
  };
  const stackState: (Value | undefined)[] = new Array<Value | undefined>(n);
  let bestLength = 0;
  let agree = 0;
  let state: Value = model.init(key);
  let bestState: Value = state;

  // The set of linearized operations: all completed ones below firstUnset, the bits of okBits up to
  // okTop (the highest set, -1 for none), and infoBits up to infoTop.
  let firstUnset = 0;
  let okTop = -1;
  let infoTop = -1;
  let hash = 0;
  let depth = 0;
  // An operation of unknown outcome may also never have happened: once every operation that
  // completed is linearized, the rest are left out, whatever the model would say of them.
  let okLeft = okCount;
  let entry = next[head] as number;
  while (okLeft > 0) {
    if (++budget.steps > budget.stepsMax) return unknown("steps", `the search took more than ${budget.stepsMax} steps`);
    if (budget.steps % STOP_CHECK_EVERY === 0) {
      notePeak();
      if (budget.stop?.() === true) return unknown("time", "the time budget ran out");
    }
    if (entry < 0) assert(false, "the search ran past the last return with operations left to linearize", { okLeft });
    if (entry < n) {
      const op = entry;
      const nextState = pipeline !== null && !pipeline.mayComeNext(op, procLast) ? undefined : (steps[op] ?? stepOf(op))(state);
      if (nextState !== undefined) {
        const id = stateId(nextState);
        if (id < 0) return unknown("memory", memoryReason(budget));
        const bit = bitOf[op] as number;
        const word = bit >>> 5;
        const mask = 1 << (bit & 31);
        let newFirstUnset = firstUnset;
        let newOkTop = okTop;
        let newInfoTop = infoTop;
        if (isOk[op] === 1) {
          okBits[word] = (okBits[word] as number) | mask;
          if (bit > okTop) newOkTop = bit;
          if (bit === firstUnset) newFirstUnset = firstUnsetFrom(okBits, bit + 1, okCount);
        } else {
          infoBits[word] = (infoBits[word] as number) | mask;
          if (bit > infoTop) newInfoTop = bit;
        }
        let newHash = hash ^ (opHash[op] as number);
        // The unknown operations of its process that it overtakes never take effect: placed, as skipped.
        const skipFrom = pipeline === null ? 0 : (procLast[pipeline.process[op] as number] as number) + 1;
        const skipTo = pipeline === null ? 0 : (pipeline.rank[op] as number);
        for (let r = skipFrom; r < skipTo; r++) {
          const skipped = pipeline?.opAt(op, r) as number;
          const skippedBit = bitOf[skipped] as number;
          infoBits[skippedBit >>> 5] = (infoBits[skippedBit >>> 5] as number) | (1 << (skippedBit & 31));
          if (skippedBit > newInfoTop) newInfoTop = skippedBit;
          newHash ^= opHash[skipped] as number;
        }
        const added = cache.addIfNew(newHash, id, newFirstUnset, newOkTop, newInfoTop, okBits, infoBits);
        if (added === ADD_FULL) return unknown("memory", memoryReason(budget));
        if (added === ADD_NEW) {
          stackOp[depth] = op;
          stackFirstUnset[depth] = firstUnset;
          stackOkTop[depth] = okTop;
          stackInfoTop[depth] = infoTop;
          stackState[depth] = state;
          if (pipeline !== null) {
            const process = pipeline.process[op] as number;
            stackProcLast[depth] = procLast[process] as number;
            procLast[process] = pipeline.rank[op] as number;
          }
          depth++;
          firstUnset = newFirstUnset;
          okTop = newOkTop;
          infoTop = newInfoTop;
          hash = newHash;
          state = nextState;
          // Lift the call, and the return of a completed operation, out of the list.
          const before = prev[op] as number;
          const after = next[op] as number;
          next[before] = after;
          if (after >= 0) prev[after] = before;
          if (isOk[op] === 1) {
            okLeft--;
            const ret = n + op;
            const retBefore = prev[ret] as number;
            const retAfter = next[ret] as number;
            next[retBefore] = retAfter;
            if (retAfter >= 0) prev[retAfter] = retBefore;
          }
          // The longest order: extend it along the stack, copying only where they part.
          if (agree === depth - 1 && depth <= bestLength && bestOps[depth - 1] === op) agree = depth;
          if (depth > bestLength) {
            for (let d = agree; d < depth; d++) bestOps[d] = stackOp[d] as number;
            bestLength = depth;
            agree = depth;
            bestState = state;
          }
          entry = next[head] as number;
          continue;
        }
        if (isOk[op] === 1) okBits[word] = (okBits[word] as number) & ~mask;
        else infoBits[word] = (infoBits[word] as number) & ~mask;
        for (let r = skipFrom; r < skipTo; r++) clearBit(infoBits, bitOf[pipeline?.opAt(op, r) as number] as number);
      }
      entry = next[op] as number;
    } else {
      // A return of an operation not yet linearized: undo the last choice.
      if (depth === 0) {
        notePeak();
        return { verdict: "not-linearizable", counterexample: counterexample(key, ops, model, bestOps.subarray(0, bestLength), bestState) };
      }
      depth--;
      if (agree > depth) agree = depth;
      const op = stackOp[depth] as number;
      const bit = bitOf[op] as number;
      if (isOk[op] === 1) okBits[bit >>> 5] = (okBits[bit >>> 5] as number) & ~(1 << (bit & 31));
      else infoBits[bit >>> 5] = (infoBits[bit >>> 5] as number) & ~(1 << (bit & 31));
      firstUnset = stackFirstUnset[depth] as number;
      okTop = stackOkTop[depth] as number;
      infoTop = stackInfoTop[depth] as number;
      hash ^= opHash[op] as number;
      if (pipeline !== null) {
        const process = pipeline.process[op] as number;
        const before = stackProcLast[depth] as number;
        for (let r = before + 1; r < (pipeline.rank[op] as number); r++) {
          const skipped = pipeline.opAt(op, r);
          clearBit(infoBits, bitOf[skipped] as number);
          hash ^= opHash[skipped] as number;
        }
        procLast[process] = before;
      }
      state = stackState[depth] as Value;
      stackState[depth] = undefined;
      // Put the return back, then the call (the reverse of lifting them).
      if (isOk[op] === 1) {
        okLeft++;
        const ret = n + op;
        next[prev[ret] as number] = ret;
        if ((next[ret] as number) >= 0) prev[next[ret] as number] = ret;
      }
      next[prev[op] as number] = op;
      if ((next[op] as number) >= 0) prev[next[op] as number] = op;
      entry = next[op] as number;
    }
  }
  notePeak();
  return { verdict: "linearizable" };

  function unknown(limit: Limit, reason: string): PartOutcome {
    notePeak();
    return { verdict: "unknown", limit, reason };
  }
}

function memoryReason(budget: Budget): string {
  return `the search's tables reached the memory limit of ${formatBytes(budget.memoryBytesMax)}`;
}

/** Bytes for a person: 2 GB, 512 MB, 64 kB (powers of 1000, as the --memory flag reads them). */
export function formatBytes(bytes: number): string {
  const units: readonly [number, string][] = [
    [1e9, "GB"],
    [1e6, "MB"],
    [1e3, "kB"],
  ];
  for (const [size, unit] of units) if (bytes >= size) return `${Number((bytes / size).toPrecision(3))} ${unit}`;
  return `${bytes} bytes`;
}

/**
 * The entry list, doubly linked in typed arrays: every call, and the return
 * of every completed operation (`okByReturn`, in return order), in history
 * order (at equal positions a return comes first: an operation that
 * returned at t precedes one called at t).
 */
function linkEntries(ops: readonly Operation[], okByReturn: readonly number[], next: Int32Array, prev: Int32Array): void {
  const n = ops.length;
  // Operations are usually in call order already (they are numbered so); sort only if not.
  let calls: number[] | null = null;
  for (let i = 1; i < n && calls === null; i++) {
    if ((ops[i] as Operation).call < (ops[i - 1] as Operation).call) {
      calls = Array.from({ length: n }, (_, k) => k);
      sortBy(calls, ops, "call");
    }
  }
  let last = 2 * n;
  let c = 0;
  let r = 0;
  while (c < n || r < okByReturn.length) {
    const call = c < n ? (calls === null ? c : (calls[c] as number)) : -1;
    let node: number;
    if (r < okByReturn.length && (call < 0 || (ops[okByReturn[r] as number] as Operation).ret <= (ops[call] as Operation).call)) node = n + (okByReturn[r++] as number);
    else {
      node = call;
      c++;
    }
    next[last] = node;
    prev[node] = last;
    last = node;
  }
}

function clearBit(bits: Uint32Array, bit: number): void {
  bits[bit >>> 5] = (bits[bit >>> 5] as number) & ~(1 << (bit & 31));
}

/** The processes of a part whose operations overlap (pipelining), and each operation's place in its process. */
interface Pipeline {
  readonly processCount: number;
  /** Each operation's process (dense, from 0) and rank in it (call order, from 0). */
  readonly process: Int32Array;
  readonly rank: Int32Array;
  /** The operation of `op`'s process at rank `r`. */
  opAt(op: number, r: number): number;
  /** Whether `op` may take effect next: its process has placed nothing at or after its rank, and every earlier completed operation of it. */
  mayComeNext(op: number, procLast: Int32Array): boolean;
}

/**
 * The part's processes in call order, or null when no two operations of one
 * process overlap (a Jepsen history): real time orders each process then.
 */
function pipelineOf(ops: readonly Operation[]): Pipeline | null {
  const n = ops.length;
  const byProcess = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const process = (ops[i] as Operation).process;
    let list = byProcess.get(process);
    if (list === undefined) {
      list = [];
      byProcess.set(process, list);
    }
    list.push(i);
  }
  let overlap = false;
  for (const list of byProcess.values()) {
    if (list.length < 2) continue;
    sortBy(list, ops, "call");
    for (let k = 1; k < list.length && !overlap; k++) overlap = (ops[list[k - 1] as number] as Operation).ret > (ops[list[k] as number] as Operation).call;
  }
  if (!overlap) return null;
  const process = new Int32Array(n);
  const rank = new Int32Array(n);
  // The rank of the closest earlier completed operation of the same process (-1: none).
  const okBefore = new Int32Array(n);
  const start = new Int32Array(byProcess.size);
  const order = new Int32Array(n);
  let p = 0;
  let at = 0;
  for (const list of byProcess.values()) {
    start[p] = at;
    let lastOk = -1;
    list.forEach((op, r) => {
      process[op] = p;
      rank[op] = r;
      okBefore[op] = lastOk;
      order[at + r] = op;
      if ((ops[op] as Operation).outcome === "ok") lastOk = r;
    });
    at += list.length;
    p++;
  }
  return {
    processCount: byProcess.size,
    process,
    rank,
    opAt: (op, r) => order[(start[process[op] as number] as number) + r] as number,
    mayComeNext: (op, procLast) => {
      const last = procLast[process[op] as number] as number;
      return (rank[op] as number) > last && (okBefore[op] as number) <= last;
    },
  };
}

/** Sorts operation indexes by their call or return position (then index), unless they are in that order already. */
function sortBy(ids: number[], ops: readonly Operation[], position: "call" | "ret"): void {
  const at = (i: number) => (ops[ids[i] as number] as Operation)[position];
  let sorted = true;
  for (let i = 1; i < ids.length && sorted; i++) if (at(i) < at(i - 1) || (at(i) === at(i - 1) && (ids[i] as number) < (ids[i - 1] as number))) sorted = false;
  if (!sorted) ids.sort((a, b) => (ops[a] as Operation)[position] - (ops[b] as Operation)[position] || a - b);
}

/** The lowest unset bit at or after `from`, or `limit` when all up to it are set. */
function firstUnsetFrom(bits: Uint32Array, from: number, limit: number): number {
  if (from >= limit) return limit;
  let word = from >>> 5;
  // The zeros of the word, as ones, from the bit `from` on.
  let zeros = ~(bits[word] as number) & (-1 << (from & 31));
  const words = bits.length;
  while (zeros === 0) {
    word++;
    if (word >= words) return limit;
    zeros = ~(bits[word] as number);
  }
  const index = (word << 5) + (31 - Math.clz32(zeros & -zeros));
  return index < limit ? index : limit;
}

/** The tables before they are made: empty, never written. */
const NO_WORDS = new Uint32Array(0);

const ADD_PRESENT = 0;
const ADD_NEW = 1;
const ADD_FULL = 2;

/** Words the arena starts with at least, and slots the table. */
const ARENA_WORDS_FIRST = 64;
const SLOTS_FIRST = 16;

/**
 * The set of (linearized operations, state) pairs explored, as one hash
 * table in typed arrays. Each record is [state id, first unset, ok words,
 * info words, the ok words..., the info words...] in an arena that doubles
 * when full; the table is open addressing with linear probing, a slot being
 * [key, 1 + the record's offset] (0: empty), so that a probe reads the
 * arena only when the key matches. It allocates nothing per insertion (the
 * arena and the table grow rarely), which keeps the garbage collector out of
 * the search, and a hit compares the whole record, so that two sets never
 * pass for one.
 */
class VisitedSet {
  private arena = NO_WORDS;
  private used = 0;
  private slots = NO_WORDS;
  private count = 0;
  /** Bytes of typed arrays held. */
  bytes = 0;

  /**
   * Sized for `expected` records (a search records about one per operation, often a few), within the
   * room the budget leaves: a search that records more grows it.
   */
  constructor(
    private readonly expected: number,
    /** Whether the budget has room for the set at so many bytes. */
    private readonly room: (bytes: number) => boolean,
    /** The bits of each key kept (all, except in tests that make different sets collide). */
    private readonly keyMask: number,
  ) {}

  /** The tables, made when the first set is added (a search that fails at once needs none); false when they do not fit. */
  private allocate(): boolean {
    let capacity = Math.max(SLOTS_FIRST, 2 ** Math.ceil(Math.log2(2 * this.expected)));
    while (capacity > SLOTS_FIRST && !this.room(capacity * 20)) capacity /= 2;
    const words = Math.max(ARENA_WORDS_FIRST, capacity * 3);
    if (!this.room(capacity * 8 + words * 4)) return false;
    this.slots = new Uint32Array(2 * capacity);
    this.arena = new Uint32Array(words);
    this.bytes = this.slots.byteLength + this.arena.byteLength;
    return true;
  }

  /**
   * Adds the set (and state) and returns ADD_NEW, or ADD_PRESENT when it
   * was there already, or ADD_FULL when the memory budget stops the table
   * growing. The set is the completed operations below `firstUnset`, the
   * bits of `okBits` from firstUnset's word to okTop's, and the bits of
   * `infoBits` up to infoTop's word.
   */
  addIfNew(hash: number, state: number, firstUnset: number, okTop: number, infoTop: number, okBits: Uint32Array, infoBits: Uint32Array): number {
    if (this.slots.length === 0 && !this.allocate()) return ADD_FULL;
    const key = ((hash ^ Math.imul(state + 1, 0x9e3779b1)) & this.keyMask) >>> 0;
    const okFrom = firstUnset >>> 5;
    const okWords = okTop >= firstUnset ? (okTop >>> 5) - okFrom + 1 : 0;
    const infoWords = infoTop >= 0 ? (infoTop >>> 5) + 1 : 0;
    const arena = this.arena;
    const slots = this.slots;
    const mask = (slots.length >>> 1) - 1;
    let slot = key & mask;
    probe: for (; ; slot = (slot + 1) & mask) {
      const offset = slots[2 * slot + 1] as number;
      if (offset === 0) break;
      if (slots[2 * slot] !== key) continue;
      const at = offset - 1;
      if (arena[at] !== state || arena[at + 1] !== firstUnset || arena[at + 2] !== okWords || arena[at + 3] !== infoWords) continue;
      for (let w = 0; w < okWords; w++) if (arena[at + 4 + w] !== okBits[okFrom + w]) continue probe;
      for (let w = 0; w < infoWords; w++) if (arena[at + 4 + okWords + w] !== infoBits[w]) continue probe;
      return ADD_PRESENT;
    }
    const size = 4 + okWords + infoWords;
    if (this.used + size > this.arena.length && !this.growArena(size)) return ADD_FULL;
    const at = this.used;
    const into = this.arena;
    into[at] = state;
    into[at + 1] = firstUnset;
    into[at + 2] = okWords;
    into[at + 3] = infoWords;
    for (let w = 0; w < okWords; w++) into[at + 4 + w] = okBits[okFrom + w] as number;
    for (let w = 0; w < infoWords; w++) into[at + 4 + okWords + w] = infoBits[w] as number;
    this.used += size;
    slots[2 * slot] = key;
    slots[2 * slot + 1] = at + 1;
    this.count++;
    // Kept at most half full, so that probes stay short; a failed growth leaves the record in (still correct, only slower).
    if (this.count * 2 > mask + 1 && !this.growSlots()) return ADD_FULL;
    return ADD_NEW;
  }

  /** Doubles the arena (while it is copied, both are held: the budget counts both). */
  private growArena(size: number): boolean {
    const words = Math.max(this.arena.length * 2, this.used + size);
    if (words > 2 ** 32 - 2 || !this.room(this.bytes + words * 4)) return false;
    const arena = new Uint32Array(words);
    arena.set(this.arena.subarray(0, this.used));
    this.bytes += (words - this.arena.length) * 4;
    this.arena = arena;
    return true;
  }

  /** Doubles the table and puts every slot back (keys and offsets only: the arena is not read). */
  private growSlots(): boolean {
    const old = this.slots;
    const capacity = old.length; // twice the old capacity, in slots
    if (!this.room(this.bytes + capacity * 8)) return false;
    const slots = new Uint32Array(2 * capacity);
    const mask = capacity - 1;
    for (let s = 0; s < old.length; s += 2) {
      const offset = old[s + 1] as number;
      if (offset === 0) continue;
      const key = old[s] as number;
      let slot = key & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = key;
      slots[2 * slot + 1] = offset;
    }
    this.bytes += slots.byteLength - old.byteLength;
    this.slots = slots;
    return true;
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
function counterexample(key: string | null, ops: readonly Operation[], model: Model, prefix: Int32Array, state: Value): Counterexample {
  const describe = (i: number): CounterexampleOp => {
    const op = ops[i] as Operation;
    return { id: op.id, process: op.process, text: model.describe(op) };
  };
  const placed = new Uint8Array(ops.length);
  for (const i of prefix) placed[i] = 1;
  // Candidates: calls not placed, before the first return of an operation not placed.
  let firstReturn = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ops.length; i++) if (placed[i] === 0 && (ops[i] as Operation).outcome === "ok") firstReturn = Math.min(firstReturn, (ops[i] as Operation).ret);
  const stuck: CounterexampleOp[] = [];
  for (let i = 0; i < ops.length; i++) if (placed[i] === 0 && (ops[i] as Operation).call < firstReturn) stuck.push(describe(i));
  return { key, prefix: Array.from(prefix, describe), state, stuck };
}

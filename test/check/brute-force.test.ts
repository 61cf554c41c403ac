import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { casRegisterHistory } from "../../bench/histories.ts";
import { checkLinearizable, makeModel, toOperations, valueKey, type HistoryEvent, type Json, type Model, type ModelName, type Operation, type Value } from "../../src/check/index.ts";

/**
 * The checker against a brute-force one on small random histories: try every
 * order of the operations that respects real time, with every subset of the
 * `info` operations left out, and see whether the model accepts one.
 */

function bruteForce(ops: readonly Operation[], model: Model): boolean {
  const keys = new Set(ops.map((op) => (model.partitionByKey ? op.key : null)));
  for (const key of keys) {
    const part = ops.filter((op) => op.outcome !== "fail" && (model.partitionByKey ? op.key : null) === key);
    if (!partLinearizable(part, model, key)) return false;
  }
  return true;
}

function partLinearizable(ops: readonly Operation[], model: Model, key: string | null): boolean {
  const search = (done: ReadonlySet<number>, state: Value): boolean => {
    const required = ops.filter((op) => op.outcome === "ok" && !done.has(op.id));
    if (required.length === 0) return true;
    for (const op of ops) {
      if (done.has(op.id)) continue;
      // Real time: op can go next only if no undone op returned before op was called,
      // and (a pipelining process) no undone op of its process was called before it.
      if (ops.some((other) => other !== op && !done.has(other.id) && (other.ret < op.call || (other.process === op.process && other.call < op.call)))) continue;
      const next = model.step(state, op);
      if (next === undefined) continue;
      if (search(new Set([...done, op.id]), next)) return true;
    }
    // Unknown operations may also never happen: drop one that is blocking nothing in particular.
    for (const op of ops) {
      if (op.outcome !== "info" || done.has(op.id)) continue;
      if (search(new Set([...done, op.id]), state)) return true;
    }
    return false;
  };
  return search(new Set(), model.init(key));
}

/**
 * The Wing–Gong search in its plainest form, for histories too long for brute
 * force: entries in a linked list of objects, the set of linearized
 * operations as a string of 0s and 1s, the cache a Set of strings. Slow, and
 * too simple to be wrong in the ways the checker's compact sets could be.
 */
function plainSearch(ops: readonly Operation[], model: Model): boolean {
  interface Entry {
    readonly i: number;
    readonly call: boolean;
    prev: Entry | null;
    next: Entry | null;
    match: Entry | null;
  }
  const keys = new Set(ops.map((op) => (model.partitionByKey ? op.key : null)));
  for (const key of keys) {
    const part = ops.filter((op) => op.outcome !== "fail" && !(op.outcome === "info" && op.f === "read") && (model.partitionByKey ? op.key : null) === key);
    // Calls and returns (completed operations only) in history order, a return first at equal positions.
    const events = part.flatMap((op, i) => [{ i, at: op.call, call: true }, ...(op.outcome === "ok" ? [{ i, at: op.ret, call: false }] : [])]);
    events.sort((a, b) => a.at - b.at || (a.call === b.call ? a.i - b.i : a.call ? 1 : -1));
    const head: Entry = { i: -1, call: false, prev: null, next: null, match: null };
    const calls = new Map<number, Entry>();
    let last = head;
    for (const e of events) {
      const entry: Entry = { i: e.i, call: e.call, prev: last, next: null, match: null };
      last.next = entry;
      last = entry;
      if (e.call) calls.set(e.i, entry);
      else (calls.get(e.i) as Entry).match = entry;
    }
    const unlink = (x: Entry) => {
      (x.prev as Entry).next = x.next;
      if (x.next !== null) x.next.prev = x.prev;
    };
    const relink = (x: Entry) => {
      (x.prev as Entry).next = x;
      if (x.next !== null) x.next.prev = x;
    };
    const done = new Array<string>(part.length).fill("0");
    const seen = new Set<string>();
    const stack: { entry: Entry; state: Value }[] = [];
    let state = model.init(key);
    let okLeft = part.filter((op) => op.outcome === "ok").length;
    let entry = head.next;
    while (okLeft > 0) {
      if (entry === null) throw new Error("ran past the end");
      if (entry.call) {
        const next = model.step(state, part[entry.i] as Operation);
        if (next !== undefined) {
          done[entry.i] = "1";
          const mark = `${done.join("")}|${valueKey(next)}`;
          if (!seen.has(mark)) {
            seen.add(mark);
            stack.push({ entry, state });
            state = next;
            unlink(entry);
            if (entry.match !== null) {
              unlink(entry.match);
              okLeft--;
            }
            entry = head.next;
            continue;
          }
          done[entry.i] = "0";
        }
        entry = entry.next;
      } else {
        const top = stack.pop();
        if (top === undefined) return false;
        done[top.entry.i] = "0";
        state = top.state;
        if (top.entry.match !== null) {
          relink(top.entry.match);
          okLeft++;
        }
        relink(top.entry);
        entry = top.entry.next;
      }
    }
  }
  return true;
}

/** A random well-formed history: each step a process invokes, or completes its open operation. */
function historyArbitrary(model: ModelName): fc.Arbitrary<HistoryEvent[]> {
  const append = model === "kv-append";
  // kv-append: strings that appends extend, and a number that a write may store (an append to it cannot apply).
  const value = append ? fc.constantFrom<Json>("", "a", "b", "ab", 1) : fc.constantFrom<Json>(null, 0, 1, 2);
  const key = model === "kv" || append ? fc.constantFrom("x", "y") : fc.constant(null);
  const fs = model === "register" ? (["read", "write"] as const) : append ? (["read", "write", "append", "append"] as const) : (["read", "write", "cas"] as const);
  const step = fc.record({ process: fc.integer({ min: 0, max: 2 }), f: fc.constantFrom(...fs), key, value, other: value, outcome: fc.constantFrom("ok", "ok", "ok", "fail", "info") });
  return fc.array(step, { minLength: 1, maxLength: 14 }).map((steps) => {
    const events: HistoryEvent[] = [];
    const open = new Map<number, HistoryEvent>();
    const crashed = new Set<number>();
    for (const s of steps) {
      if (crashed.has(s.process)) continue;
      const invocation = open.get(s.process);
      if (invocation === undefined) {
        const input: Json = s.f === "read" ? null : s.f === "cas" ? [s.value, s.other] : s.f === "append" ? (s.value === 1 ? "b" : s.value) : s.value;
        const event: HistoryEvent = { process: s.process, type: "invoke", f: s.f, key: s.key, value: input };
        open.set(s.process, event);
        events.push(event);
      } else {
        const type = s.outcome as "ok" | "fail" | "info";
        events.push({ process: s.process, type, f: invocation.f, key: invocation.key, value: invocation.f === "read" ? (type === "ok" ? s.value : null) : invocation.value });
        open.delete(s.process);
        if (type === "info") crashed.add(s.process);
      }
    }
    return events;
  });
}

/**
 * Longer random histories than brute force can take: 5 clients over one
 * register with values 0 to 2, a client whose operation completes `info`
 * handing over to a new process; reads return a random value, but mostly
 * the last value whose write was invoked, so that many histories are
 * linearizable only through some reordering.
 */
function mediumHistoryArbitrary(): fc.Arbitrary<HistoryEvent[]> {
  const step = fc.record({ client: fc.integer({ min: 0, max: 4 }), f: fc.constantFrom("read", "read", "write", "cas"), a: fc.integer({ min: 0, max: 2 }), b: fc.integer({ min: 0, max: 2 }), outcome: fc.constantFrom("ok", "ok", "ok", "fail", "info"), stale: fc.integer({ min: 0, max: 5 }) });
  return fc.array(step, { minLength: 20, maxLength: 120 }).map((steps) => {
    const events: HistoryEvent[] = [];
    const process = [0, 1, 2, 3, 4];
    const open = new Map<number, HistoryEvent>();
    let last: Json = null;
    for (const s of steps) {
      const p = process[s.client] as number;
      const invocation = open.get(s.client);
      if (invocation === undefined) {
        const value: Json = s.f === "read" ? null : s.f === "cas" ? [s.a, s.b] : s.a;
        if (s.f === "write") last = s.a;
        const event: HistoryEvent = { process: p, type: "invoke", f: s.f, key: null, value };
        open.set(s.client, event);
        events.push(event);
        continue;
      }
      const type = s.outcome as "ok" | "fail" | "info";
      events.push({ process: p, type, f: invocation.f, key: null, value: invocation.f === "read" ? (type === "ok" ? (s.stale === 0 ? s.a : last) : null) : invocation.value });
      open.delete(s.client);
      if (type === "info") process[s.client] = p + 5;
    }
    return events;
  });
}

/**
 * Pipelining processes (ZooKeeper's asynchronous API): each process issues
 * operations without waiting for the ones before, which complete in any
 * order; an operation of unknown outcome does not end its process. Brute
 * force places a process's operations in call order, an unknown one left
 * out for ever once it is overtaken.
 */
function pipelinedArbitrary(): fc.Arbitrary<Operation[]> {
  const step = fc.record({
    process: fc.integer({ min: 0, max: 2 }),
    f: fc.constantFrom("read", "write", "write", "cas"),
    a: fc.integer({ min: 0, max: 2 }),
    b: fc.integer({ min: 0, max: 2 }),
    outcome: fc.constantFrom("ok", "ok", "ok", "fail", "info"),
    latency: fc.integer({ min: 0, max: 8 }),
  });
  return fc.array(step, { minLength: 1, maxLength: 11 }).map((steps) =>
    steps.map((s, id): Operation => ({
      id,
      process: s.process,
      f: s.f,
      key: null,
      input: s.f === "read" ? null : s.f === "cas" ? [s.a, s.b] : s.a,
      output: s.f === "read" && s.outcome === "ok" ? s.a : null,
      outcome: s.outcome as Operation["outcome"],
      call: 2 * id,
      ret: s.outcome === "info" ? Number.POSITIVE_INFINITY : 2 * id + 1 + 2 * s.latency,
    })),
  );
}

describe("the linearizability checker against brute force", () => {
  test("pipelined processes: same verdict as brute force on 3,000 random histories whose processes overlap their own operations (fast-check seed 106)", () => {
    const model = makeModel("cas-register");
    let linearizable = 0;
    let overlapping = 0;
    fc.assert(
      fc.property(pipelinedArbitrary(), (ops) => {
        const expected = bruteForce(ops, model);
        const result = checkLinearizable(ops, model);
        expect(result.verdict).toBe(expected ? "linearizable" : "not-linearizable");
        expect(checkLinearizable(ops, model, { hashBits: 1 }).verdict).toBe(result.verdict);
        if (expected) linearizable++;
        if (ops.some((op) => ops.some((other) => other.process === op.process && other.call > op.call && other.call < op.ret))) overlapping++;
      }),
      { seed: 106, numRuns: 3_000 },
    );
    expect(overlapping).toBeGreaterThan(1_500);
    expect(linearizable).toBeGreaterThan(300);
    expect(linearizable).toBeLessThan(2_700);
  });

  test("a pipelined process's writes take effect in issue order, and one of unknown outcome is never placed after a later one of its process", () => {
    const model = makeModel("register");
    const op = (id: number, process: number, f: string, value: Json, outcome: Operation["outcome"], call: number, ret: number): Operation => ({
      id, process, f, key: null, input: f === "read" ? null : value, output: f === "read" ? value : null, outcome, call, ret,
    });
    // write 1 and write 2 in flight together: read 1 after both is fine for two processes, not for one pipeline.
    const overlapped = (p: number, q: number) => [op(0, p, "write", 1, "ok", 0, 5), op(1, q, "write", 2, "ok", 1, 4), op(2, 9, "read", 1, "ok", 6, 7)];
    expect(checkLinearizable(overlapped(0, 1), model).verdict).toBe("linearizable");
    expect(checkLinearizable(overlapped(0, 0), model).verdict).toBe("not-linearizable");
    // write 1 of unknown outcome, then write 2 of its process: a later read of 1 would need write 1 after write 2.
    const unknownFirst = (p: number) => [op(0, 0, "write", 1, "info", 0, Number.POSITIVE_INFINITY), op(1, p, "write", 2, "ok", 1, 2), op(2, 9, "read", 1, "ok", 3, 4)];
    expect(checkLinearizable(unknownFirst(1), model).verdict).toBe("linearizable");
    expect(checkLinearizable(unknownFirst(0), model).verdict).toBe("not-linearizable");
  });

  test("a deep pipeline whose requests end in ConnectionLoss stays cheap: 2 sessions, 16 setData of unknown outcome each, decided in few steps (one process per operation: undecided)", () => {
    // The znode model: each setData that took effect raises the version, which later replies show.
    const model = makeModel("znode");
    const ops: Operation[] = [];
    const push = (process: number, f: string, input: Json, output: Json, outcome: Operation["outcome"], call: number, ret: number) =>
      ops.push({ id: ops.length, process, f, key: "/x", input, output, outcome, call, ret });
    push(9, "create", "v", null, "ok", 0, 1);
    for (let k = 0; k < 16; k++) for (let p = 0; p < 2; p++) push(p, "setData", [`${p}.${k}`, -1], null, "info", 10 + 2 * k + p, Number.POSITIVE_INFINITY);
    // Each session goes on after its ConnectionLoss; the versions its next writes get say that 12 of the 32 took effect.
    for (let p = 0; p < 2; p++) push(p, "setData", [`after ${p}`, -1], 13 + p, "ok", 200 + p, 300 + p);
    const result = checkLinearizable(ops, model, { stepsMax: 1_000_000 });
    expect(result.verdict).toBe("linearizable");
    expect(result.steps).toBeLessThan(100_000);
    // The same operations, each a process of its own (no order within a session): the budget runs out.
    const unordered = ops.map((op) => ({ ...op, process: 100 + op.id }));
    expect(checkLinearizable(unordered, model, { stepsMax: 1_000_000 }).verdict).toBe("unknown");
  });

  for (const [name, seed] of [["register", 101], ["cas-register", 102], ["kv", 103], ["kv-append", 104]] as const) {
    test(`${name}: same verdict on 1,500 random histories (fast-check seed ${seed})`, () => {
      const model = makeModel(name);
      let linearizable = 0;
      fc.assert(
        fc.property(historyArbitrary(name), (events) => {
          const ops = toOperations(events, "generated");
          const expected = bruteForce(ops, model);
          const result = checkLinearizable(ops, model);
          expect(result.verdict).toBe(expected ? "linearizable" : "not-linearizable");
          expect(checkLinearizable(ops, model, { hashBits: 1 }).verdict).toBe(result.verdict);
          if (expected) linearizable++;
        }),
        { seed, numRuns: 1_500 },
      );
      // Both verdicts occur often enough for the comparison to mean something.
      expect(linearizable).toBeGreaterThan(150);
      expect(linearizable).toBeLessThan(1_350);
    });
  }

  test("the same verdict as a plain Wing–Gong search on 300 histories of 150 operations of 6 processes, many of unknown outcome, half with one read changed", () => {
    const model = makeModel("cas-register");
    const verdicts = { linearizable: 0, "not-linearizable": 0, unknown: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      // A sixth, left unchanged, with many operations of unknown outcome (more than 32: their bits span words; with a
      // changed read, proving it not linearizable would take every subset of them).
      let events = casRegisterHistory({ operations: 150, processes: 6, seed, linearizable: true, infoPerMillion: seed % 6 === 3 ? 300_000 : 60_000 });
      if (seed % 2 === 0) {
        // Change one read's value: a value from 0 to 5 (5 was never written), at a read chosen by the seed.
        const reads = events.flatMap((e, k) => (e.type === "ok" && e.f === "read" ? [k] : []));
        const k = reads[(seed * 7919) % reads.length] as number;
        events = events.map((e, j) => (j === k ? { ...e, value: (seed * 31) % 6 } : e));
      }
      const ops = toOperations(events, `seed ${seed}`);
      const result = checkLinearizable(ops, model);
      verdicts[result.verdict]++;
      const expected = plainSearch(ops, model) ? "linearizable" : "not-linearizable";
      expect([seed, result.verdict]).toEqual([seed, expected]);
      // With 3 bits of hash, sets collide all the time: only the whole-set comparison keeps them apart.
      expect([seed, checkLinearizable(ops, model, { hashBits: 3 }).verdict]).toEqual([seed, expected]);
    }
    expect(verdicts.linearizable).toBeGreaterThan(100);
    expect(verdicts["not-linearizable"]).toBeGreaterThan(30);
  });

  test("the same verdict as a plain Wing–Gong search on 400 random histories of up to 120 events, 5 clients, a fifth of outcomes unknown (fast-check seed 105)", () => {
    const model = makeModel("cas-register");
    const verdicts = { linearizable: 0, "not-linearizable": 0, unknown: 0 };
    fc.assert(
      fc.property(mediumHistoryArbitrary(), (events) => {
        const ops = toOperations(events, "generated");
        const result = checkLinearizable(ops, model);
        verdicts[result.verdict]++;
        const expected = plainSearch(ops, model) ? "linearizable" : "not-linearizable";
        expect(result.verdict).toBe(expected);
        expect(checkLinearizable(ops, model, { hashBits: 2 }).verdict).toBe(expected);
      }),
      { seed: 105, numRuns: 400 },
    );
    expect(verdicts.linearizable).toBeGreaterThan(40);
    expect(verdicts["not-linearizable"]).toBeGreaterThan(40);
  });

  test("a counterexample names the longest linearizable prefix and the operations that cannot follow it", () => {
    const events: HistoryEvent[] = [
      { process: 0, type: "invoke", f: "write", key: null, value: 1 },
      { process: 0, type: "ok", f: "write", key: null, value: 1 },
      { process: 1, type: "invoke", f: "read", key: null, value: null },
      { process: 1, type: "ok", f: "read", key: null, value: 2 },
    ];
    const result = checkLinearizable(toOperations(events, "t"), makeModel("register"));
    expect(result.verdict).toBe("not-linearizable");
    expect(result.counterexample).toMatchObject({ key: null, prefix: [{ text: "p0 write 1" }], state: 1, stuck: [{ text: "p1 read → 2" }] });
  });

  test("a step budget gives unknown, never a hang", () => {
    const events: HistoryEvent[] = [];
    for (let p = 0; p < 12; p++) events.push({ process: p, type: "invoke", f: "write", key: null, value: p });
    for (let p = 0; p < 12; p++) events.push({ process: p, type: "ok", f: "write", key: null, value: p });
    events.push({ process: 99, type: "invoke", f: "read", key: null, value: null }, { process: 99, type: "ok", f: "read", key: null, value: 42 });
    const result = checkLinearizable(toOperations(events, "t"), makeModel("register"), { stepsMax: 1_000 });
    expect(result.verdict).toBe("unknown");
    expect(result.reason).toMatch(/steps/);
  });
});

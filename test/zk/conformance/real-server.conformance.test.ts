import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OPEN_ACL, READ_ACL, type Acl, type CreateMode, type MultiOp, type Stat, type ZkOp, type ZkReply, type ZnodeData } from "../../../src/zk/types.ts";
import { generateDigestId } from "../../../src/zk/index.ts";
import { compareTraces } from "./compare.ts";
import { RealZkExecutor } from "./real-executor.ts";
import { SimZkExecutor } from "./sim-executor.ts";
import { locateZooKeeper, startRealServer, type RealServer } from "./real-server.ts";
import { generateSequences, TTL_MS_LONG, type OpSequence, type SequenceShape, type SequenceStep } from "./sequence.ts";
import { eventCount, normalizeTrace, opCount, replyZxidCount, runSequence, type RawTrace, type Trace, type TraceStep } from "./trace.ts";
import type { ObservedEvent } from "./executor.ts";
import { accountForEvents } from "./watch-ledger.ts";

/**
 * Conformance against a real Apache ZooKeeper 3.8 server (Debian's package
 * `zookeeper`), started here on 127.0.0.1 with a throw-away data directory.
 *
 * 1. Generated sequences run twice, each under its own fresh root, and the two
 *    normalized traces must be identical: this proves that the normalization
 *    removes everything that differs between two correct runs, so that a
 *    difference against zksim later means a difference in behaviour.
 * 2. Hand-written sequences pin the server's answers to the values in
 *    ../shared/zk-semantics.md (§3, §4, §6, §7, §8, §10).
 *
 * ZK_CONFORMANCE_SEQUENCES sets the number of generated sequences per shape
 * (default 60) for a longer run; ZK_CONFORMANCE_SEED shifts their seeds.
 */

const install = locateZooKeeper();
const inCi = process.env["CI"] !== undefined && process.env["CI"] !== "";
if (!install.found && !inCi) console.warn(`[conformance] skipping the real-server suite: ${install.reason}`);

const SEQUENCE_COUNT = sequenceCount(process.env["ZK_CONFORMANCE_SEQUENCES"]);
/** ZK_CONFORMANCE_SEED shifts the generators' seeds, for longer runs over other sequences. */
const SEED_SHIFT = seedShift(process.env["ZK_CONFORMANCE_SEED"]);
const SHAPES: readonly { readonly label: string; readonly seed: number; readonly shape: SequenceShape }[] = [
  { label: "one session", seed: 20_250_101 + SEED_SHIFT, shape: { sessionCount: 1, stepCountMin: 10, stepCountMax: 60 } },
  { label: "three sessions", seed: 20_250_103 + SEED_SHIFT, shape: { sessionCount: 3, stepCountMin: 20, stepCountMax: 80 } },
];

function seedShift(value: string | undefined): number {
  if (value === undefined) return 0;
  const shift = Number(value);
  if (!Number.isInteger(shift) || shift < 0) throw new Error(`ZK_CONFORMANCE_SEED must be a non-negative integer, got ${JSON.stringify(value)}`);
  return shift;
}

function sequenceCount(value: string | undefined): number {
  if (value === undefined) return 60;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new Error(`ZK_CONFORMANCE_SEQUENCES must be a positive integer, got ${JSON.stringify(value)}`);
  return count;
}

/** Runs a sequence on a fresh simulated cluster; every run of zksim uses the same root. */
async function runSim(sequence: OpSequence, serverCount: number, seed: number): Promise<Trace> {
  const executor = new SimZkExecutor({ serverCount, sessionCountMax: sequence.sessionCount + 1, seed });
  return normalizeTrace(await runSequence(executor, sequence, "/conformance"));
}

describe.skipIf(!install.found && !inCi)("zksim against a real ZooKeeper 3.8 server", () => {
  let server: RealServer | undefined;
  let startError: Error | undefined;
  let rootIndex = 0;
  const totals = { sequences: 0, ops: 0, simSequences: 0, simOps: 0, simEvents: 0, simZxids: 0 };

  // A server that is missing (in CI) or does not start fails every test, not only the hook, so that
  // the failure shows in the failed-test count.
  beforeAll(async () => {
    if (!install.found) {
      startError = new Error(`CI must run the conformance suite against a real ZooKeeper server, and none was found: ${install.reason}`);
      return;
    }
    try {
      server = await startRealServer(install);
    } catch (error) {
      startError = error as Error;
    }
  }, 60_000);

  function liveServer(): RealServer {
    if (server === undefined) throw startError ?? new Error("the ZooKeeper server did not start");
    return server;
  }

  afterAll(async () => {
    await server?.stop();
    if (totals.sequences > 0) console.log(`[conformance] real server: ${totals.sequences} generated sequences, ${totals.ops} operations, each run twice and compared`);
    if (totals.simSequences > 0) {
      console.log(
        `[conformance] zksim against the real server: ${totals.simSequences} sequence runs, ${totals.simOps} operations, ${totals.simEvents} watch events and ${totals.simZxids} reply zxids compared (1 and 3 servers)`,
      );
    }
  });

  /** Runs a sequence under a fresh root, with its own sessions. */
  async function runRaw(sequence: OpSequence): Promise<RawTrace> {
    const executor = new RealZkExecutor(liveServer().connectString);
    try {
      return await runSequence(executor, sequence, `/conformance-${rootIndex++}`);
    } finally {
      await executor.dispose();
    }
  }

  function tallySim(sim: Trace): void {
    totals.simSequences += 1;
    totals.simOps += opCount(sim);
    totals.simEvents += eventCount(sim);
    totals.simZxids += replyZxidCount(sim);
  }

  async function runReal(sequence: OpSequence): Promise<Trace> {
    return normalizeTrace(await runRaw(sequence));
  }

  /**
   * The hand-written cases: the real server's trace, which the test then pins
   * to zk-semantics.md, after checking that zksim gives the same trace with
   * one server and with three.
   */
  async function run(sequence: OpSequence): Promise<Trace> {
    const real = await runReal(sequence);
    for (const serverCount of [1, 3]) {
      const sim = await runSim(sequence, serverCount, 1);
      const difference = compareTraces(real, sim, ["real ZooKeeper", `zksim, ${serverCount} server(s)`]);
      if (difference !== null) expect.fail(`${difference.message}\nsequence: ${JSON.stringify(sequence)}`);
      expect(sim.anomalies, sequence.name).toEqual([]);
      tallySim(sim);
    }
    return real;
  }

  test("is installed, starts, and is version 3.8", () => {
    expect(liveServer().version).toMatch(/^3\.8\./);
  });

  for (const { label, seed, shape } of SHAPES) {
    test(`generated sequences with ${label} (seed ${seed}): the real server gives identical normalized traces twice, and zksim gives the same`, async () => {
      const sequences = generateSequences(seed, SEQUENCE_COUNT, shape);
      const outcomes = new Map<string, number>();
      for (const [index, sequence] of sequences.entries()) {
        const first = await runReal(sequence);
        const second = await runReal(sequence);
        const difference = compareTraces(first, second, ["first run", "second run"]);
        if (difference !== null) expect.fail(`${difference.message}\nsequence: ${JSON.stringify(sequence)}`);
        expect(first.anomalies, sequence.name).toEqual([]);
        for (const serverCount of [1, 3]) {
          const simSeed = seed + index;
          const sim = await runSim(sequence, serverCount, simSeed);
          const against = compareTraces(first, sim, ["real ZooKeeper", `zksim, ${serverCount} server(s), engine seed ${simSeed}`]);
          if (against !== null) expect.fail(`${against.message}\nsequence: ${JSON.stringify(sequence)}`);
          expect(sim.anomalies, sequence.name).toEqual([]);
          tallySim(sim);
        }
        totals.sequences += 1;
        totals.ops += opCount(first);
        tallyOutcomes(first, outcomes);
      }
      const tally = [...outcomes.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`);
      console.log(`[conformance] ${label}: ${sequences.length} sequences; outcomes: ${tally.join(", ")}`);
      // Sometimes-properties: the sequences reached the interesting cases.
      for (const outcome of ["BadVersion", "NoNode", "NodeExists", "NotEmpty", "NoChildrenForEphemerals", "InvalidACL", "multi failed", "multi ok", "watch event", "one-shot watch used up", "persistent watch event", "sequential name"]) {
        expect(outcomes.get(outcome) ?? 0, `no generated step gave ${outcome}`).toBeGreaterThan(0);
      }
      if (shape.sessionCount > 1) expect(outcomes.get("SessionExpired") ?? 0, "no op ran on a closed session").toBeGreaterThan(0);
    }, 120_000);
  }

  describe("matches zk-semantics.md", () => {
    test("§6: a failing multi changes nothing, its op and the ones after fail, the ones before say OK", async () => {
      const t = await run(
        hand(1, [
          create("/m", "PERSISTENT"),
          multi([mCreate("/m/1"), { op: "setData", path: "/m", data: "x", version: 5 }, mCreate("/m/2"), { op: "delete", path: "/missing", version: -1 }]),
          multi([{ op: "check", path: "/missing", version: -1 }, mCreate("/m/3")]),
          multi([mCreate("/m"), { op: "delete", path: "/missing", version: -1 }]),
          { kind: "op", session: 0, op: { op: "getChildren", path: "/m", watch: false, withStat: true } },
        ]),
      );
      expect(reply(t, 1)).toEqual({ ok: false, err: "BadVersion", results: errors("OK", "BadVersion", "RuntimeInconsistency", "RuntimeInconsistency") });
      expect(reply(t, 2)).toEqual({ ok: false, err: "NoNode", results: errors("NoNode", "RuntimeInconsistency") });
      expect(reply(t, 3)).toEqual({ ok: false, err: "NodeExists", results: errors("NodeExists", "RuntimeInconsistency") });
      expect(reply(t, 4)).toMatchObject({ ok: true, result: { children: [], stat: { cversion: 0, numChildren: 0, version: 0 } } });
    });

    test("§6: a multi sees its own earlier ops, shares one zxid, and plain creates in it return no Stat", async () => {
      const t = await run(hand(1, [multi([mCreate("/m"), mCreate("/m/a"), { op: "setData", path: "/m", data: "d", version: 0 }, { op: "delete", path: "/m/a", version: 0 }, mCreate("/c", "CONTAINER")])]));
      const r = reply(t, 0);
      if (!r.ok || r.result.op !== "multi") return expect.fail(JSON.stringify(r));
      const [m, a, set, del, container] = r.result.results;
      expect([m, a, del]).toEqual([{ type: "create", path: "/m", stat: null }, { type: "create", path: "/m/a", stat: null }, { type: "delete" }]);
      const setStat = (set as { stat: Stat }).stat;
      expect(setStat).toMatchObject({ version: 1, cversion: 1, numChildren: 1, dataLength: 1 }); // /m/a is deleted only after
      expect(setStat.czxid).toBe(setStat.mzxid); // one zxid for the whole multi
      expect(setStat.ctime).toBe(setStat.mtime);
      expect(container).toMatchObject({ type: "create", path: "/c", stat: { czxid: setStat.czxid, ephemeralOwner: 0 } });
    });

    test("§10: sequential names come from the parent's create counter; 4 creates and a delete give cversion 5", async () => {
      const t = await run(
        hand(1, [
          create("/s", "PERSISTENT"),
          create("/s/n", "PERSISTENT_SEQUENTIAL"),
          create("/s/n", "EPHEMERAL_SEQUENTIAL"),
          create("/s/n", "PERSISTENT_SEQUENTIAL"),
          create("/s/x", "PERSISTENT"),
          { kind: "op", session: 0, op: { op: "delete", path: "/s/n0000000001", version: -1 } },
          { kind: "op", session: 0, op: { op: "exists", path: "/s", watch: false } },
          create("/s/n", "PERSISTENT_SEQUENTIAL"),
          create("/s/", "PERSISTENT_SEQUENTIAL"),
        ]),
      );
      expect([1, 2, 3, 7, 8].map((i) => (reply(t, i) as { result: { path: string } }).result.path)).toEqual([
        "/s/n0000000000",
        "/s/n0000000001",
        "/s/n0000000002",
        "/s/n0000000004",
        "/s/0000000005",
      ]);
      expect(stat(reply(t, 6))).toMatchObject({ cversion: 5, numChildren: 3 });
    });

    test("§10: create2 returns the new Stat; the parent's pzxid moves and its mzxid does not", async () => {
      const t = await run(hand(1, [create("/t", "PERSISTENT", "abc"), create("/t/c", "PERSISTENT"), { kind: "op", session: 0, op: { op: "exists", path: "/t", watch: false } }]));
      const own = stat(reply(t, 0));
      expect(own).toMatchObject({ version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 3, numChildren: 0 });
      expect([own.mzxid, own.pzxid, own.mtime]).toEqual([own.czxid, own.czxid, own.ctime]);
      const child = stat(reply(t, 1));
      expect(stat(reply(t, 2))).toMatchObject({ czxid: own.czxid, mzxid: own.czxid, pzxid: child.czxid, cversion: 1, numChildren: 1 });
    });

    test("§10: setData bumps version and mzxid/mtime only; stale or -2 versions are BadVersion; a missing node is NoNode", async () => {
      const t = await run(
        hand(1, [
          create("/d", "PERSISTENT", "a"),
          setData("/d", "b", -1),
          setData("/d", "c", 1),
          setData("/d", "d", 1),
          setData("/d", "e", -2),
          setData("/missing", "f", 5),
        ]),
      );
      const created = stat(reply(t, 0));
      const [v1, v2] = [stat(reply(t, 1)), stat(reply(t, 2))];
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v2).toMatchObject({ czxid: created.czxid, pzxid: created.pzxid, ctime: created.ctime });
      expect(v2.mzxid).toBeGreaterThan(v1.mzxid);
      expect(v2.mtime).not.toBe(v2.ctime);
      expect([reply(t, 3), reply(t, 4), reply(t, 5)]).toEqual([
        { ok: false, err: "BadVersion" },
        { ok: false, err: "BadVersion" },
        { ok: false, err: "NoNode" },
      ]);
    });

    test("§5/§10: deleting a non-empty node is NotEmpty, but a wrong version wins as BadVersion", async () => {
      const t = await run(hand(1, [create("/p", "PERSISTENT"), create("/p/c", "PERSISTENT"), del("/p", -1), del("/p", 99), del("/missing", -1)]));
      expect([reply(t, 2), reply(t, 3), reply(t, 4)]).toEqual([
        { ok: false, err: "NotEmpty" },
        { ok: false, err: "BadVersion" },
        { ok: false, err: "NoNode" },
      ]);
    });

    test("§4/§10: nothing can be created under an ephemeral; containers and TTL nodes report owner 0", async () => {
      const t = await run(
        hand(1, [
          create("/e", "EPHEMERAL"),
          create("/e/c", "PERSISTENT"),
          create("/e/c", "EPHEMERAL_SEQUENTIAL"),
          create("/box", "CONTAINER"),
          { kind: "op", session: 0, op: { op: "create", path: "/ttl", data: null, acl: OPEN_ACL, mode: "PERSISTENT_WITH_TTL", ttlMs: TTL_MS_LONG } },
          create("/box/e", "EPHEMERAL"),
        ]),
      );
      expect(stat(reply(t, 0)).ephemeralOwner).toBe(1); // session 0
      expect([reply(t, 1), reply(t, 2)]).toEqual([
        { ok: false, err: "NoChildrenForEphemerals" },
        { ok: false, err: "NoChildrenForEphemerals" },
      ]);
      expect([stat(reply(t, 3)).ephemeralOwner, stat(reply(t, 4)).ephemeralOwner, stat(reply(t, 5)).ephemeralOwner]).toEqual([0, 0, 1]);
    });

    test("§3/§10: a failed create and a failed multi each use a zxid; reads use none", async () => {
      const t = await run(
        hand(1, [
          create("/z1", "PERSISTENT"),
          create("/z1", "PERSISTENT"),
          create("/z2", "PERSISTENT"),
          multi([mCreate("/z9"), mCreate("/z2")]),
          create("/z3", "PERSISTENT"),
          { kind: "op", session: 0, op: { op: "getData", path: "/z3", watch: false } },
          create("/z4", "PERSISTENT"),
        ]),
      );
      // Normalized zxids keep the gaps: session 0's createSession is 1, the observer's 2, the root's create 3.
      expect([0, 2, 4, 6].map((i) => stat(reply(t, i)).czxid)).toEqual([4, 6, 8, 9]);
    });

    test("§3: every reply header carries the server's last zxid: a write's own, failed or not (BadArguments included); a read's or sync's, the last one; createSession and closeSession take one each", async () => {
      const t = await run(
        hand(2, [
          create("/z", "PERSISTENT"),
          create("/z", "PERSISTENT"),
          { kind: "op", session: 1, op: { op: "getData", path: "/z", watch: false } },
          setData("/z", "x", 7),
          multi([mCreate("/z9"), mCreate("/z")]),
          create("/z/", "PERSISTENT"),
          { kind: "op", session: 0, op: { op: "sync", path: "/z" } },
          { kind: "op", session: 1, op: { op: "exists", path: "/z", watch: true } },
          setData("/z", "y", -1),
          { kind: "close", session: 1 },
          create("/y", "PERSISTENT"),
        ]),
      );
      // createSession of sessions 0 and 1 and the observer, then the root's create.
      expect(t.setupZxids).toEqual([1, 2, 3, 4, 4, 4]);
      expect(t.steps.map((s) => s.reply?.ok ?? "close")).toEqual([true, false, true, false, false, false, true, true, true, "close", true, "close", "close"]);
      // The last two steps close session 0 (a closeSession txn) and session 1 again (nothing is sent).
      expect(t.steps.map((s) => s.zxid)).toEqual([5, 6, 6, 7, 8, 9, 9, 9, 10, 11, 12, 13, null]);
      expect(t.steps[8]?.barriers).toEqual([{ session: 1, zxid: 10 }]); // the other session's sync sees the same last zxid
      expect(stat(reply(t, 10)).czxid).toBe(12);
    });

    test("§7/§10: a getData watch fires once for two setData (one notification on the wire), and before the reply of the write that fired it", async () => {
      const t = await run(hand(1, [create("/w", "PERSISTENT"), { kind: "op", session: 0, op: { op: "getData", path: "/w", watch: true } }, setData("/w", "1", -1), setData("/w", "2", -1)]));
      expect(t.steps.map((s) => eventsOf(s, 0))).toEqual([[], [], [{ type: "NodeDataChanged", path: "/w" }], [], []]);
    });

    test("§7/§10: an exists watch on a missing node gets NodeCreated, then the parent's child watch NodeChildrenChanged, in another session", async () => {
      const t = await run(
        hand(2, [
          create("/p", "PERSISTENT"),
          { kind: "op", session: 1, op: { op: "exists", path: "/p/x", watch: true } },
          { kind: "op", session: 1, op: { op: "getChildren", path: "/p", watch: true, withStat: false } },
          create("/p/x", "PERSISTENT"),
          { kind: "op", session: 1, op: { op: "sync", path: "/p" } },
        ]),
      );
      expect(eventsOf(t.steps[3], 1)).toEqual([
        { type: "NodeCreated", path: "/p/x" },
        { type: "NodeChildrenChanged", path: "/p" },
      ]);
    });

    test("§7: one-shot watches send one notification each on the wire: an exists watch on a missing node for its create (not its delete), a child watch for the first of two child changes", async () => {
      const t = await run(
        hand(2, [
          create("/p", "PERSISTENT"),
          { kind: "op", session: 1, op: { op: "exists", path: "/p/x", watch: true } },
          { kind: "op", session: 1, op: { op: "getChildren", path: "/p", watch: true, withStat: false } },
          create("/p/x", "PERSISTENT"),
          del("/p/x", -1),
          create("/p/x", "PERSISTENT"),
          setData("/p/x", "1", -1),
        ]),
      );
      expect(t.steps.slice(3, 7).map((s) => eventsOf(s, 1))).toEqual([
        [
          { type: "NodeCreated", path: "/p/x" },
          { type: "NodeChildrenChanged", path: "/p" },
        ],
        [],
        [],
        [],
      ]);
    });

    test("§7: watches on one node collapse: getData+exists give one NodeDataChanged; data+child watches give one NodeDeleted", async () => {
      const t = await run(
        hand(1, [
          create("/w", "PERSISTENT"),
          { kind: "op", session: 0, op: { op: "getData", path: "/w", watch: true } },
          { kind: "op", session: 0, op: { op: "exists", path: "/w", watch: true } },
          setData("/w", "1", -1),
          { kind: "op", session: 0, op: { op: "getData", path: "/w", watch: true } },
          { kind: "op", session: 0, op: { op: "getChildren", path: "/w", watch: true, withStat: false } },
          { kind: "op", session: 0, op: { op: "getData", path: "/nope", watch: true } },
          del("/w", -1),
          create("/nope", "PERSISTENT"),
        ]),
      );
      expect(t.steps.map((s) => eventsOf(s, 0))).toEqual([[], [], [], [{ type: "NodeDataChanged", path: "/w" }], [], [], [], [{ type: "NodeDeleted", path: "/w" }], [], []]);
    });

    test("§8/§10: closing a session deletes all its ephemerals in one txn; others see the events; the closed session gets SessionExpired", async () => {
      const t = await run(
        hand(2, [
          create("/e", "PERSISTENT"),
          create("/f", "PERSISTENT"),
          create("/e/1", "EPHEMERAL"),
          create("/f/1", "EPHEMERAL_SEQUENTIAL"),
          { kind: "op", session: 0, op: { op: "getEphemerals", prefix: "/" } },
          { kind: "op", session: 1, op: { op: "exists", path: "/e/1", watch: true } },
          { kind: "op", session: 1, op: { op: "getChildren", path: "/f", watch: true, withStat: false } },
          { kind: "close", session: 0 },
          { kind: "op", session: 0, op: { op: "exists", path: "/e", watch: false } },
          { kind: "op", session: 1, op: { op: "exists", path: "/e", watch: false } },
          { kind: "op", session: 1, op: { op: "exists", path: "/f", watch: false } },
          { kind: "op", session: 0, op: { op: "removeWatches", path: "/e", type: "Any" } },
        ]),
      );
      expect(reply(t, 4)).toEqual({ ok: true, result: { op: "getEphemerals", paths: ["/e/1", "/f/10000000000"] } });
      expect(reply(t, 11)).toEqual({ ok: false, err: "SessionExpired" }); // even a call the client could answer locally
      expect(reply(t, 8)).toEqual({ ok: false, err: "SessionExpired" });
      expect(eventsOf(t.steps[7], 1)).toEqual([
        { type: "NodeDeleted", path: "/e/1" },
        { type: "NodeChildrenChanged", path: "/f" },
      ]);
      const [e, f] = [stat(reply(t, 9)), stat(reply(t, 10))];
      expect(e.pzxid).toBe(f.pzxid); // one closeSession txn
      expect([e.numChildren, f.numChildren, e.cversion, f.cversion]).toEqual([0, 0, 2, 2]);
    });

    test("§5: getAllChildrenNumber counts all descendants; getEphemerals is the caller's, by string prefix; sync echoes a missing path", async () => {
      const t = await run(
        hand(2, [
          create("/a", "PERSISTENT"),
          create("/a/b", "PERSISTENT"),
          create("/a/b/c", "PERSISTENT"),
          create("/ex", "EPHEMERAL"),
          create("/e", "EPHEMERAL", null, 1),
          { kind: "op", session: 0, op: { op: "getAllChildrenNumber", path: "/" } },
          { kind: "op", session: 0, op: { op: "getAllChildrenNumber", path: "/a/b/c" } },
          { kind: "op", session: 0, op: { op: "getAllChildrenNumber", path: "/missing" } },
          { kind: "op", session: 0, op: { op: "getEphemerals", prefix: "/e" } },
          { kind: "op", session: 1, op: { op: "getEphemerals", prefix: "/e" } },
          { kind: "op", session: 0, op: { op: "sync", path: "/missing" } },
        ]),
      );
      expect(t.steps.slice(5, 11).map((s) => s.reply)).toEqual([
        { ok: true, result: { op: "getAllChildrenNumber", count: 5 } },
        { ok: true, result: { op: "getAllChildrenNumber", count: 0 } },
        { ok: false, err: "NoNode" },
        { ok: true, result: { op: "getEphemerals", paths: ["/ex"] } },
        { ok: true, result: { op: "getEphemerals", paths: ["/e"] } },
        { ok: true, result: { op: "sync", path: "/missing" } },
      ]);
    });

    test("§2/§10: /zookeeper has zero zxids, cversion -2 and the children config and quota; getData of a missing node is NoNode, exists is null", async () => {
      const t = await run(
        hand(1, [
          { kind: "op", session: 0, op: { op: "getChildren", path: "/zookeeper", watch: false, withStat: true } },
          { kind: "op", session: 0, op: { op: "getAllChildrenNumber", path: "/zookeeper" } },
          { kind: "op", session: 0, op: { op: "getData", path: "/missing", watch: false } },
          { kind: "op", session: 0, op: { op: "exists", path: "/missing", watch: false } },
          { kind: "op", session: 0, op: { op: "getChildren", path: "/", watch: false, withStat: true } },
        ]),
      );
      expect(reply(t, 0)).toEqual({
        ok: true,
        result: {
          op: "getChildren",
          children: ["config", "quota"],
          stat: { czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: -2, aversion: 0, ephemeralOwner: 0, dataLength: 0, numChildren: 2 },
        },
      });
      expect(t.steps.slice(1, 4).map((s) => s.reply)).toEqual([
        { ok: true, result: { op: "getAllChildrenNumber", count: 2 } },
        { ok: false, err: "NoNode" },
        { ok: true, result: { op: "exists", stat: null } },
      ]);
      // The fresh root (a created node, unlike the server's /) has cversion 0.
      expect(stat(reply(t, 4))).toMatchObject({ cversion: 0, numChildren: 0 });
    });

    test("§2: the server's own nodes cannot be deleted or re-created; /zookeeper/config is read-only, empty, with aversion -1", async () => {
      const t = await run(
        hand(1, [
          del("/zookeeper", -1),
          del("/zookeeper/quota", -1),
          create("/zookeeper", "PERSISTENT"),
          setData("/zookeeper/config", "x", -1),
          { kind: "op", session: 0, op: { op: "getACL", path: "/zookeeper/config" } },
          { kind: "op", session: 0, op: { op: "getData", path: "/zookeeper/config", watch: false } },
        ]),
      );
      expect(t.steps.slice(0, 4).map((s) => s.reply)).toEqual([
        { ok: false, err: "BadArguments" },
        { ok: false, err: "BadArguments" },
        { ok: false, err: "NodeExists" },
        { ok: false, err: "NoAuth" },
      ]);
      expect(reply(t, 4)).toMatchObject({ ok: true, result: { acl: [{ perms: 1, scheme: "world", id: "anyone" }] } });
      // Not in zk-semantics.md: the config node's aversion is -1 (it is created with setACL version -1).
      expect(reply(t, 5)).toMatchObject({ ok: true, result: { data: "", stat: { aversion: -1, version: 0, numChildren: 0 } } });
    });

    test("§2/§5: server-side path checks: a trailing slash is BadArguments for create, NUL is BadArguments for exists", async () => {
      const t = await run(
        hand(1, [
          create("/p", "PERSISTENT"),
          create("/p/", "PERSISTENT"),
          { kind: "op", session: 0, op: { op: "exists", path: "/a\u0000b", watch: false } },
          create("/missing/", "PERSISTENT"),
        ]),
      );
      expect(t.steps.slice(1, 4).map((s) => s.reply)).toEqual([
        { ok: false, err: "BadArguments" },
        { ok: false, err: "BadArguments" },
        { ok: false, err: "NoNode" }, // the parent check comes before the name check
      ]);
    });

    test("§4: TTL arguments: a ttl with a non-TTL mode or a ttl of 0 is BadArguments; a sequential TTL node gets a suffix", async () => {
      const ttlCreate = (path: string, mode: CreateMode, ttlMs: number): SequenceStep => ({ kind: "op", session: 0, op: { op: "create", path, data: null, acl: OPEN_ACL, mode, ttlMs } });
      const t = await run(hand(1, [ttlCreate("/t", "PERSISTENT", 1_000), ttlCreate("/t", "PERSISTENT_WITH_TTL", 0), ttlCreate("/t", "PERSISTENT_SEQUENTIAL_WITH_TTL", TTL_MS_LONG)]));
      expect([reply(t, 0), reply(t, 1)]).toEqual([
        { ok: false, err: "BadArguments" },
        { ok: false, err: "BadArguments" },
      ]);
      expect(reply(t, 2)).toMatchObject({ ok: true, result: { path: "/t0000000000", stat: { ephemeralOwner: 0 } } });
    });

    test("§5: ACLs: an empty ACL is InvalidACL; setACL bumps aversion and checks it; an auth ACL becomes the caller's digest id; exists skips the ACL check", async () => {
      const acl = (path: string, entries: Acl[], version: number): SequenceStep => ({ kind: "op", session: 0, op: { op: "setACL", path, acl: entries, version } });
      const t = await run(
        hand(2, [
          { kind: "op", session: 0, op: { op: "create", path: "/x", data: null, acl: [], mode: "PERSISTENT" } },
          { kind: "op", session: 0, op: { op: "create", path: "/r", data: null, acl: READ_ACL, mode: "PERSISTENT" } },
          setData("/r", "x", -1),
          acl("/r", [...OPEN_ACL], -1),
          create("/p", "PERSISTENT"),
          acl("/p", [...OPEN_ACL], 0),
          acl("/p", [...OPEN_ACL], 0),
          acl("/p", [], -1),
          { kind: "op", session: 0, op: { op: "addAuth", scheme: "digest", auth: "u:p" } },
          { kind: "op", session: 0, op: { op: "create", path: "/d", data: null, acl: [{ perms: 31, scheme: "auth", id: "" }], mode: "PERSISTENT" } },
          { kind: "op", session: 0, op: { op: "getACL", path: "/d" } },
          { kind: "op", session: 1, op: { op: "getData", path: "/d", watch: false } },
          { kind: "op", session: 1, op: { op: "exists", path: "/d", watch: false } },
        ]),
      );
      expect([0, 2, 3].map((i) => reply(t, i))).toEqual([
        { ok: false, err: "InvalidACL" },
        { ok: false, err: "NoAuth" },
        { ok: false, err: "NoAuth" },
      ]);
      expect(stat(reply(t, 5)).aversion).toBe(1);
      expect([reply(t, 6), reply(t, 7)]).toEqual([
        { ok: false, err: "BadVersion" },
        { ok: false, err: "InvalidACL" },
      ]);
      expect(reply(t, 10)).toMatchObject({ ok: true, result: { acl: [{ perms: 31, scheme: "digest", id: "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ=" }] } });
      expect(reply(t, 11)).toEqual({ ok: false, err: "NoAuth" });
      expect(reply(t, 12)).toMatchObject({ ok: true, result: { op: "exists" } });
    });

    test("§7/§10: persistent and recursive watches (addWatch, even on missing paths): which changes they report", async () => {
      const t = await run(
        hand(2, [
          { kind: "op", session: 0, op: { op: "addWatch", path: "/p", mode: "PERSISTENT" } },
          { kind: "op", session: 0, op: { op: "addWatch", path: "/r", mode: "PERSISTENT_RECURSIVE" } },
          create("/p", "PERSISTENT", null, 1),
          { kind: "op", session: 1, op: { op: "setData", path: "/p", data: "1", version: -1 } },
          create("/p/c", "PERSISTENT", null, 1),
          { kind: "op", session: 1, op: { op: "setData", path: "/p/c", data: "1", version: -1 } },
          create("/r", "PERSISTENT", null, 1),
          create("/r/a", "PERSISTENT", null, 1),
          { kind: "op", session: 1, op: { op: "setData", path: "/r/a", data: "z", version: -1 } },
          { kind: "op", session: 1, op: { op: "delete", path: "/r/a", version: -1 } },
        ]),
      );
      expect(t.steps.slice(2, 10).map((s) => eventsOf(s, 0))).toEqual([
        [{ type: "NodeCreated", path: "/p" }],
        [{ type: "NodeDataChanged", path: "/p" }],
        [{ type: "NodeChildrenChanged", path: "/p" }],
        [],
        [{ type: "NodeCreated", path: "/r" }],
        [{ type: "NodeCreated", path: "/r/a" }],
        [{ type: "NodeDataChanged", path: "/r/a" }],
        [{ type: "NodeDeleted", path: "/r/a" }],
      ]);
    });

    test("§7: an event goes only to a watcher with READ on the node (the parent's for NodeChildrenChanged); the watch is used up all the same", async () => {
      const digestAll: Acl[] = [{ perms: 31, scheme: "digest", id: generateDigestId("u:p") }];
      const t = await run(
        hand(2, [
          create("/w", "PERSISTENT"),
          { kind: "op", session: 1, op: { op: "getChildren", path: "/w", watch: true, withStat: false } },
          { kind: "op", session: 0, op: { op: "addAuth", scheme: "digest", auth: "u:p" } },
          { kind: "op", session: 0, op: { op: "setACL", path: "/w", acl: digestAll, version: -1 } },
          create("/w/a", "PERSISTENT"),
          { kind: "op", session: 0, op: { op: "setACL", path: "/w", acl: OPEN_ACL, version: -1 } },
          create("/w/b", "PERSISTENT"),
        ]),
      );
      expect(reply(t, 4)).toMatchObject({ ok: true });
      expect(eventsOf(t.steps[4], 1)).toEqual([]); // filtered: session 1 cannot read /w
      expect(eventsOf(t.steps[6], 1)).toEqual([]); // and its one-shot watch is gone
    });

    test("§5/§7: removeWatches is NoWatcher when the connection holds no watch of that type", async () => {
      const remove = (path: string, type: "Data" | "Children" | "Any"): SequenceStep => ({ kind: "op", session: 0, op: { op: "removeWatches", path, type } });
      const t = await run(hand(1, [create("/w", "PERSISTENT"), remove("/w", "Any"), { kind: "op", session: 0, op: { op: "getData", path: "/w", watch: true } }, remove("/w", "Children"), remove("/w", "Data"), setData("/w", "x", -1)]));
      expect([1, 3, 4].map((i) => reply(t, i))).toEqual([
        { ok: false, err: "NoWatcher" },
        { ok: false, err: "NoWatcher" },
        { ok: true, result: { op: "removeWatches" } },
      ]);
      expect(eventsOf(t.steps[5], 0)).toEqual([]); // the data watch is gone
    });

    test("null data stays null, empty data is empty, and dataLength counts UTF-8 bytes", async () => {
      const t = await run(
        hand(1, [
          create("/n", "PERSISTENT", null),
          create("/m", "PERSISTENT", ""),
          create("/u", "PERSISTENT", "é☃"),
          { kind: "op", session: 0, op: { op: "getData", path: "/n", watch: false } },
          { kind: "op", session: 0, op: { op: "getData", path: "/m", watch: false } },
          { kind: "op", session: 0, op: { op: "getData", path: "/u", watch: false } },
        ]),
      );
      expect(t.steps.slice(3, 6).map((s) => (s.reply as { result: { data: ZnodeData; stat: Stat } }).result)).toMatchObject([
        { data: null, stat: { dataLength: 0 } },
        { data: "", stat: { dataLength: 0 } },
        { data: "é☃", stat: { dataLength: 5 } },
      ]);
    });
  });
});

function hand(sessionCount: number, steps: readonly SequenceStep[]): OpSequence {
  return { name: expect.getState().currentTestName ?? "hand-written", sessionCount, steps };
}

function create(path: string, mode: CreateMode, data: ZnodeData = null, session = 0): SequenceStep {
  return { kind: "op", session, op: { op: "create", path, data, acl: OPEN_ACL, mode } };
}

function setData(path: string, data: ZnodeData, version: number): SequenceStep {
  return { kind: "op", session: 0, op: { op: "setData", path, data, version } };
}

function del(path: string, version: number): SequenceStep {
  return { kind: "op", session: 0, op: { op: "delete", path, version } };
}

function multi(ops: readonly MultiOp[]): SequenceStep {
  return { kind: "op", session: 0, op: { op: "multi", ops } };
}

function mCreate(path: string, mode: CreateMode = "PERSISTENT"): MultiOp {
  return { op: "create", path, data: null, acl: OPEN_ACL, mode };
}

function errors(...names: readonly string[]): { type: "error"; err: string }[] {
  return names.map((err) => ({ type: "error", err }));
}

/** The events `session` received because of `step`. */
function eventsOf(step: TraceStep | undefined, session: number): readonly ObservedEvent[] {
  if (step === undefined) throw new Error("no such step");
  return step.events.find((e) => e.session === session)?.events ?? [];
}

function reply(trace: Trace, index: number): ZkReply {
  const r = trace.steps[index]?.reply;
  if (r === null || r === undefined) throw new Error(`step ${index} has no reply`);
  return r;
}

/** The Stat a reply carries (create, exists, getData, setData, getChildren2). */
function stat(r: ZkReply): Stat {
  if (r.ok && "stat" in r.result && r.result.stat !== null) return r.result.stat;
  throw new Error(`no Stat in ${JSON.stringify(r)}`);
}

/** Counts what the steps of a trace ran into, for the sometimes-properties. */
function tallyOutcomes(trace: Trace, outcomes: Map<string, number>): void {
  const bump = (key: string, by = 1): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + by);
  const ledger = accountForEvents(trace.steps);
  bump("one-shot watch used up", ledger.oneShot);
  bump("persistent watch event", ledger.persistent);
  for (const s of trace.steps) {
    if (s.events.length > 0) bump("watch event");
    const r = s.reply;
    if (r === null || s.step.kind !== "op") continue;
    const op: ZkOp = s.step.op;
    bump(r.ok ? "ok" : r.err);
    if (op.op === "multi") bump(r.ok ? "multi ok" : "multi failed");
    if (r.ok && r.result.op === "create" && /\d{10}$/.test(r.result.path)) bump("sequential name");
  }
}

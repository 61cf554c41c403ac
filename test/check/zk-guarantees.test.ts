import { describe, expect, test } from "vitest";
import { pausedLockCluster } from "../fixtures/paused-lock.ts";
import { checkLinearizable, checkRecipeProgress, checkRecipes, checkRequestsAnswered, checkZkGuarantees, makeModel, parseJsonlHistory, toOperations, zkHistoryToEvents, type GuaranteeName, type NoteRecord, type ZkHistory, type ZkHistoryOp } from "../../src/check/index.ts";
import { asClientNote, isClientNoteKind, ZkError, type ZkClusterOptions, type ZooKeeper } from "../../src/client/index.ts";
import { runCluster } from "../fixtures/run-cluster.ts";
import { recipeNoteOf, zkHistoryOf } from "../../src/scenario/index.ts";

/** Runs a cluster (failing on a workload that threw or did not finish); returns the recipe notes and the clients' history. */
async function run(options: ZkClusterOptions, untilUs: number, unfinished: readonly string[] = []) {
  const { cluster, notes: raw } = await runCluster(options, untilUs, { unfinished });
  const notes: NoteRecord[] = [];
  for (const event of raw) {
    if (!isClientNoteKind(event.kind)) continue;
    const note = recipeNoteOf(event.node, event.t, asClientNote(event.kind, event.data), event.i);
    if (note !== null) notes.push(note);
  }
  return { cluster, notes, history: zkHistoryOf(cluster.history) };
}

function verdicts(history: ZkHistory, linearizableReads = false): Record<string, { holds: boolean; checked: number; violations: readonly string[] }> {
  return Object.fromEntries(checkZkGuarantees(history, { linearizableReads }).map((g) => [g.name, { holds: g.holds, checked: g.checked, violations: g.violations }]));
}

async function mixedWorkload(zk: ZooKeeper, p: { rng: { below(n: number): number }; sleep(ms: number): Promise<void> }, k: number): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const path = `/k${p.rng.below(3)}`;
    try {
      switch (p.rng.below(6)) {
        case 0:
          await zk.create(path, `${k}.${i}`);
          break;
        case 1:
          await zk.setData(path, `${k}.${i}`, p.rng.below(2) === 0 ? -1 : p.rng.below(3));
          break;
        case 2:
          await zk.delete(path, -1);
          break;
        case 3:
          await zk.sync(path);
          await zk.getData(path, () => undefined);
          break;
        case 4:
          await zk.exists(path, () => undefined);
          break;
        default:
          await zk.create("/seq-", null, { mode: "PERSISTENT_SEQUENTIAL" });
      }
    } catch (error) {
      if (!(error instanceof ZkError)) throw error;
    }
    await p.sleep(5 + p.rng.below(30));
  }
}

describe("ZooKeeper's guarantees on simulated runs", () => {
  test("a run with crashes, a partition and loss keeps every promise, and each check saw cases (seed 31)", async () => {
    const { history } = await run(
      {
        engine: {
          seed: 31,
          network: { latency: { kind: "uniform", minUs: 200, maxUs: 3_000 }, loss: 0.01 },
          faults: [
            { atUs: 700_000, fault: { type: "crash", node: "s1" } },
            { atUs: 1_200_000, fault: { type: "partition", groups: [["s2"], ["s1", "s3", "c1", "c2", "c3", "c4"]] } },
            { atUs: 1_900_000, fault: { type: "heal" } },
            { atUs: 2_000_000, fault: { type: "restart", node: "s1" } },
          ],
        },
        serverCount: 3,
        clients: Array.from({ length: 4 }, (_, k) => ({ workload: (zk: ZooKeeper, p: Parameters<typeof mixedWorkload>[1]) => mixedWorkload(zk, p, k) })),
      },
      8_000_000,
    );
    const v = verdicts(history);
    for (const [name, r] of Object.entries(v)) expect(r.violations, name).toEqual([]);
    // The same history written in the exchange format and read back: its writes are linearizable for the
    // znode model. Plain reads are not judged: a follower may answer from behind, which ZooKeeper allows.
    const jsonl = zkHistoryToEvents(history).map((e) => JSON.stringify(e)).join("\n");
    const ops = toOperations(parseJsonlHistory(jsonl, "run.jsonl"), "run.jsonl").filter((op) => op.f !== "getData" && op.f !== "exists");
    expect(ops.length).toBeGreaterThan(50);
    expect(checkLinearizable(ops, makeModel("znode")).verdict).toBe("linearizable");
    for (const name of ["writes-linearizable", "session-order", "monotonic-reads", "read-after-sync", "watch-before-change", "sequential-names"] as GuaranteeName[]) {
      expect(v[name]?.checked, `${name} checked nothing`).toBeGreaterThan(0);
    }
  });

  test("a client reading from a cut-off follower sees stale data: ZooKeeper's promises hold, linearizable reads do not (seed 32)", async () => {
    const { history } = await run(
      {
        engine: {
          seed: 32,
          network: { latency: { kind: "uniform", minUs: 200, maxUs: 1_000 } },
          // s3 loses the servers but keeps its client: it serves reads from a tree that no longer moves.
          faults: [{ atUs: 1_000_000, fault: { type: "partition", groups: [["s1", "s2", "c1"], ["s3", "c2"]] } }],
        },
        serverCount: 3,
        clients: [
          {
            server: 0,
            workload: async (zk, p) => {
              await zk.create("/x", "0");
              await p.sleep(1_000);
              await zk.setData("/x", "1");
              p.note("written", {});
            },
          },
          {
            server: 2,
            workload: async (zk, p) => {
              await p.sleep(2_500);
              p.note("read", await zk.getData("/x"));
            },
          },
        ],
      },
      3_000_000,
    );
    const v = verdicts(history, true);
    expect(v["writes-linearizable"]?.holds).toBe(true);
    expect(v["monotonic-reads"]?.holds).toBe(true);
    expect(v["reads-linearizable"]?.holds).toBe(false);
    expect(v["reads-linearizable"]?.violations[0]).toMatch(/getData \/x/);
  });
});

/** A small hand-made history: each op completes right after it is invoked unless told otherwise. */
function op(fields: Partial<ZkHistoryOp> & Pick<ZkHistoryOp, "id" | "f" | "invoke">): ZkHistoryOp {
  return {
    client: "c1",
    session: 1,
    xid: fields.id + 1,
    path: "/x",
    paths: [],
    sequential: false,
    transient: false,
    watch: false,
    input: null,
    complete: fields.invoke + 1,
    invokeUs: fields.invoke,
    completeUs: fields.invoke + 1,
    outcome: "ok",
    error: null,
    replyZxid: null,
    txnZxid: null,
    output: null,
    owner: null,
    ...fields,
  };
}

describe("each guarantee catches its violation", () => {
  const failing = (history: ZkHistory, name: GuaranteeName) => checkZkGuarantees(history, { linearizableReads: true }).find((g) => g.name === name);

  test("writes-linearizable: a setData that reports a version the order cannot give", () => {
    const h: ZkHistory = {
      ops: [op({ id: 0, f: "create", invoke: 0, input: "a" }), op({ id: 1, f: "setData", invoke: 2, input: ["b", -1], output: 5 })],
      notifications: [],
    };
    expect(failing(h, "writes-linearizable")?.holds).toBe(false);
  });

  test("session-order: a reply to a later request before an earlier one", () => {
    const h: ZkHistory = { ops: [op({ id: 0, f: "getData", invoke: 0, complete: 5, xid: 1 }), op({ id: 1, f: "getData", invoke: 1, complete: 3, xid: 2 })], notifications: [] };
    expect(failing(h, "session-order")?.violations[0]).toMatch(/completed after/);
  });

  test("monotonic-reads: a reply from an older state than one seen", () => {
    const h: ZkHistory = { ops: [op({ id: 0, f: "getData", invoke: 0, replyZxid: 9 }), op({ id: 1, f: "getData", invoke: 2, replyZxid: 4 })], notifications: [] };
    expect(failing(h, "monotonic-reads")?.violations[0]).toMatch(/saw zxid 4 after/);
  });

  test("read-after-sync: a read after sync that misses a write completed before the sync", () => {
    const h: ZkHistory = {
      ops: [
        op({ id: 0, client: "c2", session: 2, f: "setData", invoke: 0, txnZxid: 7, replyZxid: 7 }),
        op({ id: 1, f: "sync", invoke: 3, xid: 1 }),
        op({ id: 2, f: "getData", invoke: 5, xid: 2, replyZxid: 6 }),
      ],
      notifications: [],
    };
    expect(failing(h, "read-after-sync")?.violations[0]).toMatch(/older than/);
  });

  test("watch-before-change: a reply showing the change before the event", () => {
    const h: ZkHistory = {
      ops: [op({ id: 0, f: "getData", invoke: 0, watch: true, replyZxid: 3 }), op({ id: 1, f: "getData", invoke: 2, replyZxid: 5, xid: 2 })],
      notifications: [{ client: "c1", session: 1, type: "NodeDataChanged", path: "/x", zxid: 5, state: "SyncConnected", at: 10, atUs: 10 }],
    };
    expect(failing(h, "watch-before-change")?.violations[0]).toMatch(/before c1 got NodeDataChanged/);
  });

  test("ephemerals-gone-after-expiry: an ephemeral seen after sync, once its session's expiry was observed", () => {
    const h: ZkHistory = {
      ops: [op({ id: 0, client: "c2", session: 2, f: "sync", invoke: 5 }), op({ id: 1, client: "c2", session: 2, f: "exists", invoke: 8, xid: 2, owner: 1 })],
      notifications: [{ client: "c1", session: 1, type: "None", path: null, zxid: null, state: "Expired", at: 3, atUs: 3 }],
    };
    expect(failing(h, "ephemerals-gone-after-expiry")?.holds).toBe(false);
  });

  test("sequential-names: a number given twice", () => {
    const h: ZkHistory = {
      ops: [
        op({ id: 0, f: "create", path: "/q/n", sequential: true, invoke: 0, output: "/q/n0000000001", txnZxid: 3 }),
        op({ id: 1, f: "create", path: "/q/n", sequential: true, invoke: 2, output: "/q/n0000000001", txnZxid: 4 }),
      ],
      notifications: [],
    };
    expect(failing(h, "sequential-names")?.violations[0]).toMatch(/given twice/);
  });
});

describe("the checks for what pipelines, reconnects and the wire show", () => {
  const guarantee = (history: ZkHistory, name: GuaranteeName) => checkZkGuarantees(history).find((g) => g.name === name);
  const event = (type: string, path: string, zxid: number, at: number): ZkHistory["notifications"][number] => ({ client: "c1", session: 1, type, path, zxid, state: "SyncConnected", at, atUs: at });
  const session = (state: string, at: number, zxid: number | null = null): ZkHistory["notifications"][number] => ({ client: "c1", session: 1, type: "None", path: null, zxid, state, at, atUs: at });
  const change = (zxid: number, type: "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged", path: string) => ({ zxid, type, path, restricted: false });
  const watchRead = op({ id: 0, f: "getData", invoke: 0, complete: 1, watch: true, replyZxid: 3, output: ["a", 0] });

  test("watches-fire-once: one event for the first change holds; a second event, or none, does not", () => {
    const changes = [change(4, "NodeDataChanged", "/x"), change(6, "NodeDataChanged", "/x")];
    const once: ZkHistory = { ops: [watchRead], notifications: [event("NodeDataChanged", "/x", 4, 2)], changes };
    expect(guarantee(once, "watches-fire-once")).toMatchObject({ holds: true, checked: 1 });
    const twice: ZkHistory = { ...once, notifications: [event("NodeDataChanged", "/x", 4, 2), event("NodeDataChanged", "/x", 6, 3)] };
    expect(guarantee(twice, "watches-fire-once")?.violations[0]).toMatch(/already fired at zxid 4/);
    // A reply at zxid 6 shows the change at 4 without its event: the event was lost.
    const missed: ZkHistory = { ops: [watchRead, op({ id: 1, f: "getData", xid: 2, invoke: 2, complete: 3, replyZxid: 6 })], notifications: [], changes };
    expect(guarantee(missed, "watches-fire-once")?.violations[0]).toMatch(/never fired for the change at zxid 4/);
    const late: ZkHistory = { ...once, notifications: [event("NodeDataChanged", "/x", 6, 2)] };
    expect(guarantee(late, "watches-fire-once")?.violations[0]).toMatch(/not for the first one, at zxid 4/);
  });

  test("watches-fire-once: a client that moves gets what its last zxid shows it missed before the connection is confirmed; a child watch re-armed by mzxid misses it", () => {
    const childRead = op({ id: 0, f: "getChildren", path: "/q", invoke: 0, complete: 1, watch: true, replyZxid: 3 });
    const changes = [change(5, "NodeCreated", "/q/a"), change(5, "NodeChildrenChanged", "/q"), change(8, "NodeChildrenChanged", "/q")];
    // The server at zxid 6 fires the missed event, then confirms the connection (as setWatches replies after its events).
    const owed: ZkHistory = { ops: [childRead], notifications: [session("Disconnected", 2), event("NodeChildrenChanged", "/q", 6, 3), session("SyncConnected", 4, 6)], changes };
    expect(guarantee(owed, "watches-fire-once")).toMatchObject({ holds: true });
    // A first attempt that fired it and broke before confirming: the watch is used up, and the next server owes nothing.
    const lostAttempt: ZkHistory = { ops: [childRead], notifications: [session("Disconnected", 2), event("NodeChildrenChanged", "/q", 6, 3), session("SyncConnected", 4, 7)], changes };
    expect(guarantee(lostAttempt, "watches-fire-once")).toMatchObject({ holds: true });
    // After the confirmation the event comes too late: no change at zxid 6 fires it.
    const late: ZkHistory = { ops: [childRead], notifications: [session("Disconnected", 2), session("SyncConnected", 3, 6), event("NodeChildrenChanged", "/q", 6, 4)], changes };
    expect(guarantee(late, "watches-fire-once")?.violations[0]).toMatch(/reconnected at zxid 6 holding a watch \(child:\/q\)/);
    // No event at the reconnect: the next change fires the watch, which is one change too late.
    const rearmedByMzxid: ZkHistory = { ops: [childRead], notifications: [session("Disconnected", 2), session("SyncConnected", 3, 6), event("NodeChildrenChanged", "/q", 8, 4)], changes };
    expect(guarantee(rearmedByMzxid, "watches-fire-once")?.violations[0]).toMatch(/reconnected at zxid 6 holding a watch \(child:\/q\)/);
    // An event while reconnecting that no watch was owed.
    const stray: ZkHistory = { ops: [childRead], notifications: [session("Disconnected", 2), event("NodeDeleted", "/q", 6, 3), session("SyncConnected", 4, 6)], changes };
    expect(guarantee(stray, "watches-fire-once")?.violations[0]).toMatch(/got NodeDeleted \/q \(zxid 6\) while reconnecting, but held no watch that a server at that zxid owed it/);
  });

  test("write-zxids: a failed write answered at a zxid the session had already seen took no zxid", () => {
    const seen = op({ id: 0, f: "getData", invoke: 0, complete: 1, replyZxid: 9 });
    const took: ZkHistory = { ops: [seen, op({ id: 1, f: "setData", xid: 2, invoke: 2, complete: 3, outcome: "fail", error: "BadVersion", replyZxid: 10 })], notifications: [] };
    expect(guarantee(took, "write-zxids")).toMatchObject({ holds: true, checked: 1 });
    const stale: ZkHistory = { ops: [seen, op({ id: 1, f: "setData", xid: 2, invoke: 2, complete: 3, outcome: "fail", error: "BadVersion", replyZxid: 9 })], notifications: [] };
    expect(guarantee(stale, "write-zxids")?.violations[0]).toMatch(/took no zxid, or the reply hid it/);
  });

  test("session-order: a read issued after the session's own write must see it, however many are in flight", () => {
    const write = op({ id: 0, f: "setData", xid: 1, invoke: 0, complete: 4, txnZxid: 7, replyZxid: 7, output: 1 });
    const overtaking: ZkHistory = { ops: [write, op({ id: 1, f: "getData", xid: 2, invoke: 1, complete: 5, replyZxid: 6 })], notifications: [] };
    expect(guarantee(overtaking, "session-order")?.violations[0]).toMatch(/before the session's earlier c1 xid 1 setData/);
  });

  test("sync-reads-linearizable: a read behind a sync that returns a value older than a write completed before the sync", () => {
    const h: ZkHistory = {
      ops: [
        op({ id: 0, client: "c2", session: 2, f: "create", invoke: 0, complete: 1, input: "a", output: "/x" }),
        op({ id: 1, client: "c2", session: 2, xid: 2, f: "setData", invoke: 2, complete: 3, input: ["b", -1], output: 1 }),
        op({ id: 2, f: "sync", invoke: 4, complete: 6, xid: 1 }),
        op({ id: 3, f: "getData", invoke: 5, complete: 7, xid: 2, output: ["a", 0] }),
      ],
      notifications: [],
    };
    expect(guarantee(h, "sync-reads-linearizable")?.holds).toBe(false);
    const current = { ...h, ops: h.ops.map((o) => (o.id === 3 ? { ...o, output: ["b", 1] } : o)) };
    expect(guarantee(current, "sync-reads-linearizable")).toMatchObject({ holds: true, checked: 1 });
  });
});

describe("liveness", () => {
  const options = { calmUs: 1_000, boundUs: 500, endUs: 10_000 };

  test("requests-answered: a request never answered, or answered past the bound after the calm point, breaks it", () => {
    const answered = op({ id: 0, f: "getData", invoke: 0, invokeUs: 1_200, completeUs: 1_600 });
    expect(checkRequestsAnswered({ ops: [answered], notifications: [] }, options)).toMatchObject({ holds: true, checked: 1 });
    const lost = op({ id: 1, f: "setData", xid: 2, invoke: 1, invokeUs: 300, complete: null, completeUs: null });
    expect(checkRequestsAnswered({ ops: [answered, lost], notifications: [] }, options).violations[0]).toMatch(/c1 xid 2 setData \/x, invoked at 300 µs, was never answered/);
    // A client that crashed with the request in flight is owed nothing.
    expect(checkRequestsAnswered({ ops: [lost], notifications: [] }, { ...options, absences: [{ node: "c1", fromUs: 400, toUs: 10_000 }] })).toMatchObject({ holds: true, checked: 0 });
    const slow = op({ id: 2, f: "getData", xid: 3, invoke: 2, invokeUs: 2_000, completeUs: 2_600 });
    expect(checkRequestsAnswered({ ops: [slow], notifications: [] }, options).violations[0]).toMatch(/answered only at 2600 µs/);
    // A request whose bound ends after the run is not judged.
    const recent = op({ id: 3, f: "getData", xid: 4, invoke: 3, invokeUs: 9_800, complete: null, completeUs: null });
    expect(checkRequestsAnswered({ ops: [recent], notifications: [] }, options)).toMatchObject({ holds: true, checked: 0 });
  });

  test("lock-progress: a free lock that someone wants is taken within the bound", () => {
    const note = (node: string, t: number, kind: "lock-wanted" | "lock-released" | "lock-acquired"): NoteRecord =>
      kind === "lock-wanted" ? { node, t, i: t, kind, data: { lock: "/lock" } } : kind === "lock-acquired" ? { node, t, i: t, kind, data: { lock: "/lock", token: t } } : { node, t, i: t, kind, data: { lock: "/lock", token: t } };
    const moving = [note("c1", 100, "lock-wanted"), note("c1", 200, "lock-acquired"), note("c2", 300, "lock-wanted"), note("c1", 1_200, "lock-released"), note("c2", 1_300, "lock-acquired")];
    expect(checkRecipeProgress(moving, options)[0]).toMatchObject({ name: "lock-progress", holds: true });
    // c2 waits behind an orphan of its own: nobody holds the lock, and it never moves again.
    const stuck = [note("c1", 100, "lock-wanted"), note("c1", 200, "lock-acquired"), note("c2", 300, "lock-wanted"), note("c1", 1_200, "lock-released")];
    expect(checkRecipeProgress(stuck, options)[0]?.violations[0]).toMatch(/nobody held the lock from 1200 µs to 10000 µs while c2 wanted it/);
    // A waiter that crashed waits no more: nobody is owed the lock.
    expect(checkRecipeProgress(stuck, { ...options, absences: [{ node: "c2", fromUs: 1_250, toUs: 10_000 }] })[0]).toMatchObject({ holds: true });
  });

  test("barrier-progress: a barrier everyone entered opens for everyone", () => {
    const note = (node: string, t: number, kind: "barrier-enter" | "barrier-passed"): NoteRecord => ({ node, t, i: t, kind, data: { barrier: "/b", name: node, count: 2 } });
    const shut = [note("c1", 100, "barrier-enter"), note("c2", 200, "barrier-enter"), note("c1", 300, "barrier-passed")];
    expect(checkRecipeProgress(shut, options)[0]?.violations[0]).toMatch(/c2 had not passed/);
  });

  test("membership-progress: once a member's node is gone, the balancer's view drops it within the bound", () => {
    const seen = (t: number, members: string[], pzxid: number): NoteRecord => ({ node: "c1", t, i: t, kind: "members-seen", data: { group: "/group", members, pzxid } });
    const gone = { path: "/group/c2", zxid: 50, t: 1_000, i: 999 };
    const caughtUp = [seen(100, ["c2", "c3"], 40), seen(1_100, ["c3"], 50)];
    expect(checkRecipeProgress(caughtUp, { ...options, deletions: [gone] })[0]).toMatchObject({ name: "membership-progress", holds: true, checked: 1 });
    // A watcher whose watch was never set again keeps c2 for ever.
    const stale = [seen(100, ["c2", "c3"], 40)];
    expect(checkRecipeProgress(stale, { ...options, deletions: [gone] })[0]?.violations[0]).toMatch(/c1 did not see c2 leave \/group .* by the end/);
    // Seen, but too late.
    const late = [seen(100, ["c2", "c3"], 40), seen(9_000, ["c3"], 50)];
    expect(checkRecipeProgress(late, { ...options, deletions: [gone] })[0]?.violations[0]).toMatch(/until 9000 µs/);
    // A node elsewhere, or a watcher that crashed, is owed nothing.
    expect(checkRecipeProgress(stale, { ...options, deletions: [{ ...gone, path: "/other/c2" }] })[0]).toMatchObject({ holds: true, checked: 0 });
    expect(checkRecipeProgress(stale, { ...options, deletions: [gone], absences: [{ node: "c1", fromUs: 500, toUs: 10_000 }] })[0]).toMatchObject({ holds: true, checked: 0 });
  });
});

describe("recipe invariants", () => {
  test("membership: a balancer routes only to members of its latest view, and its views never go back", () => {
    const seen = (t: number, members: string[], pzxid: number): NoteRecord => ({ node: "c1", t, i: t, kind: "members-seen", data: { group: "/group", members, pzxid } });
    const routed = (t: number, member: string): NoteRecord => ({ node: "c1", t, i: t, kind: "routed", data: { group: "/group", member } });
    const judge = (notes: NoteRecord[]) => checkRecipes(notes).find((r) => r.name === "membership");
    expect(judge([seen(1, ["c2", "c3"], 10), routed(2, "c2"), seen(3, ["c3"], 12), routed(4, "c3")])).toMatchObject({ holds: true, checked: 2 });
    expect(judge([seen(1, ["c2", "c3"], 10), seen(3, ["c3"], 12), routed(4, "c2")])?.violations[0]).toMatch(/c1 routed to c2 in \/group at 4 µs when its latest view \(pzxid 12, 3 µs\) was c3/);
    expect(judge([routed(1, "c2")])?.violations[0]).toMatch(/before seeing the group/);
    expect(judge([seen(1, ["c2"], 12), seen(2, ["c2", "c3"], 10)])?.violations[0]).toMatch(/its view went back/);
  });

  for (const fencing of [false, true]) {
    test(`a paused lock holder: two clients believe they hold the lock; with fencing ${fencing ? "on no stale write gets through" : "off the stale write is caught"} (seed 22)`, async () => {
      const { notes } = await run(pausedLockCluster(fencing), 10_000_000);
      const results = Object.fromEntries(checkRecipes(notes).map((r) => [r.name, r]));
      expect(results["lock-exclusive"]?.holds).toBe(false);
      expect(results["lock-exclusive"]?.violations[0]).toMatch(/c2 acquired it at .* while c1 still believed it held it/);
      expect(results["fencing"]?.holds).toBe(fencing);
    });
  }

  test("election and barrier notes are judged", () => {
    const notes: NoteRecord[] = [
      { node: "c1", t: 1, i: 1, kind: "elected", data: { election: "/e", term: 5 } },
      { node: "c2", t: 2, i: 2, kind: "elected", data: { election: "/e", term: 5 } },
      { node: "c1", t: 3, i: 3, kind: "barrier-enter", data: { barrier: "/b", name: "p0", count: 2 } },
      { node: "c1", t: 4, i: 4, kind: "barrier-passed", data: { barrier: "/b", name: "p0", count: 2 } },
    ];
    const results = Object.fromEntries(checkRecipes(notes).map((r) => [r.name, r]));
    expect(results["one-leader-per-term"]?.violations[0]).toMatch(/both c1 and c2 were elected/);
    expect(results["barrier"]?.violations[0]).toMatch(/only 1 of 2 had entered/);
  });
});

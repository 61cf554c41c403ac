import { describe, expect, test } from "vitest";
import { ZkError, type ClientEvent, type ZkClusterOptions, type ZooKeeper } from "../../src/client/index.ts";
import { runCluster } from "../fixtures/run-cluster.ts";

/** A workload that records what it saw, so the test can assert on it after the run. */
function recorder() {
  const seen: unknown[] = [];
  return { seen, push: (x: unknown) => seen.push(x) };
}

async function expectError(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ZkError && error.code === code) return;
    throw error;
  }
  throw new Error(`expected ${code}`);
}

const engine = (seed: number) => ({ seed, network: { latency: { kind: "uniform" as const, minUs: 200, maxUs: 2_000 } } });

describe("the service end to end", () => {
  test("a client creates, reads and updates a znode through a follower (seed 1)", async () => {
    const r = recorder();
    await runCluster(
      {
        engine: engine(1),
        serverCount: 3,
        clients: [
          {
            server: 1,
            workload: async (zk) => {
              r.push(await zk.create("/a", "one"));
              const { data, stat } = await zk.getData("/a");
              r.push([data, stat.version, stat.dataLength]);
              const stat2 = await zk.setData("/a", "two", 0);
              r.push([stat2.version, stat2.mzxid > stat2.czxid]);
              await expectError(zk.setData("/a", "three", 0), "BadVersion");
              await expectError(zk.create("/a", null), "NodeExists");
              r.push((await zk.getData("/a")).data);
              r.push(await zk.create("/a/s-", null, { mode: "PERSISTENT_SEQUENTIAL" }));
              r.push(await zk.getChildren("/a"));
            },
          },
        ],
      },
      5_000_000,
    );
    expect(r.seen).toEqual(["/a", ["one", 0, 3], [1, true], "two", "/a/s-0000000000", ["s-0000000000"]]);
  });

  test("a data watch fires once, and reaches the watcher before the reply that reflects the change (seed 2)", async () => {
    const order: string[] = [];
    await runCluster(
      {
        engine: engine(2),
        serverCount: 3,
        clients: [
          {
            server: 0,
            workload: async (zk, p) => {
              await zk.create("/w", "0");
              await zk.getData("/w", (e: ClientEvent) => order.push(`event ${e.type}`));
              await p.sleep(500);
              const stat = await zk.setData("/w", "1");
              order.push(`reply v${stat.version}`);
              await zk.setData("/w", "2");
              order.push("second write done");
            },
          },
        ],
      },
      5_000_000,
    );
    expect(order).toEqual(["event NodeDataChanged", "reply v1", "second write done"]);
  });

  test("closing a session deletes its ephemerals at once, and others see NodeDeleted (seed 3)", async () => {
    const r = recorder();
    await runCluster(
      {
        engine: engine(3),
        serverCount: 3,
        clients: [
          {
            server: 0,
            workload: async (zk, p) => {
              await zk.create("/e", null);
              await zk.create("/e/mine", "x", { mode: "EPHEMERAL" });
              await p.sleep(1_000);
              await zk.close();
            },
          },
          {
            server: 2,
            workload: async (zk, p) => {
              await p.sleep(500);
              await zk.sync("/e");
              const events: string[] = [];
              await zk.exists("/e/mine", (e) => events.push(`${e.type} ${e.path ?? ""}`));
              await p.sleep(2_000);
              r.push(events);
              r.push(await zk.exists("/e/mine"));
              await expectError(zk.create("/e/mine/child", null), "NoNode");
            },
          },
        ],
      },
      6_000_000,
    );
    expect(r.seen).toEqual([["NodeDeleted /e/mine"], null]);
  });

  test("a session cut off from every server expires, its ephemerals go, and its client learns it (seed 4)", async () => {
    const r = recorder();
    await runCluster(
      {
        engine: {
          ...engine(4),
          faults: [{ atUs: 1_500_000, fault: { type: "isolate", node: "c1" } }, { atUs: 6_000_000, fault: { type: "heal" } }],
        },
        serverCount: 3,
        tickMs: 200,
        clients: [
          {
            server: 0,
            sessionTimeoutMs: 1_000,
            workload: async (zk) => {
              const states: string[] = [];
              zk.onState((e) => states.push(e.state));
              await zk.create("/eph", null, { mode: "EPHEMERAL" });
              await new Promise<void>((resolve) => zk.onState((e) => e.state === "Expired" && resolve()));
              r.push(states);
              await expectError(zk.exists("/eph"), "SessionExpired");
            },
          },
          {
            server: 1,
            workload: async (zk, p) => {
              await p.sleep(1_000);
              r.push(["before", (await zk.exists("/eph")) !== null]);
              await p.sleep(3_500);
              await zk.sync("/");
              r.push(["after", (await zk.exists("/eph")) !== null]);
            },
          },
        ],
      },
      9_000_000,
    );
    expect(r.seen).toContainEqual(["before", true]);
    expect(r.seen).toContainEqual(["after", false]);
    expect(r.seen).toContainEqual(["SyncConnected", "Disconnected", "Expired"]);
  });

  test("when its server crashes a client moves its session to another server and keeps its ephemeral (seed 5)", async () => {
    const r = recorder();
    await runCluster(
      {
        engine: { ...engine(5), faults: [{ atUs: 1_000_000, fault: { type: "crash", node: "s2" } }] },
        serverCount: 3,
        clients: [
          {
            server: 1,
            sessionTimeoutMs: 3_000,
            workload: async (zk, p) => {
              await zk.create("/keep", null, { mode: "EPHEMERAL" });
              const session = zk.sessionId;
              await p.sleep(3_000);
              r.push([zk.state, zk.sessionId === session, (await zk.exists("/keep")) !== null]);
            },
          },
        ],
      },
      6_000_000,
    );
    expect(r.seen).toEqual([["SyncConnected", true, true]]);
  });

  test("a read after sync on another server sees a write that completed before the sync (seed 6)", async () => {
    const r = recorder();
    let written = false;
    await runCluster(
      {
        engine: engine(6),
        serverCount: 5,
        clients: [
          {
            server: 0,
            workload: async (zk) => {
              await zk.create("/x", "new");
              written = true;
            },
          },
          {
            server: 4,
            workload: async (zk, p) => {
              while (!written) await p.sleep(1);
              await zk.sync("/x");
              r.push((await zk.getData("/x")).data);
            },
          },
        ],
      },
      5_000_000,
    );
    expect(r.seen).toEqual(["new"]);
  });

  test("replicas' tree digests agree at every zxid under crashes, partitions and loss (seed 7)", async () => {
    const digests = new Map<number, string>();
    const mismatches: string[] = [];
    const clients = Array.from({ length: 6 }, (_, k) => ({
      workload: async (zk: ZooKeeper, p: { sleep(ms: number): Promise<void>; rng: { below(n: number): number } }) => {
        for (let i = 0; i < 40; i++) {
          const path = `/k${p.rng.below(5)}`;
          try {
            if (p.rng.below(2) === 0) await zk.create(path, `${k}.${i}`);
            else await zk.setData(path, `${k}.${i}`);
          } catch (error) {
            if (!(error instanceof ZkError)) throw error;
          }
          await p.sleep(20);
        }
      },
    }));
    const { cluster, notes } = await runCluster(
      {
        engine: {
          seed: 7,
          network: { latency: { kind: "uniform", minUs: 200, maxUs: 3_000 }, loss: 0.02 },
          disk: { syncLatencyUs: 500 },
          faults: [
            { atUs: 800_000, fault: { type: "crash", node: "s1" } },
            { atUs: 1_500_000, fault: { type: "partition", groups: [["s2"]] } },
            { atUs: 2_500_000, fault: { type: "heal" } },
            { atUs: 2_600_000, fault: { type: "restart", node: "s1" } },
          ],
        },
        serverCount: 3,
        clients,
      },
      8_000_000,
    );
    let compared = 0;
    for (const note of notes) {
      if (note.kind !== "zk-apply") continue;
      const { zxid, digest } = note.data as { zxid: number; digest: string };
      const known = digests.get(zxid);
      if (known === undefined) digests.set(zxid, digest);
      else if (known !== digest) mismatches.push(`zxid ${zxid}: ${known} vs ${digest} at ${note.node}`);
      else compared++;
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(200);
    const finals = cluster.servers.map((id) => cluster.server(id)?.lastZxid);
    expect(new Set(finals).size).toBe(1);
    expect(cluster.records.filter((rec) => rec.reply?.ok === true).length).toBeGreaterThan(100);
  });

  test("a client whose server crashed re-registers its watch on another server and gets the change it missed (seed 9)", async () => {
    const r = recorder();
    await runCluster(
      {
        engine: { ...engine(9), faults: [{ atUs: 1_500_000, fault: { type: "crash", node: "s2" } }] },
        serverCount: 3,
        clients: [
          {
            server: 1,
            sessionTimeoutMs: 4_000,
            workload: async (zk, p) => {
              await zk.create("/w", "0");
              const events: string[] = [];
              await zk.getData("/w", (e) => e.type !== "None" && events.push(`${e.type} ${e.path ?? ""}`));
              await p.sleep(3_000);
              r.push(events);
              r.push(zk.state);
            },
          },
          {
            server: 0,
            workload: async (zk, p) => {
              await p.sleep(1_600); // s2 is down: c1 is between servers
              await zk.setData("/w", "1");
            },
          },
        ],
      },
      6_000_000,
    );
    expect(r.seen).toEqual([["NodeDataChanged /w"], "SyncConnected"]);
  });

  test("ten clients with a hundred setData each in flight are all answered, in order, with no faults (seed 1)", async () => {
    // Enough at once to fill the leader's group-commit batches: a transaction
    // the leader cannot take must not move its session's chain forward.
    const versions: number[][] = [];
    const { cluster } = await runCluster(
      {
        engine: { seed: 1, network: { latency: { kind: "constant", us: 100 } } },
        serverCount: 3,
        clients: Array.from({ length: 10 }, (_, k) => ({
          workload: async (zk: ZooKeeper) => {
            await zk.create(`/k${k}`, "0");
            const writes = Array.from({ length: 100 }, (_, i) => zk.setData(`/k${k}`, String(i)));
            versions.push((await Promise.all(writes)).map((stat) => stat.version));
          },
        })),
      },
      20_000_000,
    );
    expect(versions).toHaveLength(10);
    for (const list of versions) expect(list).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const invoked = cluster.history.filter((e) => e.kind === "invoke").length;
    expect(cluster.records).toHaveLength(invoked);
  });
});

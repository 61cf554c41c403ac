import { describe, expect, test } from "vitest";
import { pausedLockCluster } from "../fixtures/paused-lock.ts";
import { Barrier, ConfigWatcher, Election, Lock, ZkError, type ZkClusterOptions, type ZooKeeper } from "../../src/client/index.ts";
import { runCluster } from "../fixtures/run-cluster.ts";

/** Runs a cluster (failing on a workload that threw); returns the notes, in order, and the cluster. */
async function run(options: ZkClusterOptions, untilUs: number, unfinished: readonly string[] = []) {
  return runCluster(options, untilUs, { unfinished });
}

const engine = (seed: number) => ({ seed, network: { latency: { kind: "uniform" as const, minUs: 200, maxUs: 2_000 } } });

describe("recipes", () => {
  test("lock: five clients take it three times each; holds never overlap and fencing tokens only grow (seed 21)", async () => {
    const { notes } = await run(
      {
        engine: engine(21),
        serverCount: 3,
        clients: Array.from({ length: 5 }, () => ({
          workload: async (zk, p) => {
            const lock = new Lock(zk, p);
            for (let i = 0; i < 3; i++) {
              await lock.acquire();
              await p.sleep(5 + p.rng.below(20));
              await lock.release();
            }
          },
        })),
      },
      30_000_000,
    );
    const events = notes.filter((n) => n.kind === "lock-acquired" || n.kind === "lock-released");
    expect(events.length).toBe(30);
    let holder: string | null = null;
    let lastToken = 0;
    for (const n of events) {
      const token = (n.data as { token: number }).token;
      if (n.kind === "lock-acquired") {
        expect(holder, `${n.node} acquired at ${n.t} µs while ${holder ?? ""} held the lock`).toBeNull();
        expect(token).toBeGreaterThan(lastToken);
        holder = n.node;
        lastToken = token;
      } else {
        expect(n.node).toBe(holder);
        holder = null;
      }
    }
  });

  for (const fencing of [false, true]) {
    test(`a holder paused past its session loses the lock; ${fencing ? "with fencing its late write is refused" : "without fencing its late write overwrites the next holder's"} (seed 22)`, async () => {
      const { cluster, notes } = await run(pausedLockCluster(fencing), 10_000_000);
      const acquired = notes.filter((n) => n.kind === "lock-acquired").map((n) => [n.node, n.t]);
      expect(acquired.map(([node]) => node)).toEqual(["c1", "c2"]);
      // c2 got the lock while c1 was paused, which c1 never saw: it wrote after it woke up.
      expect(acquired[1]?.[1]).toBeLessThan(6_000_000);
      const late = notes.find((n) => n.kind === "late-write");
      expect(late?.data).toMatchObject({ accepted: !fencing });
      expect(cluster.storage()?.read("report")).toBe(fencing ? "from c2" : "from c1");
    });
  }

  test("election: one leader at a time, terms grow, and a crashed leader's successor takes over after its session expires (seed 23)", async () => {
    const { notes } = await run(
      {
        engine: { ...engine(23), faults: [{ atUs: 2_000_000, fault: { type: "crash", node: "c1" } }] },
        serverCount: 3,
        tickMs: 200,
        clients: Array.from({ length: 3 }, (_, k) => ({
          sessionTimeoutMs: 1_000,
          workload: async (zk, p) => {
            await p.sleep(1_000 + k * 100);
            const election = new Election(zk, p);
            await election.lead();
            if (k !== 0) {
              await p.sleep(300);
              await election.resign();
            }
          },
        })),
      },
      12_000_000,
    );
    const elected = notes.filter((n) => n.kind === "elected");
    expect(elected.map((n) => n.node)).toEqual(["c1", "c2", "c3"]);
    const terms = elected.map((n) => (n.data as { term: number }).term);
    expect([...terms].sort((a, b) => a - b)).toEqual(terms);
    expect(elected[1]?.t).toBeGreaterThan(2_000_000 + 1_000_000); // not before c1's session could expire
  });

  test("barrier: nobody passes before everyone entered, nobody leaves before everyone left (seed 24)", async () => {
    const { notes } = await run(
      {
        engine: engine(24),
        serverCount: 3,
        clients: Array.from({ length: 4 }, (_, k) => ({
          workload: async (zk, p) => {
            await p.sleep(k * 250);
            const barrier = new Barrier(zk, p, "/barrier", 4);
            await barrier.enter(`p${k}`);
            await p.sleep(10 * k);
            await barrier.leave();
          },
        })),
      },
      10_000_000,
    );
    const times = (kind: string) => notes.filter((n) => n.kind === kind).map((n) => n.t);
    expect(times("barrier-enter").length).toBe(4);
    expect(Math.min(...times("barrier-passed"))).toBeGreaterThanOrEqual(Math.max(...times("barrier-enter")));
    expect(times("barrier-left").length).toBe(4);
  });

  test("config watcher: sees versions in order, never goes back, and ends on the last one (seed 25)", async () => {
    const seen: number[] = [];
    let finalVersion = -1;
    await run(
      {
        engine: { ...engine(25), network: { latency: { kind: "uniform" as const, minUs: 200, maxUs: 2_000 }, loss: 0.02 } },
        serverCount: 3,
        clients: [
          {
            workload: async (zk, p) => {
              await zk.create("/config", "v0");
              await p.sleep(500); // the watcher reads it first
              for (let i = 1; i <= 20; i++) {
                await p.sleep(30);
                try {
                  await zk.setData("/config", `v${i}`);
                } catch (error) {
                  if (!(error instanceof ZkError && error.code === "ConnectionLoss")) throw error;
                }
              }
              finalVersion = (await zk.setData("/config", "final")).version;
            },
          },
          {
            server: 2,
            workload: async (zk, p) => {
              const watcher = new ConfigWatcher(zk, p, "/config");
              void watcher.watch((_value, version) => seen.push(version));
              await p.sleep(5_000);
              watcher.stop();
            },
          },
        ],
      },
      6_000_000,
    );
    expect(seen.length).toBeGreaterThan(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number);
    expect(seen[seen.length - 1]).toBe(finalVersion);
  });

  /**
   * A handle whose requests of one kind fail with ConnectionLoss after they
   * reached the service (`after`), or before (`before`): a reply lost with a
   * broken connection, at the one place the test aims at.
   */
  function losing(zk: ZooKeeper, op: "create" | "getChildren", times: number, when: "after" | "before", pathPrefix = "/"): ZooKeeper {
    let left = times;
    const handle = Object.create(zk) as ZooKeeper;
    const real = zk[op].bind(zk) as (...args: unknown[]) => Promise<unknown>;
    (handle as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
      if (left <= 0 || !String(args[0]).startsWith(pathPrefix)) return real(...args);
      left--;
      if (when === "after") await real(...args);
      throw new ZkError("ConnectionLoss");
    };
    return handle;
  }

  test("lock: a create whose reply was lost is not made again; the client finds its own node and takes the lock (seed 24)", async () => {
    const { cluster, notes } = await run(
      {
        engine: engine(24),
        serverCount: 3,
        clients: [
          {
            workload: async (zk, p) => {
              const lock = new Lock(losing(zk, "create", 2, "after", "/lk/lock-"), p, "/lk");
              await lock.acquire();
              await lock.release();
            },
          },
        ],
      },
      5_000_000,
    );
    expect(notes.filter((n) => n.kind === "lock-acquired").map((n) => n.node)).toEqual(["c1"]);
    // Two lock-node creates lost their replies, and one node was made, then released: a blind retry leaves orphans.
    const children = cluster.server("s1")?.zkState.tree.read({ op: "getChildren", path: "/lk", watch: false, withStat: true }, { sessionId: 0, authIds: ["world:anyone"] });
    expect(children).toMatchObject({ ok: true, result: { children: [], stat: { cversion: 2 } } });
  });

  test("lock: a ConnectionLoss after the create does not end the attempt, and an attempt that ends leaves no node behind (seed 25)", async () => {
    const { notes } = await run(
      {
        engine: engine(25),
        serverCount: 3,
        clients: [
          {
            workload: async (zk, p) => {
              // The first three getChildren of the wait fail: the attempt goes on.
              const lock = new Lock(losing(zk, "getChildren", 3, "before"), p, "/lk");
              await lock.acquire();
              await lock.release();
              const again = new Lock(zk, p, "/lk");
              await again.acquire();
              await again.release();
            },
          },
          {
            workload: async (zk, p) => {
              await p.sleep(2_000);
              const lock = new Lock(zk, p, "/lk");
              await lock.acquire();
              await lock.release();
            },
          },
        ],
      },
      8_000_000,
    );
    expect(notes.filter((n) => n.kind === "lock-acquired").map((n) => n.node)).toEqual(["c1", "c1", "c2"]);
    expect(notes.filter((n) => n.kind === "lock-abandoned")).toEqual([]);
  });
});

import { Barrier, ConfigWatcher, Election, GroupMember, GroupWatcher, Lock, ZkError, type ClientProcess, type Workload, type ZooKeeper } from "../client/index.ts";
import { MIX_OPERATIONS, type WorkloadSpec } from "./schema.ts";

const MIX_OPERATIONS_PIPELINE = MIX_OPERATIONS["pipeline"] as readonly string[];

/**
 * The client programs a scenario can ask for. Each is ordinary async code on
 * the public client API; failures ZooKeeper reports (ConnectionLoss,
 * BadVersion, NodeExists, ...) are part of the workload, and an expired or
 * closed session ends it.
 */

/** Where the client is in its group: `index` of `count`. */
export interface WorkloadPlace {
  readonly index: number;
  readonly count: number;
}

const OPS_DEFAULT = 50;
const EVERY_MS_DEFAULT = 20;

export function makeWorkload(spec: WorkloadSpec, place: WorkloadPlace): Workload {
  const ops = spec.ops ?? OPS_DEFAULT;
  const everyMs = spec.every === undefined ? EVERY_MS_DEFAULT : spec.every / 1_000;
  const startMs = spec.start === undefined ? 0 : spec.start / 1_000;
  const body = bodyOf(spec, place, ops, everyMs);
  return async (zk, p) => {
    if (startMs > 0) await p.sleep(startMs);
    await body(zk, p);
  };
}

function bodyOf(spec: WorkloadSpec, place: WorkloadPlace, ops: number, everyMs: number): Workload {
  switch (spec.kind) {
    case "register":
      return registerWorkload(spec, ops, everyMs);
    case "znode":
      return znodeWorkload(spec, place, ops, everyMs);
    case "pipeline":
      return pipelineWorkload(spec, place, ops, everyMs);
    case "lock":
      return async (zk, p) => {
        const lock = new Lock(zk, p);
        for (let round = 0; round < ops && alive(zk); round++) {
          await tolerate(async () => {
            const token = await lock.acquire();
            // The work under the lock, then its result goes to the shared storage with the fencing token.
            await p.sleep((spec.hold ?? 50_000) / 1_000);
            if (spec.store === true) await p.store("resource", `${p.self} round ${round}`, token);
            await lock.release();
          });
          await p.sleep(everyMs);
        }
      };
    case "election":
      return async (zk, p) => {
        for (let round = 0; round < ops && alive(zk); round++) {
          const election = new Election(zk, p);
          await tolerate(async () => {
            await election.lead();
            await p.sleep((spec.hold ?? 200_000) / 1_000);
            await election.resign();
          });
          await p.sleep(everyMs);
        }
      };
    case "barrier":
      return async (zk, p) => {
        for (let round = 0; round < ops && alive(zk); round++) {
          const barrier = new Barrier(zk, p, `/barrier-${round}`, place.count);
          await tolerate(async () => {
            await barrier.enter(`p${place.index}`);
            await p.sleep(p.rng.below(Math.max(1, Math.round(everyMs))));
            await barrier.leave();
          });
        }
      };
    case "config":
      if ((spec.role ?? (place.index === 0 ? "writer" : "reader")) === "writer") {
        return async (zk, p) => {
          await tolerate(() => zk.create("/config", "v0"));
          for (let i = 1; i <= ops && alive(zk); i++) {
            await p.sleep(everyMs);
            await tolerate(() => zk.setData("/config", `v${i}`));
          }
        };
      }
      return async (zk, p) => {
        const watcher = new ConfigWatcher(zk, p, "/config");
        await tolerate(() => watcher.watch(() => undefined));
      };
    case "stale-read":
      if ((spec.role ?? (place.index === 0 ? "writer" : "reader")) === "writer") {
        return async (zk, p) => {
          await tolerate(() => zk.create("/x", "0"));
          for (let i = 1; i <= ops && alive(zk); i++) {
            await p.sleep(everyMs);
            await tolerate(() => zk.setData("/x", String(i)));
          }
        };
      }
      return async (zk, p) => {
        for (let i = 0; i < ops && alive(zk); i++) {
          await p.sleep(everyMs);
          await tolerate(async () => {
            if (spec.sync === true) await zk.sync("/x");
            await zk.getData("/x");
          });
        }
      };
    case "membership":
      return spec.role === "balancer" ? balancerWorkload(ops, everyMs) : memberWorkload(spec, ops, everyMs);
    default: {
      const unknown: never = spec.kind;
      throw new Error(`unknown workload ${String(unknown)}`);
    }
  }
}

/** Reads, writes and version-checked writes on shared registers /r0../rK. */
function registerWorkload(spec: WorkloadSpec, ops: number, everyMs: number): Workload {
  const keys = spec.keys ?? 3;
  const pick = mixPicker(spec.mix ?? { read: 50, write: 30, cas: 20 }, ["read", "write", "cas"]);
  return async (zk, p) => {
    for (let k = 0; k < keys; k++) await tolerate(() => zk.create(`/r${k}`, "0"));
    const versions = new Map<string, number>();
    for (let i = 0; i < ops && alive(zk); i++) {
      const path = `/r${p.rng.below(keys)}`;
      const value = `${p.self}.${i}`;
      await tolerate(async () => {
        switch (pick(p)) {
          case "read": {
            if (spec.sync === true) await zk.sync(path);
            versions.set(path, (await zk.getData(path)).stat.version);
            break;
          }
          case "write":
            versions.set(path, (await zk.setData(path, value)).version);
            break;
          default:
            versions.set(path, (await zk.setData(path, value, versions.get(path) ?? 0)).version);
        }
      });
      await p.sleep(everyMs);
    }
  };
}

/** Creates (plain, ephemeral, sequential), deletes, writes and reads of znodes /z0../zK. */
function znodeWorkload(spec: WorkloadSpec, place: WorkloadPlace, ops: number, everyMs: number): Workload {
  const keys = spec.keys ?? 4;
  const kinds = ["create", "ephemeral", "sequential", "delete", "setData", "getData", "exists", "getChildren"];
  const pick = mixPicker(spec.mix ?? { create: 15, ephemeral: 10, sequential: 10, delete: 15, setData: 15, getData: 15, exists: 10, getChildren: 10 }, kinds);
  return async (zk, p) => {
    await tolerate(() => zk.create("/q", null));
    for (let i = 0; i < ops && alive(zk); i++) {
      const path = `/z${p.rng.below(keys)}`;
      await tolerate(async () => {
        switch (pick(p)) {
          case "create":
            await zk.create(path, `${place.index}.${i}`);
            break;
          case "ephemeral":
            await zk.create(path, `${place.index}.${i}`, { mode: "EPHEMERAL" });
            break;
          case "sequential":
            await zk.create("/q/n-", null, { mode: "PERSISTENT_SEQUENTIAL" });
            break;
          case "delete":
            await zk.delete(path);
            break;
          case "setData":
            await zk.setData(path, `${place.index}.${i}`);
            break;
          case "getData":
            if (spec.sync === true) await zk.sync(path);
            await zk.getData(path, () => undefined);
            break;
          case "exists":
            await zk.exists(path, () => undefined);
            break;
          default:
            await zk.getChildren("/q");
        }
      });
      await p.sleep(everyMs);
    }
  };
}

const PIPELINE_INFLIGHT_DEFAULT = 16;

/**
 * Many requests in flight per session, as ZooKeeper's asynchronous API
 * allows: `inflight` lanes each issue one request (a sync issues its read
 * right behind it, both in flight) and the next when it completes. Reads set
 * watches (data, exists and child), writes are plain, conditional, creates
 * and deletes of /p0../pK, and sequential children of /pc come and go, so
 * that session order, reads after the session's own writes, watches and
 * sync are all exercised with requests overtaking nothing.
 */
function pipelineWorkload(spec: WorkloadSpec, place: WorkloadPlace, ops: number, everyMs: number): Workload {
  const keys = spec.keys ?? 4;
  const inflight = spec.inflight ?? PIPELINE_INFLIGHT_DEFAULT;
  const kinds = MIX_OPERATIONS_PIPELINE;
  const pick = mixPicker(spec.mix ?? { read: 25, exists: 10, children: 10, write: 20, cas: 10, create: 5, delete: 5, child: 5, unchild: 5, sync: 5 }, kinds);
  return async (zk, p) => {
    for (let k = 0; k < keys; k++) await tolerate(() => zk.create(`/p${k}`, "0"));
    await tolerate(() => zk.create("/pc", null));
    const versions = new Map<string, number>();
    const children: string[] = [];
    let issued = 0;
    const one = async (i: number): Promise<void> => {
      const path = `/p${p.rng.below(keys)}`;
      const value = `${place.index}.${i}`;
      const watch = () => undefined;
      switch (pick(p)) {
        case "read":
          versions.set(path, (await zk.getData(path, watch)).stat.version);
          return;
        case "exists":
          await zk.exists(path, watch);
          return;
        case "children":
          await zk.getChildren("/pc", watch);
          return;
        case "write":
          versions.set(path, (await zk.setData(path, value)).version);
          return;
        case "cas":
          versions.set(path, (await zk.setData(path, value, versions.get(path) ?? 0)).version);
          return;
        case "create":
          await zk.create(path, value);
          return;
        case "delete":
          await zk.delete(path);
          return;
        case "child":
          children.push(await zk.create("/pc/n-", value, { mode: "PERSISTENT_SEQUENTIAL" }));
          return;
        case "unchild": {
          const child = children.splice(p.rng.below(Math.max(1, children.length)), 1)[0];
          if (child !== undefined) await zk.delete(child);
          return;
        }
        default: {
          // Both in flight: the read is queued behind the sync and must see what the sync caught up to.
          const synced = zk.sync(path);
          const read = zk.getData(path);
          await Promise.allSettled([synced, read]);
          await synced;
          await read;
        }
      }
    };
    const lane = async (): Promise<void> => {
      while (issued < ops && alive(zk)) {
        const i = issued++;
        await tolerate(() => one(i));
        if (everyMs > 0) await p.sleep(everyMs);
      }
    };
    // Beside the lanes, a watcher that keeps a child watch on /pc and a data watch on /p0 set, as a
    // membership or configuration watcher does, so that a reconnect always finds watches to carry over.
    let lanesDone = false;
    const wakes: (() => void)[] = [];
    const watcher = async (read: (w: () => void) => Promise<unknown>): Promise<void> => {
      const slot = wakes.push(() => {}) - 1;
      while (!lanesDone && alive(zk)) {
        const fired = new Promise<void>((resolve) => {
          wakes[slot] = resolve;
        });
        let set = false;
        await tolerate(async () => {
          await read(() => (wakes[slot] as () => void)());
          set = true;
        });
        if (set) await fired;
        else await p.sleep(everyMs + 1);
      }
    };
    const watchers = [watcher((w) => zk.getChildren("/pc", w)), watcher((w) => zk.getData("/p0", w))];
    await Promise.all(Array.from({ length: inflight }, lane));
    lanesDone = true;
    for (const wake of wakes) wake();
    await Promise.all(watchers);
  };
}

/** Draws an operation name by the mix's percent weights; names not in `known` are an error at build time. */
function mixPicker(mix: Readonly<Record<string, number>>, known: readonly string[]): (p: ClientProcess) => string {
  const entries = Object.entries(mix).filter(([, w]) => w > 0);
  for (const [name] of entries) if (!known.includes(name)) throw new Error(`unknown operation "${name}" in the mix; expected ${known.join(", ")}`);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (total === 0) throw new Error("the mix has no operation with a weight above 0");
  return (p) => {
    let draw = p.rng.below(total);
    for (const [name, weight] of entries) {
      if (draw < weight) return name;
      draw -= weight;
    }
    return (entries[0] as [string, number])[0];
  };
}

function alive(zk: ZooKeeper): boolean {
  return zk.state !== "Expired" && zk.state !== "Closed";
}

/** Runs a step; a ZooKeeper error is part of the workload (anything else is a bug and propagates). */
async function tolerate(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof ZkError)) throw error;
  }
}

/**
 * A member of an application: registers itself in /group (an ephemeral node
 * with its address) and stands for primary (the election recipe on
 * /primary), then serves: it stays for `ops` rounds of `every` (a crash or
 * an expired session ends it sooner), resigning and leaving at the end.
 */
function memberWorkload(spec: WorkloadSpec, ops: number, everyMs: number): Workload {
  return async (zk, p) => {
    const member = new GroupMember(zk, p, "/group");
    const primary = new Election(zk, p, "/primary");
    await tolerate(async () => {
      await member.join(p.self, `${p.self}:2181`);
      // Standing for primary waits in the queue; serving goes on meanwhile.
      const standing = primary.lead().then(
        () => p.sleep((spec.hold ?? ops * everyMs * 1_000) / 1_000),
        () => undefined,
      );
      for (let round = 0; round < ops && alive(zk); round++) await p.sleep(everyMs);
      await Promise.race([standing, p.sleep(0)]);
      await primary.resign();
      await member.leave();
    });
  };
}

/** A load balancer: watches /group and routes a request every `every` to the next live member of its latest view. */
function balancerWorkload(ops: number, everyMs: number): Workload {
  return async (zk, p) => {
    const group = new GroupWatcher(zk, p, "/group");
    const watching = tolerate(() => group.watch());
    let next = 0;
    for (let round = 0; round < ops && alive(zk); round++) {
      await p.sleep(everyMs);
      const members = group.members;
      if (members.length === 0) continue;
      const member = members[next++ % members.length] as string;
      p.note("routed", { group: "/group", member });
    }
    group.stop();
    await Promise.race([watching, p.sleep(0)]);
  };
}

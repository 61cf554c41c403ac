import { describe, expect, test } from "vitest";
import {
  LogServer,
  paxosConfigSchema,
  Replica,
  serverIds,
  type LogServerMsg,
  type LogServerOptions,
  type LogServerTimer,
  type PaxosMsg,
  type ReplicaContext,
} from "../../src/paxos/index.ts";
import { Rng, Simulation, unreachable, type Context, type Node, type NodeId, type SyncId } from "../../src/sim/index.ts";

type ReadTag = { readonly owner: "test"; readonly kind: "read" };
type ReaderTimer = LogServerTimer | ReadTag;

/** A log server that asks for a read barrier at 1 s and records what it got, with the leader's applied end at that moment. */
class Reader implements Node<LogServerMsg, ReaderTimer> {
  result: { slot: number | null; leaderAppliedAtCall: number; appliedAtReply: number } | "pending" = "pending";
  peekLeaderApplied: () => number = () => 0;
  private readonly server: LogServer;

  constructor(options: LogServerOptions) {
    this.server = new LogServer(options);
  }

  get paxos(): LogServer["paxos"] {
    return this.server.paxos;
  }

  start(ctx: Context<LogServerMsg, ReaderTimer>): void {
    this.server.start(ctx);
    ctx.setTimer(1_000_000, { owner: "test", kind: "read" });
  }

  receive(ctx: Context<LogServerMsg, ReaderTimer>, from: string, msg: LogServerMsg): void {
    this.server.receive(ctx, from, msg);
  }

  timer(ctx: Context<LogServerMsg, ReaderTimer>, tag: ReaderTimer): void {
    switch (tag.owner) {
      case "paxos":
      case "server":
        return this.server.timer(ctx, tag);
      case "test": {
        const leaderAppliedAtCall = this.peekLeaderApplied();
        return this.paxos.readIndex(ctx, (slot) => {
          this.result = { slot, leaderAppliedAtCall, appliedAtReply: this.paxos.appliedEnd };
        });
      }
      default:
        return unreachable(tag, "reader timer");
    }
  }

  synced(ctx: Context<LogServerMsg, ReaderTimer>, sync: SyncId): void {
    this.server.synced(ctx, sync);
  }

  invariants(): void {
    this.server.invariants();
  }
}

function cluster(seed: number, isolate: string | null) {
  const peers = serverIds(3);
  const paxos = paxosConfigSchema.parse({ readIndexTimeoutUs: 500_000 });
  const sim = new Simulation<LogServerMsg>({
    config: { seed, nodes: peers, faults: isolate === null ? [] : [{ atUs: 900_000, fault: { type: "isolate", node: isolate } }] },
    createNode: () => new Reader({ paxos, peers, proposeEveryUs: 5_000, proposals: [] }),
  });
  const leaderApplied = () => {
    for (const id of peers) {
      const node = sim.nodeObject(id) as Reader | null;
      if (node?.paxos.role === "leader") return node.paxos.appliedEnd;
    }
    return 0;
  };
  sim.run({ untilUs: 0 });
  for (const id of peers) (sim.nodeObject(id) as Reader).peekLeaderApplied = leaderApplied;
  sim.run({ untilUs: 2_500_000 });
  return { sim, peers, reader: (id: string) => sim.nodeObject(id) as Reader };
}

describe("the read barrier", () => {
  test("at the leader and at followers it returns a slot covering everything committed before the call, applied by then (seed 1)", () => {
    const { peers, reader } = cluster(1, null);
    for (const id of peers) {
      const r = reader(id).result;
      expect(r, `${id} got no answer`).not.toBe("pending");
      if (r === "pending") continue;
      expect(r.slot).not.toBeNull();
      expect(r.slot as number).toBeGreaterThanOrEqual(r.leaderAppliedAtCall);
      expect(r.appliedAtReply).toBeGreaterThanOrEqual(r.slot as number);
    }
  });

  test("a read waiting at a follower is answered when a snapshot carries the applied end past its slot, with no slot applied after it", () => {
    // One replica driven by hand, its peers played by the test.
    const sent: { to: NodeId; msg: PaxosMsg<string> }[] = [];
    const disk = new Map<string, unknown>();
    const ctx: ReplicaContext<string> = {
      self: "s3",
      nodes: ["s1", "s2", "s3"],
      incarnation: 1,
      send: (to, msg) => void sent.push({ to, msg }),
      setTimer: () => 0,
      cancelTimer: () => {},
      now: () => 0,
      rng: new Rng(1),
      storage: {
        read: (k) => disk.get(k),
        write: (k, v) => void disk.set(k, v),
        delete: (k) => void disk.delete(k),
        keys: () => [...disk.keys()].sort(),
        sync: () => 1,
        unsyncedCount: 0,
      },
      tracing: false,
      trace: () => {},
      buggify: () => false,
      sentToSelf: () => 0,
      deliveredToSelf: () => {},
    };
    let state: unknown = null;
    const replica = new Replica<string>(paxosConfigSchema.parse({}), ["s1", "s2", "s3"], {
      apply: () => {},
      snapshot: () => state,
      restore: (_slot, restored) => void (state = restored),
    });
    replica.start(ctx);
    const ballot = { round: 1, node: "s1" };
    replica.receive(ctx, "s1", { type: "heartbeat", ballot, commit: 0, probe: 0 });
    const answers: (number | null)[] = [];
    replica.readIndex(ctx, (slot) => answers.push(slot));
    const ask = sent.find((s) => s.msg.type === "read-index");
    expect(ask?.to).toBe("s1");
    const request = (ask?.msg as { request: number }).request;
    replica.receive(ctx, "s1", { type: "read-index-reply", request, slot: 5 });
    expect(answers).toEqual([]);
    replica.receive(ctx, "s1", { type: "snapshot", slot: 7, chunkIndex: 0, chunkCount: 1, data: JSON.stringify({ count: 7 }) });
    expect(replica.appliedEnd).toBe(7);
    expect(state).toEqual({ count: 7 });
    expect(answers).toEqual([5]);
    replica.invariants();
  });

  test("an isolated replica gets no barrier: null, not a stale slot (seed 2)", () => {
    const probe = cluster(2, null);
    const follower = probe.peers.find((id) => probe.reader(id).paxos.role !== "leader") as string;
    const { reader } = cluster(2, follower);
    const r = reader(follower).result;
    expect(r).not.toBe("pending");
    if (r !== "pending") expect(r.slot).toBeNull();
  });
});

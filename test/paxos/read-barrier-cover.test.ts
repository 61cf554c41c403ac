import { describe, expect, test } from "vitest";
import { LogServer, paxosConfigSchema, serverIds, type LogServerMsg, type LogServerOptions, type LogServerTimer, type ScheduledProposal } from "../../src/paxos/index.ts";
import { Simulation, unreachable, type Context, type Node, type ScheduledFault, type SyncId } from "../../src/sim/index.ts";

/**
 * What `sync` rests on: the read barrier returns a slot that covers every
 * slot chosen anywhere before it was asked for. Not one slot less, and not
 * the stale applied end of a leader that has just been elected and has not
 * yet recovered what its predecessor committed (its own no-op, committed
 * after every recovered slot, says when it has).
 */

type PollTag = { readonly owner: "test"; readonly kind: "poll" };
type ProbeTimer = LogServerTimer | PollTag;

/** What a read barrier returned, and the highest applied end of any replica when it was asked for. */
interface Read {
  readonly node: string;
  readonly atUs: number;
  readonly appliedAnywhere: number;
  /** The asking replica's own applied end then. */
  readonly appliedHere: number;
  slot: number | null | "pending";
}

const POLL_US = 100;

/**
 * A log server that asks for read barriers: once at `readAtUs` (if set), and,
 * when `onLeading` is set, the moment it finds itself a new leader.
 */
class Prober implements Node<LogServerMsg, ProbeTimer> {
  readonly reads: Read[] = [];
  appliedAnywhere: () => number = () => 0;
  private readonly server: LogServer;
  private ledAt: string | null = null;

  constructor(
    options: LogServerOptions,
    private readonly probe: { readonly readAtUs?: number; readonly onLeading?: boolean },
  ) {
    this.server = new LogServer(options);
  }

  get paxos(): LogServer["paxos"] {
    return this.server.paxos;
  }

  start(ctx: Context<LogServerMsg, ProbeTimer>): void {
    this.server.start(ctx);
    if (this.probe.readAtUs !== undefined) ctx.setTimer(this.probe.readAtUs, { owner: "test", kind: "poll" });
    else if (this.probe.onLeading === true) ctx.setTimer(POLL_US, { owner: "test", kind: "poll" });
  }

  receive(ctx: Context<LogServerMsg, ProbeTimer>, from: string, msg: LogServerMsg): void {
    this.server.receive(ctx, from, msg);
    this.readIfNewLeader(ctx);
  }

  timer(ctx: Context<LogServerMsg, ProbeTimer>, tag: ProbeTimer): void {
    switch (tag.owner) {
      case "paxos":
      case "server":
        this.server.timer(ctx, tag);
        return this.readIfNewLeader(ctx);
      case "test":
        if (this.probe.onLeading === true) {
          this.readIfNewLeader(ctx);
          ctx.setTimer(POLL_US, tag);
        } else {
          this.read(ctx);
        }
        return;
      default:
        return unreachable(tag, "prober timer");
    }
  }

  synced(ctx: Context<LogServerMsg, ProbeTimer>, sync: SyncId): void {
    this.server.synced(ctx, sync);
    this.readIfNewLeader(ctx);
  }

  invariants(): void {
    this.server.invariants();
  }

  /** The first thing a new leader is asked: a read barrier, before its phase 2 can have completed. */
  private readIfNewLeader(ctx: Context<LogServerMsg, ProbeTimer>): void {
    if (this.probe.onLeading !== true || this.paxos.role !== "leader") return;
    const ballot = JSON.stringify(this.paxos.currentBallot);
    if (ballot === this.ledAt) return;
    this.ledAt = ballot;
    this.read(ctx);
  }

  private read(ctx: Context<LogServerMsg, ProbeTimer>): void {
    const read: Read = { node: ctx.self, atUs: ctx.now(), appliedAnywhere: this.appliedAnywhere(), appliedHere: this.paxos.appliedEnd, slot: "pending" };
    this.reads.push(read);
    this.paxos.readIndex(ctx, (slot) => {
      read.slot = slot;
    });
  }
}

function run(options: { seed: number; count: number; untilUs: number; proposeEveryUs: number; proposals: ScheduledProposal[]; faults: ScheduledFault[]; probe: (id: string) => ConstructorParameters<typeof Prober>[1] }) {
  const peers = serverIds(options.count);
  const paxos = paxosConfigSchema.parse({});
  const sim = new Simulation<LogServerMsg>({
    config: { seed: options.seed, nodes: peers, faults: options.faults },
    createNode: (id) => new Prober({ paxos, peers, proposeEveryUs: options.proposeEveryUs, proposals: options.proposals }, options.probe(id)),
  });
  const prober = (id: string) => sim.nodeObject(id) as Prober | null;
  const appliedAnywhere = () => Math.max(0, ...peers.map((id) => prober(id)?.paxos.appliedEnd ?? 0));
  sim.run({ untilUs: 0 });
  for (const id of peers) (prober(id) as Prober).appliedAnywhere = appliedAnywhere;
  sim.run({ untilUs: options.untilUs });
  return { peers, prober, reads: peers.flatMap((id) => prober(id)?.reads ?? []) };
}

describe("the read barrier covers every slot chosen before it was asked for", () => {
  test("on a quiet cluster, a follower's barrier is the whole applied log, not one slot less (seed 3)", () => {
    const leaderOf = (r: ReturnType<typeof run>) => r.peers.find((id) => r.prober(id)?.paxos.role === "leader");
    const proposals = (leader: string) => Array.from({ length: 40 }, (_, i) => ({ node: leader, atUs: 400_000 + i * 10_000, value: `v${i}` }));
    const probe = run({ seed: 3, count: 3, untilUs: 380_000, proposeEveryUs: 0, proposals: [], faults: [], probe: () => ({}) });
    const leader = leaderOf(probe) as string;
    const follower = probe.peers.find((id) => id !== leader) as string;
    const { reads } = run({ seed: 3, count: 3, untilUs: 2_000_000, proposeEveryUs: 0, proposals: proposals(leader), faults: [], probe: (id) => (id === follower ? { readAtUs: 1_500_000 } : {}) });
    expect(reads).toHaveLength(1);
    const read = reads[0] as Read;
    expect(read.appliedAnywhere).toBeGreaterThanOrEqual(40);
    expect(read.slot).toBeGreaterThanOrEqual(read.appliedAnywhere);
  });

  test("a leader elected behind its predecessor does not serve a barrier before its own no-op commits (seed 5)", () => {
    const probe = run({ seed: 5, count: 5, untilUs: 500_000, proposeEveryUs: 2_000, proposals: [], faults: [], probe: () => ({}) });
    const first = probe.peers.find((id) => probe.prober(id)?.paxos.role === "leader") as string;
    const [x, y] = probe.peers.filter((id) => id !== first);
    // The leader stops reaching two followers, which fall behind while it goes on committing with the other two;
    // one of them then takes over, having missed what its predecessor committed.
    const cut = (to: string): ScheduledFault => ({ atUs: 600_000, fault: { type: "cut", from: first, to, oneWay: true } });
    const { reads } = run({ seed: 5, count: 5, untilUs: 3_000_000, proposeEveryUs: 2_000, proposals: [], faults: [cut(x as string), cut(y as string)], probe: () => ({ onLeading: true }) });
    const late = reads.filter((r) => r.node !== first && r.atUs > 600_000);
    expect(late.length, "a stale follower became leader").toBeGreaterThan(0);
    // Not vacuous: a new leader was asked while it was behind what had been chosen.
    expect(late.some((r) => r.appliedHere < r.appliedAnywhere)).toBe(true);
    for (const read of late) {
      expect(read.slot, `${read.node} at ${read.atUs} µs`).not.toBe("pending");
      if (read.slot !== null) expect(read.slot, `${read.node} at ${read.atUs} µs`).toBeGreaterThanOrEqual(read.appliedAnywhere);
    }
  });
});

import type { Context, Node, NodeId } from "../sim/index.ts";

/**
 * A small anti-entropy gossip protocol, the engine's demonstration and test
 * subject (it is not Paxos). Each node knows a set of rumors; every round it
 * pushes what it knows to one random peer, which merges it. A node writes each
 * rumor it learns to disk and syncs, so after a crash it remembers only what
 * was synced; its peers fill in the rest once it is back.
 */
export type GossipMsg = { type: "rumors"; rumors: readonly string[] };

export interface GossipOptions {
  /** Time between two pushes, in the node's local µs. */
  roundUs: number;
  /** Rumors to start at a given local time: node id → [[atUs, rumor]]. */
  seeds: Readonly<Record<NodeId, readonly (readonly [number, string])[]>>;
}

type Tag = { kind: "round" } | { kind: "seed"; rumor: string };

const RUMOR_KEY_PREFIX = "rumor/";

export class GossipNode implements Node<GossipMsg> {
  /** Volatile: rebuilt from disk at every start. */
  private readonly known = new Set<string>();

  constructor(private readonly options: GossipOptions) {}

  start(ctx: Context<GossipMsg>): void {
    for (const key of ctx.storage.keys()) {
      if (key.startsWith(RUMOR_KEY_PREFIX)) this.known.add(key.slice(RUMOR_KEY_PREFIX.length));
    }
    ctx.trace("recovered", { rumors: [...this.known].sort() });
    if (ctx.incarnation === 1) {
      for (const [atUs, rumor] of this.options.seeds[ctx.self] ?? []) ctx.setTimer(atUs, { kind: "seed", rumor } satisfies Tag);
    }
    ctx.setTimer(ctx.rng.between(0, this.options.roundUs), { kind: "round" } satisfies Tag);
  }

  receive(ctx: Context<GossipMsg>, _from: NodeId, msg: GossipMsg): void {
    switch (msg.type) {
      case "rumors":
        for (const rumor of msg.rumors) this.learn(ctx, rumor);
        return;
    }
  }

  timer(ctx: Context<GossipMsg>, tag: unknown): void {
    const t = tag as Tag;
    switch (t.kind) {
      case "seed":
        this.learn(ctx, t.rumor);
        return;
      case "round": {
        const peers = ctx.nodes.filter((id) => id !== ctx.self);
        if (peers.length > 0 && this.known.size > 0) {
          ctx.send(ctx.rng.pick(peers), { type: "rumors", rumors: [...this.known].sort() });
        }
        ctx.setTimer(this.options.roundUs, { kind: "round" } satisfies Tag);
        return;
      }
    }
  }

  /** The rumors this node knows, sorted. */
  rumors(): string[] {
    return [...this.known].sort();
  }

  private learn(ctx: Context<GossipMsg>, rumor: string): void {
    if (this.known.has(rumor)) return;
    this.known.add(rumor);
    ctx.storage.write(RUMOR_KEY_PREFIX + rumor, true);
    ctx.storage.sync();
    ctx.trace("learned", { rumor });
  }
}

import type { Fault, NemesisConfig } from "./config.ts";
import type { NodeId } from "./node.ts";
import type { Rng } from "./rng.ts";

/** What the nemesis may look at before it acts. */
export interface NemesisWorld {
  readonly nowUs: number;
  status(id: NodeId): "running" | "paused" | "crashed";
  /** Directed links cut at the moment. */
  readonly cutCount: number;
}

type Action = keyof NemesisConfig["weights"];
const ACTIONS: readonly Action[] = ["crash", "restart", "pause", "resume", "partition", "heal", "clock"];

/**
 * A random adversary: at random intervals it picks one feasible action by
 * weight (crash, restart, pause, resume, partition, heal, clock) and returns the
 * fault to apply. It draws only from its own rng stream. At stopUs it undoes
 * everything it did, so that liveness can be judged on a calm system.
 */
export class Nemesis {
  private readonly targets: readonly NodeId[];
  private readonly clocksTouched = new Set<NodeId>();
  private done = false;

  constructor(
    private readonly config: NemesisConfig,
    nodeIds: readonly NodeId[],
    private readonly rng: Rng,
  ) {
    this.targets = config.targets ?? nodeIds;
  }

  /** The faults to apply now (none, one, or at stopUs the list that heals everything). */
  tick(world: NemesisWorld): Fault[] {
    if (this.done) return [];
    if (world.nowUs >= this.config.stopUs) {
      this.done = true;
      return this.healAll(world);
    }
    const action = this.pickAction(world);
    return action === undefined ? [] : [this.faultFor(action, world)];
  }

  /** When to tick next, or undefined after the final heal. */
  nextTickUs(nowUs: number): number | undefined {
    if (this.done) return undefined;
    const nextUs = nowUs + this.rng.between(this.config.intervalUsMin, this.config.intervalUsMax);
    return Math.min(nextUs, this.config.stopUs);
  }

  private pickAction(world: NemesisWorld): Action | undefined {
    const feasible = ACTIONS.filter((action) => this.config.weights[action] > 0 && this.isFeasible(action, world));
    let total = 0;
    for (const action of feasible) total += this.config.weights[action];
    if (total === 0) return undefined;
    let draw = this.rng.below(total);
    for (const action of feasible) {
      draw -= this.config.weights[action];
      if (draw < 0) return action;
    }
    return undefined;
  }

  private isFeasible(action: Action, world: NemesisWorld): boolean {
    const down = this.targets.filter((id) => world.status(id) !== "running").length;
    switch (action) {
      case "crash":
      case "pause":
        return down < this.config.downMax && this.withStatus(world, "running").length > 0;
      case "restart":
        return this.withStatus(world, "crashed").length > 0;
      case "resume":
        return this.withStatus(world, "paused").length > 0;
      case "partition":
        return this.targets.length >= 2;
      case "heal":
        return world.cutCount > 0;
      case "clock":
        return this.config.skewUsMax > 0 || this.config.driftPpmMax > 0;
    }
  }

  private faultFor(action: Action, world: NemesisWorld): Fault {
    switch (action) {
      case "crash":
        return { type: "crash", node: this.rng.pick(this.withStatus(world, "running")) };
      case "pause":
        return { type: "pause", node: this.rng.pick(this.withStatus(world, "running")) };
      case "restart":
        return { type: "restart", node: this.rng.pick(this.withStatus(world, "crashed")) };
      case "resume":
        return { type: "resume", node: this.rng.pick(this.withStatus(world, "paused")) };
      case "partition":
        return this.randomPartition();
      case "heal":
        return { type: "heal" };
      case "clock": {
        const node = this.rng.pick(this.targets);
        this.clocksTouched.add(node);
        const skewUsMax = this.config.skewUsMax;
        const driftPpmMax = this.config.driftPpmMax;
        return { type: "clock", node, skewUs: this.rng.between(-skewUsMax, skewUsMax), driftPpm: this.rng.between(-driftPpmMax, driftPpmMax) };
      }
    }
  }

  /** One of three shapes: a random split of the targets, one node isolated, or a one-way cut. */
  private randomPartition(): Fault {
    const shape = this.rng.below(3);
    if (shape === 0) {
      const shuffled = this.rng.shuffled(this.targets);
      return { type: "partition", groups: [shuffled.slice(0, this.rng.between(1, shuffled.length - 1))] };
    }
    if (shape === 1) return { type: "isolate", node: this.rng.pick(this.targets) };
    const [from, to] = this.rng.shuffled(this.targets) as [NodeId, NodeId];
    return { type: "cut", from, to, oneWay: true };
  }

  private healAll(world: NemesisWorld): Fault[] {
    const faults: Fault[] = [];
    if (world.cutCount > 0) faults.push({ type: "heal" });
    for (const node of this.withStatus(world, "paused")) faults.push({ type: "resume", node });
    for (const node of this.withStatus(world, "crashed")) faults.push({ type: "restart", node });
    for (const node of [...this.clocksTouched].sort()) faults.push({ type: "clock", node, skewUs: 0, driftPpm: 0 });
    return faults;
  }

  private withStatus(world: NemesisWorld, status: "running" | "paused" | "crashed"): NodeId[] {
    return this.targets.filter((id) => world.status(id) === status);
  }
}

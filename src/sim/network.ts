import type { LinkSettings } from "./config.ts";
import { latencySampler, type LatencyDistribution, type LatencySampler } from "./latency.ts";

const PER_MILLION = 1_000_000;

/** Network-wide settings, as in the configuration. */
export interface NetworkDefaults {
  latency: LatencyDistribution;
  loss: number;
  duplication: number;
}

interface LinkOverride {
  latency?: LatencyDistribution | undefined;
  loss?: number | undefined;
  duplication?: number | undefined;
}

/**
 * The state of every directed link between n nodes: whether it is cut, its
 * latency sampler, and its loss and duplication rates in parts per million.
 * Kept as flat arrays indexed by from * n + to, since the engine reads them on
 * every send. Rates become integers here, once, so no draw compares floats.
 */
export class Network {
  private readonly cut: Uint8Array;
  readonly samplers: LatencySampler[];
  readonly lossPerMillion: Int32Array;
  readonly duplicationPerMillion: Int32Array;
  private defaults: NetworkDefaults;
  /** Per-link settings that override the defaults, field by field. */
  private readonly overrides: (LinkOverride | undefined)[];

  constructor(
    readonly nodeCount: number,
    defaults: NetworkDefaults,
  ) {
    const linkCount = nodeCount * nodeCount;
    this.cut = new Uint8Array(linkCount);
    this.samplers = new Array<LatencySampler>(linkCount);
    this.lossPerMillion = new Int32Array(linkCount);
    this.duplicationPerMillion = new Int32Array(linkCount);
    this.overrides = new Array<LinkOverride | undefined>(linkCount).fill(undefined);
    this.defaults = defaults;
    this.recompute();
  }

  isCut(from: number, to: number): boolean {
    return this.cut[from * this.nodeCount + to] === 1;
  }

  /** Nodes in different groups cannot talk; nodes in no group form one more group. Replaces all cuts. */
  partition(groupsOfIndexes: readonly (readonly number[])[]): void {
    const n = this.nodeCount;
    const groupOf = new Int32Array(n).fill(-1);
    groupsOfIndexes.forEach((group, g) => {
      for (const index of group) groupOf[index] = g;
    });
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) {
        this.cut[from * n + to] = groupOf[from] === groupOf[to] ? 0 : 1;
      }
    }
  }

  isolate(index: number): void {
    for (let other = 0; other < this.nodeCount; other++) {
      if (other === index) continue;
      this.cutLink(index, other, false);
    }
  }

  cutLink(from: number, to: number, oneWay: boolean): void {
    this.cut[from * this.nodeCount + to] = 1;
    if (!oneWay) this.cut[to * this.nodeCount + from] = 1;
  }

  heal(): void {
    this.cut.fill(0);
  }

  /** The cut directed links as [from, to] index pairs, in order (for display and tests). */
  cutLinks(): [number, number][] {
    const out: [number, number][] = [];
    for (let link = 0; link < this.cut.length; link++) {
      if (this.cut[link] === 1) out.push([Math.floor(link / this.nodeCount), link % this.nodeCount]);
    }
    return out;
  }

  setDefaults(change: Partial<NetworkDefaults>): void {
    this.defaults = {
      latency: change.latency ?? this.defaults.latency,
      loss: change.loss ?? this.defaults.loss,
      duplication: change.duplication ?? this.defaults.duplication,
    };
    this.recompute();
  }

  setLink(from: number, to: number, settings: Omit<LinkSettings, "from" | "to" | "oneWay">, oneWay: boolean): void {
    const apply = (link: number) => {
      const old = this.overrides[link] ?? {};
      this.overrides[link] = {
        latency: settings.latency ?? old.latency,
        loss: settings.loss ?? old.loss,
        duplication: settings.duplication ?? old.duplication,
      };
    };
    apply(from * this.nodeCount + to);
    if (!oneWay) apply(to * this.nodeCount + from);
    this.recompute();
  }

  private recompute(): void {
    const defaultSampler = latencySampler(this.defaults.latency);
    for (let link = 0; link < this.samplers.length; link++) {
      const override = this.overrides[link];
      this.samplers[link] = override?.latency === undefined ? defaultSampler : latencySampler(override.latency);
      this.lossPerMillion[link] = toPerMillion(override?.loss ?? this.defaults.loss);
      this.duplicationPerMillion[link] = toPerMillion(override?.duplication ?? this.defaults.duplication);
    }
  }
}

/** A rate in [0, 1] as an integer count of parts per million (the one place a float becomes an integer). */
export function toPerMillion(rate: number): number {
  return Math.round(rate * PER_MILLION);
}

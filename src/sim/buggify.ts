import { z } from "zod";
import { assert } from "./assert.ts";
import type { Rng } from "./rng.ts";

/**
 * Fault points inside the code (FoundationDB's BUGGIFY): places in the
 * service, Paxos and client code where a rare but legal behaviour can
 * happen, which a node asks for with `ctx.buggify(name)`. Every point is
 * named here, with where it is and what it does, so that a sweep can list
 * the points that never fired. The registry lives with the engine because
 * the engine decides, from the run's seed, whether a point fires.
 */
export const BUGGIFY_POINTS = {
  "zk.reply-delay": {
    where: "zk server: sending a reply to a client (server.ts, toClient)",
    what: "the reply stays in the connection's stream unsent; it goes when the client's next probe or ping says it lacks it (100 ms or more later)",
  },
  "zk.batch-short": {
    where: "zk leader: group commit (server.ts, proposeBatch)",
    what: "a batch of waiting transactions is cut to a random shorter prefix; the rest goes with a later batch",
  },
  "zk.touch-lost": {
    where: "zk server: the tick's session report (server.ts, tick)",
    what: "the sessions touched since the last tick are not reported to the leader, as if the zk-touch message were lost",
  },
  "paxos.heartbeat-skip": {
    where: "Paxos leader: the heartbeat timer (leader.ts, leaderTick)",
    what: "the periodic heartbeat is not sent this period (retransmissions of accepts still go)",
  },
  "paxos.snapshot-small-chunks": {
    where: "Paxos catch-up: sending a snapshot (catch-up.ts, sendSnapshot)",
    what: "the snapshot goes in chunks of an eighth of snapshotChunkChars (at least 16 characters), so in eight times as many messages",
  },
  "client.reconnect": {
    where: "zk client: the ping timer (client.ts)",
    what: "a connected client drops its connection for no reason and reconnects to the next server of its list",
  },
} as const satisfies Readonly<Record<string, { readonly where: string; readonly what: string }>>;

/** The name of a fault point. */
export type BuggifyPoint = keyof typeof BUGGIFY_POINTS;

/** Every fault point, in the registry's order. */
export const BUGGIFY_POINT_NAMES = Object.keys(BUGGIFY_POINTS) as readonly BuggifyPoint[];

export function isBuggifyPoint(name: string): name is BuggifyPoint {
  return Object.hasOwn(BUGGIFY_POINTS, name);
}

/** FoundationDB's rates: a point reached is active for the run with probability 1/4, and an active point fires 1 time in 4. */
export const BUGGIFY_ACTIVATE_PER_MILLION_DEFAULT = 250_000;
export const BUGGIFY_FIRE_PER_MILLION_DEFAULT = 250_000;

const perMillion = z.int().min(0).max(1_000_000, "a rate per million is at most 1000000");

/** The engine's `buggify` configuration: which points are enabled, and their rates in parts per million. */
export const buggifyConfigSchema = z.strictObject({
  points: z.array(z.string()).superRefine((names, ctx) => {
    names.forEach((name, index) => {
      if (!isBuggifyPoint(name)) ctx.addIssue({ code: "custom", path: [index], message: unknownPointMessage(name) });
    });
  }),
  activatePerMillion: perMillion.default(BUGGIFY_ACTIVATE_PER_MILLION_DEFAULT),
  firePerMillion: perMillion.default(BUGGIFY_FIRE_PER_MILLION_DEFAULT),
});

export type BuggifyConfig = z.output<typeof buggifyConfigSchema>;

/** The message for a name that is not in the registry. */
export function unknownPointMessage(name: string): string {
  return `unknown fault point "${name}"; expected one of ${BUGGIFY_POINT_NAMES.join(", ")}`;
}

/** How an enabled point stands in a run: not reached yet, or reached and (in)active for the rest of it. */
interface PointState {
  readonly rng: Rng;
  active: boolean | null;
  fired: number;
}

/**
 * The fault points of one run. Each enabled point has its own random stream
 * (forked by the point's name from the run's "buggify" stream), so enabling
 * one point shifts no other point's draws and no node's. The first time an
 * enabled point is reached it becomes active for the whole run with
 * probability activatePerMillion; an active point then fires each time it
 * is reached with probability firePerMillion. A point that is not enabled
 * draws nothing.
 */
export class BuggifyPoints {
  private readonly points = new Map<string, PointState>();

  constructor(
    private readonly config: BuggifyConfig,
    rng: Rng,
  ) {
    for (const name of config.points) {
      assert(isBuggifyPoint(name), "a fault point outside the registry", { name });
      if (!this.points.has(name)) this.points.set(name, { rng: rng.fork(name), active: null, fired: 0 });
    }
  }

  /** Whether `point` fires now (it is reached). */
  reached(point: BuggifyPoint): boolean {
    const state = this.points.get(point);
    if (state === undefined) return false;
    if (state.active === null) state.active = state.rng.chancePerMillion(this.config.activatePerMillion);
    if (!state.active || !state.rng.chancePerMillion(this.config.firePerMillion)) return false;
    state.fired++;
    return true;
  }

  /** How often each enabled point fired, in the registry's order. */
  fired(): Partial<Record<BuggifyPoint, number>> {
    const out: Partial<Record<BuggifyPoint, number>> = {};
    for (const name of BUGGIFY_POINT_NAMES) {
      const state = this.points.get(name);
      if (state !== undefined) out[name] = state.fired;
    }
    return out;
  }
}

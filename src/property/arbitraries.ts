import fc from "fast-check";

/**
 * The arbitraries a property test of a user's recipe draws its runs from:
 * a cluster size, a network, and a fault schedule that keeps to the user's
 * constraints by construction (only the kinds allowed, at most `downMax`
 * servers down at once, every fault over within `durationMs`). Each one is
 * a fast-check arbitrary, so users compose them into their own properties,
 * and fast-check shrinks what they draw.
 */

/** Fault kinds a schedule may draw. Each but skew is an episode: a fault, then its end. */
export const PROPERTY_FAULT_KINDS = ["crash", "pause", "isolate", "partition", "skew", "pause-client", "isolate-client"] as const;
export type PropertyFaultKind = (typeof PROPERTY_FAULT_KINDS)[number];

/** What the schedule draws when the user names no kinds: every kind that cannot expire a session on its own (skew can: a leader whose clock jumps expires sessions early). */
export const DEFAULT_FAULT_KINDS: readonly PropertyFaultKind[] = ["crash", "pause", "isolate", "partition", "pause-client", "isolate-client"];

/**
 * One fault, as a scenario file writes it (without its `at`): a server or
 * client by name (s1…, c1…), a partition by its groups. Heal ends every cut
 * and partition at once.
 */
export type ScheduledFaultEntry =
  | { readonly crash: string }
  | { readonly restart: string }
  | { readonly pause: string }
  | { readonly resume: string }
  | { readonly isolate: string }
  | { readonly partition: readonly (readonly string[])[] }
  | { readonly heal: true }
  | { readonly skew: { readonly node: string; readonly by: string } };

/** A fault at its instant, in milliseconds of virtual time from the start of the run. */
export interface ScheduledFaultAt {
  readonly atMs: number;
  readonly fault: ScheduledFaultEntry;
}

/** A fault schedule: faults in the order of their instants (ties in the order they were drawn). */
export type FaultSchedule = readonly ScheduledFaultAt[];

export interface FaultScheduleOptions {
  /** Servers s1..sN, and clients c1..cM, the faults may name. */
  readonly servers: number;
  readonly clients: number;
  /** The kinds to draw from (default DEFAULT_FAULT_KINDS). */
  readonly kinds?: readonly PropertyFaultKind[];
  /** Servers down at once, at most: crashed, paused, isolated or on the minority side of a partition (default: a minority, ⌊(N−1)/2⌋). */
  readonly downMax?: number;
  /** Every fault starts and ends within this many ms from the start (default 3000). */
  readonly durationMs?: number;
  /** Episodes drawn, at most (default 8); those that would break `downMax` are left out. */
  readonly faultsMax?: number;
  /** How long one episode (a crash to its restart, a pause to its resume…) lasts, in ms (default 50 to 1500). */
  readonly episodeMsMin?: number;
  readonly episodeMsMax?: number;
  /** A clock step of a server, at most this many ms either way (default 2000). */
  readonly skewMsMax?: number;
}

/** The defaults of FaultScheduleOptions, where a default does not depend on the cluster. */
export const FAULT_SCHEDULE_DEFAULTS = {
  durationMs: 3_000,
  faultsMax: 8,
  episodeMsMin: 50,
  episodeMsMax: 1_500,
  skewMsMax: 2_000,
} as const;

/** The most servers that may be down while a majority still runs. */
export function minorityOf(servers: number): number {
  return Math.floor((servers - 1) / 2);
}

/** A drawn episode, before the constraints and the naming: what shrinks. */
interface Episode {
  readonly kind: PropertyFaultKind;
  /** Which server or client (an index, taken modulo the count). */
  readonly target: number;
  readonly startMs: number;
  readonly lengthMs: number;
  /** partition: servers on the minority side (taken modulo downMax, plus one). */
  readonly size: number;
  /** skew: the clock's step in ms (negative: back). */
  readonly stepMs: number;
}

/**
 * Fault schedules that keep to `options`: only the kinds allowed, every
 * episode within `durationMs`, never more than `downMax` servers down at
 * once, and one episode at a time per node. Episodes are drawn, then laid
 * out in order of their start, and one that would break a constraint is
 * left out; so shrinking (fewer, shorter, earlier episodes) keeps them too.
 */
export function faultScheduleArbitrary(options: FaultScheduleOptions): fc.Arbitrary<FaultSchedule> {
  const settings = scheduleSettings(options);
  if (settings.kinds.length === 0 || settings.faultsMax === 0) return fc.constant([]);
  const episode = fc.record({
    kind: fc.constantFrom(...settings.kinds),
    target: fc.nat(1_000),
    startMs: fc.integer({ min: 0, max: settings.durationMs - settings.episodeMsMin }),
    lengthMs: fc.integer({ min: settings.episodeMsMin, max: settings.episodeMsMax }),
    size: fc.integer({ min: 1, max: 1_000 }),
    stepMs: fc.integer({ min: -settings.skewMsMax, max: settings.skewMsMax }),
  });
  return fc.array(episode, { maxLength: settings.faultsMax }).map((episodes) => layOut(episodes, settings));
}

type ScheduleSettings = Required<FaultScheduleOptions>;

/** The options with their defaults, checked (a bad constraint is the caller's mistake: an Error naming it). */
export function scheduleSettings(options: FaultScheduleOptions): ScheduleSettings {
  const settings = {
    ...FAULT_SCHEDULE_DEFAULTS,
    kinds: DEFAULT_FAULT_KINDS,
    downMax: minorityOf(options.servers),
    ...definedOf(options),
  } as ScheduleSettings;
  const problems: string[] = [];
  const whole = (name: keyof ScheduleSettings, min: number, max: number) => {
    const value = settings[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) problems.push(`${name}: expected a whole number from ${min} to ${max}, got ${String(value)}`);
  };
  whole("servers", 1, 9);
  whole("clients", 0, 200);
  whole("downMax", 0, settings.servers);
  whole("durationMs", 1, 3_600_000);
  whole("faultsMax", 0, 1_000);
  whole("episodeMsMin", 1, settings.durationMs);
  whole("episodeMsMax", settings.episodeMsMin, 3_600_000);
  whole("skewMsMax", 0, 3_600_000);
  for (const kind of settings.kinds) {
    if (!(PROPERTY_FAULT_KINDS as readonly string[]).includes(kind)) problems.push(`kinds: unknown kind "${String(kind)}"; expected some of ${PROPERTY_FAULT_KINDS.join(", ")}`);
  }
  if (problems.length > 0) throw new Error(`faultScheduleArbitrary: ${problems.join("; ")}`);
  return settings;
}

function definedOf<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The episodes that keep to the constraints, as faults in order of their instants. */
function layOut(episodes: readonly Episode[], s: ScheduleSettings): FaultSchedule {
  const kept: { episode: Episode; endMs: number; down: readonly string[]; node: string }[] = [];
  const ordered = [...episodes].sort((a, b) => a.startMs - b.startMs); // stable: ties keep the drawn order
  for (const e of ordered) {
    const placed = place(e, s);
    if (placed === null) continue;
    // A clock step is one instant; every other kind lasts until its end.
    const endMs = e.kind === "skew" ? e.startMs : Math.min(e.startMs + e.lengthMs, s.durationMs);
    const overlapping = kept.filter((k) => k.episode.startMs <= endMs && e.startMs <= k.endMs);
    // One episode at a time per node (a crash and a pause of one server would not end cleanly).
    if (overlapping.some((k) => k.node === placed.node || k.down.some((n) => placed.down.includes(n)))) continue;
    if (!withinDownMax([...overlapping.map((k) => k.down), placed.down], s.downMax)) continue;
    kept.push({ episode: e, endMs, down: placed.down, node: placed.node });
  }
  const faults: { atMs: number; order: number; fault: ScheduledFaultEntry }[] = [];
  kept.forEach(({ episode, endMs }, index) => {
    for (const [atMs, fault] of faultsOf(episode, endMs, s)) faults.push({ atMs, order: index, fault });
  });
  return faults.sort((a, b) => a.atMs - b.atMs || a.order - b.order).map(({ atMs, fault }) => ({ atMs, fault }));
}

/** Down at once: the servers of episodes that all overlap one another's span (a conservative count: any two overlapping episodes may be down together). */
function withinDownMax(downs: readonly (readonly string[])[], downMax: number): boolean {
  return new Set(downs.flat()).size <= downMax;
}

/** The node an episode is about and the servers it takes down; null when the kind cannot apply (a client fault without clients, a partition that would exceed downMax). */
function place(e: Episode, s: ScheduleSettings): { node: string; down: readonly string[] } | null {
  const server = `s${(e.target % s.servers) + 1}`;
  switch (e.kind) {
    case "crash":
    case "pause":
    case "isolate":
      return s.downMax === 0 ? null : { node: server, down: [server] };
    case "partition": {
      if (s.downMax === 0) return null;
      const size = ((e.size - 1) % s.downMax) + 1;
      const minority = Array.from({ length: size }, (_, i) => `s${((e.target + i) % s.servers) + 1}`);
      return { node: `partition ${minority.join(" ")}`, down: minority };
    }
    case "skew":
      return { node: server, down: [] };
    case "pause-client":
    case "isolate-client":
      return s.clients === 0 ? null : { node: `c${(e.target % s.clients) + 1}`, down: [] };
    default: {
      const unknown: never = e.kind;
      throw new Error(`unknown fault kind ${String(unknown)}`);
    }
  }
}

/** An episode's faults: its start, and its end (nothing for a clock step, which is one instant). */
function faultsOf(e: Episode, endMs: number, s: ScheduleSettings): [number, ScheduledFaultEntry][] {
  const server = `s${(e.target % s.servers) + 1}`;
  const client = `c${(e.target % Math.max(1, s.clients)) + 1}`;
  switch (e.kind) {
    case "crash":
      return [[e.startMs, { crash: server }], [endMs, { restart: server }]];
    case "pause":
      return [[e.startMs, { pause: server }], [endMs, { resume: server }]];
    case "isolate":
      return [[e.startMs, { isolate: server }], [endMs, { heal: true }]];
    case "partition": {
      const size = ((e.size - 1) % s.downMax) + 1;
      const minority = Array.from({ length: size }, (_, i) => `s${((e.target + i) % s.servers) + 1}`);
      const rest = [...serverNames(s.servers).filter((n) => !minority.includes(n)), ...clientNames(s.clients)];
      // Nodes in no group form a group of their own: the clients go with the majority, so that only the minority is cut off.
      return [[e.startMs, { partition: rest.length === 0 ? [minority] : [minority, rest] }], [endMs, { heal: true }]];
    }
    case "skew":
      return [[e.startMs, { skew: { node: server, by: `${e.stepMs}ms` } }]];
    case "pause-client":
      return [[e.startMs, { pause: client }], [endMs, { resume: client }]];
    case "isolate-client":
      return [[e.startMs, { isolate: client }], [endMs, { heal: true }]];
    default: {
      const unknown: never = e.kind;
      throw new Error(`unknown fault kind ${String(unknown)}`);
    }
  }
}

export function serverNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `s${i + 1}`);
}

export function clientNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i + 1}`);
}

/** Cluster sizes, from those given (default 3 or 5 servers); shrinks towards the first. */
export function clusterSizeArbitrary(sizes: readonly number[] = [3, 5]): fc.Arbitrary<number> {
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 9)) {
    throw new Error(`clusterSizeArbitrary: expected sizes from 1 to 9 servers (the Paxos log runs 1 to 9), got [${sizes.join(", ")}]`);
  }
  return fc.constantFrom(...sizes);
}

/** The network of a run: one-way latency between bounds, and message loss. */
export interface PropertyNetwork {
  readonly latencyUsMin: number;
  readonly latencyUsMax: number;
  /** Messages lost, in percent (the client's connection resends what was lost, as TCP would). */
  readonly lossPercent: number;
}

export interface NetworkOptions {
  /** Loss drawn from 0 to this many percent (default 0: no loss). */
  readonly lossPercentMax?: number;
  /** The latency's upper bound is drawn from latencyUsMin to latencyUsMax (defaults 200 µs and 3 ms). */
  readonly latencyUsMin?: number;
  readonly latencyUsMax?: number;
}

/** Networks within `options`: shrinks towards no loss and the shortest latency. */
export function networkArbitrary(options: NetworkOptions = {}): fc.Arbitrary<PropertyNetwork> {
  const lossPercentMax = options.lossPercentMax ?? 0;
  const latencyUsMin = options.latencyUsMin ?? 200;
  const latencyUsMax = options.latencyUsMax ?? 3_000;
  const problems: string[] = [];
  if (!Number.isInteger(lossPercentMax) || lossPercentMax < 0 || lossPercentMax > 50) problems.push(`lossPercentMax: expected a whole number from 0 to 50, got ${lossPercentMax}`);
  if (!Number.isInteger(latencyUsMin) || latencyUsMin < 0) problems.push(`latencyUsMin: expected a whole number of µs, at least 0, got ${latencyUsMin}`);
  if (!Number.isInteger(latencyUsMax) || latencyUsMax < latencyUsMin || latencyUsMax > 10_000_000) problems.push(`latencyUsMax: expected a whole number of µs from latencyUsMin (${latencyUsMin}) to 10000000, got ${latencyUsMax}`);
  if (problems.length > 0) throw new Error(`networkArbitrary: ${problems.join("; ")}`);
  return fc.record({
    latencyUsMin: fc.constant(latencyUsMin),
    latencyUsMax: fc.integer({ min: latencyUsMin, max: latencyUsMax }),
    lossPercent: fc.integer({ min: 0, max: lossPercentMax }),
  });
}

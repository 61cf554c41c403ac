import { runScenario, type Scenario, type ScenarioReport } from "../../../src/scenario/index.ts";
import { Simulation, type RunLimits, type RunOutcome } from "../../../src/sim/index.ts";

/**
 * A run of a scenario through the core's own runner (runScenario, unchanged:
 * the same wiring, workloads, faults and checkers as `zksim run`) that stops
 * after a chosen event, lets the viewer look at every node, and goes on when
 * asked. The engine is deterministic, so stopping changes nothing: a run
 * stopped and resumed gives the same events as one that never stopped.
 *
 * How it stops: the runner awaits `Simulation.runAsync` slice by slice.
 * Until the runner offers a hook to drive those slices itself, this module
 * wraps `runAsync` on the prototype, for the simulations it starts only
 * (every other simulation goes straight through): inside a slice the run
 * stops at the first handler boundary past the target and awaits a promise,
 * which keeps the worker free to answer the page. The wrapper is installed
 * once per worker; it is the one place the viewer reaches into the core.
 */

type RunAsync = (this: Simulation<unknown>, limits?: RunLimits<unknown>) => Promise<RunOutcome>;

/** The runs this module drives, by their simulation. */
const driven = new WeakMap<Simulation<unknown>, PausableRun>();
/** The run being started: the next simulation to call runAsync belongs to it (the runner calls it synchronously). */
const adoption: { next: PausableRun | null; base: RunAsync | null } = { next: null, base: null };

function installDriver(): RunAsync {
  if (adoption.base !== null) return adoption.base;
  const prototype = Simulation.prototype as unknown as { runAsync: RunAsync };
  const base = prototype.runAsync;
  adoption.base = base;
  prototype.runAsync = function runAsyncDriven(this: Simulation<unknown>, limits?: RunLimits<unknown>): Promise<RunOutcome> {
    let run = driven.get(this);
    if (run === undefined && adoption.next !== null) {
      run = adoption.next;
      adoption.next = null;
      driven.set(this, run);
      run.attach(this);
    }
    return run === undefined ? base.call(this, limits) : run.drive(this, limits ?? {}, base);
  };
  return base;
}

export class PausableRun {
  /** The report, once the run ended. */
  report: ScenarioReport | null = null;
  /** What stopped the run, if it failed (a SimulationFailure carries seed, time and node). */
  failure: unknown = null;
  readonly finished: Promise<void>;

  private sim: Simulation<unknown> | null = null;
  private seenCount = 0;
  private boundaryPrevious = 0;
  private boundaryCurrent = 0;
  private target: number;
  private resume: (() => void) | null = null;
  private waiting: (() => void)[] = [];
  private ended = false;

  /** Starts the scenario and stops it after event `target` (-1: before the first event). */
  constructor(scenario: Scenario, seed: number, target: number) {
    this.target = target;
    installDriver();
    adoption.next = this;
    const running = runScenario(scenario, { seed });
    adoption.next = null;
    if (this.sim === null) {
      throw new Error("the scenario runner did not start its simulation at once; stepping through it needs a drive hook in the runner");
    }
    this.finished = running.then(
      (report) => this.end(report, null),
      (error: unknown) => this.end(null, error),
    );
  }

  /** The simulation, to read nodes from while the run is parked. */
  get simulation(): Simulation<unknown> {
    return this.sim as Simulation<unknown>;
  }

  /** Events recorded so far, and the handler boundary before the last one. */
  get position(): { seen: number; previous: number } {
    return { seen: this.seenCount, previous: this.boundaryPrevious };
  }

  get isFinished(): boolean {
    return this.ended;
  }

  /**
   * Runs on to the state after event `target`: the end of the handler that
   * recorded it. Resolves once parked there or once the run has ended.
   */
  advanceTo(target: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    if (this.boundaryPrevious <= target && target < this.seenCount) return Promise.resolve();
    if (target < this.seenCount) return Promise.reject(new Error(`this run is past event ${target} (at ${this.seenCount})`));
    this.target = target;
    const parked = new Promise<void>((resolve) => this.waiting.push(resolve));
    const resume = this.resume;
    this.resume = null;
    resume?.();
    return parked;
  }

  /** Called by the wrapper when this run's simulation first runs. */
  attach(sim: Simulation<unknown>): void {
    this.sim = sim;
    sim.subscribe((event) => {
      this.seenCount = event.i + 1;
    });
  }

  /** The runner's slice [now, limits.untilUs], run in pieces with a stop wherever the target falls. */
  async drive(sim: Simulation<unknown>, limits: RunLimits<unknown>, base: RunAsync): Promise<RunOutcome> {
    // Events recorded between slices (a fault the runner injected) end a "handler" of their own.
    this.boundary();
    let events = 0;
    const until = limits.until;
    for (;;) {
      if (this.seenCount > this.target) {
        await this.park();
        continue;
      }
      const outcome = await base.call(sim, {
        ...limits,
        until: (s) => {
          this.boundary();
          return this.seenCount > this.target || (until !== undefined && until(s));
        },
      });
      events += outcome.events;
      const callerStop = until !== undefined && until(sim);
      if (outcome.reason === "predicate" && !callerStop) continue;
      return { ...outcome, events };
    }
  }

  private boundary(): void {
    if (this.seenCount === this.boundaryCurrent) return;
    this.boundaryPrevious = this.boundaryCurrent;
    this.boundaryCurrent = this.seenCount;
  }

  private park(): Promise<void> {
    this.notify();
    return new Promise<void>((resolve) => {
      this.resume = resolve;
    });
  }

  private notify(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private end(report: ScenarioReport | null, failure: unknown): void {
    this.report = report;
    this.failure = failure;
    this.ended = true;
    this.boundary();
    this.notify();
  }
}

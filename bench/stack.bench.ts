/**
 * The speed of the whole stack, each figure beside the one it is judged
 * against in the same run (the machine is shared: absolute rates drift,
 * ratios measured together much less):
 *
 * 1. Time compression: the bundled scenario `steady-load` (5 servers, 10
 *    clients, 100 operations per second in all, 60 virtual seconds, every
 *    check, the full trace written to a file) through `runScenario` with a
 *    file sink, the code path of `zksim run`. Virtual seconds per wall
 *    second, engine and trace events per virtual second and per client
 *    operation, and where the wall time goes (simulation, trace, checks).
 * 2. The engine: a forwarding protocol with the full trace streamed to a
 *    file, and at level summary (digest only), each as a ratio of the same
 *    loop with the trace off.
 * 3. The service: 3 servers, 32 clients each writing its own znode, with the
 *    client history kept as a scenario run keeps it: engine events and
 *    completed writes per wall second.
 * 4. `zksim explore zookeeper`: runs per second with 1 and 2 worker threads.
 *
 *   node --import tsx bench/stack.bench.ts [--quick] [--only compression,engine,service,explore]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { buildZkCluster, type ZooKeeper } from "../src/client/index.ts";
import { FileSink } from "../src/cli/file-sink.ts";
import fc from "fast-check";
import { runZkCase, zkCaseArbitrary } from "../src/explore/index.ts";
import { buildScenario, concludeRun, parseScenario, runScenario, ScenarioObserver, type Scenario, type ScenarioReport } from "../src/scenario/index.ts";
import { Simulation, type Context, type Node, type TraceOptions } from "../src/sim/index.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex < 0 ? null : new Set((args[onlyIndex + 1] ?? "").split(","));
const wants = (part: string) => only === null || only.has(part);

const SCENARIO_FILE = fileURLToPath(new URL("../scenarios/steady-load.yaml", import.meta.url));

function wallMsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// ---- 1. time compression through zksim run's code path

interface CompressionRun {
  readonly totalMs: number;
  readonly report: ScenarioReport;
  readonly processed: number;
  readonly traceBytes: number;
}

/** `runScenario` with its trace streamed to a file, as `zksim run` calls it. */
async function compressionRun(scenario: Scenario, source: string, dir: string): Promise<CompressionRun> {
  const path = join(dir, "steady-load.trace.jsonl");
  const started = process.hrtime.bigint();
  const sink = new FileSink(path);
  let processed = 0;
  const report = await runScenario(scenario, {
    traceSink: sink,
    traceMeta: { scenarioFile: SCENARIO_FILE, scenarioSource: source },
    progress: (_nowUs, events) => {
      sink.check();
      processed = events;
    },
  });
  sink.close();
  return { totalMs: wallMsSince(started), report, processed, traceBytes: statSync(path).size };
}

/** The same steps by hand, timed apart: the run with the trace at `level`, then the checks and the report. */
async function splitRun(scenario: Scenario, level: "observe" | "full", dir: string): Promise<{ runMs: number; checksMs: number; processed: number }> {
  const sink = level === "full" ? new FileSink(join(dir, "split.trace.jsonl")) : undefined;
  const started = process.hrtime.bigint();
  const run = buildScenario(scenario, { traceLevel: level, ...(sink === undefined ? {} : { traceSink: sink }) });
  const observer = new ScenarioObserver(run);
  await run.runTo(scenario.duration);
  sink?.flush();
  const runMs = wallMsSince(started);
  const judged = process.hrtime.bigint();
  concludeRun(run, observer);
  sink?.close();
  return { runMs, checksMs: wallMsSince(judged), processed: run.sim.statsSnapshot().processed };
}

async function compression(dir: string): Promise<void> {
  const source = readFileSync(SCENARIO_FILE, "utf8");
  const scenario = parseScenario(source, SCENARIO_FILE);
  const repeats = quick ? 1 : 3;
  const virtualS = scenario.duration / 1e6;
  console.log(`\ntime compression: ${scenario.name} (${virtualS} virtual s, every check, full trace to a file), best of ${repeats}`);
  let best: CompressionRun | null = null;
  for (let k = 0; k < repeats; k++) {
    const run = await compressionRun(scenario, source, dir);
    if (best === null || run.totalMs < best.totalMs) best = run;
  }
  const r = best as CompressionRun;
  const ops = r.report.operations.ok + r.report.operations.failed + r.report.operations.unknown;
  console.log(`  runScenario + file sink   ${r.totalMs.toFixed(0)} ms wall: ${(virtualS / (r.totalMs / 1e3)).toFixed(0)} virtual s per wall s (target >= 1000); checks ${r.report.matched ? "as expected" : "NOT as expected"}, digest ${r.report.digest}`);
  console.log(
    `  per virtual s: ${Math.round(r.processed / virtualS)} engine events, ${Math.round(r.report.events / virtualS)} trace events, ${Math.round(ops / virtualS)} client operations; per operation: ${(r.processed / ops).toFixed(1)} engine events, ${(r.report.events / ops).toFixed(1)} trace events; ${(r.traceBytes / 1e6).toFixed(1)} MB of trace`,
  );
  // Where the time goes: the run with events observed but not serialized, the same run writing its trace, and the checks after it.
  let observe = { runMs: Infinity, checksMs: Infinity, processed: 0 };
  let full = { runMs: Infinity, checksMs: Infinity, processed: 0 };
  for (let k = 0; k < repeats; k++) {
    const o = await splitRun(scenario, "observe", dir);
    const f = await splitRun(scenario, "full", dir);
    if (o.runMs < observe.runMs) observe = o;
    if (f.runMs < full.runMs) full = f;
  }
  const checksMs = Math.min(observe.checksMs, full.checksMs);
  const traceMs = Math.max(0, full.runMs - observe.runMs);
  const sum = observe.runMs + traceMs + checksMs;
  const share = (ms: number) => `${ms.toFixed(0)} ms (${((100 * ms) / sum).toFixed(0)}%)`;
  console.log(`  where the wall time goes: simulation ${share(observe.runMs)}, trace ${share(traceMs)}, checks ${share(checksMs)}; checks / simulation ${(checksMs / observe.runMs).toFixed(2)} (target <= 1)`);
}

// ---- 2. the engine's trace levels against the trace off

const NODE_COUNT = 5;
const IN_FLIGHT = 1_000;
type Ping = { type: "ping" };
const PING: Ping = Object.freeze({ type: "ping" });

/** Forwards every message to the next node (as bench/engine.bench.ts): the engine's cost with no protocol work. */
class Forwarder implements Node<Ping> {
  private next = "";
  start(ctx: Context<Ping>): void {
    const index = ctx.nodes.indexOf(ctx.self);
    this.next = ctx.nodes[(index + 1) % ctx.nodes.length] as string;
    for (let k = 0; k < IN_FLIGHT / ctx.nodes.length; k++) ctx.send(this.next, PING);
  }
  receive(ctx: Context<Ping>): void {
    ctx.send(this.next, PING);
  }
  timer(): void {}
}

function engineRate(events: number, trace: TraceOptions | undefined): number {
  const sim = new Simulation<Ping>({
    config: { seed: 1, nodes: Array.from({ length: NODE_COUNT }, (_, i) => `n${i + 1}`), network: { latency: { kind: "uniform", minUs: 1_000, maxUs: 5_000 } } },
    createNode: () => new Forwarder(),
    ...(trace === undefined ? {} : { trace }),
  });
  const started = process.hrtime.bigint();
  sim.run({ eventsMax: events });
  sim.finish();
  if (trace?.sink instanceof FileSink) trace.sink.close();
  return events / (wallMsSince(started) / 1e3);
}

function engine(dir: string): void {
  const events = quick ? 300_000 : 2_000_000;
  const repeats = 3;
  console.log(`\nengine: ${NODE_COUNT} nodes forwarding ${IN_FLIGHT} messages, ${events.toLocaleString("en")} events per run, best of ${repeats}, interleaved`);
  let off = 0;
  let summary = 0;
  let file = 0;
  for (let k = 0; k < repeats; k++) {
    off = Math.max(off, engineRate(events, undefined));
    summary = Math.max(summary, engineRate(events, { level: "summary" }));
    file = Math.max(file, engineRate(events, { level: "full", sink: new FileSink(join(dir, "engine.trace.jsonl")) }));
  }
  const m = (x: number) => `${(x / 1e6).toFixed(2)} M events/s`;
  console.log(`  trace off                 ${m(off)}`);
  console.log(`  summary (digest only)     ${m(summary)}   ratio ${(summary / off).toFixed(2)} of trace off (target >= 0.80)`);
  console.log(`  full trace to a file      ${m(file)}   ratio ${(file / off).toFixed(2)} of trace off (target >= 0.50)`);
}

// ---- 3. the service with the client history on

async function serviceRun(durationUs: number): Promise<{ eventsPerS: number; writesPerS: number; writes: number }> {
  let completed = 0;
  const value = "x".repeat(100);
  const cluster = buildZkCluster({
    engine: { seed: 1, network: { latency: { kind: "uniform", minUs: 200, maxUs: 1_000 } }, disk: { syncLatencyUs: 100 } },
    serverCount: 3,
    history: true,
    clients: Array.from({ length: 32 }, (_, k) => ({
      sessionTimeoutMs: 4_000,
      workload: async (zk: ZooKeeper) => {
        const path = `/c${k}`;
        await zk.create(path, value);
        for (;;) {
          await zk.setData(path, value);
          completed++;
        }
      },
    })),
  });
  const started = process.hrtime.bigint();
  await cluster.sim.runAsync({ untilUs: durationUs });
  const wallS = wallMsSince(started) / 1e3;
  return { eventsPerS: cluster.sim.statsSnapshot().processed / wallS, writesPerS: completed / wallS, writes: completed };
}

async function service(): Promise<void> {
  const durationUs = quick ? 1_000_000 : 5_000_000;
  const repeats = quick ? 1 : 3;
  console.log(`\nservice: 3 servers, 32 clients each writing its own znode, client history on, ${durationUs / 1e6} virtual s, best of ${repeats}`);
  let best = { eventsPerS: 0, writesPerS: 0, writes: 0 };
  for (let k = 0; k < repeats; k++) {
    const r = await serviceRun(durationUs);
    if (r.writesPerS > best.writesPerS) best = r;
  }
  console.log(`  ${(best.eventsPerS / 1e6).toFixed(2)} M engine events/s (target >= 1 M), ${Math.round(best.writesPerS).toLocaleString("en")} completed writes/wall s (target >= 100,000), ${best.writes} writes`);
}

// ---- 4. explore zookeeper with 1 and 2 worker threads

interface ExploreShare {
  readonly seed: number;
  readonly numRuns: number;
}

/** Runs and failing runs of a worker's share. */
interface ExploreDone {
  readonly runs: number;
  readonly failed: number;
}

function exploreInWorker(share: ExploreShare): Promise<ExploreDone> {
  return new Promise((resolve, reject) => {
    // Node 20 does not carry the tsx loader into worker threads: each worker registers it first.
    const tsxApi = import.meta.resolve("tsx/esm/api");
    const entry = import.meta.url;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    const worker = new Worker(bootstrap, { eval: true, workerData: share, argv: [] });
    worker.once("message", (done: ExploreDone) => resolve(done));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`explore worker exited with status ${code}`));
    });
  });
}

async function explore(): Promise<void> {
  const runs = quick ? 6 : 40;
  console.log(`\nexplore zookeeper: ${runs} runs of the fixed mix, seeds 500 to ${500 + runs - 1}, split over the workers`);
  const rates: number[] = [];
  for (const workers of [1, 2]) {
    const started = process.hrtime.bigint();
    const perWorker = Math.ceil(runs / workers);
    const shares = Array.from({ length: workers }, (_, w) => ({ seed: 500 + w * perWorker, numRuns: perWorker }));
    const done = await Promise.all(shares.map(exploreInWorker));
    const count = done.reduce((a, b) => a + b.runs, 0);
    const failed = done.reduce((a, b) => a + b.failed, 0);
    const rate = count / (wallMsSince(started) / 1e3);
    rates.push(rate);
    console.log(`  ${workers} worker${workers === 1 ? " " : "s"}   ${rate.toFixed(1)} runs/s (${failed} of ${count} runs broke a check: open findings, not shrunk here)`);
  }
  console.log(`  2 workers / 1 worker: ${((rates[1] as number) / (rates[0] as number)).toFixed(2)}`);
}

/**
 * The runs `explore zookeeper --mix fixed` makes from seeds seed, seed+1, …
 * (run k's case is fast-check's first draw from seed+k), run to the end
 * whatever they find: the figure is the speed of the runs, and a failure's
 * shrinking would measure something else.
 */
async function exploreWorker(share: ExploreShare): Promise<void> {
  let failed = 0;
  for (let k = 0; k < share.numRuns; k++) {
    const [drawn] = fc.sample(zkCaseArbitrary("fixed"), { seed: share.seed + k, numRuns: 1 });
    if (drawn === undefined) throw new Error(`no case drawn from seed ${share.seed + k}`);
    if ((await runZkCase(drawn)).failure !== null) failed++;
  }
  parentPort?.postMessage({ runs: share.numRuns, failed } satisfies ExploreDone);
}

async function main(): Promise<void> {
  if (!isMainThread) return exploreWorker(workerData as ExploreShare);
  const dir = mkdtempSync(join(tmpdir(), "zksim-stack-"));
  console.log(`stack benchmark${quick ? " (quick)" : ""}; the machine's load average at the start: ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  try {
    if (wants("compression")) await compression(dir);
    if (wants("engine")) engine(dir);
    if (wants("service")) await service();
    if (wants("explore")) await explore();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * Engine throughput: N nodes keep 1,000 messages in flight with a protocol
 * that does nothing but forward each message it receives. Prints delivered
 * events per second with the trace off, to a memory sink, and fully to a
 * file, beside the same loop on a bare binary heap (the machine's limit), and
 * the resident memory of a 10-million-event run in a fresh process.
 *
 *   npm run bench                 all of it
 *   npm run bench -- --quick      fewer events (a smoke run)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink } from "../src/cli/file-sink.ts";
import { EventHeap, MemorySink, Rng, Simulation, latencySampler, type Context, type Node, type TraceOptions } from "../src/sim/index.ts";

const NODE_COUNT = 5;
const IN_FLIGHT = 1_000;
const LATENCY = { kind: "uniform", minUs: 1_000, maxUs: 5_000 } as const;

type Ping = { type: "ping" };
const PING: Ping = Object.freeze({ type: "ping" });

/** Forwards every message to the next node: the engine's cost with no protocol work. */
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

function engineRun(events: number, trace: TraceOptions | undefined): { eventsPerSecond: number; digest: string | null } {
  const sim = new Simulation<Ping>({
    config: { seed: 1, nodes: Array.from({ length: NODE_COUNT }, (_, i) => `n${i + 1}`), network: { latency: LATENCY } },
    createNode: () => new Forwarder(),
    ...(trace === undefined ? {} : { trace }),
  });
  const started = process.hrtime.bigint();
  sim.run({ eventsMax: events });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  sim.finish();
  return { eventsPerSecond: events / seconds, digest: sim.digest() };
}

/** The same loop with no engine: pop the earliest event, draw a latency, push its successor. */
function bareHeapRun(events: number): number {
  const heap = new EventHeap<{ timeUs: number; seq: number }>();
  const rng = new Rng(1).fork("net");
  const sample = latencySampler(LATENCY);
  let seq = 0;
  for (let k = 0; k < IN_FLIGHT; k++) heap.push({ timeUs: sample(rng), seq: seq++ });
  const started = process.hrtime.bigint();
  for (let k = 0; k < events; k++) {
    const top = heap.pop() as { timeUs: number; seq: number };
    heap.push({ timeUs: top.timeUs + sample(rng), seq: seq++ });
  }
  return events / (Number(process.hrtime.bigint() - started) / 1e9);
}

function best(runs: number, f: () => number): number {
  let top = 0;
  for (let k = 0; k < runs; k++) top = Math.max(top, f());
  return top;
}

function memoryChild(events: number, level: "off" | "full", dir: string): void {
  const trace: TraceOptions | undefined = level === "off" ? undefined : { level: "full", sink: new FileSink(join(dir, "memory.trace.jsonl")) };
  engineRun(events, trace);
  if (trace?.sink instanceof FileSink) trace.sink.close();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ maxRssMb }) + "\n");
}

function measureMemory(events: number, level: "off" | "full"): number {
  const child = spawnSync(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname, "--memory-child", String(events), level], {
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
  return (JSON.parse(child.stdout.trim().split("\n").pop() as string) as { maxRssMb: number }).maxRssMb;
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === "--memory-child") return memoryChild(Number(args[1]), args[2] as "off" | "full", mkdtempSync(join(tmpdir(), "zksim-bench-")));
  const quick = args.includes("--quick");
  const events = quick ? 300_000 : 3_000_000;
  const memoryEvents = quick ? 1_000_000 : 10_000_000;
  const dir = mkdtempSync(join(tmpdir(), "zksim-bench-"));
  const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;

  console.log(`engine benchmark: ${NODE_COUNT} nodes, ${IN_FLIGHT} messages in flight, ${events.toLocaleString("en")} events per run, best of 3`);
  const bare = best(3, () => bareHeapRun(events));
  const off = best(3, () => engineRun(events, undefined).eventsPerSecond);
  const memory = best(3, () => engineRun(Math.min(events, 1_000_000), { level: "full", sink: new MemorySink(10_000_000) }).eventsPerSecond);
  const filePath = join(dir, "bench.trace.jsonl");
  const file = best(3, () => {
    const sink = new FileSink(filePath);
    const result = engineRun(events, { level: "full", sink });
    sink.close();
    return result.eventsPerSecond;
  });
  const traceMb = statSync(filePath).size / 1e6;
  console.log(`  bare binary heap          ${fmt(bare)}   (the limit)`);
  console.log(`  engine, trace off         ${fmt(off)}   ratio ${(off / bare).toFixed(2)} of bare heap (target >= 0.50)`);
  console.log(`  engine, full to memory    ${fmt(memory)}   ratio ${(memory / bare).toFixed(2)}`);
  console.log(`  engine, full to file      ${fmt(file)}   ratio ${(file / bare).toFixed(2)}   (${traceMb.toFixed(0)} MB of trace)`);
  const rssOff = measureMemory(memoryEvents, "off");
  const rssFile = measureMemory(memoryEvents, "full");
  console.log(`  ${memoryEvents.toLocaleString("en")}-event run, peak resident memory: trace off ${rssOff.toFixed(0)} MB, full trace to file ${rssFile.toFixed(0)} MB (target < 300 MB)`);
  rmSync(dir, { recursive: true, force: true });
}

main();

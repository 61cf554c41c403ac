import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { FileSink } from "../../src/cli/file-sink.ts";
import { runGossipDemo } from "../../src/examples/index.ts";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace, Simulation, SimulationFailure, type Context, type Node, type TraceSink } from "../../src/sim/index.ts";

const dir = mkdtempSync(join(tmpdir(), "zksim-file-sink-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (name: string) => parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), "utf8"), name);

describe("a full trace written as bytes", () => {
  test("the file holds the same lines as a sink of strings, and level summary, bytes and strings give one digest (gossip demo, seed 4)", () => {
    const strings = new MemorySink();
    const fromStrings = runGossipDemo(4, strings).summary.digest;
    const path = join(dir, "gossip.trace.jsonl");
    const file = new FileSink(path);
    const fromBytes = runGossipDemo(4, file).summary.digest;
    file.close();
    expect(readFileSync(path, "utf8")).toBe(strings.text());
    expect(fromBytes).toBe(fromStrings);
    expect(parseTrace(readFileSync(path, "utf8"), "gossip").digest).toBe(fromStrings);
  });

  test("a scenario with notes, timers, faults and violations (lock-pause) writes the same file through runScenario as to memory", async () => {
    const strings = new MemorySink();
    const a = await runScenario(load("lock-pause"), { traceSink: strings });
    const path = join(dir, "lock-pause.trace.jsonl");
    const file = new FileSink(path);
    const b = await runScenario(load("lock-pause"), { traceSink: file });
    file.close();
    expect(b.digest).toBe(a.digest);
    expect(a.checks.some((c) => !c.holds)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(strings.text());
  });

  test("many chunks of bytes: a sink of chunks gets every line once, in order, whatever their size", () => {
    const chunks: string[] = [];
    const sink: TraceSink = {
      write: () => {
        throw new Error("a sink of bytes gets no strings");
      },
      writeBytes: (bytes, start, end) => chunks.push(new TextDecoder().decode(bytes.subarray(start, end))),
    };
    const strings = new MemorySink();
    runGossipDemo(6, strings);
    runGossipDemo(6, sink);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(strings.text());
  });

  test("an existing file is replaced by a new one, not truncated (ext4 writes a truncated file out when it is closed), and nothing of it is left", () => {
    const path = join(dir, "replaced.trace.jsonl");
    writeFileSync(path, "x".repeat(5_000_000));
    // The old file, held open: replaced, it keeps its bytes; truncated, it would have none.
    const old = openSync(path, "r");
    const file = new FileSink(path);
    expect(fstatSync(old).size).toBe(5_000_000);
    closeSync(old);
    runGossipDemo(4, file);
    file.close();
    expect(statSync(path).size).toBeLessThan(5_000_000);
    expect(readFileSync(path, "utf8").startsWith('{"type":"header"')).toBe(true);
  });
});

type Ping = { type: "ping"; n: number };

/** Passes a counter around; fails in its handler at message `failAt`. */
class Relay implements Node<Ping> {
  constructor(private readonly failAt: number) {}
  start(ctx: Context<Ping>): void {
    if (ctx.self === "a") ctx.send("b", { type: "ping", n: 0 });
  }
  receive(ctx: Context<Ping>, from: string, msg: Ping): void {
    if (msg.n === this.failAt) throw new Error("the relay broke");
    ctx.send(from, { type: "ping", n: msg.n + 1 });
  }
  timer(): void {}
}

test("the digest after the summary is the summary's: the summary line, written with the events' bytes, is not digested", () => {
  const file = new FileSink(join(dir, "relay.trace.jsonl"));
  const sim = new Simulation<Ping>({
    config: { seed: 1, nodes: ["a", "b"], network: { latency: { kind: "constant", us: 100 } } },
    createNode: () => new Relay(-1),
    trace: { level: "full", sink: file },
  });
  sim.run({ eventsMax: 3000 });
  const summary = sim.finish();
  file.close();
  expect(sim.digest()).toBe(summary.digest);
  expect(parseTrace(readFileSync(join(dir, "relay.trace.jsonl"), "utf8"), "relay").digest).toBe(summary.digest);
});

test("a run that fails hands the trace it gathered to the file: the events up to the failure are there", () => {
  const path = join(dir, "failed.trace.jsonl");
  const file = new FileSink(path);
  const sim = new Simulation<Ping>({
    config: { seed: 1, nodes: ["a", "b"], network: { latency: { kind: "constant", us: 100 } } },
    createNode: () => new Relay(500),
    trace: { level: "full", sink: file },
  });
  expect(() => sim.run()).toThrow(SimulationFailure);
  file.close();
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  expect(JSON.parse(lines[0] as string)).toMatchObject({ type: "header" });
  // 500 round trips: a send and a delivery each, and the two starts.
  expect(lines.length).toBeGreaterThan(1000);
  const last = JSON.parse(lines[lines.length - 1] as string) as { type: string; to: string };
  expect(last).toMatchObject({ type: "deliver" });
});

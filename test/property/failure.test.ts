import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { checkZkProperty, zkProperty, ZkPropertyError, type PropertyBody, type PropertyCase, type ZkPropertyOptions } from "../../src/property/index.ts";
import { parseTrace } from "../../src/sim/index.ts";

/**
 * What a failing property reports, on a property that fails whenever the
 * leader changes: the seed and path, the shrunk schedule, the commands that
 * replay and view it, and a trace file that holds the shrunk run.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const traceDir = mkdtempSync(join(tmpdir(), "zksim-property-"));
afterAll(() => rmSync(traceDir, { recursive: true, force: true }));

const options: ZkPropertyOptions = {
  name: "leader-stays",
  runs: 30,
  seed: 4,
  servers: [3],
  clients: 2,
  faults: { kinds: ["crash", "pause", "isolate", "pause-client"], durationMs: 1_500 },
  traceDir,
};

/** Clients write for about a second; then the property asks that the first leader led throughout. */
const leaderStays: PropertyBody<[]> = async (cluster) => {
  const report = await cluster.run(async (zk, process, index) => {
    for (let i = 0; i < 20; i++) {
      await zk.create(`/k${index}-${i}`, "v").catch(() => {}); // a write the fault made fail is fine here
      await process.sleep(50);
    }
  });
  // The first election counts as a change.
  if (report.leaderChanges > 1) throw new Error(`the leader changed ${report.leaderChanges - 1} times after the first election`);
};

/** Milliseconds under a fault, summed over the schedule's episodes (from each fault to the next entry on the same node, or to a heal). */
function faultedMs(c: PropertyCase): number {
  let total = 0;
  const startedAt = new Map<string, number>();
  for (const { atMs, fault } of c.faults) {
    const [kind, node] = Object.entries(fault)[0] as [string, unknown];
    const key = kind === "heal" || kind === "isolate" || kind === "partition" ? "cut" : String(node);
    const start = startedAt.get(key);
    if (start === undefined) startedAt.set(key, atMs);
    else if (kind === "restart" || kind === "resume" || kind === "heal") (total += atMs - start, startedAt.delete(key));
  }
  return total;
}

describe("a failing property", async () => {
  const drawn: PropertyCase[] = [];
  const result = await checkZkProperty({ ...options, onRun: (run) => void (run.failure !== null && drawn.push(run.case)) }, leaderStays);
  const failure = result.failure!;

  test("fails, and is shrunk: no more faults than drawn, for less time, from engine seed 0", () => {
    expect(failure.failure).toMatch(/^the body threw: the leader changed \d+ times after the first election$/);
    // The first failing run is the case as drawn; the report's is the shrunk one.
    const first = drawn[0]!;
    expect(failure.case.faults.length).toBeGreaterThan(0);
    expect(failure.case.faults.length).toBeLessThanOrEqual(first.faults.length);
    expect(faultedMs(failure.case)).toBeLessThan(faultedMs(first));
    expect(failure.case.seed).toBe(0);
    expect(failure.shrinks).toBeGreaterThan(0);
  });

  test("shrinking drops the faults a failure does not need", async () => {
    // Fails whenever a server crashes: the shrunk schedule is one crash and its restart.
    const crashes: PropertyBody<[]> = async (cluster) => {
      await cluster.run(async () => {});
      if (cluster.case.faults.some(({ fault }) => "crash" in fault)) throw new Error("a server crashed");
    };
    const seen: PropertyCase[] = [];
    const found = (await checkZkProperty({ ...options, name: "no-crash", seed: 9, faults: { faultsMax: 12 }, onRun: (run) => void (run.failure !== null && seen.push(run.case)) }, crashes)).failure!;
    expect(seen[0]!.faults.length).toBeGreaterThan(4);
    expect(found.case.faults.map(({ fault }) => Object.keys(fault)[0])).toEqual(["crash", "restart"]);
    expect(found.case.faults[0]).toEqual({ atMs: 0, fault: { crash: "s1" } });
  });

  test("prints the seed and path, the schedule as YAML, the replay and view commands", () => {
    const m = failure.message;
    expect(m).toContain(`zkProperty leader-stays failed after ${failure.runs} runs (shrunk in ${failure.shrinks} steps)`);
    expect(m).toContain(`seed: 4, path: "${failure.path}"`);
    expect(failure.path).toMatch(/^\d+(:\d+)*$/);
    expect(m).toMatch(/3 servers, 2 clients, engine seed \d+, latency \d+-\d+ µs, loss 0%\nfaults:\n {2}- \{ at: \d+ms, (crash|pause|isolate): s\d \}\n {2}- \{ at: \d+ms, (restart: s\d|resume: s\d|heal: true) \}/);
    // Checked outside a test (in the describe block), the command runs the file; inside a test it also names the test (below).
    expect(failure.replayCommand).toBe(`ZKSIM_REPLAY=4:${failure.path} npx vitest run test/property/failure.test.ts`);
    expect(m).toContain(`replay: ${failure.replayCommand}`);
    expect(m).toContain(`view:   npx zksim view ${failure.tracePath}`);
  });

  test("writes the shrunk run's trace: a valid zksim trace with its digest, naming the property", () => {
    expect(failure.tracePath).toBe(join(traceDir, "leader-stays-4.trace.jsonl"));
    expect(existsSync(failure.tracePath!)).toBe(true);
    const trace = parseTrace(readFileSync(failure.tracePath!, "utf8"), failure.tracePath!);
    expect(trace.summary?.digest).toBe(failure.digest);
    expect(trace.digest).toBe(failure.digest);
    expect(trace.header.meta).toMatchObject({ scenario: "leader-stays", property: "leader-stays", propertySeed: 4, propertyPath: failure.path });
    expect(trace.events.filter((e) => e.type === "fault").length).toBe(failure.case.faults.length);
  });

  test("replays from its seed and path, and from ZKSIM_REPLAY, to the same run", async () => {
    const again = await checkZkProperty({ ...options, replay: { seed: failure.seed, path: failure.path } }, leaderStays);
    expect(again.failure?.digest).toBe(failure.digest);
    expect(again.failure?.failure).toBe(failure.failure);
    expect(again.failure?.case).toEqual(failure.case);
    process.env["ZKSIM_REPLAY"] = `${failure.seed}:${failure.path}`;
    try {
      const fromEnvironment = await checkZkProperty(options, leaderStays);
      expect(fromEnvironment.runs).toBe(1);
      expect(fromEnvironment.failure?.digest).toBe(failure.digest);
    } finally {
      delete process.env["ZKSIM_REPLAY"];
    }
  });

  test("zkProperty (throws it (with the report as the message)", async () => {
    const error = await zkProperty(options, leaderStays).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZkPropertyError);
    const command = `${failure.replayCommand} -t 'zkProperty \\(throws it \\(with the report as the message\\)'`;
    expect((error as ZkPropertyError).failure.replayCommand).toBe(command);
    expect((error as ZkPropertyError).message).toBe(failure.message.replace(failure.replayCommand, command));
  });

  test("zksim view opens the trace file", async () => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "zksim.js"), "view", failure.tracePath!, "--no-open", "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let output = "";
      const url = await new Promise<string>((resolve, reject) => {
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /https?:\/\/127\.0\.0\.1:\d+\/\S*/.exec(output);
          if (match !== null) resolve(match[0]);
        };
        child.stdout.on("data", read);
        child.stderr.on("data", read);
        child.on("exit", (code) => reject(new Error(`zksim view exited (${code}):\n${output}`)));
      });
      const tracePath = new URL(url).searchParams.get("trace");
      expect(tracePath).not.toBeNull();
      const served = await fetch(new URL(tracePath!, url));
      expect(await served.text()).toBe(readFileSync(failure.tracePath!, "utf8"));
    } finally {
      child.kill("SIGTERM");
    }
  });
});

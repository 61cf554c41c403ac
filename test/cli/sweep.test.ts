import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { mergeSweepRecords, sweepRecordName, type SweepRecord, type SweepRecordConfig } from "../../src/explore/index.ts";
import { formatProgress, parseShard, runSweep } from "../../src/cli/sweep.ts";

/**
 * Sweeps cut into shards: n shards merged are the unsharded sweep of the same
 * seeds (the same runs, the same failures, shrunk the same way); a merge with
 * a shard missing, given twice, or run with another configuration is refused;
 * a time budget stops a sweep between runs, after a prefix of its runs.
 */

const BIN = fileURLToPath(new URL("../../bin/zksim.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "zksim-sweep-"));

function zksim(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/SHARD|JOB_COMPLETION_INDEX|SLURM_ARRAY|AWS_BATCH_JOB_ARRAY/.test(name)));
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: dir, env: { ...clean, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** forget-promise, seeds 1 to 32: runs 1, 29 and 31 fail (shards 1, 1 and 3 of 4), the others hold. */
const CONFIG: SweepRecordConfig = { target: "paxos", bugs: ["forget-promise"], seed: 1, mix: "fixed", runs: 32, shardCount: 1, failuresMax: 100 };
const SHARDS = 4;

/** What must be equal between a sweep and its shards: the runs' outcomes, not the machines' speed. */
function outcomes(failures: SweepRecord["failures"]): unknown[] {
  return failures.map((f) => ({ runIndex: f.runIndex, seed: f.seed, failure: f.failure, internal: f.internal, numShrinks: f.numShrinks, fileName: f.fileName, fileText: f.fileText }));
}

describe("a sweep cut into shards", () => {
  let whole: SweepRecord;
  const shards: SweepRecord[] = [];

  beforeAll(async () => {
    whole = await runSweep({ config: CONFIG, shard: { index: 0, count: 1 }, timeMs: null, workers: 1 }, () => {});
    for (let index = 0; index < SHARDS; index++) {
      const config = { ...CONFIG, shardCount: SHARDS };
      shards.push(await runSweep({ config, shard: { index, count: SHARDS }, timeMs: null, workers: index === 0 ? 2 : 1 }, () => {}));
    }
    for (const record of shards) writeFileSync(join(dir, sweepRecordName({ index: record.shardIndex, count: SHARDS })), JSON.stringify(record));
  }, 0);

  test("merged, gives the unsharded sweep of the same seeds: the same runs and the same failures", () => {
    expect(whole.runs).toBe(32);
    expect(whole.failures.map((f) => f.runIndex)).toEqual([1, 29, 31]);
    expect(shards.map((s) => s.runs)).toEqual([8, 8, 8, 8]);
    expect(shards.map((s) => [s.seedFirst, s.seedStep])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    const { merged, problems } = mergeSweepRecords(shards.map((record, k) => ({ source: `shard${k}`, record })));
    expect(problems).toEqual([]);
    expect(merged?.runs).toBe(whole.runs);
    expect(outcomes(merged?.failures ?? [])).toEqual(outcomes(whole.failures));
    expect(merged?.failures.map((f) => f.shardIndex)).toEqual([1, 1, 3]);
  });

  test("a missing shard, a shard given twice and another configuration are refused, each named", () => {
    const inputs = shards.map((record, k) => ({ source: `shard${k}`, record }));
    expect(mergeSweepRecords(inputs.filter((_, k) => k !== 2)).problems).toEqual(["shard 2 of 4 is missing (no shard-2-of-4.json among the files given)"]);
    expect(mergeSweepRecords([...inputs, { source: "again", record: shards[1] as SweepRecord }]).problems).toEqual(["shard 1 of 4 is given twice: shard1 and again"]);
    const other = { ...(shards[3] as SweepRecord), config: { ...(shards[3] as SweepRecord).config, bugs: [], seed: 7 } };
    expect(mergeSweepRecords([...inputs.slice(0, 3), { source: "other", record: other }]).problems).toEqual([
      'other was run with another configuration than shard0: bugs [] against ["forget-promise"], seed 7 against 1',
    ]);
  });

  test("zksim merge reports the whole sweep (exit 1: failures), and refuses a missing shard or another configuration (exit 2)", () => {
    const ok = zksim(["merge", dir]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toMatch(/^explore paxos \(bug forget-promise, seed 1 over 4 shards\): 32 runs in .*; 3 failures\n/);
    expect(ok.stdout).toContain("FAILED: run 1 (seed 2), shrunk in");
    expect(ok.stdout).toContain("FAILED: run 29 (seed 30), shrunk in");
    expect(ok.stdout).toContain("FAILED: run 31 (seed 32), shrunk in");
    expect(ok.status).toBe(1);
    const json = JSON.parse(zksim(["merge", dir, "--json"]).stdout) as { runs: number; failures: { seed: number }[] };
    expect(json.runs).toBe(32);
    expect(json.failures.map((f) => f.seed)).toEqual([2, 30, 32]);

    const shard2 = join(dir, "shard-2-of-4.json");
    const text = readFileSync(shard2, "utf8");
    rmSync(shard2);
    const missing = zksim(["merge", dir]);
    expect(missing.stderr).toBe("zksim: merge: the records do not make one sweep:\n  shard 2 of 4 is missing (no shard-2-of-4.json among the files given)\n");
    expect(missing.status).toBe(2);
    writeFileSync(shard2, text.replace('"failuresMax":100', '"failuresMax":1'));
    const mismatched = zksim(["merge", dir]);
    expect(mismatched.stderr).toMatch(/shard-2-of-4\.json was run with another configuration than .*shard-0-of-4\.json: failuresMax 1 against 100\n$/);
    expect(mismatched.status).toBe(2);
    writeFileSync(shard2, text.replace('"runs":8', '"runs":"eight"'));
    const broken = zksim(["merge", dir]);
    expect(broken.stderr).toMatch(/shard-2-of-4\.json: invalid input\n {2}runs: /);
    expect(broken.status).toBe(2);
    writeFileSync(shard2, text);
  });
});

describe("a time budget", () => {
  test("stops a sweep between runs, after the first of its runs", async () => {
    const config: SweepRecordConfig = { target: "paxos", bugs: [], seed: 5, mix: "fixed", runs: null, shardCount: 3, failuresMax: 1 };
    const record = await runSweep({ config, shard: { index: 2, count: 3 }, timeMs: 1_500, workers: 2 }, () => {});
    expect(record.stopped).toBe("time");
    expect(record.runs).toBeGreaterThan(0);
    expect(record.wallMs).toBeGreaterThanOrEqual(1_500);
    expect([record.seedFirst, record.seedStep]).toEqual([7, 3]);
    expect(record.failures).toEqual([]);
  }, 0);

  test("zksim explore --time with --out and --json: the record says time, and the JSON summary the runs", () => {
    const out = join(dir, "timed");
    const r = zksim(["explore", "paxos", "--time", "1s", "--workers", "1", "--shard", "1/2", "--out", out, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as { runs: number; shards: { index: number; stopped: string }[]; failures: unknown[] };
    expect(summary.shards).toEqual([expect.objectContaining({ index: 1, stopped: "time" })]);
    const record = JSON.parse(readFileSync(join(out, "shard-1-of-2.json"), "utf8")) as SweepRecord;
    expect(record.runs).toBe(summary.runs);
    expect(record.config).toEqual({ target: "paxos", bugs: [], seed: 1, mix: "fixed", buggify: false, runs: null, shardCount: 2, failuresMax: 1 });
  });
});

describe("--shard", () => {
  test("I/N, and auto from each batch engine's variables", () => {
    expect(parseShard("3/8", {})).toEqual({ index: 3, count: 8 });
    expect(parseShard("auto", { ZKSIM_SHARD_INDEX: "1", ZKSIM_SHARD_COUNT: "4" })).toEqual({ index: 1, count: 4 });
    expect(parseShard("auto", { JOB_COMPLETION_INDEX: "5", ZKSIM_SHARDS: "6" })).toEqual({ index: 5, count: 6 });
    expect(parseShard("auto", { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3" })).toEqual({ index: 2, count: 3 });
    expect(parseShard("auto", { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_MIN: "1" })).toEqual({ index: 2, count: 3 });
    expect(parseShard("auto", { AWS_BATCH_JOB_ARRAY_INDEX: "0", AWS_BATCH_JOB_ARRAY_SIZE: "10" })).toEqual({ index: 0, count: 10 });
  });

  test("bad values and a missing variable are errors that name them", () => {
    expect(() => parseShard("4/4", {})).toThrow("--shard 4/4: expected a shard index from 0 to 3, got 4");
    expect(() => parseShard("1/0", {})).toThrow("--shard 1/0: expected at least 1 shard, got 0");
    expect(() => parseShard("first", {})).toThrow("--shard: expected INDEX/COUNT (such as 0/4, the first of four shards) or auto, got 'first'");
    expect(() => parseShard("auto", { JOB_COMPLETION_INDEX: "2" })).toThrow("--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes indexed Job) but ZKSIM_SHARDS, the number of shards, is not");
    expect(() => parseShard("auto", { ZKSIM_SHARD_INDEX: "x", ZKSIM_SHARD_COUNT: "2" })).toThrow("--shard auto: ZKSIM_SHARD_INDEX=x, ZKSIM_SHARD_COUNT=2 (a CI matrix): expected whole numbers");
    expect(() => parseShard("auto", { SLURM_ARRAY_TASK_ID: "9", SLURM_ARRAY_TASK_COUNT: "4" })).toThrow("expected a shard index from 0 to 3, got 9");
  });

  test("zksim explore --shard auto with no variable set exits 2 and lists the variables", () => {
    const r = zksim(["explore", "paxos", "--shard", "auto"]);
    expect(r.stderr).toMatch(/^zksim: --shard auto: no shard index in the environment; expected one of: ZKSIM_SHARD_INDEX and ZKSIM_SHARD_COUNT \(a CI matrix\); JOB_COMPLETION_INDEX and ZKSIM_SHARDS/);
    expect(r.status).toBe(2);
    const bad = zksim(["explore", "paxos", "--shard", "auto", "--runs", "1"], { ZKSIM_SHARD_INDEX: "2", ZKSIM_SHARD_COUNT: "2" });
    expect(bad.stderr).toBe("zksim: --shard auto: ZKSIM_SHARD_INDEX=2, ZKSIM_SHARD_COUNT=2 (a CI matrix): expected a shard index from 0 to 1, got 2\n");
    expect(bad.status).toBe(2);
  });
});

describe("progress", () => {
  test("one line: runs, runs per second, failures, time elapsed and remaining (the sooner of the run count and the time budget)", () => {
    const shard = { index: 0, count: 1 };
    expect(formatProgress({ runs: 30, failures: 1, elapsedMs: 15_000, runsTotal: 120, timeMs: null, shard })).toBe("30/120 runs, 2.0 runs/s, 1 failure, 15s elapsed, 45s remaining");
    expect(formatProgress({ runs: 30, failures: 0, elapsedMs: 15_000, runsTotal: 120, timeMs: 20_000, shard })).toBe("30/120 runs, 2.0 runs/s, 0 failures, 15s elapsed, 5s remaining");
    expect(formatProgress({ runs: 7200, failures: 2, elapsedMs: 3_600_000, runsTotal: null, timeMs: 7_200_000, shard: { index: 3, count: 8 } })).toBe(
      "shard 3/8: 7200 runs, 2.0 runs/s, 2 failures, 1h00m elapsed, 1h00m remaining",
    );
  });

  test("goes to stderr on a terminal and is cleared before the report; never with --json or off a terminal", () => {
    // `script` gives the command a terminal (stderr on it, stdout to a file).
    const out = join(dir, "progress-out.txt");
    const tty = spawnSync("script", ["-qec", `${process.execPath} ${BIN} explore paxos --runs 6 --workers 1 > ${out}`, "/dev/null"], { encoding: "utf8", cwd: dir, timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/^\r {2}1\/6 runs, \d+\.\d runs\/s, 0 failures, \S+ elapsed, \S+ remaining\u001b\[K/);
    expect(tty.stdout).toMatch(/\r\u001b\[K$/);
    expect(readFileSync(out, "utf8")).toMatch(/^explore paxos \(the correct replica, seed 1\): 6 runs in /);
    const json = spawnSync("script", ["-qec", `${process.execPath} ${BIN} explore paxos --runs 2 --workers 1 --json > ${out}`, "/dev/null"], { encoding: "utf8", cwd: dir, timeout: 120_000 });
    expect(json.stdout).toBe("");
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ runs: 2, failures: [], config: { target: "paxos", runs: 2 } });
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { searchPaxos, searchZk } from "../../src/explore/index.ts";
import { LogServer } from "../../src/paxos/index.ts";
import { AssertionError } from "../../src/sim/index.ts";
import { ZkServer } from "../../src/zk/index.ts";
import { STACK_FRAME, zksim } from "./zksim.ts";

/**
 * A bug inside zksim (an assertion, an exception in a node, a run whose
 * clock stalls) is an internal failure: exit status 4, with the seed and the
 * command that replays it, apart from "a check failed" (1). A seed sweep
 * records it and goes on. The bugs are planted by fixtures/plant-failure.ts.
 */

const dir = mkdtempSync(join(tmpdir(), "zksim-internal-"));
const plain = (...args: string[]) => zksim({ cwd: dir }, ...args);
const planted = (kind: "assert" | "stall", seeds: string, ...args: string[]) => zksim({ cwd: dir, plant: { kind, seeds } }, ...args);

describe("zksim run and replay", () => {
  test("an assertion inside a node: exit 4, one line with the seed, the time, the node and where, then the replay command", () => {
    const r = planted("assert", "all", "run", "basic-paxos", "--trace", join(dir, "a.jsonl"));
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stderr).toMatch(
      /^zksim: internal failure \(a bug in zksim, not in the input\): seed 1, at \d+ µs on node s\d: AssertionError: a bug planted by a test \{"seed":1\} \(thrown at .*plant-failure\.ts:\d+:\d+\)\n {2}replay: npx zksim run basic-paxos --seed 1\n {2}view: npx zksim view basic-paxos --seed 1\n$/,
    );
    expect(r.status).toBe(4);
  });

  test("a run whose clock stalls stops at the bound on events per instant: exit 4, said as a stall, with the replay command", () => {
    // The trace goes nowhere: a million events at one instant would be a large file.
    const r = planted("stall", "5", "run", "basic-paxos", "--seed", "5", "--trace", "/dev/null");
    expect(r.stderr).toMatch(
      /^zksim: the run stalled \(a bug in zksim, not in the input\): seed 5, at \d+ µs on node s\d: StallError: more than 1000000 events at virtual time \d+ µs without the clock advancing \(eventsPerInstantMax\): something schedules timers or messages with no delay in a loop\n {2}replay: npx zksim run basic-paxos --seed 5\n {2}view: npx zksim view basic-paxos --seed 5\n$/,
    );
    expect(r.status).toBe(4);
  });

  test("replaying a trace that meets an internal failure: exit 4, with the replay command", () => {
    const trace = join(dir, "replay.jsonl");
    expect(plain("run", "basic-paxos", "--trace", trace, "--quiet").status).toBe(0);
    const r = planted("assert", "all", "replay", trace);
    expect(r.stderr).toMatch(/^zksim: internal failure \(a bug in zksim, not in the input\): seed 1, .*AssertionError: a bug planted by a test/);
    expect(r.stderr).toMatch(new RegExp(`\\n {2}replay: npx zksim replay ${trace.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n$`));
    expect(r.status).toBe(4);
  });
});

describe("zksim explore scenario", () => {
  test("records a seed's internal failure and goes on; lists it apart at the end; exit 4", () => {
    const r = planted("assert", "2", "explore", "scenario", "basic-paxos", "--runs", "3", "--seed", "1");
    expect(r.stderr).toBe("");
    const out = r.stdout.trimEnd().split("\n");
    expect(out[0]).toMatch(/^basic-paxos: 3 seeds \(1\.\.3\) in \d+ ms; 0 not as expected \(expect: pass\); 1 internal failure$/);
    expect(out[1]).toBe("internal failures (bugs in zksim, not verdicts on the scenario):");
    expect(out[2]).toMatch(/^seed 2: internal failure \(a bug in zksim, not in the input\): seed 2, at \d+ µs on node s\d: AssertionError: a bug planted by a test/);
    expect(out[3]).toBe("  replay: npx zksim run basic-paxos --seed 2");
    expect(out[4]).toBe("  view: npx zksim view basic-paxos --seed 2");
    expect(out).toHaveLength(5);
    expect(r.status).toBe(4);
  });

  test("misses and internal failures are listed apart", () => {
    const file = join(dir, "always-fails.yaml");
    writeFileSync(file, readFileSync(fileURLToPath(new URL("../../scenarios/basic-paxos.yaml", import.meta.url)), "utf8").replace("expect: pass", "expect: paxos-safety"));
    const r = planted("assert", "3", "explore", "scenario", file, "--runs", "3", "--seed", "2");
    expect(r.stdout).toMatch(/; 2 not as expected \(expect: paxos-safety\); 1 internal failure\nseed 2: every check held.*\n {2}replay: .* --seed 2\n {2}view: .* --seed 2\nseed 4: every check held.*\n {2}replay: .* --seed 4\n {2}view: .* --seed 4\ninternal failures \(bugs in zksim, not verdicts on the scenario\):\nseed 3: internal failure .*AssertionError: a bug planted by a test.*\n {2}replay: npx zksim run .*always-fails\.yaml --seed 3\n {2}view: npx zksim view .*always-fails\.yaml --seed 3\n$/);
    expect(r.status).toBe(4);
  });
});

describe("the searches report an internal failure as such instead of ending in an exception", () => {
  const logTimer = LogServer.prototype.timer;
  const zkTimer = ZkServer.prototype.timer;
  afterEach(() => {
    LogServer.prototype.timer = logTimer;
    ZkServer.prototype.timer = zkTimer;
  });

  test("explore paxos (searchPaxos)", () => {
    LogServer.prototype.timer = () => {
      throw new AssertionError("a bug planted by a test", undefined);
    };
    const result = searchPaxos({ bugs: [], liveness: true, seed: 1, numRuns: 5 });
    expect(result.failed).toBe(true);
    expect(result.internal).toBe(true);
    expect(result.failure).toMatch(/^internal failure \(a bug in zksim\): seed \d+, at \d+ µs on node s\d: AssertionError: a bug planted by a test$/);
  });

  test("explore zookeeper (searchZk)", async () => {
    ZkServer.prototype.timer = () => {
      throw new AssertionError("a bug planted by a test", undefined);
    };
    const result = await searchZk({ seed: 1, numRuns: 3 });
    expect(result.failed).toBe(true);
    expect(result.internal).toBe(true);
    expect(result.failure).toMatch(/^internal failure \(a bug in zksim\): seed \d+, at \d+ µs on node s\d: AssertionError: a bug planted by a test$/);
    expect(result.yaml).toMatch(/^name: found-by-explore/);
  });
});

test("zksim --help documents the exit statuses", () => {
  const r = plain("--help");
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/Exit status:\n {2}0 {2}every check came out as expected\n {2}1 {2}a check did not/);
  for (const status of ["2  bad input", "3  no verdict within the budget", "4  an internal failure: a bug in zksim itself"]) expect(r.stdout).toContain(status);
});

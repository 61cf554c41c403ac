import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { STACK_FRAME, zksim, type ZksimResult } from "./zksim.ts";

/**
 * Bad input of every kind ends in one line per problem naming the file, the
 * place and what was expected, with exit status 2: no stack trace, no hang,
 * and nothing run first.
 */

const dir = mkdtempSync(join(tmpdir(), "zksim-bad-"));
const run = (...args: string[]) => zksim({ cwd: dir, timeoutMs: 30_000 }, ...args);

const ZK = `name: t
description: a test
duration: 1s
servers: { count: 3 }
clients:
  - count: 2
    workload: { kind: register, ops: 10, every: 5ms }
`;

const PAXOS = `name: p
description: a test
system: paxos
duration: 1s
servers: { count: 3 }
proposals: { every: 10ms }
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Exit 2, the expected message on stderr as its only line, nothing on stdout. */
function expectBadInput(r: ZksimResult, message: RegExp): void {
  expect(r.stderr).not.toMatch(STACK_FRAME);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(r.stdout).toBe("");
  expect(r.status).toBe(2);
}

describe("scenarios that validated but broke the engine", () => {
  test("10 to 15 servers (Paxos runs at most 9)", () => {
    expectBadInput(run("run", file("servers.yaml", PAXOS.replace("count: 3", "count: 12"))), /^zksim: .*servers\.yaml:5: servers\.count: at most 9: the Paxos log runs 1 to 9 servers$/);
  });

  test("heartbeat: 0us", () => {
    expectBadInput(run("run", file("heartbeat.yaml", PAXOS.replace("count: 3", "count: 3, heartbeat: 0us"))), /heartbeat\.yaml:5: servers\.heartbeat: expected at least 1ms/);
  });

  test("an election timeout with min > max, or zero", () => {
    expectBadInput(run("run", file("election.yaml", PAXOS.replace("count: 3", "count: 3, electionTimeout: [500ms, 200ms]"))), /election\.yaml:5: servers\.electionTimeout\[1\]: expected at least the minimum/);
    expectBadInput(run("run", file("election0.yaml", PAXOS.replace("count: 3", "count: 3, electionTimeout: [0ms, 0ms]"))), /election0\.yaml:5: servers\.electionTimeout\[0\]: expected more than the default heartbeat/);
  });

  test("a clock skew of -99999999 s", () => {
    expectBadInput(run("run", file("skew.yaml", `${ZK}faults:\n  - { at: 500ms, skew: { node: s1, by: -99999999s } }\n`)), /skew\.yaml:9: faults\[0\]\.skew\.by: at most 1m·60 \(an hour\) either way/);
  });

  test("proposals every 0us", () => {
    expectBadInput(run("run", file("proposals.yaml", PAXOS.replace("every: 10ms", "every: 0us"))), /proposals\.yaml:6: proposals\.every: expected at least 1ms \(leave every out for no periodic proposals\)/);
  });

  test("engine limits under the scenario's names: latency min above max", () => {
    expectBadInput(run("run", file("latency.yaml", `${ZK}network: { latency: { kind: uniform, min: 5ms, max: 1ms } }\n`)), /latency\.yaml:8: network\.latency\.max: expected at least min \(5ms\)/);
  });
});

describe("scenarios that hung", () => {
  test("tick: 0ms, tick: 1us and sessionTimeout: 0ms are refused at once", () => {
    expectBadInput(run("run", file("tick0.yaml", ZK.replace("count: 3", "count: 3, tick: 0ms"))), /tick0\.yaml:4: servers\.tick: expected at least 1ms/);
    expectBadInput(run("run", file("tick1.yaml", ZK.replace("count: 3", "count: 3, tick: 1us"))), /tick1\.yaml:4: servers\.tick: expected at least 1ms/);
    expectBadInput(run("run", file("session0.yaml", ZK.replace("  - count: 2\n", "  - count: 2\n    sessionTimeout: 0ms\n"))), /session0\.yaml:7: clients\[0\]\.sessionTimeout: expected at least 1ms/);
  });

  test("the same through zksim replay: a trace that records tick: 0ms", () => {
    const trace = join(dir, "replay-tick0.jsonl");
    expect(run("run", file("short.yaml", ZK), "--trace", trace, "--quiet").status).toBe(0);
    const lines = readFileSync(trace, "utf8").split("\n");
    const header = JSON.parse(lines[0] as string) as { meta: { scenarioSource: string } };
    header.meta.scenarioSource = header.meta.scenarioSource.replace("count: 3", "count: 3, tick: 0ms");
    lines[0] = JSON.stringify(header);
    writeFileSync(trace, lines.join("\n"));
    expectBadInput(run("replay", trace), /short\.yaml \(as recorded in replay-tick0\.jsonl\):4: servers\.tick: expected at least 1ms/);
  });
});

test("a YAML alias bomb is a file:line error, not a ReferenceError", () => {
  let bomb = "name: t\ndescription: x\nduration: 1s\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 12; i++) bomb += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]\n`;
  expectBadInput(run("run", file("bomb.yaml", bomb)), /bomb\.yaml:5: YAML: the aliases expand too far/);
});

describe("output paths are checked before the run starts", () => {
  const scenario = file("out.yaml", ZK);
  const aFile = file("plain.txt", "not a directory\n");
  mkdirSync(join(dir, "a-directory"), { recursive: true });

  test("--trace or --history inside a file", () => {
    expectBadInput(run("run", scenario, "--trace", join(aFile, "x")), /^zksim: --trace .*plain\.txt\/x: cannot create the directory .*plain\.txt: it is a file, not a directory; expected a file in a directory that can be written$/);
    expectBadInput(run("run", scenario, "--history", join(aFile, "x"), "--trace", join(dir, "t1.jsonl")), /^zksim: --history .*plain\.txt\/x: cannot create the directory/);
    // The history is opened first: the run did not start, so no trace was written.
    expect(existsSync(join(dir, "t1.jsonl"))).toBe(false);
  });

  test("--trace or --history at a directory", () => {
    expectBadInput(run("run", scenario, "--trace", join(dir, "a-directory")), /^zksim: --trace .*a-directory: cannot create the file: it is a directory \(EISDIR\)/);
    expectBadInput(run("run", scenario, "--history", join(dir, "a-directory"), "--trace", join(dir, "t2.jsonl")), /^zksim: --history .*a-directory: cannot create the file: it is a directory \(EISDIR\)/);
  });

  test("--trace or --history empty", () => {
    expectBadInput(run("run", scenario, "--trace="), /^zksim: --trace: expected a file name, got an empty one$/);
    expectBadInput(run("run", scenario, "--history="), /^zksim: --history: expected a file name, got an empty one$/);
  });

  test("--trace and --history naming one file, or the scenario itself", () => {
    expectBadInput(run("run", scenario, "--trace", join(dir, "same.jsonl"), "--history", join(dir, "same.jsonl")), /--history .*same\.jsonl: the trace goes to the same file; expected another file/);
    expectBadInput(run("run", scenario, "--trace", scenario), /--trace .*out\.yaml: this is the scenario file; writing the trace there would overwrite it/);
    expect(readFileSync(scenario, "utf8")).toBe(ZK);
  });

  test("a name too long for the file system: a long scenario name (the default trace path) or --trace", () => {
    expectBadInput(run("run", file("long.yaml", ZK.replace("name: t", `name: ${"n".repeat(240)}`))), /long\.yaml:1: name: at most 100 characters \(the name is part of the trace's file name\)/);
    expectBadInput(run("run", scenario, "--trace", join(dir, `${"n".repeat(300)}.jsonl`)), /--trace .*n{300}\.jsonl: cannot create the file: the name is too long for the file system \(ENAMETOOLONG\)/);
  });

  test.skipIf(!existsSync("/dev/full"))("a full device: a write error at the end, or during the run, is a clean error", () => {
    expectBadInput(run("run", scenario, "--trace", "/dev/full"), /^zksim: --trace \/dev\/full: cannot write the file: no space left on the device \(ENOSPC\)$/);
    expectBadInput(run("run", scenario, "--trace", join(dir, "t3.jsonl"), "--history", "/dev/full"), /^zksim: --history \/dev\/full: cannot write the file: no space left on the device \(ENOSPC\)$/);
    // default writes megabytes of trace: the first write fails mid-run, from a client's async code too.
    expectBadInput(run("run", "default", "--trace", "/dev/full"), /^zksim: --trace \/dev\/full: cannot write the file: no space left on the device \(ENOSPC\)$/);
    expectBadInput(run("demo", "--trace", "/dev/full"), /^zksim: --trace \/dev\/full: cannot write the file/);
  });
});

describe("zksim replay compares the recorded events, not only the digest", () => {
  /** One recorded run of basic-paxos, as lines: each test edits a copy. */
  let recorded: string[] = [];
  beforeAll(() => {
    const trace = join(dir, "recorded.jsonl");
    expect(run("run", "basic-paxos", "--trace", trace, "--quiet").status).toBe(0);
    recorded = readFileSync(trace, "utf8").trimEnd().split("\n");
  });

  test("an edited event line is found, with its line number and both versions", () => {
    const trace = join(dir, "edited.jsonl");
    const lines = recorded.slice();
    const index = lines.findIndex((line, i) => i > 10 && line.includes('"type":"deliver"'));
    const original = lines[index] as string;
    lines[index] = original.replace(/"to":"(s\d)"/, (_m, to: string) => `"to":"${to === "s1" ? "s2" : "s1"}"`);
    writeFileSync(trace, `${lines.join("\n")}\n`);
    const r = run("replay", trace);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const out = r.stdout.trimEnd().split("\n");
    expect(out[0]).toBe(`basic-paxos, seed 1: ${trace}:${index + 1}: the replay differs from the recorded trace from this line on`);
    expect(out[1]).toBe(`  recorded: ${lines[index]}`);
    expect(out[2]).toBe(`  replayed: ${original}`);
  });

  test("a trace cut short, and one with a line more, differ where they part", () => {
    const trace = join(dir, "cut.jsonl");
    const lines = recorded.slice();
    const summary = lines[lines.length - 1] as string;
    writeFileSync(trace, `${[...lines.slice(0, 5), summary].join("\n")}\n`);
    const cut = run("replay", trace);
    expect(cut.status).toBe(1);
    expect(cut.stdout).toMatch(/cut\.jsonl:6: the replay differs/);
    writeFileSync(trace, `${[...lines.slice(0, -1), lines[3], summary].join("\n")}\n`);
    const longer = run("replay", trace);
    expect(longer.status).toBe(1);
    expect(longer.stdout).toMatch(new RegExp(`cut\\.jsonl:${lines.length}: the replay differs`));
  });

  test("a file that is no trace: the line and what was expected", () => {
    expectBadInput(run("replay", file("empty.jsonl", "")), /empty\.jsonl:1: expected a zksim trace header, found an empty file$/);
    expectBadInput(run("replay", file("text.jsonl", "hello\n")), /text\.jsonl:1: expected a zksim trace header, found a line that is not JSON$/);
  });

  test("a long differing line is shown around its first difference, abbreviated", () => {
    const trace = join(dir, "long-line.jsonl");
    const lines = recorded.slice();
    // The header holds the engine configuration the run used, then the whole scenario.
    lines[0] = (lines[0] as string).replace('"pausedQueueMax":100000', '"pausedQueueMax":100001');
    writeFileSync(trace, `${lines.join("\n")}\n`);
    const r = run("replay", trace);
    expect(r.status).toBe(1);
    const [head, asRecorded, asReplayed] = r.stdout.split("\n");
    expect(head).toMatch(/long-line\.jsonl:1: the replay differs from the recorded trace from this line on$/);
    expect(asRecorded).toMatch(/^ {2}recorded: ….{10,}"pausedQueueMax":100001,.*…$/);
    expect(asReplayed).toMatch(/^ {2}replayed: ….{10,}"pausedQueueMax":100000,.*…$/);
    expect((asRecorded as string).length).toBeLessThan(200);
  });
});

test("explore --workers 1000 uses at most the CPUs available, and says so", () => {
  const r = run("explore", "paxos", "--runs", "2", "--workers", "1000");
  expect(r.stderr).toMatch(/^zksim: --workers 1000: using \d+, the number of CPUs available \(more threads would not run faster\)\n$/);
  expect(r.stdout).toMatch(/^explore paxos \(the correct replica, seed 1\): 2 runs in /);
  expect(r.status).toBe(0);
});

describe("zksim view --lesson", () => {
  test("a lesson name that is not bundled is named, with the lessons there are", () => {
    expectBadInput(run("view", "--lesson", "basic-paxo", "--no-open"), /^zksim: no lesson named 'basic-paxo'; expected one of: basic-paxos, dueling-proposers, .*cluster-membership \(see zksim lessons\)$/);
  });

  test("--lesson beside a trace or scenario, or with --seed", () => {
    expectBadInput(run("view", "default", "--lesson", "basic-paxos", "--no-open"), /^zksim: view: --lesson opens a lesson's own scenario; expected no trace or scenario beside it, got default$/);
    expectBadInput(run("view", "--lesson", "basic-paxos", "--seed", "3", "--no-open"), /^zksim: view: --seed is for a scenario/);
  });
});

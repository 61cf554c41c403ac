import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

/** zksim run, replay, list and schema, as a user runs them. */
const BIN = fileURLToPath(new URL("../../bin/zksim.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "zksim-run-"));

function zksim(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("zksim run, replay, list, schema", () => {
  test("run a bundled scenario: a summary, exit 0, and a trace that replays to the same digest", () => {
    const trace = join(dir, "basic.jsonl");
    const run = zksim("run", "basic-paxos", "--trace", trace);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/basic-paxos \(paxos, seed 1\): as expected/);
    expect(run.stdout).toMatch(/held {3}paxos-safety/);
    const replay = zksim("replay", trace);
    expect(replay.stdout).toMatch(/replayed, same digest/);
    expect(replay.status).toBe(0);
  });

  test("--json gives the report with the seed and the digest", () => {
    const r = zksim("run", "bug-minority-quorum", "--json", "--trace", join(dir, "mq.jsonl"));
    const report = JSON.parse(r.stdout) as { seed: number; digest: string; matched: boolean; checks: { name: string; holds: boolean }[] };
    expect(report.seed).toBe(0);
    expect(report.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(report.matched).toBe(true);
    expect(report.checks.find((c) => c.name === "paxos-safety")?.holds).toBe(false);
  });

  test("a run that does not meet its expect exits 1 and prints how to replay it", () => {
    const file = join(dir, "wrong.yaml");
    writeFileSync(file, readFileSync(fileURLToPath(new URL("../../scenarios/bug-minority-quorum.yaml", import.meta.url)), "utf8").replace("expect: paxos-safety", "expect: pass"));
    const r = zksim("run", file, "--trace", join(dir, "wrong.jsonl"));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/NOT as expected/);
    expect(r.stdout).toMatch(/replay: npx zksim run .*wrong\.yaml --seed 0/);
  });

  test("a tampered trace does not replay to its digest", () => {
    const trace = join(dir, "tampered.jsonl");
    zksim("run", "basic-paxos", "--trace", trace);
    const lines = readFileSync(trace, "utf8").trimEnd().split("\n");
    const summary = JSON.parse(lines[lines.length - 1] as string) as { digest: string };
    lines[lines.length - 1] = JSON.stringify({ ...summary, digest: "0000000000000000" });
    writeFileSync(trace, `${lines.join("\n")}\n`);
    const r = zksim("replay", trace);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/differs/);
  });

  test("bad input exits 2 with the file, line and field, and no stack trace", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "name: bad\ndescription: x\nduration: soon\n");
    const r = zksim("run", file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:3: duration: expected a duration/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(zksim("run", "no-such-scenario").status).toBe(2);
    expect(zksim("run", "basic-paxos", "--seed", "x").status).toBe(2);
    expect(zksim("replay", join(dir, "missing.jsonl")).status).toBe(2);
  });

  test("--history writes the run's znode operations, which zksim check finds linearizable", () => {
    const history = join(dir, "history.jsonl");
    expect(zksim("run", "leader-crash-mid-write", "--quiet", "--history", history, "--trace", join(dir, "lc.jsonl")).status).toBe(0);
    expect(readFileSync(history, "utf8").split("\n").length).toBeGreaterThan(100);
    const check = zksim("check", "--model", "znode", history);
    expect(check.stdout).toMatch(/: linearizable \(znode/);
    expect(check.status).toBe(0);
  });

  test("explore scenario runs seeds and names the ones that do not meet expect, with their replay commands", () => {
    const ok = zksim("explore", "scenario", "minority-partition", "--runs", "3", "--seed", "50");
    expect(ok.stdout).toMatch(/minority-partition: 3 seeds \(50\.\.52\).*0 not as expected/);
    expect(ok.status).toBe(0);
    const file = join(dir, "always-fails.yaml");
    writeFileSync(file, readFileSync(fileURLToPath(new URL("../../scenarios/basic-paxos.yaml", import.meta.url)), "utf8").replace("expect: pass", "expect: paxos-safety"));
    const miss = zksim("explore", "scenario", file, "--runs", "2");
    expect(miss.status).toBe(1);
    expect(miss.stdout).toMatch(/seed 1: every check held, but the scenario expects paxos-safety to fail\n {2}replay: npx zksim run .*always-fails\.yaml --seed 1/);
  });

  test("list names every bundled scenario; schema prints a JSON Schema", () => {
    const list = zksim("list");
    expect(list.status).toBe(0);
    expect(list.stdout.split("\n").filter((l) => l !== "").length).toBeGreaterThanOrEqual(14);
    expect(list.stdout).toMatch(/^lock-pause +The lock recipe broken by a process pause/m);
    const schema = JSON.parse(zksim("schema").stdout) as { type: string };
    expect(schema.type).toBe("object");
  });
});

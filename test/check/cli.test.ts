import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { casRegisterHistory, toJsonl } from "../../bench/histories.ts";

/** `zksim check` as a user runs it: exit statuses, messages, JSON output. */
const BIN = fileURLToPath(new URL("../../bin/zksim.js", import.meta.url));
const HISTORIES = fileURLToPath(new URL("../../../shared/histories/", import.meta.url));

function zksim(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "check", ...args], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "zksim-check-")), name);
  writeFileSync(file, text);
  return file;
}

const line = (o: object) => JSON.stringify(o);

describe("zksim check", () => {
  test("exit 0 for linearizable histories, JSON Lines and Jepsen EDN alike", () => {
    const r = zksim(join(HISTORIES, "jsonl/porcupine/etcd_002.jsonl"), join(HISTORIES, "knossos/cas-register/good/memstress3-12.edn"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/etcd_002\.jsonl: linearizable/);
    expect(r.stdout).toMatch(/memstress3-12\.edn: linearizable/);
    expect(r.status).toBe(0);
  });

  test("exit 1 and a counterexample for a history that is not linearizable", () => {
    const r = zksim(join(HISTORIES, "jsonl/porcupine/etcd_000.jsonl"));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/not-linearizable/);
    expect(r.stdout).toMatch(/none of these can come next:\n {4}#\d+ p\d+ /);
  });

  test("--json prints one object per file with the verdict and counterexample", () => {
    const r = zksim("--json", join(HISTORIES, "jsonl/porcupine/etcd_000.jsonl"));
    const report = JSON.parse(r.stdout.trim()) as { verdict: string; counterexample: { stuck: unknown[] } };
    expect(report.verdict).toBe("not-linearizable");
    expect(report.counterexample.stuck.length).toBeGreaterThan(0);
  });

  test("exit 3 when the time budget runs out before a verdict", () => {
    const r = zksim("--timeout", "1ms", join(HISTORIES, "jsonl/porcupine/kv-c50-ok.jsonl"));
    expect(r.stdout).toMatch(/unknown/);
    expect(r.status).toBe(3);
  });

  const bad: readonly [string, string, string, RegExp][] = [
    ["malformed JSON", "h.jsonl", `${line({ process: 0, type: "invoke", f: "read", key: null, value: null })}\n{"process": 0,`, /h\.jsonl:2: malformed JSON/],
    ["an unknown type", "h.jsonl", line({ process: 0, type: "start", f: "read", key: null, value: null }), /h\.jsonl:1: unknown "type" "start": expected invoke, ok, fail or info/],
    ["a completion without an invocation", "h.jsonl", line({ process: 3, type: "ok", f: "read", key: null, value: 1 }), /h\.jsonl:1: a ok completion of read by process 3, which has no open invocation/],
    [
      "a second open operation",
      "h.jsonl",
      [line({ process: 0, type: "invoke", f: "write", key: null, value: 1 }), line({ process: 0, type: "invoke", f: "read", key: null, value: null })].join("\n"),
      /h\.jsonl:2: process 0 invokes read while its write is still open/,
    ],
    ["an operation the model does not know", "h.jsonl", line({ process: 0, type: "invoke", f: "increment", key: null, value: 1 }), /h\.jsonl:1: "increment" is not an operation of the cas-register model \(read, write, cas\)/],
    [
      "a malformed cas",
      "h.jsonl",
      [line({ process: 0, type: "invoke", f: "cas", key: null, value: 3 }), line({ process: 0, type: "ok", f: "cas", key: null, value: 3 })].join("\n"),
      /h\.jsonl:1: a cas carries \[expected, new\]/,
    ],
    ["a malformed EDN history", "h.edn", "[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0 :type", /h\.edn:2:/],
  ];
  for (const [what, name, text, message] of bad) {
    test(`exit 2 for ${what}, naming the file and the line, without a stack trace`, () => {
      const r = zksim(tempFile(name, text));
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  test("exit 2 for a bad flag or a missing file", () => {
    expect(zksim("--model", "nope", "x").status).toBe(2);
    expect(zksim("--timeout", "soon", "x").status).toBe(2);
    const missing = zksim("/no/such/history.jsonl");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/history\.jsonl: cannot read the file \(ENOENT\)/);
  });

  test("exit 2 for a value nested 3,000 deep: one line naming the file and the line, no stack trace", () => {
    const deep = `${"[".repeat(3_000)}${"]".repeat(3_000)}`;
    const r = zksim(tempFile("deep.jsonl", `${line({ process: 0, type: "invoke", f: "write", key: null, value: 1 })}\n{"process": 0, "type": "ok", "f": "write", "key": null, "value": ${deep}}\n`));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^zksim: \S*deep\.jsonl:2: arrays and objects nested more than 100 deep\n$/);
  });

  test("bytes that are not UTF-8 are bad input at their line (replacing them would make different values equal)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "zksim-check-")), "latin1.jsonl");
    writeFileSync(file, Buffer.concat([Buffer.from(`${line({ process: 0, type: "invoke", f: "write", key: null, value: "a" })}\n{"process": 0, "type": "ok", "f": "write", "key": null, "value": "`), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    const r = zksim(file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/latin1\.jsonl:2: the file is not UTF-8 text/);
  });

  test("every file gets its report: bad input in the second file does not hide the first's, and the status is the worst", () => {
    const good = join(HISTORIES, "jsonl/porcupine/etcd_002.jsonl");
    const bad = tempFile("bad.jsonl", line({ process: 0, type: "start", f: "read", key: null, value: null }));
    const violated = join(HISTORIES, "jsonl/porcupine/etcd_000.jsonl");
    const r = zksim(good, bad, violated);
    expect(r.stdout).toMatch(/etcd_002\.jsonl: linearizable/);
    expect(r.stdout).toMatch(/etcd_000\.jsonl: not-linearizable/);
    expect(r.stderr).toMatch(/bad\.jsonl:1: unknown "type"/);
    expect(r.status).toBe(2);
    const json = zksim("--json", good, bad);
    expect(json.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { verdict: string }).verdict)).toEqual(["linearizable", "bad-input"]);
    // Without bad input: a violation (1) outranks an unknown verdict (3).
    const hard = tempFile("hard.jsonl", toJsonl(casRegisterHistory({ operations: 20_000, processes: 8, seed: 3, linearizable: false, infoPerMillion: 5_000 })));
    const small = join(HISTORIES, "knossos/cas-register/good/memstress3-12.edn");
    expect(zksim("--timeout", "1s", hard, violated).status).toBe(1);
    expect(zksim("--timeout", "1s", hard, small).status).toBe(3);
  });

  test("--timeout bounds the check's own time within 5%, exit 3", () => {
    // A hard history: one impossible read after operations of unknown outcome, which may each have happened or not.
    const hard = tempFile("hard.jsonl", toJsonl(casRegisterHistory({ operations: 20_000, processes: 8, seed: 3, linearizable: false, infoPerMillion: 5_000 })));
    const r = zksim("--timeout", "2s", hard);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/the time budget ran out/);
    const ms = Number(/, (\d+) ms\)/.exec(r.stdout)?.[1]);
    expect(ms).toBeGreaterThanOrEqual(2_000);
    expect(ms).toBeLessThanOrEqual(2_100);
  });

  test("--memory bounds the process: exit 3 when reached, with what the history held", () => {
    const hard = tempFile("hard.jsonl", toJsonl(casRegisterHistory({ operations: 20_000, processes: 8, seed: 3, linearizable: false, infoPerMillion: 5_000 })));
    const r = zksim("--memory", "250MB", "--timeout", "60s", hard);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/the memory limit of 250 MB was reached \(the history and the program held \d+(\.\d+)? MB of it when the search began\)/);
    expect(zksim("--memory", "lots", hard).status).toBe(2);
    expect(zksim("--memory", "10MB", hard).stdout).toMatch(/reading the history took more than the memory limit of 10 MB/);
  });

  test("--initial is read in the file's notation: JSON, or EDN for .edn files", () => {
    const edn = tempFile("h.edn", `{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value :a}\n`);
    expect(zksim("--initial", ":a", edn).status).toBe(0);
    expect(zksim("--initial", '"a"', edn).status).toBe(1);
    expect(zksim("--initial", "null", edn).stderr).toMatch(/--initial: 'null' is a symbol in EDN, and the file is EDN: write nil/);
    const jsonl = tempFile("h.jsonl", `${line({ process: 0, type: "invoke", f: "read", key: null, value: null })}\n${line({ process: 0, type: "ok", f: "read", key: null, value: 12345678901234567890n.toString() })}`.replace('"12345678901234567890"', "12345678901234567890"));
    expect(zksim("--initial", "12345678901234567890", jsonl).status).toBe(0);
    expect(zksim("--initial", "12345678901234567891", jsonl).status).toBe(1);
    expect(zksim("--initial", "{", jsonl).stderr).toMatch(/--initial: expected a JSON value/);
  });

  test("a history larger than the longest string Node holds (over 512 MiB) is read in pieces", () => {
    const dir = mkdtempSync(join(tmpdir(), "zksim-check-"));
    const file = join(dir, "large.jsonl");
    const fd = openSync(file, "w");
    try {
      writeSync(fd, `${line({ process: 0, type: "invoke", f: "write", key: null, value: 1 })}\n`);
      // 540 MiB of blank lines between the invocation and its completion.
      const blank = Buffer.from(`${" ".repeat(4_095)}\n`.repeat(256));
      for (let i = 0; i < 540; i++) writeSync(fd, blank);
      writeSync(fd, `${line({ process: 0, type: "ok", f: "write", key: null, value: 1 })}\n`);
      closeSync(fd);
      const r = zksim("--timeout", "2m", file);
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/large\.jsonl: linearizable \(cas-register, 1 operations/);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

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
});

/**
 * The linearizability checker on every history of ../shared/histories and on
 * large cas-register histories generated from fixed seeds (bench/histories.ts),
 * in one process: time per history (best of several runs, every history once
 * per run, so that the first run warms the JIT), beside Porcupine's time for
 * the same history, measured side by side on this machine (the reference
 * table below).
 *
 *   node --import tsx bench/check.bench.ts [--quick]
 */
import { readFileSync } from "node:fs";
import { checkLinearizable, makeModel, parseJsonlHistory, toOperations, type ModelName, type Operation, type Value } from "../src/check/index.ts";
import { BENCH_HISTORY_DEFAULTS, casRegisterHistory } from "./histories.ts";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : 10;
const RUNS_LARGE = quick ? 1 : 3;
const ROOT = new URL("../../shared/histories/", import.meta.url);

interface ManifestEntry {
  readonly name: string;
  readonly file: string;
  readonly model: ModelName;
  readonly initialValue: Value;
  readonly expected: string;
}
const manifest = JSON.parse(readFileSync(new URL("manifest.json", ROOT), "utf8")) as { histories: ManifestEntry[] };

/**
 * The large histories: 8 processes on one register, from seed 1. "-info":
 * 2 operations in 1,000 complete `info`; "-bad": one read, 70% of the way,
 * returns a value nothing wrote. To write one as a file for another checker:
 *   node --import tsx bench/histories.ts --ops 40000 --seed 1 [--bad] [--info-per-million 2000]
 */
const LARGE: readonly { name: string; operations: number; linearizable: boolean; infoPerMillion: number }[] = [
  { name: "cas-40k", operations: 40_000, linearizable: true, infoPerMillion: 0 },
  { name: "cas-40k-info", operations: 40_000, linearizable: true, infoPerMillion: 2_000 },
  { name: "cas-40k-bad", operations: 40_000, linearizable: false, infoPerMillion: 0 },
  { name: "cas-100k", operations: 100_000, linearizable: true, infoPerMillion: 0 },
  { name: "cas-100k-info", operations: 100_000, linearizable: true, infoPerMillion: 2_000 },
  { name: "cas-100k-bad", operations: 100_000, linearizable: false, infoPerMillion: 0 },
];

/**
 * Porcupine's times, in ms, measured on 2026-12-02 on this 2-core machine,
 * side by side with zksim (alternating, three rounds, best of each): Porcupine
 * at its main branch (commit 55508eb, "Add state hashing"), Go 1.19, a driver
 * that reads our JSON Lines (fail dropped, info and open operations returning
 * at the end, as Porcupine's own Jepsen parser does), a cas-register model
 * over canonical JSON text, or a kv-append model partitioned by key, states
 * hashed with FNV-1a, CheckEventsTimeout without a timeout; best of 20 runs
 * (3 for the large histories), excluding parsing, as here. Every verdict
 * agreed with zksim's and the manifest's.
 */
const PORCUPINE_MEASURED_ON = "2026-12-02";
const PORCUPINE_MS: Readonly<Record<string, number>> = {
  "cas-40k": 274, "cas-40k-info": 352, "cas-40k-bad": 1857, "cas-100k": 1121, "cas-100k-info": 950, "cas-100k-bad": 7215, etcd_000: 0.158,
  etcd_001: 0.233, etcd_002: 102, etcd_003: 0.098, etcd_004: 0.041, etcd_005: 0.147, etcd_006: 0.113, etcd_007: 17, etcd_008: 0.046, etcd_009: 0.068,
  etcd_010: 0.03, etcd_011: 0.097, etcd_012: 0.045, etcd_013: 0.025, etcd_014: 0.031, etcd_015: 0.081, etcd_016: 0.028, etcd_017: 0.037,
  etcd_018: 0.263, etcd_019: 0.195, etcd_020: 0.064, etcd_021: 0.041, etcd_022: 0.033, etcd_023: 0.07, etcd_024: 0.055, etcd_025: 0.071,
  etcd_026: 0.055, etcd_027: 0.054, etcd_028: 0.058, etcd_029: 0.099, etcd_030: 0.032, etcd_031: 0.038, etcd_032: 0.05, etcd_033: 0.061,
  etcd_034: 0.039, etcd_035: 0.03, etcd_036: 0.045, etcd_037: 0.094, etcd_038: 0.079, etcd_039: 0.047, etcd_040: 10.6, etcd_041: 0.03,
  etcd_042: 0.045, etcd_043: 0.033, etcd_044: 0.121, etcd_045: 0.045, etcd_046: 0.036, etcd_047: 0.076, etcd_048: 0.061, etcd_049: 0.048,
  etcd_050: 0.037, etcd_051: 0.086, etcd_052: 0.046, etcd_053: 1.07, etcd_054: 0.035, etcd_055: 0.032, etcd_056: 0.3, etcd_057: 43.7,
  etcd_058: 0.044, etcd_059: 0.038, etcd_060: 0.078, etcd_061: 0.215, etcd_062: 0.03, etcd_063: 0.063, etcd_064: 0.033, etcd_065: 0.025,
  etcd_066: 0.057, etcd_067: 0.062, etcd_068: 0.037, etcd_069: 0.027, etcd_070: 0.032, etcd_071: 0.099, etcd_072: 0.04, etcd_073: 0.311,
  etcd_074: 0.03, etcd_075: 13.7, etcd_076: 0.065, etcd_077: 0.038, etcd_078: 0.039, etcd_079: 0.079, etcd_080: 6.09, etcd_081: 0.032,
  etcd_082: 0.067, etcd_083: 0.032, etcd_084: 0.067, etcd_085: 1.76, etcd_086: 0.03, etcd_087: 0.098, etcd_088: 0.036, etcd_089: 0.16,
  etcd_090: 0.033, etcd_091: 0.027, etcd_092: 0.05, etcd_093: 0.034, etcd_094: 0.035, etcd_096: 0.056, etcd_097: 1.37, etcd_098: 0.611,
  etcd_099: 57.1, etcd_100: 0.042, etcd_101: 0.036, etcd_102: 0.04, "kv-c01-bad": 0.051, "kv-c01-ok": 0.068, "kv-c10-bad": 0.198, "kv-c10-ok": 0.545,
  "kv-c50-bad": 8.4, "kv-c50-ok": 132, "cas-register-good-cas-register-bug": 0.004, "cas-register-good-memstress3-0": 0.122,
  "cas-register-good-memstress3-1": 0.108, "cas-register-good-memstress3-10": 0.109, "cas-register-good-memstress3-11": 0.122,
  "cas-register-good-memstress3-12": 0.109, "cas-register-good-memstress3-13": 0.093, "cas-register-good-memstress3-14": 0.118,
  "cas-register-good-memstress3-15": 0.112, "cas-register-good-memstress3-16": 0.094, "cas-register-good-memstress3-17": 0.118,
  "cas-register-good-memstress3-18": 0.115, "cas-register-good-memstress3-19": 0.111, "cas-register-good-memstress3-2": 0.097,
  "cas-register-good-memstress3-20": 0.042, "cas-register-good-memstress3-21": 0.043, "cas-register-good-memstress3-22": 0.042,
  "cas-register-good-memstress3-23": 0.048, "cas-register-good-memstress3-24": 0.049, "cas-register-good-memstress3-25": 0.059,
  "cas-register-good-memstress3-26": 0.053, "cas-register-good-memstress3-27": 0.042, "cas-register-good-memstress3-28": 0.045,
  "cas-register-good-memstress3-29": 0.042, "cas-register-good-memstress3-3": 0.103, "cas-register-good-memstress3-30": 0.026,
  "cas-register-good-memstress3-31": 0.025, "cas-register-good-memstress3-32": 0.015, "cas-register-good-memstress3-33": 0.022,
  "cas-register-good-memstress3-34": 0.102, "cas-register-good-memstress3-35": 0.019, "cas-register-good-memstress3-36": 0.055,
  "cas-register-good-memstress3-37": 0.033, "cas-register-good-memstress3-38": 0.02, "cas-register-good-memstress3-39": 0.021,
  "cas-register-good-memstress3-4": 0.105, "cas-register-good-memstress3-40": 0.049, "cas-register-good-memstress3-41": 0.053,
  "cas-register-good-memstress3-42": 0.052, "cas-register-good-memstress3-43": 0.053, "cas-register-good-memstress3-44": 0.052,
  "cas-register-good-memstress3-45": 0.07, "cas-register-good-memstress3-46": 0.054, "cas-register-good-memstress3-47": 0.053,
  "cas-register-good-memstress3-48": 0.054, "cas-register-good-memstress3-49": 0.051, "cas-register-good-memstress3-5": 0.127,
  "cas-register-good-memstress3-50": 0.057, "cas-register-good-memstress3-51": 1.95, "cas-register-good-memstress3-52": 0.11,
  "cas-register-good-memstress3-53": 0.045, "cas-register-good-memstress3-54": 0.147, "cas-register-good-memstress3-55": 0.163,
  "cas-register-good-memstress3-56": 0.109, "cas-register-good-memstress3-57": 0.153, "cas-register-good-memstress3-58": 0.044,
  "cas-register-good-memstress3-59": 0.218, "cas-register-good-memstress3-6": 0.117, "cas-register-good-memstress3-60": 0.038,
  "cas-register-good-memstress3-61": 0.038, "cas-register-good-memstress3-62": 0.038, "cas-register-good-memstress3-63": 0.059,
  "cas-register-good-memstress3-64": 0.056, "cas-register-good-memstress3-65": 0.634, "cas-register-good-memstress3-66": 0.226,
  "cas-register-good-memstress3-67": 0.04, "cas-register-good-memstress3-68": 0.351, "cas-register-good-memstress3-69": 0.071,
  "cas-register-good-memstress3-7": 0.116, "cas-register-good-memstress3-70": 0.103, "cas-register-good-memstress3-71": 0.119,
  "cas-register-good-memstress3-72": 0.105, "cas-register-good-memstress3-73": 0.116, "cas-register-good-memstress3-74": 0.12,
  "cas-register-good-memstress3-75": 0.101, "cas-register-good-memstress3-76": 0.104, "cas-register-good-memstress3-77": 0.11,
  "cas-register-good-memstress3-78": 0.101, "cas-register-good-memstress3-79": 0.114, "cas-register-good-memstress3-8": 0.114,
  "cas-register-good-memstress3-80": 0.064, "cas-register-good-memstress3-81": 0.05, "cas-register-good-memstress3-82": 0.05,
  "cas-register-good-memstress3-83": 0.061, "cas-register-good-memstress3-84": 0.059, "cas-register-good-memstress3-85": 0.055,
  "cas-register-good-memstress3-86": 0.049, "cas-register-good-memstress3-87": 0.185, "cas-register-good-memstress3-88": 0.047,
  "cas-register-good-memstress3-89": 0.059, "cas-register-good-memstress3-9": 0.119, "cas-register-good-memstress3-90": 0.043,
  "cas-register-good-memstress3-91": 0.029, "cas-register-good-memstress3-92": 0.024, "cas-register-good-memstress3-93": 0.153,
  "cas-register-good-memstress3-94": 0.027, "cas-register-good-memstress3-95": 0.061, "cas-register-good-memstress3-96": 0.027,
  "cas-register-good-memstress3-97": 0.028, "cas-register-good-memstress3-98": 0.076, "cas-register-good-memstress3-99": 0.027,
  "cas-register-good-mongodb-v0-ack-rollback-": 0.001, "cas-register-good-mongodb-v0-ack-rollback-0": 0.011,
  "cas-register-good-mongodb-v0-ack-rollback-1": 0.011, "cas-register-good-mongodb-v0-ack-rollback-10": 0.001,
  "cas-register-good-mongodb-v0-ack-rollback-11": 0.001, "cas-register-good-mongodb-v0-ack-rollback-2": 0.01,
  "cas-register-good-mongodb-v0-ack-rollback-3": 0.018, "cas-register-good-mongodb-v0-ack-rollback-4": 0.024,
  "cas-register-good-mongodb-v0-ack-rollback-5": 0.015, "cas-register-good-mongodb-v0-ack-rollback-7": 0.033,
  "cas-register-good-mongodb-v0-ack-rollback-8": 0.03, "cas-register-good-mongodb-v0-ack-rollback-9": 0.001, "cas-register-bad-bad-analysis": 0.004,
  "cas-register-bad-cas-failure": 0.184, "cas-register-bad-immediate-failure": 0.002, "cas-register-bad-mongodb-v0-ack-rollback-6": 0.032,
  "cas-register-bad-rethink-fail-minimal": 0.003, "cas-register-bad-rethink-fail-smaller": 0.294, "cas-register-bad-rethink-fail": 0.29,
};

interface Case {
  readonly name: string;
  readonly model: ModelName;
  readonly initialValue: Value;
  readonly expected: string;
  readonly ops: readonly Operation[];
  readonly runs: number;
}

const cases: Case[] = manifest.histories.map((h) => ({
  name: h.name,
  model: h.model,
  initialValue: h.initialValue,
  expected: h.expected,
  ops: toOperations(parseJsonlHistory(readFileSync(new URL(h.file, ROOT), "utf8"), h.file), h.file),
  runs: RUNS,
}));
for (const l of LARGE) {
  const events = casRegisterHistory({ ...BENCH_HISTORY_DEFAULTS, operations: l.operations, seed: 1, linearizable: l.linearizable, infoPerMillion: l.infoPerMillion });
  cases.push({ name: l.name, model: "cas-register", initialValue: null, expected: l.linearizable ? "linearizable" : "not-linearizable", ops: toOperations(events, l.name), runs: RUNS_LARGE });
}

const times = new Map<string, number>();
for (let run = 0; run < RUNS; run++) {
  for (const c of cases) {
    if (run >= c.runs) continue;
    const model = makeModel(c.model, { initialValue: c.initialValue });
    const started = process.hrtime.bigint();
    const result = checkLinearizable(c.ops, model);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.verdict !== c.expected) throw new Error(`${c.name}: expected ${c.expected}, got ${result.verdict}`);
    times.set(c.name, Math.min(times.get(c.name) ?? Number.POSITIVE_INFINITY, ms));
  }
}

const ms = (name: string) => times.get(name) ?? 0;
const porcupine = (name: string) => PORCUPINE_MS[name] ?? Number.NaN;
const ratio = (name: string) => ms(name) / porcupine(name);
const cell = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(3));

console.log(`Linearizability checker: ${cases.length} histories, best of ${RUNS} run(s) (${RUNS_LARGE} for the large ones), verdicts all as expected`);
console.log(`beside Porcupine's times measured side by side on ${PORCUPINE_MEASURED_ON} (bench/check.bench.ts, PORCUPINE_MS)\n`);
console.log("history                 ops     zksim ms   Porcupine ms   ratio");
const shown = [...LARGE.map((l) => l.name), ...cases.filter((c) => !c.name.startsWith("cas-") && porcupine(c.name) >= 5).map((c) => c.name)];
for (const name of shown) {
  const c = cases.find((x) => x.name === name) as Case;
  console.log(`${name.padEnd(20)} ${String(c.ops.length).padStart(7)} ${cell(ms(name)).padStart(11)} ${cell(porcupine(name)).padStart(14)} ${ratio(name).toFixed(2).padStart(7)}`);
}
const group = (prefix: string) => cases.filter((c) => c.name.startsWith(prefix) && !LARGE.some((l) => l.name === c.name)).map((c) => c.name);
const sum = (names: string[], f: (name: string) => number) => names.reduce((total, name) => total + f(name), 0);
console.log("");
for (const [label, prefix] of [
  ["etcd (Jepsen), all 102", "etcd"],
  ["kv (Porcupine), all 6", "kv"],
  ["Knossos cas-register, all 120", "cas-register"],
] as const) {
  const names = group(prefix);
  console.log(`${label.padEnd(30)} zksim ${cell(sum(names, ms)).padStart(7)} ms   Porcupine ${cell(sum(names, porcupine)).padStart(7)} ms   ratio ${(sum(names, ms) / sum(names, porcupine)).toFixed(2)}`);
}
// Below 0.1 ms, what is timed is mostly the fixed cost of a call (a few microseconds here, one or two in Go).
const over = (names: string[]) => names.filter((name) => ratio(name) > 1.5).sort((a, b) => ratio(b) - ratio(a));
const describe = (name: string) => `${name} ${ratio(name).toFixed(2)} (${cell(ms(name))} ms vs ${cell(porcupine(name))} ms)`;
const names = [...times.keys()];
const slow = over(names.filter((name) => porcupine(name) >= 0.1));
const fast = over(names.filter((name) => porcupine(name) < 0.1));
console.log(`\nmore than 1.5 times Porcupine's time, of the ${names.length - names.filter((n) => porcupine(n) < 0.1).length} histories it takes 0.1 ms or more for: ${slow.map(describe).join(", ") || "none"}`);
console.log(`of the ${names.filter((n) => porcupine(n) < 0.1).length} it takes less for: ${fast.length} (${fast.slice(0, 5).map(describe).join(", ")}${fast.length > 5 ? ", ..." : ""})`);

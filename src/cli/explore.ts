import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { formatPaxosCase, searchPaxos, type PaxosSearchResult } from "../explore/index.ts";
import { PAXOS_BUGS, type PaxosBug } from "../paxos/index.ts";

/** One worker's share of a sweep: its own fast-check seed and run count. */
export interface SweepShare {
  readonly bugs: readonly PaxosBug[];
  readonly seed: number;
  readonly numRuns: number;
}

export interface SweepOutcome {
  readonly runs: number;
  readonly wallMs: number;
  readonly failures: { share: SweepShare; result: PaxosSearchResult }[];
}

/** Runs one share in this thread (what each worker does). */
export function runShare(share: SweepShare): PaxosSearchResult {
  return searchPaxos({ bugs: share.bugs, liveness: share.bugs.length === 0, seed: share.seed, numRuns: share.numRuns });
}

/**
 * Sweeps `runs` randomized Paxos runs over `workers` worker threads, each with
 * its own fast-check seed (seed, seed+1, …), so the sweep replays exactly.
 */
export async function sweepPaxos(bugs: readonly PaxosBug[], runs: number, seed: number, workers: number): Promise<SweepOutcome> {
  const started = process.hrtime.bigint();
  const shares: SweepShare[] = [];
  const perWorker = Math.ceil(runs / workers);
  for (let w = 0; w < workers && w * perWorker < runs; w++) {
    shares.push({ bugs, seed: seed + w, numRuns: Math.min(perWorker, runs - w * perWorker) });
  }
  const results = await Promise.all(shares.map((share) => runInWorker(share)));
  const failures = results.flatMap((result, k) => (result.failed ? [{ share: shares[k] as SweepShare, result }] : []));
  const done = results.reduce((sum, r) => sum + r.numRuns, 0);
  return { runs: done, wallMs: Number(process.hrtime.bigint() - started) / 1e6, failures };
}

function runInWorker(share: SweepShare): Promise<PaxosSearchResult> {
  return new Promise((resolve, reject) => {
    // Node 20 does not carry the tsx loader into worker threads: each worker registers it first.
    const tsxApi = import.meta.resolve("tsx/esm/api");
    const entry = new URL("./explore-worker.ts", import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    const worker = new Worker(bootstrap, { eval: true, workerData: share });
    worker.once("message", (result: PaxosSearchResult) => resolve(result));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`explore worker exited with status ${code}`));
    });
  });
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export function parseBug(text: string): PaxosBug {
  const bug = PAXOS_BUGS.find((b) => b === text);
  if (bug === undefined) throw new Error(`--bug: expected one of ${PAXOS_BUGS.join(", ")}, got '${text}'`);
  return bug;
}

export function formatSweep(outcome: SweepOutcome, bugs: readonly PaxosBug[]): string {
  const what = bugs.length === 0 ? "correct replica" : `bug ${bugs.join(", ")}`;
  const lines = [`${outcome.runs} runs of the ${what} in ${(outcome.wallMs / 1000).toFixed(1)} s (${Math.round(outcome.runs / (outcome.wallMs / 1000))} runs/s)`];
  if (outcome.failures.length === 0) lines.push("no violation found");
  for (const { share, result } of outcome.failures) {
    const what = result.internal ? "INTERNAL FAILURE (a bug in zksim)" : "VIOLATION";
    lines.push(`${what} with fast-check seed ${share.seed} after ${result.numRuns} runs (shrunk in ${result.numShrinks} steps): ${result.failure}`);
    if (result.counterexample !== null) lines.push(formatPaxosCase(result.counterexample));
  }
  return lines.join("\n");
}

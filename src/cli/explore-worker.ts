import { parentPort, workerData } from "node:worker_threads";
import { exploreRunCounted, type SweepConfig } from "../explore/index.ts";

// A worker thread of `zksim explore`: runs the runs it is handed, one at a
// time, and posts each one's result (its failure or null, and its fault
// points' counts) back.
const config = workerData as SweepConfig;
parentPort?.on("message", (runIndex: number) => {
  void exploreRunCounted(config, runIndex).then((result) => parentPort?.postMessage(result));
});

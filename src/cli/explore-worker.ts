import { parentPort, workerData } from "node:worker_threads";
import { exploreRun, type SweepConfig } from "../explore/index.ts";

// A worker thread of `zksim explore`: runs the runs it is handed, one at a
// time, and posts each one's failure (or null) back.
const config = workerData as SweepConfig;
parentPort?.on("message", (runIndex: number) => {
  void exploreRun(config, runIndex).then((failure) => parentPort?.postMessage(failure));
});

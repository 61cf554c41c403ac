import { parentPort, workerData } from "node:worker_threads";
import { runShare, type SweepShare } from "./explore.ts";

// A worker thread of `zksim explore`: runs its share and posts the result.
parentPort?.postMessage(runShare(workerData as SweepShare));

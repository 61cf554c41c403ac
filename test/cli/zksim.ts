import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Runs the zksim command as a user does, in `cwd`, with a bound on its wall time (a hang fails the test, it does not hold it). */

const BIN = fileURLToPath(new URL("../../bin/zksim.js", import.meta.url));
const PLANT = fileURLToPath(new URL("./fixtures/plant-failure.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

export interface ZksimResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ZksimOptions {
  readonly cwd: string;
  /** Wall-clock bound; past it the command is killed and status is null. */
  readonly timeoutMs?: number;
  /** Plants a bug in zksim (see fixtures/plant-failure.ts): what, and at which engine seeds. */
  readonly plant?: { readonly kind: "assert" | "stall"; readonly seeds: string };
}

export function zksim(options: ZksimOptions, ...args: string[]): ZksimResult {
  const preload = options.plant === undefined ? [] : ["--import", TSX, "--import", PLANT];
  const env = options.plant === undefined ? process.env : { ...process.env, ZKSIM_PLANT: options.plant.kind, ZKSIM_PLANT_SEEDS: options.plant.seeds };
  const r = spawnSync(process.execPath, [...preload, BIN, ...args], { encoding: "utf8", cwd: options.cwd, env, timeout: options.timeoutMs ?? 50_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A stack trace's frames, as Node prints them. */
export const STACK_FRAME = /\n\s+at /;

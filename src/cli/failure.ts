import { HistoryError } from "../check/index.ts";
import { ScenarioError } from "../scenario/index.ts";
import { InputError, SimulationFailure, StallError } from "../sim/index.ts";
import { UsageError } from "./input.ts";

/**
 * Exit statuses of every command: 0 all checks came out as expected; 1 a
 * check did not (a verdict about the system, with the seed to replay it);
 * 2 bad input (a flag, a file, a scenario, an output path); 3 no verdict
 * within the budget (zksim check); 4 an internal failure, a bug in zksim
 * itself (an assertion, an exception in a node, a run whose clock stalled).
 */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_UNKNOWN = 3;
export const EXIT_INTERNAL = 4;

/**
 * The bad input an error is, or wraps, or null. The engine wraps whatever a
 * run throws in a SimulationFailure, so a trace file that cannot be written
 * mid-run (a full disk) arrives as one; only that wrapper is looked through.
 */
export function badInputOf(error: unknown): Error | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof UsageError || current instanceof InputError || current instanceof ScenarioError || current instanceof HistoryError) return current;
    if ("code" in current && String(current.code).startsWith("ERR_PARSE_ARGS")) return current;
    if (!(current instanceof SimulationFailure)) return null;
    current = current.cause;
  }
  return null;
}

/** A bug in zksim met while running something that can be replayed: the command prints both and exits 4. */
export class InternalFailure extends Error {
  override readonly name = "InternalFailure";
  constructor(
    readonly error: unknown,
    /** The command that replays the failing run, e.g. `npx zksim run x.yaml --seed 3`. */
    readonly replay: string,
  ) {
    super(describeInternal(error));
  }
}

/**
 * One line that says an internal failure is a bug in zksim, what it was (a
 * SimulationFailure says the seed, the virtual time and the node), and where
 * it was thrown.
 */
export function describeInternal(error: unknown): string {
  const stalled = error instanceof SimulationFailure && error.cause instanceof StallError;
  const what = error instanceof SimulationFailure ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const origin = error instanceof SimulationFailure ? error.cause : error;
  // Where a stall was noticed (the engine's loop) says nothing: the node and the instant do.
  const where = stalled ? null : thrownAt(origin);
  const kind = stalled ? "the run stalled" : "internal failure";
  return `${kind} (a bug in zksim, not in the input): ${oneLine(what)}${where === null ? "" : ` (thrown at ${where})`}`;
}

/** The first frame of an error's stack: file:line:column. */
function thrownAt(error: unknown): string | null {
  if (!(error instanceof Error) || error.stack === undefined) return null;
  for (const line of error.stack.split("\n")) {
    const frame = /^\s+at (?:.*\()?(.+?:\d+:\d+)\)?$/.exec(line);
    if (frame !== null) return (frame[1] as string).replace(/^file:\/\//, "");
  }
  return null;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

/** An argument as the shell needs it in a printed command. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

import { availableParallelism } from "node:os";
import { PAXOS_BUGS, type PaxosBug } from "../paxos/index.ts";

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export function parseBug(text: string): PaxosBug {
  const bug = PAXOS_BUGS.find((b) => b === text);
  if (bug === undefined) throw new Error(`--bug: expected one of ${PAXOS_BUGS.join(", ")}, got '${text}'`);
  return bug;
}

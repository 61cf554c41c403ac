import { availableParallelism } from "node:os";
import type { ServiceBug } from "../explore/index.ts";
import { PAXOS_BUGS } from "../paxos/index.ts";
import { ZK_BUGS } from "../zk/index.ts";

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** A --bug: one of the Paxos zoo for either target, or of the service's zoo (ZK_BUGS) for zookeeper. */
export function parseBug(text: string, target: "paxos" | "zookeeper" = "zookeeper"): ServiceBug {
  const known: readonly ServiceBug[] = target === "paxos" ? PAXOS_BUGS : [...PAXOS_BUGS, ...ZK_BUGS];
  const bug = known.find((b) => b === text);
  if (bug !== undefined) return bug;
  if ((ZK_BUGS as readonly string[]).includes(text)) throw new Error(`--bug: ${text} is a bug of the ZooKeeper service: use it with explore zookeeper (explore paxos takes ${PAXOS_BUGS.join(", ")})`);
  throw new Error(`--bug: expected one of ${known.join(", ")}, got '${text}'`);
}

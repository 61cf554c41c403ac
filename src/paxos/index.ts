/**
 * Multi-Paxos: a replicated log as a sans-IO component (the proposer,
 * acceptor and learner of one server, catch-up and read barriers), its safety
 * and liveness checks, the bug zoo, and a small log server to run it on its own.
 */
export { Replica } from "./replica.ts";
export type { ReplicaMachine } from "./replica.ts";
export type { ReplicaContext } from "./outbox.ts";
export type { Role, ProposeOutcome, ProposeRefusal } from "./proposer.ts";
export { BALLOT_ZERO, compareBallots, ballotsEqual, formatBallot } from "./ballot.ts";
export type { Ballot } from "./ballot.ts";
export { isPaxosMsg, isPaxosTimer } from "./messages.ts";
export type { PaxosMsg, PaxosMsgType, PaxosTimer, ProposerTimer, Value, AcceptedEntry, ChosenEntry } from "./messages.ts";
export { paxosConfigSchema, PAXOS_BUGS } from "./config.ts";
export type { PaxosConfig, PaxosConfigInput, PaxosBug } from "./config.ts";
export type { Snapshot, LearnerMachine } from "./learner.ts";
export { PaxosChecker } from "./checker.ts";
export type { PaxosViolation, PaxosCheckName, ChosenSlot } from "./checker.ts";
export { PaxosLiveness } from "./liveness.ts";
export type { LivenessVerdict } from "./liveness.ts";
export { LogServer } from "./server.ts";
export type { LogServerMsg, LogServerTimer, LogServerOptions, LogState, LogCmd, SubmitMsg, ScheduledProposal } from "./server.ts";
export { runPaxosCluster, serverIds } from "./cluster.ts";
export type { PaxosClusterOptions, PaxosRunResult } from "./cluster.ts";
export { paxosNoteSchema, ballotSchema, isPaxosNoteKind, asPaxosNote, PAXOS_NOTE_KINDS } from "./notes.ts";
export type { PaxosNote, PaxosNoteKind } from "./notes.ts";
export type { ReplicaInspection } from "./replica.ts";
export type { ProposerInspection } from "./proposer.ts";

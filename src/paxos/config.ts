import { z } from "zod";
import { DELAY_US_MAX } from "../sim/index.ts";

/**
 * The bug zoo: classic Paxos mistakes that can be turned on one by one, for
 * teaching and to prove that the checkers and the fault search find them.
 */
export const PAXOS_BUGS = [
  /** The acceptor keeps its promise in memory only: a restart forgets it. */
  "forget-promise",
  /** A new leader proposes its own value instead of the highest-ballot accepted one. */
  "ignore-accepted",
  /** The acceptor accepts a ballot below its promise. */
  "accept-lower-ballot",
  /** Quorums of floor(N/2) instead of floor(N/2)+1: two quorums need not intersect. */
  "minority-quorum",
  /** The acceptor replies before its write is synced: a crash can undo a promise it gave. */
  "reply-before-sync",
  /** The leader treats a slot as chosen on its first acceptance. */
  "commit-before-quorum",
] as const;
export type PaxosBug = (typeof PAXOS_BUGS)[number];

const delayUs = z.int().min(1).max(DELAY_US_MAX);

export const paxosConfigSchema = z
  .strictObject({
    /** "multi": a replicated log with a stable leader. "single": classic Basic Paxos deciding one value. */
    mode: z.enum(["multi", "single"]).default("multi"),
    /** How often a leader sends heartbeats (carrying its commit index). */
    heartbeatUs: delayUs.default(50_000),
    /** A follower that hears no leader for a random time in [min, max] starts an election. */
    electionTimeoutUsMin: delayUs.default(150_000),
    electionTimeoutUsMax: delayUs.default(300_000),
    /** How many slots a leader may have in phase 2 at once. */
    pipelineWindow: z.int().min(1).max(1024).default(16),
    /** Proposals waiting for the window, at most; beyond this propose() answers busy. */
    proposalQueueMax: z.int().min(0).max(100_000).default(1_000),
    /** Compact the log into a snapshot every this many applied slots (0: never). */
    snapshotEvery: z.int().min(0).max(1_000_000).default(0),
    /** A snapshot is sent to a lagging replica in chunks of at most this many characters. */
    snapshotChunkChars: z.int().min(16).max(10_000_000).default(4_096),
    /** Chosen entries per `entries` reply to a replica that is catching up. */
    fetchBatchMax: z.int().min(1).max(10_000).default(64),
    /** A read barrier that has not completed after this long fails. */
    readIndexTimeoutUs: delayUs.default(1_000_000),
    bugs: z.array(z.enum(PAXOS_BUGS)).default([]),
  })
  .refine((c) => c.electionTimeoutUsMin <= c.electionTimeoutUsMax, {
    message: "electionTimeoutUsMin must not exceed electionTimeoutUsMax",
    path: ["electionTimeoutUsMax"],
  })
  .refine((c) => c.heartbeatUs < c.electionTimeoutUsMin, {
    message: "heartbeatUs must be below electionTimeoutUsMin, or followers time out between heartbeats",
    path: ["heartbeatUs"],
  });

export type PaxosConfig = z.output<typeof paxosConfigSchema>;
export type PaxosConfigInput = z.input<typeof paxosConfigSchema>;

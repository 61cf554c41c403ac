/**
 * Exploration: fast-check arbitraries for fault schedules and the searches
 * built on them, for the bug zoo and for seed sweeps, and the records that
 * shards of a sweep write and merge.
 */
export {
  paxosCaseArbitrary,
  runPaxosCase,
  searchPaxos,
  checkPaxosRun,
  caseFailure,
  calmFaults,
  formatPaxosCase,
  SEARCH_PAXOS,
  SEARCH_TIMING,
} from "./paxos-search.ts";
export type { PaxosCase, PaxosCaseOptions, PaxosRunFailure, PaxosSearchOptions, PaxosSearchResult } from "./paxos-search.ts";
export { zkCaseArbitrary, zkCaseYaml, runZkCase, searchZk, checkZkRun, ZK_SEARCH_TIMING, ZK_FAULT_KINDS, SERVICE_BUGS } from "./zk-search.ts";
export type { ServiceBug, ZkFired, ZkRunOptions, ZkCase, ZkCaseFault, ZkFaultKind, ZkMix, ZkRunFailure, ZkSearchOptions, ZkSearchResult } from "./zk-search.ts";
export { exploreRun, exploreRunCounted, buggifyOn, runSeed, runIndexLimit, shardRunIndex, shardRunCount, RUN_SEED_MAX, WHOLE_SWEEP } from "./sweep.ts";
export type { RunFailure, RunResult, Shard, SweepConfig } from "./sweep.ts";
export { addFired, neverFired, mergeSweepRecords, parseSweepRecord, shardReport, sweepRecord, sweepRecordName, SWEEP_FORMAT } from "./sweep-record.ts";
export type { MergedFailure, MergedSweep, SweepRecord, SweepRecordConfig, SweepStop } from "./sweep-record.ts";

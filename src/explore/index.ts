/**
 * Exploration: fast-check arbitraries for fault schedules and the searches
 * built on them, for the bug zoo and for seed sweeps.
 */
export {
  paxosCaseArbitrary,
  runPaxosCase,
  searchPaxos,
  caseFailure,
  calmFaults,
  formatPaxosCase,
  SEARCH_PAXOS,
  SEARCH_TIMING,
} from "./paxos-search.ts";
export type { PaxosCase, PaxosCaseOptions, PaxosSearchOptions, PaxosSearchResult } from "./paxos-search.ts";
export { zkCaseArbitrary, zkCaseYaml, runZkCase, searchZk, ZK_SEARCH_TIMING } from "./zk-search.ts";
export type { ZkCase, ZkCaseFault, ZkSearchOptions, ZkSearchResult } from "./zk-search.ts";

/**
 * zksim's public API. Build and run simulations, write nodes, inject faults,
 * read traces. Each export is named once here; see the folder entry modules
 * for details.
 */
export {
  Simulation,
  SimulationFailure,
  Rng,
  EventHeap,
  latencySampler,
  engineConfigSchema,
  faultSchema,
  latencySchema,
  parseEngineConfig,
  InputError,
  Digest,
  digestLines,
  MemorySink,
  TraceRecorder,
  parseTrace,
  traceEventSchema,
  traceHeaderSchema,
  traceSummarySchema,
  TRACE_FORMAT,
  TRACE_VERSION,
  AssertionError,
  assert,
} from "./sim/index.ts";
export type {
  SimulationOptions,
  TraceOptions,
  RunLimits,
  RunOutcome,
  StopReason,
  NodeStatus,
  Node,
  Context,
  Storage,
  NodeFactory,
  NodeId,
  TimerId,
  SyncId,
  LatencyDistribution,
  EngineConfig,
  EngineConfigInput,
  Fault,
  FaultInput,
  ScheduledFault,
  NemesisConfig,
  InputProblem,
  TraceEvent,
  TraceHeader,
  TraceSummary,
  TraceLevel,
  TraceSink,
  TraceListener,
  ParsedTrace,
  RunStats,
  DropReason,
  FaultSource,
} from "./sim/index.ts";
export { GossipNode } from "./examples/index.ts";
export type { GossipMsg, GossipOptions } from "./examples/index.ts";
export { Replica, LogServer, PaxosChecker, PaxosLiveness, runPaxosCluster, paxosConfigSchema, PAXOS_BUGS } from "./paxos/index.ts";
export type { PaxosConfig, PaxosConfigInput, PaxosBug, PaxosViolation, PaxosRunResult } from "./paxos/index.ts";
export { ZkServer, DataTree, ZK_ERRORS, CREATE_MODES, PERMS, OPEN_ACL, READ_ACL } from "./zk/index.ts";
export type { ZkOp, ZkReply, ZkResult, Stat, Acl, CreateMode, WatchEvent, ZkErrorCode } from "./zk/index.ts";
export { buildZkCluster, ZkClient, ZkError, Lock, Election, Barrier, ConfigWatcher, StorageNode } from "./client/index.ts";
export type { ZooKeeper, ZkCluster, ZkClusterOptions, Workload, ClientProcess, Watcher, ClientEvent, OpRecord } from "./client/index.ts";
export { checkLinearizable, makeModel, parseJsonlHistory, parseEdnHistory, toOperations, checkZkGuarantees, checkRecipes, zkHistoryToEvents, HistoryError } from "./check/index.ts";
export type { HistoryEvent, Operation, Model, ModelName, CheckResult, Counterexample, ZkHistory, GuaranteeResult, InvariantResult } from "./check/index.ts";
export { parseScenario, runScenario, scenarioSchema, scenarioJsonSchema, zkHistoryOf, ScenarioError, LiveRun } from "./scenario/index.ts";
export type { Scenario, ScenarioReport, CheckReport, RunOptions, FaultEntry, Intervention, LiveRunOptions } from "./scenario/index.ts";

/**
 * The deterministic simulation engine: virtual time, the event queue, seeded
 * random streams, the network and disk models, node lifecycles, fault
 * injection and the trace. Other folders import the engine from here only.
 */
export { Simulation, SimulationFailure, StallError } from "./engine.ts";
export type { SimulationOptions, TraceOptions, RunLimits, RunOutcome, StopReason, NodeStatus, MessageInFlight } from "./engine.ts";
export type { Node, Context, Storage, NodeFactory, NodeId, TimerId, SyncId } from "./node.ts";
export { Rng } from "./rng.ts";
export {
  BUGGIFY_POINTS,
  BUGGIFY_POINT_NAMES,
  BUGGIFY_ACTIVATE_PER_MILLION_DEFAULT,
  BUGGIFY_FIRE_PER_MILLION_DEFAULT,
  buggifyConfigSchema,
  isBuggifyPoint,
  unknownPointMessage,
} from "./buggify.ts";
export type { BuggifyPoint, BuggifyConfig } from "./buggify.ts";
export { EventHeap } from "./heap.ts";
export type { Ordered } from "./heap.ts";
export { latencySampler } from "./latency.ts";
export type { LatencyDistribution, LatencySampler } from "./latency.ts";
export {
  engineConfigSchema,
  faultSchema,
  latencySchema,
  parseEngineConfig,
  InputError,
  formatPath,
  problemsFromZod,
  DELAY_US_MAX,
  TIME_US_MAX,
  DRIFT_PPM_MAX,
  NODE_COUNT_MAX,
} from "./config.ts";
export type { EngineConfig, EngineConfigInput, Fault, FaultInput, ScheduledFault, NemesisConfig, InputProblem } from "./config.ts";
export { ByteDigest, Digest, digestLines } from "./digest.ts";
export {
  TraceRecorder,
  MemorySink,
  parseTrace,
  eventLine,
  traceDigest,
  frozenJsonCache,
  traceEventSchema,
  traceHeaderSchema,
  traceSummarySchema,
  traceLevelSchema,
  TRACE_FORMAT,
  TRACE_VERSION,
  TRACE_VERSIONS_READ,
} from "./trace.ts";
export { TraceReader, type TraceReaderHandlers, type TraceReaderOptions, type TraceReadResult, type TraceLineProblem, type ForeignTraceEvent } from "./trace-reader.ts";
export type {
  TraceEvent,
  TraceHeader,
  TraceSummary,
  TraceLevel,
  TraceSink,
  TraceListener,
  LineDigest,
  ParsedTrace,
  RunStats,
  DropReason,
  FaultSource,
} from "./trace.ts";
export { assert, AssertionError, fail, unreachable } from "./assert.ts";
export { freezePlainData } from "./freeze.ts";

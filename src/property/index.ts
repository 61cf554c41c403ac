/**
 * Property tests of users' own recipes and clients: `zkProperty(options,
 * async (cluster) => …)` runs the user's workload on simulated clients of a
 * simulated cluster, over fault schedules fast-check draws and shrinks, with
 * zksim's checks beside the user's assertions. Node only (it writes the
 * failing run's trace file and reads ZKSIM_REPLAY); import it as
 * `zksim/property`.
 */
export { zkProperty, checkZkProperty, ZkPropertyError, ZkPropertyOptionsError, PROPERTY_CHECKS, DEFAULT_PROPERTY_CHECKS, REPLAY_VARIABLE } from "./property.ts";
export type { ZkPropertyOptions, ZkPropertyFailure, ZkPropertyResult } from "./property.ts";
export { propertyCaseArbitrary, runPropertyCase, formatPropertyCase, PropertyUsageError, PROPERTY_CLIENTS, PROPERTY_RUN_DEFAULTS, PROPERTY_TICK_MS } from "./run-case.ts";
export type { PropertyCase, PropertyCaseOptions, PropertyCluster, PropertyWorkload, PropertyBody, PropertyRunSettings, PropertyRunOutcome } from "./run-case.ts";
export {
  faultScheduleArbitrary,
  clusterSizeArbitrary,
  networkArbitrary,
  minorityOf,
  PROPERTY_FAULT_KINDS,
  DEFAULT_FAULT_KINDS,
  FAULT_SCHEDULE_DEFAULTS,
} from "./arbitraries.ts";
export type { FaultSchedule, FaultScheduleOptions, ScheduledFaultAt, ScheduledFaultEntry, PropertyFaultKind, PropertyNetwork, NetworkOptions } from "./arbitraries.ts";

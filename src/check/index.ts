/**
 * Checkers: histories in Jepsen's model, the linearizability checker and its
 * models, ZooKeeper's guarantees and the recipes' invariants.
 */
export { parseJsonlHistory, parseJsonlHistoryWithLines, parseJsonValue, readJsonlOperations, toOperations, HistoryError, EdnValue } from "./history.ts";
export type { HistoryEvent, Operation, EventType, Json, Value, EdnKind, TextSource } from "./history.ts";
export { parseEdnHistory, parseEdnValue, readEdnOperations } from "./edn.ts";
export { makeModel, valueEqual, valueKey, showValue, MODEL_NAMES, operationProblem } from "./models.ts";
export type { Model, ModelName, ModelOptions } from "./models.ts";
export { checkLinearizable, formatBytes } from "./linearizability.ts";
export type { Verdict, CheckOptions, CheckResult, Counterexample, CounterexampleOp, Limit } from "./linearizability.ts";
export { checkZkGuarantees, zkHistoryToEvents } from "./zk-guarantees.ts";
export type { ZkHistory, ZkHistoryOp, ZkNotification, ZkChange, GuaranteeResult, GuaranteeName, GuaranteeOptions } from "./zk-guarantees.ts";
export { checkRecipes, checkRecipeProgress } from "./recipes.ts";
export type { NoteRecord, InvariantResult, ProgressOptions } from "./recipes.ts";
export { checkRequestsAnswered } from "./zk-liveness.ts";
export type { LivenessOptions, LivenessResult } from "./zk-liveness.ts";
export { Found, siteOf } from "./violations.ts";
export { counterexamplePicture, PICTURE_OPS_MAX } from "./counterexample.ts";
export type { CounterexamplePicture, PictureOp } from "./counterexample.ts";
export type { ViolationSite } from "./violations.ts";

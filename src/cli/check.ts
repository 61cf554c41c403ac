import { readInputFile, UsageError } from "./input.ts";
import {
  checkLinearizable,
  HistoryError,
  makeModel,
  MODEL_NAMES,
  operationProblem,
  parseEdnHistory,
  parseJsonlHistoryWithLines,
  parseJsonValue,
  showValue,
  toOperations,
  type CheckResult,
  type ModelName,
  type Operation,
  type Value,
} from "../check/index.ts";

export const CHECK_HELP = `Usage: zksim check FILE... [--model NAME] [--json] [--timeout DURATION]

Checks histories for linearizability. A history is JSON Lines, one event per
line ({"process": 0, "type": "invoke"|"ok"|"fail"|"info", "f": "read"|"write"|"cas"|...,
"key": "x" or null, "value": ...}), or Jepsen's EDN (history.edn, as Jepsen
and Knossos write it; files ending in .edn).

Options:
  --model NAME        register, cas-register, kv, kv-append or znode (default: kv-append if
                      the history appends, kv if it has keys, otherwise cas-register)
  --initial JSON      the value every register or key starts with (default null; "" for kv-append)
  --json              one JSON object per file on standard output
  --timeout DURATION  wall-clock budget per file, e.g. 30s, 500ms, 2m (default 30s)
  -h, --help          this text

Exit status: 0 every history is linearizable; 1 one is not (the counterexample
is printed); 2 bad input (the file, line and what was expected); 3 the
budget ran out before a verdict (unknown).
`;


export interface CheckFileReport {
  readonly file: string;
  readonly model: ModelName;
  readonly operations: number;
  readonly result: CheckResult;
  readonly wallMs: number;
}

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (match === null) throw new UsageError(`--timeout: expected a duration such as 30s, 500ms or 2m, got '${text}'`);
  const amount = Number(match[1]);
  const unit = match[2];
  const ms = unit === "ms" ? amount : unit === "s" ? amount * 1_000 : amount * 60_000;
  if (ms <= 0) throw new UsageError(`--timeout: must be more than zero, got '${text}'`);
  return ms;
}

export function parseModel(text: string | undefined): ModelName | undefined {
  if (text === undefined) return undefined;
  if (!(MODEL_NAMES as readonly string[]).includes(text)) throw new UsageError(`--model: expected one of ${MODEL_NAMES.join(", ")}, got '${text}'`);
  return text as ModelName;
}

export function parseInitial(text: string | undefined): Value | undefined {
  if (text === undefined) return undefined;
  const parsed = parseJsonValue(text);
  if ("problem" in parsed) throw new UsageError(`--initial: expected a JSON value such as null, 0 or '""', got '${text}' (${parsed.problem})`);
  return parsed.value;
}

/** Reads and checks one file. Bad input throws HistoryError (file, line, what was wrong). */
export function checkFile(file: string, options: { model: ModelName | undefined; initial: Value | undefined; timeoutMs: number; nowMs: () => number }): CheckFileReport {
  const text = readInputFile(file);
  const { events, lines } = file.endsWith(".edn") ? parseEdnHistory(text, file) : parseJsonlHistoryWithLines(text, file);
  const operations = toOperations(events, file, lines);
  const model = options.model ?? inferModel(operations);
  for (const op of operations) {
    const problem = operationProblem(model, op.f, op.input);
    if (problem !== null) throw new HistoryError(file, lines[op.call] ?? 0, problem);
  }
  const initialValue = options.initial ?? (model === "kv-append" ? "" : null);
  const started = options.nowMs();
  const deadline = started + options.timeoutMs;
  const result = checkLinearizable(operations, makeModel(model, { initialValue }), { stop: () => options.nowMs() > deadline });
  return { file, model, operations: operations.length, result, wallMs: options.nowMs() - started };
}

function inferModel(operations: readonly Operation[]): ModelName {
  if (operations.some((op) => op.f === "append")) return "kv-append";
  if (operations.some((op) => op.key !== null)) return "kv";
  return "cas-register";
}

export function formatReport(report: CheckFileReport): string {
  const { result } = report;
  const head = `${report.file}: ${result.verdict} (${report.model}, ${report.operations} operations, ${result.partitions} key(s), ${result.steps} search steps, ${report.wallMs.toFixed(0)} ms)`;
  if (result.verdict === "unknown") return `${head}\n  ${result.reason ?? "the search stopped early"}`;
  const c = result.counterexample;
  if (c === undefined) return head;
  const lines = [head, `  key: ${c.key === null ? "(the register)" : c.key}`, `  the longest order the model accepts (${c.prefix.length} operation(s)):`];
  for (const op of c.prefix) lines.push(`    #${op.id} ${op.text}`);
  lines.push(`  state after it: ${showValue(c.state)}`, "  none of these can come next:");
  for (const op of c.stuck) lines.push(`    #${op.id} ${op.text}`);
  return lines.join("\n");
}

/** 1 if any history is not linearizable, else 3 if any verdict is unknown, else 0. */
export function exitStatus(reports: readonly CheckFileReport[]): number {
  if (reports.some((r) => r.result.verdict === "not-linearizable")) return 1;
  if (reports.some((r) => r.result.verdict === "unknown")) return 3;
  return 0;
}

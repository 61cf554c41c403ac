import { closeSync, openSync, readSync } from "node:fs";
import { UsageError } from "./input.ts";
import {
  checkLinearizable,
  formatBytes,
  HistoryError,
  makeModel,
  MODEL_NAMES,
  operationProblem,
  parseEdnValue,
  parseJsonValue,
  readEdnOperations,
  readJsonlOperations,
  showValue,
  type CheckResult,
  type ModelName,
  type Operation,
  type TextSource,
  type Value,
} from "../check/index.ts";

export const CHECK_HELP = `Usage: zksim check FILE... [--model NAME] [--json] [--timeout DURATION] [--memory SIZE]

Checks histories for linearizability. A history is JSON Lines, one event per
line ({"process": 0, "type": "invoke"|"ok"|"fail"|"info", "f": "read"|"write"|"cas"|...,
"key": "x" or null, "value": ...}), or Jepsen's EDN (history.edn, as Jepsen
and Knossos write it; files ending in .edn). Files are read in pieces, so
their size is bounded only by memory.

Options:
  --model NAME        register, cas-register, kv, kv-append or znode (default: kv-append if
                      the history appends, kv if it has keys, otherwise cas-register)
  --initial VALUE     the value every register or key starts with, in the file's notation
                      (JSON, or EDN for .edn files; default null/nil, and "" for kv-append)
  --json              one JSON object per file on standard output (a big integer is
                      written as a string of its digits, an EDN value as its EDN text)
  --timeout DURATION  wall-clock budget per file, reading included, e.g. 30s, 500ms, 2m
                      (default 30s)
  --memory SIZE       the most memory zksim may take for one file, the history and the
                      search together, e.g. 2GB, 500MB, 1.5GiB (default 2GB)
  -h, --help          this text

Exit status: 0 every history is linearizable; 1 one is not (the counterexample
is printed); 2 bad input (the file, line and what was expected); 3 a budget
(time or memory) ran out before a verdict (unknown). With several files,
each file's report is printed, and the status is the first of 2, 1, 3 that
applies to any of them.
`;

/** Bytes read from a file at a time. */
const PIECE_BYTES = 1024 * 1024;

export interface CheckFileReport {
  readonly file: string;
  readonly model: ModelName;
  readonly operations: number;
  readonly result: CheckResult;
  readonly wallMs: number;
}

export interface CheckFileOptions {
  readonly model: ModelName | undefined;
  /** --initial as given: read in the notation of each file. */
  readonly initial: string | undefined;
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly nowMs: () => number;
  /** The memory the process holds now (its resident set), in bytes. */
  readonly memoryInUse: () => number;
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

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** A size such as 2GB, 500MB or 1.5GiB, in bytes (kB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]+)$/.exec(text);
  const unit = match === null ? undefined : SIZE_UNITS[(match[2] as string).toLowerCase()];
  if (match === null || unit === undefined) throw new UsageError(`--memory: expected a size such as 2GB, 500MB or 1.5GiB, got '${text}'`);
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes <= 0) throw new UsageError(`--memory: must be more than zero, got '${text}'`);
  return bytes;
}

export function parseModel(text: string | undefined): ModelName | undefined {
  if (text === undefined) return undefined;
  if (!(MODEL_NAMES as readonly string[]).includes(text)) throw new UsageError(`--model: expected one of ${MODEL_NAMES.join(", ")}, got '${text}'`);
  return text as ModelName;
}

/** --initial in a file's notation. */
function initialValueOf(text: string, edn: boolean): Value {
  // JSON's null is a symbol in EDN: most likely nil was meant, so it is refused rather than read as a symbol.
  if (edn && text.trim() === "null") throw new UsageError(`--initial: 'null' is a symbol in EDN, and the file is EDN: write nil`);
  const parsed = edn ? parseEdnValue(text) : parseJsonValue(text);
  if ("problem" in parsed) throw new UsageError(`--initial: expected ${edn ? "an EDN value such as nil, 0 or '\"\"' (the file is EDN)" : "a JSON value such as null, 0 or '\"\"'"}, got '${text}' (${parsed.problem})`);
  return parsed.value;
}

/** Why reading stopped before the end: a budget ran out. */
class ReadingStopped extends Error {
  constructor(
    readonly limit: "time" | "memory",
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Reads and checks one file. Bad input throws HistoryError (file, line,
 * what was wrong) or UsageError (a file that cannot be read, an --initial
 * the file's notation does not read); a budget that runs out is an unknown
 * verdict.
 */
export function checkFile(file: string, options: CheckFileOptions): CheckFileReport {
  const started = options.nowMs();
  const deadline = started + options.timeoutMs;
  const edn = file.endsWith(".edn");
  const initial = options.initial === undefined ? undefined : initialValueOf(options.initial, edn);
  const report = (model: ModelName, operations: number, result: CheckResult): CheckFileReport => ({ file, model, operations, result, wallMs: options.nowMs() - started });
  let operations: Operation[];
  try {
    const source = fileSource(file, () => {
      if (options.nowMs() > deadline) throw new ReadingStopped("time", "the time budget ran out while reading the file");
      if (options.memoryInUse() > options.memoryBytes) throw new ReadingStopped("memory", `reading the history took more than the memory limit of ${formatBytes(options.memoryBytes)}`);
    });
    operations = edn ? readEdnOperations(source, file) : readJsonlOperations(source, file);
  } catch (error) {
    if (!(error instanceof ReadingStopped)) throw error;
    return report(options.model ?? "cas-register", 0, { verdict: "unknown", partitions: 0, steps: 0, memoryBytes: 0, limit: error.limit, reason: error.reason });
  }
  const model = options.model ?? inferModel(operations);
  for (const op of operations) {
    const problem = operationProblem(model, op.f, op.input);
    if (problem !== null) throw new HistoryError(file, op.line ?? 0, problem);
  }
  const initialValue = initial ?? (model === "kv-append" ? "" : null);
  // What the process holds already (the history, the code) leaves the rest of the limit to the search's tables,
  // which the search counts itself; the process's own size is watched too, as the search asks whether to stop.
  const held = options.memoryInUse();
  const tablesMax = options.memoryBytes - held;
  let overMemory = tablesMax <= 0;
  const stop = () => {
    if (options.nowMs() > deadline) return true;
    overMemory = options.memoryInUse() > options.memoryBytes;
    return overMemory;
  };
  const result = overMemory
    ? { verdict: "unknown" as const, partitions: 0, steps: 0, memoryBytes: 0, limit: "memory" as const }
    : checkLinearizable(operations, makeModel(model, { initialValue }), { stop, memoryBytesMax: tablesMax });
  if (result.limit !== "memory" && !(result.limit === "time" && overMemory)) return report(model, operations.length, result);
  const reason = `the memory limit of ${formatBytes(options.memoryBytes)} was reached (the history and the program held ${formatBytes(held)} of it when the search began)`;
  return report(model, operations.length, { ...result, limit: "memory", reason });
}

function inferModel(operations: readonly Operation[]): ModelName {
  if (operations.some((op) => op.f === "append")) return "kv-append";
  if (operations.some((op) => op.key !== null)) return "kv";
  return "cas-register";
}

/**
 * A file's text in pieces of about a megabyte, decoded as UTF-8 (bytes that
 * are not UTF-8 are bad input, at their line: replacing them would make
 * different values equal). `between` runs before each piece is read, and may
 * throw to stop reading.
 */
function fileSource(file: string, between: () => void): TextSource {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new UsageError(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const buffer = new Uint8Array(PIECE_BYTES);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return () => {
    if (!open) return null;
    try {
      between();
      const count = readSync(fd, buffer, 0, PIECE_BYTES, null);
      if (count === 0) {
        close();
        return decoder.decode();
      }
      return decoder.decode(buffer.subarray(0, count), { stream: true });
    } catch (error) {
      close();
      if (error instanceof TypeError && "code" in error && error.code === "ERR_ENCODING_INVALID_ENCODED_DATA") throw notUtf8(file);
      if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) throw new UsageError(`${file}: cannot read the file (${error.code})`);
      throw error;
    }
  };
}

/** The error for a file that is not UTF-8: it reads the file again to find the line of the first bad byte. */
function notUtf8(file: string): HistoryError {
  const fd = openSync(file, "r");
  try {
    const buffer = new Uint8Array(PIECE_BYTES + 4);
    let line = 1;
    let carried = 0;
    for (;;) {
      const count = readSync(fd, buffer, carried, PIECE_BYTES, null);
      const end = carried + count;
      const bad = firstInvalidUtf8(buffer, end, count === 0);
      const scanned = bad.at ?? bad.complete;
      for (let i = 0; i < scanned; i++) if (buffer[i] === 10) line++;
      if (bad.at !== undefined || count === 0) return new HistoryError(file, line, "the file is not UTF-8 text (a byte here is not part of any character)");
      // An incomplete character at the end is carried into the next piece.
      buffer.copyWithin(0, bad.complete, end);
      carried = end - bad.complete;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The offset of the first byte that is not part of a well-formed UTF-8
 * character in bytes[0, end), if any, and how far the bytes are complete
 * characters (a character cut at `end` is complete only at the file's end,
 * where it is bad).
 */
function firstInvalidUtf8(bytes: Uint8Array, end: number, last: boolean): { at?: number; complete: number } {
  let i = 0;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The length of the character, and the range its second byte must be in (the first excludes overlong forms and surrogates).
    const [length, low, high] = b >= 0xc2 && b <= 0xdf ? [2, 0x80, 0xbf] : b === 0xe0 ? [3, 0xa0, 0xbf] : b === 0xed ? [3, 0x80, 0x9f] : b >= 0xe1 && b <= 0xef ? [3, 0x80, 0xbf] : b === 0xf0 ? [4, 0x90, 0xbf] : b === 0xf4 ? [4, 0x80, 0x8f] : b >= 0xf1 && b <= 0xf3 ? [4, 0x80, 0xbf] : [0, 0, 0];
    if (length === 0) return { at: i, complete: i };
    for (let k = 1; k < length; k++) {
      if (i + k >= end) return last ? { at: i, complete: i } : { complete: i };
      const c = bytes[i + k] as number;
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return { at: i, complete: i };
    }
    i += length;
  }
  return { complete: end };
}

export function formatReport(report: CheckFileReport): string {
  const { result } = report;
  const head = `${report.file}: ${result.verdict} (${report.model}, ${report.operations} operations, ${result.partitions} key(s), ${result.steps} search steps, ${formatBytes(result.memoryBytes)} of tables, ${report.wallMs.toFixed(0)} ms)`;
  if (result.verdict === "unknown") return `${head}\n  ${result.reason ?? "the search stopped early"}`;
  const c = result.counterexample;
  if (c === undefined) return head;
  // A long order is shown by its end, where it fails; --json gives all of it.
  const shown = c.prefix.slice(-PREFIX_SHOWN_MAX);
  const lines = [head, `  key: ${c.key === null ? "(the register)" : c.key}`, `  the longest order the model accepts (${c.prefix.length} operation(s)${shown.length < c.prefix.length ? `, the last ${shown.length} shown` : ""}):`];
  for (const op of shown) lines.push(`    #${op.id} ${op.text}`);
  lines.push(`  state after it: ${showValue(c.state)}`, "  none of these can come next:");
  for (const op of c.stuck) lines.push(`    #${op.id} ${op.text}`);
  return lines.join("\n");
}

/** Operations of a counterexample's order that the text report shows. */
const PREFIX_SHOWN_MAX = 20;

/**
 * Checks each file and prints its report as soon as it is known (JSON
 * Lines with `json`); bad input in one file is printed as an error and does
 * not hide the others. Returns the exit status.
 */
export function checkFiles(files: readonly string[], options: CheckFileOptions, json: boolean, write: { out: (text: string) => void; err: (text: string) => void }): number {
  const reports: CheckFileReport[] = [];
  let badInputs = 0;
  for (const file of files) {
    try {
      const r = checkFile(file, options);
      reports.push(r);
      // JSON has no big integers: a bigint (in a counterexample's state) is written as a string of its digits.
      if (json) write.out(`${JSON.stringify({ file: r.file, model: r.model, operations: r.operations, wallMs: Math.round(r.wallMs), ...r.result }, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
      else write.out(`${formatReport(r)}\n`);
    } catch (error) {
      if (!(error instanceof HistoryError || error instanceof UsageError)) throw error;
      badInputs++;
      write.err(`zksim: ${error.message}\n`);
      if (json) write.out(`${JSON.stringify({ file, verdict: "bad-input", error: error.message })}\n`);
    }
  }
  return exitStatus(reports, badInputs);
}

/** The exit status for a run over several files: bad input (2) first, then a violation (1), then unknown (3), else 0. */
function exitStatus(reports: readonly CheckFileReport[], badInputs: number): number {
  if (badInputs > 0) return 2;
  if (reports.some((r) => r.result.verdict === "not-linearizable")) return 1;
  if (reports.some((r) => r.result.verdict === "unknown")) return 3;
  return 0;
}

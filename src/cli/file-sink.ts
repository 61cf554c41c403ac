import { closeSync, existsSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { TraceSink } from "../sim/index.ts";
import { fsReason, UsageError } from "./input.ts";

/**
 * Streams lines (a trace, a history) to a file, batching writes so that a
 * long run keeps bounded memory (at most `bufferCharsMax` characters waiting).
 * A trace comes as bytes, in chunks the recorder gathered (`writeBytes`).
 *
 * The file is created when the sink is made, before any run starts, so a path
 * that cannot be written (a directory, a missing or read-only directory, a
 * name too long) is bad input at once, not a stack trace after the run. A
 * write that fails later (a full disk) is kept, not thrown: the sink is
 * called from inside the run, where a throw could land in a node's async
 * code as a stray rejected promise. `check()` (which the command calls as the
 * run goes) and `close()` throw it as a UsageError.
 */
export class FileSink implements TraceSink {
  private readonly fd: number;
  private readonly what: string;
  private readonly bufferCharsMax: number;
  private buffer: string[] = [];
  private bufferedChars = 0;
  /** Set after a failed write; later lines are dropped. */
  private failure: UsageError | null = null;

  constructor(
    readonly path: string,
    /** `what` names the file in errors: the flag that gave it ("--trace"), or "the trace file". */
    options: { what?: string; bufferCharsMax?: number } = {},
  ) {
    this.what = options.what ?? "--trace";
    this.bufferCharsMax = options.bufferCharsMax ?? 1 << 20;
    this.fd = openOutput(path, this.what);
  }

  write(line: string): void {
    if (this.failure !== null) return;
    this.buffer.push(line);
    this.bufferedChars += line.length + 1;
    if (this.bufferedChars >= this.bufferCharsMax) this.flush();
  }

  /**
   * Writes lines given as UTF-8 bytes, each ended by "\n" (the trace
   * recorder hands over 64 KiB at a time), after any lines waiting as strings.
   */
  writeBytes(bytes: Uint8Array, start: number, end: number): void {
    this.flush();
    this.writeAll(bytes, start, end);
  }

  flush(): void {
    if (this.failure !== null || this.buffer.length === 0) return;
    const bytes = Buffer.from(this.buffer.join("\n") + "\n", "utf8");
    this.buffer = [];
    this.bufferedChars = 0;
    this.writeAll(bytes, 0, bytes.length);
  }

  private writeAll(bytes: Uint8Array, start: number, end: number): void {
    if (this.failure !== null) return;
    try {
      for (let offset = start; offset < end; ) offset += writeSync(this.fd, bytes, offset, end - offset);
    } catch (error) {
      this.failure = new UsageError(`${this.what} ${this.path}: cannot write the file: ${fsReason(error)}`);
    }
  }

  /** Throws the write failure, if a write failed. */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    this.check();
  }
}

/**
 * Creates (or replaces) an output file and its directory; a UsageError
 * naming the flag, the path and why when that cannot be done.
 *
 * An existing regular file is removed and written anew, not truncated: ext4
 * writes a truncated and rewritten file out to disk when it is closed (its
 * guard for programs that replace files that way), and closing a rewritten
 * trace of a few hundred megabytes took as long as writing it.
 */
export function openOutput(path: string, what: string): number {
  if (path === "") throw new UsageError(`${what}: expected a file name, got an empty one`);
  const expected = "expected a file in a directory that can be written";
  const dir = dirname(path);
  const problem = makeDirectories(dir);
  if (problem !== null) throw new UsageError(`${what} ${path}: cannot create the directory ${problem}; ${expected}`);
  try {
    removeFile(path);
    return openSync(path, "w");
  } catch (error) {
    throw new UsageError(`${what} ${path}: cannot create the file: ${fsReason(error)}; ${expected}`);
  }
}

/** Removes a regular file if it can; where it cannot (a directory that is not writable), the open truncates it instead. */
function removeFile(path: string): void {
  try {
    if (lstatSync(path).isFile()) unlinkSync(path);
  } catch {
    // Absent, or not removable: openSync says what is wrong, if anything.
  }
}

/**
 * mkdir -p, one level at a time: null when done, else the directory that
 * could not be made and why. (Node's recursive mkdir loops forever under
 * /proc, where mkdir keeps answering ENOENT.)
 */
function makeDirectories(dir: string): string | null {
  try {
    if (existsSync(dir)) return statSync(dir).isDirectory() ? null : `${dir}: it is a file, not a directory`;
    const parent = dirname(dir);
    if (parent !== dir) {
      const problem = makeDirectories(parent);
      if (problem !== null) return problem;
    }
    mkdirSync(dir);
    return null;
  } catch (error) {
    return `${dir}: ${fsReason(error)}`;
  }
}

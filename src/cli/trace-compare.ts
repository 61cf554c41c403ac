import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { TraceSink } from "../sim/index.ts";
import { cannotRead } from "./input.ts";

/** Bytes read at a time: a trace of gigabytes is compared without holding it. */
const CHUNK_BYTES = 1 << 16;
/** How much of each differing line a report shows. */
const SHOWN_CHARS = 160;

/** Reads a file's lines one at a time, in chunks (the last line may lack its newline). */
export class LineReader {
  private readonly fd: number;
  private readonly chunk = Buffer.alloc(CHUNK_BYTES);
  private readonly decoder = new TextDecoder("utf-8");
  private pending = "";
  private lines: string[] = [];
  private next = 0;
  private ended = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, "r");
    } catch (error) {
      throw cannotRead(path, error);
    }
  }

  /** The next line, without its newline; undefined at the end of the file. */
  read(): string | undefined {
    while (this.next >= this.lines.length) {
      if (this.ended) return undefined;
      this.fill();
    }
    return this.lines[this.next++];
  }

  close(): void {
    closeSync(this.fd);
  }

  private fill(): void {
    let bytes: number;
    try {
      bytes = readSync(this.fd, this.chunk, 0, CHUNK_BYTES, null);
    } catch (error) {
      throw cannotRead(this.path, error);
    }
    const text = this.pending + this.decoder.decode(this.chunk.subarray(0, bytes), { stream: bytes > 0 });
    const parts = text.split("\n");
    this.pending = parts.pop() as string;
    if (bytes === 0) {
      this.ended = true;
      if (this.pending !== "") parts.push(this.pending);
      this.pending = "";
    }
    this.lines = parts;
    this.next = 0;
  }
}

/** The last non-empty line of a file, read from its end. */
export function lastLineOf(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw cannotRead(path, error);
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, CHUNK_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n").filter((line) => line !== "");
    return lines[lines.length - 1];
  } finally {
    closeSync(fd);
  }
}

/** Where a replay first parts from the recorded trace. */
export interface TraceDifference {
  /** 1-based line number in the trace file. */
  readonly line: number;
  /** null when the recorded trace ended before the replay did. */
  readonly recorded: string | null;
  /** null when the replay ended before the recorded trace did. */
  readonly replayed: string | null;
}

/**
 * A trace sink that compares every line a replay writes with the recorded
 * trace, line by line as the run goes, and keeps the first difference.
 */
export class CompareSink implements TraceSink {
  private lineCount = 0;
  private difference: TraceDifference | null = null;

  constructor(private readonly recorded: LineReader) {}

  write(line: string): void {
    this.lineCount++;
    if (this.difference !== null) return;
    const recorded = this.recorded.read();
    if (recorded !== line) this.difference = { line: this.lineCount, recorded: recorded ?? null, replayed: line };
  }

  /** After the run: the first difference, if any (a recorded trace longer than the replay is one too). */
  finish(): { lines: number; difference: TraceDifference | null } {
    if (this.difference === null) {
      const extra = this.recorded.read();
      if (extra !== undefined) this.difference = { line: this.lineCount + 1, recorded: extra, replayed: null };
    }
    return { lines: this.lineCount, difference: this.difference };
  }
}

/** The two versions of a differing line, cut to the neighbourhood of the first character that differs. */
export function formatDifference(d: TraceDifference): string[] {
  const a = d.recorded ?? "";
  const b = d.replayed ?? "";
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  // A short line is shown whole; a long one from a little before its first difference, cut to SHOWN_CHARS.
  const start = Math.max(0, k - SHOWN_CHARS / 4);
  const cut = (text: string) =>
    text.length <= SHOWN_CHARS ? text : `${start > 0 ? "…" : ""}${text.slice(start, start + SHOWN_CHARS)}${start + SHOWN_CHARS < text.length ? "…" : ""}`;
  return [`  recorded: ${d.recorded === null ? "(the trace ends before this line)" : cut(a)}`, `  replayed: ${d.replayed === null ? "(the replay ends before this line)" : cut(b)}`];
}

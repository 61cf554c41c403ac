import { closeSync, openSync, writeSync } from "node:fs";
import type { TraceSink } from "../sim/index.ts";

/**
 * Streams trace lines to a file, batching writes so that a long run keeps
 * bounded memory (at most `bufferCharsMax` characters waiting).
 */
export class FileSink implements TraceSink {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedChars = 0;

  constructor(
    readonly path: string,
    private readonly bufferCharsMax = 1 << 20,
  ) {
    this.fd = openSync(path, "w");
  }

  write(line: string): void {
    this.buffer.push(line);
    this.bufferedChars += line.length + 1;
    if (this.bufferedChars >= this.bufferCharsMax) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join("\n") + "\n");
    this.buffer = [];
    this.bufferedChars = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

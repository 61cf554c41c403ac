/**
 * Splits a stream of bytes into lines, each decoded on its own, with its byte
 * offset and length in the stream: the page asks for one event's full line
 * later, and the trace worker reads just those bytes back from the file.
 */
export type LineSink = (text: string, byteStart: number, byteLength: number) => void;

export class ByteLines {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private lineStart = 0;

  constructor(
    private readonly sink: LineSink,
    /** The longest line accepted, in bytes; past it `tooLong` is set and the rest is ignored. */
    private readonly lineBytesMax: number,
  ) {}

  tooLong = false;

  push(chunk: Uint8Array): void {
    if (this.tooLong) return;
    let pos = 0;
    for (;;) {
      const end = chunk.indexOf(10, pos);
      if (end < 0) break;
      this.emit(this.take(chunk.subarray(pos, end)));
      pos = end + 1;
    }
    if (pos < chunk.length) {
      this.pending.push(chunk.subarray(pos));
      this.pendingBytes += chunk.length - pos;
      if (this.pendingBytes > this.lineBytesMax) this.tooLong = true;
    }
  }

  /** The last line, if the stream did not end with a line end. */
  end(): void {
    if (this.tooLong || this.pendingBytes === 0) return;
    this.emit(this.take(new Uint8Array(0)));
  }

  /** The bytes of a line: what was pending from earlier chunks, then `rest`. */
  private take(rest: Uint8Array): Uint8Array {
    if (this.pendingBytes === 0) return rest;
    const bytes = new Uint8Array(this.pendingBytes + rest.length);
    let at = 0;
    for (const part of this.pending) {
      bytes.set(part, at);
      at += part.length;
    }
    bytes.set(rest, at);
    this.pending = [];
    this.pendingBytes = 0;
    return bytes;
  }

  private emit(bytes: Uint8Array): void {
    const start = this.lineStart;
    this.lineStart += bytes.length + 1;
    this.sink(this.decoder.decode(bytes), start, bytes.length);
  }
}

/**
 * Splits a stream of bytes into lines, with each line's byte offset and
 * length in the stream: the page asks for one event's full line later, and
 * the trace worker reads just those bytes back from the file. Each chunk is
 * decoded once (a trace is almost all ASCII, where characters and bytes
 * count alike); only lines with other characters are measured in UTF-8.
 */
export type LineSink = (text: string, byteStart: number, byteLength: number) => void;

export class ByteLines {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });
  /** The start of a line not ended yet, and its length in bytes. */
  private tail = "";
  private tailBytes = 0;
  private lineStart = 0;

  constructor(
    private readonly sink: LineSink,
    /** The longest line accepted, in bytes; past it `tooLong` is set and the rest is ignored. */
    private readonly lineBytesMax: number,
  ) {}

  tooLong = false;

  push(chunk: Uint8Array): void {
    if (this.tooLong) return;
    const text = this.decoder.decode(chunk, { stream: true });
    // Nothing but ASCII in this chunk (and no character begun in the one before): bytes and characters count alike.
    const ascii = text.length === chunk.length && !NON_ASCII.test(text);
    let start = 0;
    for (;;) {
      const end = text.indexOf("\n", start);
      if (end < 0) break;
      const piece = text.slice(start, end);
      const bytes = this.tailBytes + (ascii ? piece.length : utf8Length(piece));
      this.emit(this.tail === "" ? piece : this.tail + piece, bytes);
      this.tail = "";
      this.tailBytes = 0;
      start = end + 1;
    }
    const rest = start === 0 ? text : text.slice(start);
    this.tail += rest;
    this.tailBytes += ascii ? rest.length : utf8Length(rest);
    if (this.tailBytes > this.lineBytesMax) this.tooLong = true;
  }

  /** The last line, if the stream did not end with a line end. */
  end(): void {
    if (this.tooLong) return;
    const rest = this.decoder.decode();
    this.tail += rest;
    this.tailBytes += utf8Length(rest);
    if (this.tail === "" && this.tailBytes === 0) return;
    this.emit(this.tail, this.tailBytes);
    this.tail = "";
    this.tailBytes = 0;
  }

  private emit(text: string, bytes: number): void {
    const start = this.lineStart;
    this.lineStart += bytes + 1;
    this.sink(text, start, bytes);
  }
}

const NON_ASCII = /[^\x00-\x7f]/;

/** How many bytes a string takes in UTF-8. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    // A surrogate pair (4 bytes) counts 2 for each half.
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return bytes;
}

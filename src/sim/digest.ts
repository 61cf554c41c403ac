import { encodeUtf8 } from "./utf8.ts";

/**
 * A streaming 64-bit digest of text, computed with 32-bit integer arithmetic
 * only (Math.imul, xor, shifts) over UTF-16 code units, so Node and every
 * browser compute the same value for the same text. It proves that two runs
 * produced the same trace; it is not a cryptographic hash.
 *
 * Two lanes, each a multiply–xor hash with its own constant (the structure of
 * cyrb53), finished with an avalanche step that mixes the lanes together.
 *
 * The digest of trace versions 2 and 3 (a dependency chain of two
 * multiplications per character: slow), and of the Paxos log server's
 * applied commands. Version 4 digests bytes, with `ByteDigest`.
 */
export class Digest {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;
  private length = 0;

  /** Feeds one line of text; the line end is part of the digest, so ["ab","c"] differs from ["a","bc"]. */
  updateLine(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = Math.imul(h1 ^ 10, 2654435761);
    this.h2 = Math.imul(h2 ^ 10, 1597334677);
    this.length += text.length + 1;
  }

  /** The digest so far, as 16 lowercase hex digits. Feeding may continue afterwards. */
  hex(): string {
    let h1 = this.h1 ^ this.length;
    let h2 = this.h2 ^ Math.floor(this.length / 4294967296);
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return hex32(h2) + hex32(h1);
  }
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}


const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;
const STRIPE_BYTES = 16;
const STRETCH_BYTES = 1024;

/**
 * The digest of trace version 4: a streaming 64-bit digest of a byte stream
 * (the UTF-8 bytes of the event lines, each ended by "\n"), read as
 * little-endian 32-bit words, 16 bytes at a time, into four independent
 * lanes. Its low 32 bits are exactly XXH32 of the stream with seed 0 (the
 * xxHash specification, so any implementation can check it); the high 32 bits
 * finish the same lanes and tail another way. Only 32-bit integer arithmetic
 * (Math.imul, shifts, DataView reads with an explicit byte order), so Node and
 * every browser agree. Four lanes keep the multiplications independent: V8
 * hashes about a byte per nanosecond, some fifteen times the text digest.
 *
 * The stream is what counts, not how it is cut: feeding lines one by one or
 * whole chunks of them gives the same digest. It is not a cryptographic hash.
 */
export class ByteDigest {
  private v1 = (P1 + P2) | 0;
  private v2 = P2;
  private v3 = 0;
  private v4 = -P1 | 0;
  /** Bytes fed so far (a safe integer: 2^53 bytes is beyond any trace). */
  private total = 0;
  /** The bytes after the last whole stripe, at most 15. */
  private readonly carry = new Uint8Array(STRIPE_BYTES);
  private readonly carryView = new DataView(this.carry.buffer);
  private carryLength = 0;
  /** A view of the buffer fed last (the recorder feeds the same one again and again). */
  private view: DataView = this.carryView;
  /** Where `updateLine` encodes its text. */
  private scratch = new Uint8Array(1024);

  /** Feeds bytes[start, end). */
  updateBytes(bytes: Uint8Array, start: number, end: number): void {
    this.total += end - start;
    let p = start;
    if (this.carryLength > 0) {
      while (this.carryLength < STRIPE_BYTES && p < end) this.carry[this.carryLength++] = bytes[p++] as number;
      if (this.carryLength < STRIPE_BYTES) return;
      this.stripes(this.carryView, 0, STRIPE_BYTES);
      this.carryLength = 0;
    }
    const stripesEnd = p + ((end - p) & ~(STRIPE_BYTES - 1));
    if (stripesEnd > p) {
      if (this.view.buffer !== bytes.buffer) this.view = new DataView(bytes.buffer);
      // A bounded stretch per call: a first call over a whole chunk would be compiled mid-loop, before its end
      // had run, and V8 then throws that code away at every return.
      for (let from = p; from < stripesEnd; from += STRETCH_BYTES) {
        this.stripes(this.view, bytes.byteOffset + from, bytes.byteOffset + Math.min(stripesEnd, from + STRETCH_BYTES));
      }
      p = stripesEnd;
    }
    while (p < end) this.carry[this.carryLength++] = bytes[p++] as number;
  }

  /** Feeds one line of text as its UTF-8 bytes and a "\n", as a trace file holds it. */
  updateLine(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair, 2 units, takes 4).
    if (this.scratch.length < 3 * text.length + 1) this.scratch = new Uint8Array(3 * text.length + 1024);
    const length = encodeUtf8(text, this.scratch, 0);
    this.scratch[length] = 10;
    this.updateBytes(this.scratch, 0, length + 1);
  }

  /** The digest so far, as 16 lowercase hex digits (high word first). Feeding may continue afterwards. */
  hex(): string {
    const long = this.total >= STRIPE_BYTES;
    const v1 = this.v1;
    const v2 = this.v2;
    const v3 = this.v3;
    const v4 = this.v4;
    // Low: XXH32's convergence, length and tail. High: the lanes in another order, another tail walk.
    let low = long ? (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0 : P5;
    let high = long ? (rotl(v1, 18) + rotl(v2, 12) + rotl(v3, 7) + rotl(v4, 1)) ^ P3 : P4;
    low = (low + this.total) | 0;
    high = (high + Math.floor(this.total / 4294967296) + this.total) | 0;
    let p = 0;
    for (; p + 4 <= this.carryLength; p += 4) {
      const word = this.carryView.getInt32(p, true);
      low = Math.imul(rotl((low + Math.imul(word, P3)) | 0, 17), P4);
      high = Math.imul(rotl((high + Math.imul(word, P4)) | 0, 15), P2);
    }
    for (; p < this.carryLength; p++) {
      const byte = this.carry[p] as number;
      low = Math.imul(rotl((low + Math.imul(byte, P5)) | 0, 11), P1);
      high = Math.imul(rotl((high + Math.imul(byte, P1)) | 0, 13), P3);
    }
    low ^= low >>> 15;
    low = Math.imul(low, P2);
    low ^= low >>> 13;
    low = Math.imul(low, P3);
    low ^= low >>> 16;
    high ^= high >>> 16;
    high = Math.imul(high, 0x85ebca6b);
    high ^= high >>> 13;
    high = Math.imul(high, 0xc2b2ae35);
    high ^= high >>> 16;
    return hex32(high) + hex32(low);
  }

  /** XXH32's round on every lane, for the whole stripes in view[from, to). */
  private stripes(view: DataView, from: number, to: number): void {
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    let v4 = this.v4;
    for (let p = from; p < to; p += STRIPE_BYTES) {
      v1 = Math.imul(rotl((v1 + Math.imul(view.getInt32(p, true), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(view.getInt32(p + 4, true), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(view.getInt32(p + 8, true), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(view.getInt32(p + 12, true), P2)) | 0, 13), P1);
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }
}

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/** The digest of a sequence of lines in one call, as trace version 4 digests its event lines. */
export function digestLines(lines: Iterable<string>): string {
  const digest = new ByteDigest();
  for (const line of lines) digest.updateLine(line);
  return digest.hex();
}

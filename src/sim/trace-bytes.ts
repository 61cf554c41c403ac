import { assert } from "./assert.ts";
import type { TraceEvent } from "./trace-format.ts";
import { encodeUtf8 } from "./utf8.ts";

/**
 * Trace lines written as UTF-8 bytes into one reused buffer, the bytes a
 * trace file holds: the recorder digests them there and hands them to a file
 * in large chunks, and no line is ever a string. The frequent event kinds are
 * written field by field (their fields are integers, node ids, which the
 * config schema limits to ASCII letters, digits, "-" and "_", and enums),
 * exactly as JSON.stringify would write them; `test/sim/trace-line.test.ts`
 * holds every kind to JSON.stringify. Payloads (messages, timer tags, note
 * data) are JSON.stringify's text, made once for a frozen payload written
 * several times in a row (it cannot change: a broadcast to every peer).
 *
 * This is the hot path of a traced run, and a store costs about as much for
 * four bytes as for one, so everything is stored four bytes at a time: the
 * fixed pieces, the payloads, the digits (from a table of all four-digit
 * groups). A store may run up to three bytes past what it means to write;
 * the next one overwrites them, and past the line's end they are not part of
 * the output (`length` does not cover them). One room check per line. The
 * event number, always the last plus one, is counted up in decimal in
 * place, and an instant's digits are kept while its events are written.
 */
export class TraceLineBytes {
  /** The lines written so far; `length` bytes of it are in use. */
  bytes: Uint8Array;
  length = 0;
  private view: DataView;
  /** The frozen payload written last, its text, and its bytes once it is written again. */
  private lastPayload: object | null = null;
  private lastPayloadText = "";
  private lastPayloadWords: Words | null = null;
  private lastPayloadUses = 0;
  /** Note kinds as JSON strings, bounded: kinds are a small fixed set, a long run writes them millions of times. */
  private readonly kinds = new Map<string, Words>();
  /** The last event number written, in decimal, ending at DIGITS_MAX in `indexDigits` (4 bytes after it are read by the last word). */
  private index = 0;
  private readonly indexDigits = new Uint8Array(DIGITS_MAX + 4).fill(48, 0, DIGITS_MAX);
  private readonly indexView = new DataView(this.indexDigits.buffer);
  private indexDigitCount = 1;
  /** The last instant written, and its digits. */
  private instantUs = -1;
  private readonly instantDigits = new Uint8Array(DIGITS_MAX);
  private readonly instantView = new DataView(this.instantDigits.buffer);
  private instantDigitCount = 0;

  constructor(bytesInitial: number) {
    this.bytes = new Uint8Array(bytesInitial);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Appends one event's line, its line end included. */
  event(event: TraceEvent): void {
    switch (event.type) {
      case "deliver": {
        this.room(LINE_FIXED_MAX);
        const view = this.view;
        let p = this.head(view, event.i, event.t, DELIVER);
        p = putInt(view, p, event.id);
        p = this.link(view, p, event.from, event.to);
        this.length = putWords(view, p, QUOTE_CLOSE_END);
        return;
      }
      case "send": {
        if (event.msg === undefined) break;
        const msg = this.payload(event.msg);
        this.room(LINE_FIXED_MAX + payloadLength(msg));
        const view = this.view;
        let p = this.head(view, event.i, event.t, SEND);
        p = putInt(view, p, event.id);
        p = this.link(view, p, event.from, event.to);
        p = putWords(view, p, MSG);
        p = this.putPayload(view, p, msg);
        p = putWords(view, p, CAUSE);
        p = putInt(view, p, event.cause);
        this.length = putWords(view, p, CLOSE_END);
        return;
      }
      case "drop": {
        this.room(LINE_FIXED_MAX);
        const view = this.view;
        let p = this.head(view, event.i, event.t, DROP);
        p = putInt(view, p, event.id);
        p = this.link(view, p, event.from, event.to);
        p = putWords(view, p, REASON);
        p = putAscii(this.bytes, p, event.reason);
        this.length = putWords(view, p, QUOTE_CLOSE_END);
        return;
      }
      case "timer": {
        if (event.tag === undefined) break;
        const tag = this.payload(event.tag);
        this.room(LINE_FIXED_MAX + payloadLength(tag));
        const view = this.view;
        let p = this.head(view, event.i, event.t, TIMER);
        p = putAscii(this.bytes, p, event.node);
        p = putWords(view, p, TIMER_ID);
        p = putInt(view, p, event.timer);
        p = putWords(view, p, TAG);
        p = this.putPayload(view, p, tag);
        this.length = putWords(view, p, CLOSE_END);
        return;
      }
      case "sync": {
        this.room(LINE_FIXED_MAX);
        const view = this.view;
        let p = this.head(view, event.i, event.t, SYNC);
        p = putAscii(this.bytes, p, event.node);
        p = putWords(view, p, SYNC_ID);
        p = putInt(view, p, event.sync);
        p = putWords(view, p, KEYS);
        p = putInt(view, p, event.keys);
        this.length = putWords(view, p, CLOSE_END);
        return;
      }
      case "note": {
        if (event.data === undefined) break;
        const kind = this.kindWords(event.kind);
        const data = this.payload(event.data);
        this.room(LINE_FIXED_MAX + kind.length + payloadLength(data));
        const view = this.view;
        let p = this.head(view, event.i, event.t, NOTE);
        p = putAscii(this.bytes, p, event.node);
        p = putWords(view, p, KIND);
        p = putWords(view, p, kind);
        p = putWords(view, p, DATA);
        p = this.putPayload(view, p, data);
        this.length = putWords(view, p, CLOSE_END);
        return;
      }
      default:
        break;
    }
    this.line(JSON.stringify(event));
  }

  /** Appends a line of text (a header, a summary, a rare event) as UTF-8, with its line end. */
  line(text: string): void {
    this.room(3 * text.length + 1);
    const p = encodeUtf8(text, this.bytes, this.length);
    this.bytes[p] = 10;
    this.length = p + 1;
  }

  /** Forgets the bytes written (the buffer is kept). */
  clear(): void {
    this.length = 0;
  }

  /** `{"i":I,"t":T` and the type's piece, at `length`; returns where it ends. */
  private head(view: DataView, i: number, t: number, type: Words): number {
    let p = putWords(view, this.length, I);
    p = this.putIndex(view, p, i);
    p = putWords(view, p, T);
    p = this.putInstant(view, p, t);
    return putWords(view, p, type);
  }

  private putIndex(view: DataView, p: number, i: number): number {
    // Invariant: every digit left of the number is "0", so a carry out of the first digit makes a new "1".
    const digits = this.indexDigits;
    if (i === this.index + 1) {
      let k = DIGITS_MAX - 1;
      while (digits[k] === 57) digits[k--] = 48;
      digits[k] = (digits[k] as number) + 1;
      if (k < DIGITS_MAX - this.indexDigitCount) this.indexDigitCount++;
      this.index = i;
    } else if (i !== this.index) {
      const text = String(i);
      digits.fill(48, 0, DIGITS_MAX);
      putAscii(digits, DIGITS_MAX - text.length, text);
      this.indexDigitCount = text.length;
      this.index = i;
    }
    return copyWords(this.indexView, DIGITS_MAX - this.indexDigitCount, this.indexDigitCount, view, p);
  }

  private putInstant(view: DataView, p: number, t: number): number {
    if (t !== this.instantUs) {
      this.instantUs = t;
      this.instantDigitCount = putInt(this.instantView, 0, t);
    }
    return copyWords(this.instantView, 0, this.instantDigitCount, view, p);
  }

  private link(view: DataView, p: number, from: string, to: string): number {
    p = putWords(view, p, FROM);
    p = putAscii(this.bytes, p, from);
    p = putWords(view, p, TO);
    return putAscii(this.bytes, p, to);
  }

  /**
   * A payload as JSON text, which goes straight into the line as UTF-8; or,
   * for a frozen object written again right after (a broadcast to every
   * peer, a message sent again and again), its bytes as words, made on its
   * third use. Most payloads are written once (a fresh note, a new
   * proposal): for those a cache would cost more than it saves.
   */
  private payload(value: unknown): Words | string {
    if (typeof value !== "object" || value === null || !Object.isFrozen(value)) return JSON.stringify(value);
    if (value !== this.lastPayload) {
      this.lastPayload = value;
      this.lastPayloadText = JSON.stringify(value);
      this.lastPayloadWords = null;
      this.lastPayloadUses = 1;
      return this.lastPayloadText;
    }
    // Making the words costs about two encodings of the text: worth it from the third use on.
    if (this.lastPayloadWords === null && ++this.lastPayloadUses >= 3) this.lastPayloadWords = pieceOf(this.lastPayloadText);
    return this.lastPayloadWords ?? this.lastPayloadText;
  }

  private putPayload(view: DataView, p: number, payload: Words | string): number {
    return typeof payload === "string" ? encodeUtf8(payload, this.bytes, p) : putWords(view, p, payload);
  }

  private kindWords(kind: string): Words {
    let words = this.kinds.get(kind);
    if (words === undefined) {
      words = pieceOf(JSON.stringify(kind));
      if (this.kinds.size < KINDS_CACHED_MAX) this.kinds.set(kind, words);
    }
    return words;
  }

  /** Makes room for `n` more bytes and a store's overrun: a line longer than what is left (a large payload) grows the buffer. */
  private room(n: number): void {
    if (this.length + n + 4 <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + n + 4));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** Decimal digits of a safe integer, and then some. */
const DIGITS_MAX = 24;
const KINDS_CACHED_MAX = 1024;

/** The most bytes a payload takes: a text's UTF-8 takes at most 3 bytes per code unit. */
function payloadLength(payload: Words | string): number {
  return typeof payload === "string" ? 3 * payload.length : payload.length;
}

/** Bytes as little-endian 32-bit words, the last padded with zeros, and how many bytes they are. */
interface Words {
  readonly words: Int32Array;
  readonly length: number;
}

/** The UTF-8 bytes of `text` as words. */
function pieceOf(text: string): Words {
  const bytes = new Uint8Array(3 * text.length + 4);
  const length = encodeUtf8(text, bytes, 0);
  const view = new DataView(bytes.buffer);
  const words = new Int32Array((length + 3) >> 2);
  for (let k = 0; k < words.length; k++) words[k] = view.getInt32(4 * k, true);
  return { words, length };
}

/** Writes the words' bytes at p (and up to three bytes more); returns where the bytes end. */
function putWords(view: DataView, p: number, piece: Words): number {
  const words = piece.words;
  const n = words.length;
  for (let k = 0; k < n; k++) view.setInt32(p + 4 * k, words[k] as number, true);
  return p + piece.length;
}

/** Copies `count` bytes from `from` at `start` to `to` at p (and up to three bytes more); returns where they end. */
function copyWords(from: DataView, start: number, count: number, to: DataView, p: number): number {
  for (let k = 0; k < count; k += 4) to.setInt32(p + k, from.getInt32(start + k, true), true);
  return p + count;
}

/** A string known to be ASCII with nothing JSON escapes (a node id, a drop reason). */
function putAscii(bytes: Uint8Array, p: number, text: string): number {
  const n = text.length;
  for (let k = 0; k < n; k++) bytes[p + k] = text.charCodeAt(k);
  return p + n;
}

/** The four decimal digits of each number below 10,000 ("0042" for 42), as a little-endian 32-bit word. */
const QUADS = new Int32Array(10_000);
for (let k = 0; k < 10_000; k++) {
  const d = [Math.floor(k / 1000), Math.floor(k / 100) % 10, Math.floor(k / 10) % 10, k % 10];
  QUADS[k] = (48 + (d[0] as number)) | ((48 + (d[1] as number)) << 8) | ((48 + (d[2] as number)) << 16) | ((48 + (d[3] as number)) << 24);
}

/**
 * A safe integer in decimal, as String(value) writes it (and up to three
 * bytes more); returns where it ends. The frequent ones, from 0 to
 * 2^31 - 1, go four digits at a time from the table, with at most two
 * divisions and no string.
 */
function putInt(view: DataView, p: number, value: number): number {
  if (!(value >= 0 && value <= 0x7fffffff)) {
    const text = String(value);
    for (let k = 0; k < text.length; k++) view.setUint8(p + k, text.charCodeAt(k));
    return p + text.length;
  }
  if (value < 10_000) return putSmallInt(view, p, value);
  if (value < 100_000_000) {
    const high = (value / 10_000) | 0;
    p = putSmallInt(view, p, high);
    view.setInt32(p, QUADS[value - high * 10_000] as number, true);
    return p + 4;
  }
  const top = (value / 100_000_000) | 0;
  const rest = value - top * 100_000_000;
  const middle = (rest / 10_000) | 0;
  p = putSmallInt(view, p, top);
  view.setInt32(p, QUADS[middle] as number, true);
  view.setInt32(p + 4, QUADS[rest - middle * 10_000] as number, true);
  return p + 8;
}

/** 0 to 9,999 in decimal, without leading zeros: the table's word shifted past them. */
function putSmallInt(view: DataView, p: number, value: number): number {
  const digits = value >= 1000 ? 4 : value >= 100 ? 3 : value >= 10 ? 2 : 1;
  view.setInt32(p, (QUADS[value] as number) >>> (32 - 8 * digits), true);
  return p + digits;
}

function piece(text: string): Words {
  for (let k = 0; k < text.length; k++) assert(text.charCodeAt(k) < 0x80, "a line's fixed piece is ASCII", { text });
  return pieceOf(text);
}

const I = piece('{"i":');
const T = piece(',"t":');
const DELIVER = piece(',"type":"deliver","id":');
const SEND = piece(',"type":"send","id":');
const DROP = piece(',"type":"drop","id":');
const TIMER = piece(',"type":"timer","node":"');
const SYNC = piece(',"type":"sync","node":"');
const NOTE = piece(',"type":"note","node":"');
const FROM = piece(',"from":"');
const TO = piece('","to":"');
const MSG = piece('","msg":');
const CAUSE = piece(',"cause":');
const REASON = piece('","reason":"');
const TIMER_ID = piece('","timer":');
const TAG = piece(',"tag":');
const SYNC_ID = piece('","sync":');
const KEYS = piece(',"keys":');
const KIND = piece('","kind":');
const DATA = piece(',"data":');
const CLOSE_END = piece("}\n");
const QUOTE_CLOSE_END = piece('"}\n');

/**
 * The most a line of a frequent kind takes besides its payloads: its fixed
 * pieces (under 80 bytes), up to five integers of at most 16 digits, two
 * node ids of at most 32 characters, a drop reason; with room to spare.
 */
const LINE_FIXED_MAX = 256;

/**
 * The few pieces of ZooKeeper's wire format (jute) that the real-server
 * executor encodes and decodes itself. node-zookeeper-client 1.1.3 keeps the
 * session alive (handshake, pings, close) but knows only the 3.4 opcodes, so
 * create2, createContainer, createTTL, sync, getEphemerals,
 * getAllChildrenNumber, addWatch and removeWatches, and a multi that carries
 * them, are written here. Field orders follow zookeeper.jute in 3.8.
 */
import type { Acl, Stat } from "../../../src/zk/types.ts";

/** Request opcodes (ZooDefs.OpCode) the executor sends, and closeSession, which the library sends. */
export const OP_CODES = {
  error: -1,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  removeWatches: 18,
  createContainer: 19,
  createTTL: 21,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  addWatch: 106,
  closeSession: -11,
} as const;

/** Reserved xids in reply headers. */
export const XIDS = { notification: -1, ping: -2, auth: -4 } as const;

/** The byte length of a reply header: xid (int), zxid (long), err (int). */
export const REPLY_HEADER_BYTES = 16;

/** Builds a request body field by field, big-endian as jute writes it. */
export class JuteWriter {
  private readonly parts: Buffer[] = [];

  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value, 0);
    this.parts.push(b);
    return this;
  }

  long(value: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(value), 0);
    this.parts.push(b);
    return this;
  }

  bool(value: boolean): this {
    this.parts.push(Buffer.from([value ? 1 : 0]));
    return this;
  }

  /** A ustring: length then UTF-8 bytes. */
  string(value: string): this {
    const bytes = Buffer.from(value, "utf8");
    return this.int(bytes.length).raw(bytes);
  }

  /** A buffer field; null is written as length -1, which the server keeps as null data. */
  data(value: string | null): this {
    if (value === null) return this.int(-1);
    const bytes = Buffer.from(value, "utf8");
    return this.int(bytes.length).raw(bytes);
  }

  acl(entries: readonly Acl[]): this {
    this.int(entries.length);
    for (const entry of entries) this.int(entry.perms).string(entry.scheme).string(entry.id);
    return this;
  }

  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads a reply body field by field; every read is bounds-checked by Buffer. */
export class JuteReader {
  private offset = 0;

  constructor(private readonly bytes: Buffer) {}

  int(): number {
    const value = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A long as a bigint: session ids use all 64 bits. */
  longBig(): bigint {
    const value = this.bytes.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  /** A long that must fit a JS number exactly (zxids, times). */
  long(): number {
    const value = this.longBig();
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`jute: long ${value} does not fit a number`);
    }
    return Number(value);
  }

  bool(): boolean {
    const value = this.bytes.readUInt8(this.offset);
    this.offset += 1;
    return value !== 0;
  }

  string(): string {
    const length = this.int();
    if (length < 0) throw new Error("jute: null ustring where a string was expected");
    const value = this.bytes.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A buffer field as UTF-8 text; length -1 is null. */
  data(): string | null {
    const length = this.int();
    if (length < 0) return null;
    const value = this.bytes.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  strings(): string[] {
    const count = this.int();
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(this.string());
    return values;
  }

  acl(): Acl[] {
    const count = this.int();
    const entries: Acl[] = [];
    for (let i = 0; i < count; i++) {
      const perms = this.int();
      const scheme = this.string();
      const id = this.string();
      entries.push({ perms, scheme: scheme as Acl["scheme"], id });
    }
    return entries;
  }

  /**
   * A Stat, in jute's field order. The session id in ephemeralOwner is passed
   * through `ownerOf`, because 64-bit session ids do not fit a number.
   */
  stat(ownerOf: (sessionId: bigint) => number): Stat {
    const czxid = this.long();
    const mzxid = this.long();
    const ctime = this.long();
    const mtime = this.long();
    const version = this.int();
    const cversion = this.int();
    const aversion = this.int();
    const ephemeralOwner = ownerOf(this.longBig());
    const dataLength = this.int();
    const numChildren = this.int();
    const pzxid = this.long();
    return { czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren };
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }
}

import { PERMS, type Acl, type Caller, type ZkErrorCode } from "./types.ts";

/**
 * ACLs: the `world` and `digest` schemes, the `auth` pseudo-scheme that
 * stands for the caller's own identities, and the permission check
 * (ZooKeeper's PrepRequestProcessor.fixupACL and checkACL,
 * DigestAuthenticationProvider).
 */

/** The identity a digest credential "user:password" authenticates as: "user:base64(sha1(user:password))". */
export function generateDigestId(credentials: string): string {
  const colon = credentials.indexOf(":");
  const user = colon < 0 ? credentials : credentials.slice(0, colon);
  return `${user}:${base64(sha1(utf8Bytes(credentials)))}`;
}

/**
 * A request's ACL as the server stores it: `auth` entries become one entry
 * per digest identity of the caller, duplicates go, and anything invalid
 * (an empty list, an unknown scheme, a malformed id, `auth` without
 * credentials) is InvalidACL.
 */
export function fixupAcl(acl: readonly Acl[], caller: Caller): readonly Acl[] | ZkErrorCode {
  if (acl.length === 0) return "InvalidACL";
  const out: Acl[] = [];
  const add = (entry: Acl): void => {
    if (!out.some((e) => e.perms === entry.perms && e.scheme === entry.scheme && e.id === entry.id)) out.push(entry);
  };
  for (const entry of acl) {
    if (entry.scheme === "auth") {
      const ids = caller.authIds.filter((id) => id.startsWith("digest:"));
      if (ids.length === 0) return "InvalidACL";
      for (const id of ids) add({ perms: entry.perms, scheme: "digest", id: id.slice("digest:".length) });
    } else if (entry.scheme === "world") {
      if (entry.id !== "anyone") return "InvalidACL";
      add(entry);
    } else if (entry.scheme === "digest") {
      if (!isDigestId(entry.id)) return "InvalidACL";
      add(entry);
    } else if (entry.scheme === "ip") {
      if (!isIpId(entry.id)) return "InvalidACL";
      add(entry);
    } else {
      return "InvalidACL";
    }
  }
  return out;
}

/** Whether the caller holds one of `perm`'s bits on a node with this ACL (an empty ACL allows everything). */
export function allows(acl: readonly Acl[], caller: Caller, perm: number): boolean {
  if (acl.length === 0) return true;
  if (caller.authIds.some((id) => id.startsWith("super:"))) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.scheme === "world" && entry.id === "anyone") return true;
    if (caller.authIds.includes(`${entry.scheme}:${entry.id}`)) return true;
  }
  return false;
}

/** What getACL shows a caller without ADMIN: digest ids with the hash masked ("user:x"). */
export function maskAcl(acl: readonly Acl[]): readonly Acl[] {
  return acl.map((entry) => (entry.scheme === "digest" ? { ...entry, id: `${entry.id.split(":")[0] ?? ""}:x` } : entry));
}

/** Java's id.split(":").length == 2: exactly one colon with text after it. */
function isDigestId(id: string): boolean {
  const parts = id.split(":");
  return parts.length === 2 && (parts[1] ?? "") !== "";
}

/** An IPv4 address, optionally with a /bits mask. */
function isIpId(id: string): boolean {
  const [address, bits, extra] = id.split("/");
  if (extra !== undefined || address === undefined) return false;
  if (bits !== undefined && !/^\d{1,2}$/.test(bits)) return false;
  if (bits !== undefined && Number(bits) > 32) return false;
  const octets = address.split(".");
  return octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return bytes;
}

/** SHA-1 (FIPS 180-4) over bytes, in 32-bit integer arithmetic. */
export function sha1(message: readonly number[]): number[] {
  const bytes = [...message, 0x80];
  while (bytes.length % 64 !== 56) bytes.push(0);
  const bitLength = message.length * 8;
  const high = Math.floor(bitLength / 4294967296);
  for (const word of [high, bitLength >>> 0]) bytes.push((word >>> 24) & 255, (word >>> 16) & 255, (word >>> 8) & 255, word & 255);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Array<number>(80).fill(0);
  for (let block = 0; block < bytes.length; block += 64) {
    for (let i = 0; i < 16; i++) {
      const at = block + i * 4;
      w[i] = (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) | 0;
    }
    for (let i = 16; i < 80; i++) w[i] = rotl((w[i - 3] ?? 0) ^ (w[i - 8] ?? 0) ^ (w[i - 14] ?? 0) ^ (w[i - 16] ?? 0), 1);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (rotl(a, 5) + f + e + k + (w[i] ?? 0)) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out: number[] = [];
  for (const h of [h0, h1, h2, h3, h4]) out.push((h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255);
  return out;
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += BASE64[(n >> 18) & 63];
    out += BASE64[(n >> 12) & 63];
    out += b1 === undefined ? "=" : BASE64[(n >> 6) & 63];
    out += b2 === undefined ? "=" : BASE64[n & 63];
  }
  return out;
}

/**
 * UTF-8 without TextEncoder (which the core's ES2022 library does not
 * declare): the trace digests and writes the bytes of its lines, and a line
 * of text must give the bytes a file of it holds. A lone surrogate becomes
 * U+FFFD, as TextEncoder and Node's Buffer make it (JSON.stringify never
 * writes one).
 */

/** Writes `text` as UTF-8 into bytes[at...], which must have room (3 bytes per code unit at most); returns the end. */
export function encodeUtf8(text: string, bytes: Uint8Array, at: number): number {
  let p = at;
  const n = text.length;
  for (let k = 0; k < n; k++) {
    let c = text.charCodeAt(k);
    if (c < 0x80) {
      bytes[p++] = c;
      continue;
    }
    if (c < 0x800) {
      bytes[p++] = 0xc0 | (c >> 6);
      bytes[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = k + 1 < n ? text.charCodeAt(k + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        k++;
        bytes[p++] = 0xf0 | (c >> 18);
        bytes[p++] = 0x80 | ((c >> 12) & 0x3f);
        bytes[p++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[p++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    bytes[p++] = 0xe0 | (c >> 12);
    bytes[p++] = 0x80 | ((c >> 6) & 0x3f);
    bytes[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/**
 * A streaming 64-bit digest of text, computed with 32-bit integer arithmetic
 * only (Math.imul, xor, shifts) over UTF-16 code units, so Node and every
 * browser compute the same value for the same text. It proves that two runs
 * produced the same trace; it is not a cryptographic hash.
 *
 * Two lanes, each a multiply–xor hash with its own constant (the structure of
 * cyrb53), finished with an avalanche step that mixes the lanes together.
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

  /**
   * Feeds part of a line: a line fed as pieces and then `endLine()` digests
   * as `updateLine` of the pieces joined, without building the joined text.
   */
  update(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.length += text.length;
  }

  /** Feeds the decimal digits of a safe integer, as `update(String(value))` would. */
  updateInt(value: number): void {
    if (value < 0 || value >= 1e9) return this.update(String(value));
    let divisor = 1;
    while (divisor * 10 <= value) divisor *= 10;
    let h1 = this.h1;
    let h2 = this.h2;
    let rest = value;
    for (; divisor >= 1; divisor /= 10) {
      const digit = Math.floor(rest / divisor);
      rest -= digit * divisor;
      const c = 48 + digit;
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
      this.length++;
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** Ends a line fed with `update`. */
  endLine(): void {
    this.h1 = Math.imul(this.h1 ^ 10, 2654435761);
    this.h2 = Math.imul(this.h2 ^ 10, 1597334677);
    this.length += 1;
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

/** The digest of a sequence of lines in one call. */
export function digestLines(lines: Iterable<string>): string {
  const digest = new Digest();
  for (const line of lines) digest.updateLine(line);
  return digest.hex();
}

import { describe, expect, test } from "vitest";
import { runGossipDemo } from "../../src/examples/index.ts";
import { ByteDigest, Digest, MemorySink, parseTrace, Rng, TraceReader, traceDigest } from "../../src/sim/index.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function byteDigestOf(bytes: Uint8Array): string {
  const digest = new ByteDigest();
  digest.updateBytes(bytes, 0, bytes.length);
  return digest.hex();
}

describe("the byte digest of trace version 4", () => {
  test("its low 32 bits are XXH32 with seed 0 (values from libxxhash 0.8)", () => {
    const vectors: [string, string][] = [
      ["", "02cc5d05"],
      ["a", "550d7456"],
      ["abc", "32d153ff"],
      ["Nobody inspects the spammish repetition", "e2293b2f"],
      ['{"i":0,"t":0,"type":"start","node":"s1","incarnation":1}\n', "3921c6d3"],
      ["h\u00e9llo \u2603 \u{1F600}\n", "9adacaf1"],
    ];
    for (const [text, low] of vectors) expect(byteDigestOf(utf8(text)).slice(8), JSON.stringify(text)).toBe(low);
  });

  test("pinned values, high word included: a change here changes every trace's digest (and needs a new trace version)", () => {
    expect(byteDigestOf(utf8(""))).toBe("8c03471f02cc5d05");
    expect(byteDigestOf(utf8('{"i":0,"t":0,"type":"start","node":"s1","incarnation":1}\n'))).toBe("97dc63823921c6d3");
  });

  test("a line is its UTF-8 bytes and a line end, whatever the characters (a lone surrogate as U+FFFD, as Node writes it)", () => {
    for (const text of ["", "plain ascii", "é and ☃", "a pair \u{1F600} of surrogates", "lone \ud800 high", "lone \udc00 low", "end \ud83d"]) {
      const line = new ByteDigest();
      line.updateLine(text);
      expect(line.hex(), JSON.stringify(text)).toBe(byteDigestOf(new Uint8Array(Buffer.from(`${text}\n`, "utf8"))));
    }
  });

  test("the stream counts, not how it is cut: 200 random cuts of 2,000 bytes give one digest, and reading it midway changes nothing (seed 5)", () => {
    const rng = new Rng(5);
    const bytes = new Uint8Array(2000);
    for (let k = 0; k < bytes.length; k++) bytes[k] = rng.below(256);
    const whole = byteDigestOf(bytes);
    for (let round = 0; round < 200; round++) {
      const digest = new ByteDigest();
      for (let at = 0; at < bytes.length; ) {
        const end = Math.min(bytes.length, at + rng.below(40));
        digest.updateBytes(bytes, at, end);
        if (rng.below(4) === 0) digest.hex();
        at = end;
      }
      expect(digest.hex()).toBe(whole);
    }
    // A view into a larger buffer, at an odd offset.
    const larger = new Uint8Array(bytes.length + 7);
    larger.set(bytes, 3);
    const digest = new ByteDigest();
    digest.updateBytes(larger.subarray(3), 0, bytes.length);
    expect(digest.hex()).toBe(whole);
  });

  test("a changed bit anywhere in a line, or a line end moved, changes both words of the digest", () => {
    const line = utf8('{"i":12,"t":3400,"type":"deliver","id":7,"from":"s1","to":"s2"}\n');
    const base = byteDigestOf(line);
    for (let k = 0; k < line.length; k++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed = line.slice();
        changed[k] = (changed[k] as number) ^ (1 << bit);
        const hex = byteDigestOf(changed);
        expect(hex.slice(0, 8), `byte ${k} bit ${bit}`).not.toBe(base.slice(0, 8));
        expect(hex.slice(8), `byte ${k} bit ${bit}`).not.toBe(base.slice(8));
      }
    }
    const ab = new ByteDigest();
    ab.updateLine("ab");
    ab.updateLine("c");
    const bc = new ByteDigest();
    bc.updateLine("a");
    bc.updateLine("bc");
    expect(ab.hex()).not.toBe(bc.hex());
  });
});

describe("each trace version is read with its own digest", () => {
  /** A gossip run's trace, its header set to `version` and its summary's digest to what `digest` computes. */
  function traceAs(version: number, digest: { updateLine(text: string): void; hex(): string }): { text: string; expected: string } {
    const sink = new MemorySink();
    runGossipDemo(3, sink);
    const lines = sink.lines.slice();
    const header = JSON.parse(lines[0] as string) as Record<string, unknown>;
    lines[0] = JSON.stringify({ ...header, version });
    for (const line of lines.slice(1, -1)) digest.updateLine(line);
    const expected = digest.hex();
    const summary = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
    lines[lines.length - 1] = JSON.stringify({ ...summary, digest: expected });
    return { text: lines.join("\n") + "\n", expected };
  }

  test("version 4 (written now) with the byte digest; versions 2 and 3 with the text digest; the two differ", () => {
    const sink = new MemorySink();
    const written = runGossipDemo(3, sink).summary.digest;
    expect(JSON.parse(sink.lines[0] as string)).toMatchObject({ version: 4 });
    const v4 = traceAs(4, new ByteDigest());
    expect(v4.expected).toBe(written);
    const v3 = traceAs(3, new Digest());
    const v2 = traceAs(2, new Digest());
    expect(v3.expected).not.toBe(v4.expected);
    for (const { text, expected } of [v2, v3, v4]) {
      expect(parseTrace(text, "gossip").digest).toBe(expected);
      const reader = new TraceReader();
      reader.push(text);
      const result = reader.end();
      expect(result.problems).toEqual([]);
      expect(result.digest).toBe(expected);
    }
    expect(traceDigest(3)).toBeInstanceOf(Digest);
    expect(traceDigest(4)).toBeInstanceOf(ByteDigest);
  });
});

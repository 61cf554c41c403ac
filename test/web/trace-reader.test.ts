import { describe, expect, test } from "vitest";
import { parseTrace, TraceReader, type TraceEvent, type TraceReaderOptions, type TraceReadResult } from "../../src/sim/index.ts";
import { ByteLines } from "../../web/src/workers/byte-lines.ts";
import { traceOf } from "./fixtures.ts";

/** Reads `text` in pieces of `size` characters; returns the events and the result. */
function readInPieces(text: string, size: number, options?: TraceReaderOptions): { events: TraceEvent[]; result: TraceReadResult } {
  const events: TraceEvent[] = [];
  const reader = new TraceReader({ event: (event) => events.push(event) }, options);
  for (let at = 0; at < text.length; at += size) reader.push(text.slice(at, at + size));
  return { events, result: reader.end() };
}

const HEADER = '{"type":"header","format":"zksim-trace","version":2,"seed":1,"level":"full","config":{}}';
const deliver = (i: number, t: number) => `{"i":${i},"t":${t},"type":"deliver","id":${i + 1},"from":"a","to":"b"}`;

describe("the incremental trace reader", () => {
  test("a real trace read in pieces of any size gives parseTrace's events and the summary's digest", async () => {
    const { text } = await traceOf("basic-paxos");
    const whole = parseTrace(text, "basic-paxos");
    for (const size of [1, 2, 3, 7, 64, 1000, text.length]) {
      const { events, result } = readInPieces(text, size);
      expect(result.problems, `pieces of ${size}`).toEqual([]);
      expect(events).toEqual(whole.events);
      expect(result.digest).toBe(whole.summary?.digest);
      expect(result.events).toBe(whole.summary?.events);
      expect(result.stopped).toBe(false);
    }
  });

  test("the default scenario's trace reads whole, line by line, with its digest", async () => {
    const { lines, report } = await traceOf("default");
    const reader = new TraceReader();
    for (const line of lines) reader.line(line);
    const result = reader.end();
    expect(result.problems).toEqual([]);
    expect(result.events).toBe(report.events);
    expect(result.digest).toBe(report.digest);
    expect(result.header?.meta?.["scenario"]).toBe("default");
  });

  test("a file that is not JSON stops at line 1, saying a header was expected", () => {
    const { result } = readInPieces("hello, world\nmore text\n", 5);
    expect(result.stopped).toBe(true);
    expect(result.problems[0]).toMatchObject({ line: 1, path: "" });
    expect(result.problems[0]?.message).toContain("expected a zksim trace header");
  });

  test("a JSON file of another kind is named as something else, with the header's fields", () => {
    const { result } = readInPieces('{"name":"zksim","version":"0.1.0"}\n', 100);
    expect(result.stopped).toBe(true);
    expect(result.problems[0]?.message).toContain("this file is something else");
    expect(result.problems.some((p) => p.path === "format")).toBe(true);
  });

  test("a bad event names its line and field", () => {
    const text = [HEADER, deliver(0, 5), '{"i":1,"t":"soon","type":"deliver","id":2,"from":"a","to":"b"}', deliver(2, 9)].join("\n");
    const { result } = readInPieces(text, 10);
    expect(result.problems).toEqual([{ line: 3, path: "t", message: expect.stringContaining("expected number") }]);
  });

  test("events out of order, time going back, a second header and a line after the summary are each named", () => {
    const summary = '{"type":"summary","events":2,"endUs":9,"digest":null,"stats":{"processed":0,"sent":0,"delivered":0,"duplicated":0,"dropped":{"loss":0,"partition":0,"crashed":0,"paused-queue-full":0},"timers":0,"syncs":0,"faults":0,"violations":0}}';
    const text = [HEADER, deliver(0, 5), deliver(2, 6), deliver(1, 4), HEADER, summary, deliver(2, 9)].join("\n");
    const { result } = readInPieces(text, 3);
    const messages = result.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(messages[0]).toMatch(/^3 i: expected event number 1/);
    expect(messages[1]).toMatch(/^4 i: expected event number 3/);
    expect(messages[2]).toMatch(/^5 type: .*second header/);
    expect(messages[3]).toMatch(/^7 : expected nothing after the summary \(line 6\)/);
    expect(messages[4]).toMatch(/^6 events: expected 3 \(the events in the trace\), found 2/);
  });

  test("an event earlier in time than the one before is named", () => {
    const { result } = readInPieces([HEADER, deliver(0, 5), deliver(1, 4)].join("\n"), 8);
    expect(result.problems).toEqual([{ line: 3, path: "t", message: "expected a time of at least 5 µs (the previous event's; time never goes back), found 4" }]);
  });

  test("a violation judged after the run may name an earlier instant; the events after it are still held to the stream's time", () => {
    const violation = (i: number, t: number) => `{"i":${i},"t":${t},"type":"violation","check":"fencing","message":"m","data":null,"causes":[0]}`;
    const { events, result } = readInPieces([HEADER, deliver(0, 5), violation(1, 2), violation(2, 3), deliver(3, 4)].join("\n"), 8);
    expect(events.map((e) => e.t)).toEqual([5, 2, 3]);
    expect(result.problems).toEqual([{ line: 5, path: "t", message: "expected a time of at least 5 µs (the previous event's; time never goes back), found 4" }]);
  });

  test("an empty file asks for a header", () => {
    const { result } = readInPieces("", 10);
    expect(result.problems).toEqual([{ line: 1, path: "", message: "expected a trace header, found an empty file" }]);
  });

  test("a file with no line end past the bound stops instead of growing", () => {
    const { result } = readInPieces("x".repeat(5000), 100, { lineCharsMax: 1000 });
    expect(result.stopped).toBe(true);
    expect(result.problems[0]?.message).toContain("at most 1000 characters");
  });

  test("events of types this schema does not know are kept, counted and digested, not refused", () => {
    const seen: string[] = [];
    const reader = new TraceReader({ foreignEvent: (event) => seen.push(`${event.i}:${event.type}:${JSON.stringify(event.fields)}`) });
    const lines = [HEADER, deliver(0, 1), '{"i":1,"t":2,"type":"invoke","node":"c1","xid":3}', '{"i":2,"t":3,"type":"complete","node":"c1","xid":3,"outcome":"ok"}'];
    for (const line of lines) reader.line(line);
    const result = reader.end();
    expect(result.problems).toEqual([]);
    expect(result.events).toBe(3);
    expect(Object.fromEntries(result.foreignTypes)).toEqual({ invoke: 1, complete: 1 });
    expect(seen).toEqual(['1:invoke:{"node":"c1","xid":3}', '2:complete:{"node":"c1","xid":3,"outcome":"ok"}']);
    const plain = new TraceReader();
    plain.line(HEADER);
    plain.line(deliver(0, 1));
    expect(result.digest).not.toBe(plain.end().digest);
  });

  test("reading stops after the twentieth problem", () => {
    const text = [HEADER, ...Array.from({ length: 50 }, () => "not json")].join("\n");
    const { result } = readInPieces(text, 50);
    expect(result.problems).toHaveLength(20);
    expect(result.stopped).toBe(true);
  });
});

describe("lines from bytes", () => {
  test("lines split anywhere between chunks come out whole, with their byte offsets (multi-byte characters too)", () => {
    const text = 'first\n{"path":"/é/ü"}\n\nlast line without an end';
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 5, 8, bytes.length]) {
      const seen: [string, number, number][] = [];
      const splitter = new ByteLines((line, start, length) => seen.push([line, start, length]), 1000);
      for (let at = 0; at < bytes.length; at += size) splitter.push(bytes.subarray(at, at + size));
      splitter.end();
      expect(seen.map((s) => s[0]), `chunks of ${size}`).toEqual(text.split("\n"));
      for (const [line, start, length] of seen) expect(new TextDecoder().decode(bytes.subarray(start, start + length))).toBe(line);
    }
  });

  test("a line longer than the bound stops the splitter", () => {
    const splitter = new ByteLines(() => undefined, 10);
    splitter.push(new TextEncoder().encode("x".repeat(20)));
    expect(splitter.tooLong).toBe(true);
  });
});

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseEdnHistory } from "../../src/check/edn.ts";
import { HistoryError, parseJsonlHistory, type HistoryEvent, type Json, type Value } from "../../src/check/history.ts";

/**
 * The EDN reader on Knossos's own histories (each against its JSON Lines
 * conversion in ../shared/histories), on every EDN construct, and on every
 * kind of bad input, whose message must name the line.
 */
const ROOT = new URL("../../../shared/histories/", import.meta.url);

interface ManifestEntry {
  readonly name: string;
  readonly origin: string;
  readonly source: string;
  readonly file?: string;
  readonly notes?: readonly string[];
}

const manifest = JSON.parse(readFileSync(new URL("manifest.json", ROOT), "utf8")) as { histories: ManifestEntry[]; skipped: ManifestEntry[] };
const knossos = manifest.histories.filter((h) => h.origin === "knossos");

const FILE = "test.edn";

/** The events of `text`, which must parse. */
function eventsOf(text: string): HistoryEvent[] {
  return parseEdnHistory(text, FILE).events;
}

/** The value of one ok op whose :value is written as `edn`. */
function valueOf(edn: string): Value {
  const events = eventsOf(`{:process 0, :type :ok, :f :read, :value ${edn}}`);
  expect(events).toHaveLength(1);
  return (events[0] as HistoryEvent).value;
}

/** Where and why `text` is rejected. */
function errorOf(text: string): { line: number; problem: string } {
  try {
    parseEdnHistory(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryError);
    const { file, line, problem } = error as HistoryError;
    expect(file).toBe(FILE);
    return { line, problem };
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

/** An op map line, as Knossos writes them. */
const op = (process: number | string, type: string, f: string, value = "nil") => `{:process ${process}, :type :${type}, :f :${f}, :value ${value}}`;

describe("Knossos's histories", () => {
  test("the manifest lists 120 Knossos histories converted from EDN", () => {
    expect(knossos).toHaveLength(120);
  });

  test("every one parses to the events of its JSON Lines conversion (:time dropped, read invocations as null)", () => {
    const different: string[] = [];
    for (const h of knossos) {
      const { events } = parseEdnHistory(readFileSync(new URL(h.source, ROOT), "utf8"), h.source);
      const expected = parseJsonlHistory(readFileSync(new URL(h.file as string, ROOT), "utf8"), h.file as string).map(withoutTime);
      // The conversion writes a read's invocation value as null (the format's rule: a read is
      // invoked with null); two sources carry one, and their notes say how many.
      const readsWithValue = events.filter((e) => e.type === "invoke" && e.f === "read" && e.value !== null).length;
      const noted = (h.notes ?? []).map((note) => /^(\d+) read invocations carried a value/.exec(note)?.[1]).find((n) => n !== undefined);
      if (readsWithValue !== Number(noted ?? 0)) different.push(`${h.name}: ${readsWithValue} read invocations with a value, the notes say ${noted ?? 0}`);
      const actual = events.map((e) => (e.type === "invoke" && e.f === "read" ? { ...e, value: null } : e));
      if (JSON.stringify(actual) !== JSON.stringify(expected)) different.push(h.name);
    }
    expect(different).toEqual([]);
  });

  test("every event's line is the line that opens its map, and lines never go back", () => {
    for (const h of knossos) {
      const text = readFileSync(new URL(h.source, ROOT), "utf8");
      const sourceLines = text.split("\n");
      const { events, lines } = parseEdnHistory(text, h.source);
      expect(lines).toHaveLength(events.length);
      events.forEach((event, k) => {
        const line = lines[k] as number;
        // A map may span lines (a long :error breaks it); its :process follows within a few.
        expect(sourceLines[line - 1]).toMatch(/^[\s[(]*\{/);
        expect(sourceLines.slice(line - 1, line + 4).join("\n")).toMatch(new RegExp(`^[\\s[(]*\\{[^]*?:process ${event.process}\\b`));
        if (k > 0) expect(line).toBeGreaterThanOrEqual(lines[k - 1] as number);
      });
    }
  });

  test("the two Knossos histories the manifest leaves out (a multi-register and a mutex) still read", () => {
    const read = (source: string) => parseEdnHistory(readFileSync(new URL(source, ROOT), "utf8"), source).events;
    const multi = read("knossos/multi-register/good/multi-register.edn");
    expect(multi).toHaveLength(246);
    expect(multi.every((e) => e.f === "txn")).toBe(true);
    const mutex = read("knossos/mutex/bad/etcd.edn");
    expect(mutex).toHaveLength(1123);
    // Its ops have no :value at all: absent is nil.
    expect(new Set(mutex.map((e) => e.value))).toEqual(new Set([null]));
  });
});

describe("the EDN reader", () => {
  test("reads nil, true and false", () => {
    expect(valueOf("nil")).toBeNull();
    expect(valueOf("true")).toBe(true);
    expect(valueOf("false")).toBe(false);
  });

  test("reads integers: negative, signed, and with the big-integer suffix N", () => {
    expect(valueOf("42")).toBe(42);
    expect(valueOf("-7")).toBe(-7);
    expect(valueOf("+7")).toBe(7);
    expect(valueOf("0")).toBe(0);
    expect(valueOf("12N")).toBe(12);
    expect(valueOf("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("reads floats: decimals, exponents and the big-decimal suffix M", () => {
    expect(valueOf("1.5")).toBe(1.5);
    expect(valueOf("-0.25")).toBe(-0.25);
    expect(valueOf("1e3")).toBe(1000);
    expect(valueOf("2.5E-1")).toBe(0.25);
    expect(valueOf("3.0M")).toBe(3);
  });

  test("reads strings with their escapes, across lines", () => {
    expect(valueOf(String.raw`"a \"quoted\" \\ back\tslash\n"`)).toBe('a "quoted" \\ back\tslash\n');
    expect(valueOf(String.raw`"\r\b\f\u00e9\u263A"`)).toBe("\r\b\f\u00e9\u263a");
    expect(valueOf('"two\nlines"')).toBe("two\nlines");
    expect(valueOf('""')).toBe("");
    expect(valueOf('"; not a comment, [not a vector"')).toBe("; not a comment, [not a vector");
  });

  test("reads keywords as their names, a namespace kept", () => {
    expect(valueOf(":foo")).toBe("foo");
    expect(valueOf(":jepsen.history/op")).toBe("jepsen.history/op");
    expect(valueOf(":not-held?")).toBe("not-held?");
    expect(valueOf(":1")).toBe("1");
  });

  test("reads symbols as their names", () => {
    expect(valueOf("java.net.SocketTimeoutException")).toBe("java.net.SocketTimeoutException");
    expect(valueOf("clojure.core$fn__6395/invoke")).toBe("clojure.core$fn__6395/invoke");
    expect(valueOf("-")).toBe("-");
  });

  test("reads vectors, lists and sets as arrays", () => {
    expect(valueOf("[1 2]")).toEqual([1, 2]);
    expect(valueOf("[]")).toEqual([]);
    expect(valueOf("(:a [nil 1.5] ())")).toEqual(["a", [null, 1.5], []]);
    expect(valueOf("#{3 1 2}")).toEqual([3, 1, 2]);
    expect(valueOf("[[:r 0 nil] [:w 1 1]]")).toEqual([["r", 0, null], ["w", 1, 1]]);
  });

  test("reads maps as objects: keyword keys by name, string and number keys as text", () => {
    expect(valueOf('{:a 1, "b" [2], 3 :c, :x/y {:z nil}}')).toEqual({ a: 1, b: [2], "3": "c", "x/y": { z: null } });
    expect(valueOf("{}")).toEqual({});
    expect(Object.keys(valueOf('{"__proto__" 1}') as object)).toEqual(["__proto__"]);
  });

  test("reads a tagged literal as its value (#inst and #uuid keep their string)", () => {
    expect(valueOf('#inst "2015-03-01T12:00:00.000-00:00"')).toBe("2015-03-01T12:00:00.000-00:00");
    expect(valueOf('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"')).toBe("f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
    expect(valueOf('#object[java.lang.Object "x"]')).toEqual(["java.lang.Object", "x"]);
  });

  test("skips comments, commas and forms discarded with #_, even nested ones", () => {
    expect(valueOf("[1 ; one\n ,,, 2 #_3 4]")).toEqual([1, 2, 4]);
    expect(valueOf("[#_ #_ 1 2 3]")).toEqual([3]);
    expect(valueOf("[#_[nested [discard]] :kept]")).toEqual(["kept"]);
    expect(valueOf("#_ :dropped :kept")).toBe("kept");
    expect(eventsOf(`#_${op(1, "invoke", "read")}\n${op(2, "invoke", "read")}`).map((e) => e.process)).toEqual([2]);
  });

  test("numbers the lines from 1, through comments and multi-line strings", () => {
    const text = [`; a comment`, `[${op(0, "invoke", "write", '"a\nb"')}`, ` ${op(1, "invoke", "read")}`, ``, ` {:process 2,`, `  :type :invoke, :f :read, :value nil}]`].join("\n");
    expect(parseEdnHistory(text, FILE).lines).toEqual([2, 4, 6]);
  });

  test("accepts CRLF line ends and a byte order mark", () => {
    const { events, lines } = parseEdnHistory(`\ufeff${op(0, "invoke", "read")}\r\n${op(0, "ok", "read", "1")}\r\n`, FILE);
    expect(events.map((e) => e.type)).toEqual(["invoke", "ok"]);
    expect(lines).toEqual([1, 2]);
  });
});

describe("the history's shape", () => {
  const invoke = op(0, "invoke", "cas", "[1 2]");
  const ok = op(0, "ok", "cas", "[1 2]");
  const expected: HistoryEvent[] = [
    { process: 0, type: "invoke", f: "cas", key: null, value: [1, 2] },
    { process: 0, type: "ok", f: "cas", key: null, value: [1, 2] },
  ];

  test("is one vector of op maps (Knossos)", () => {
    expect(eventsOf(`[${invoke}\n ${ok}]`)).toEqual(expected);
  });

  test("or one list of op maps (Knossos)", () => {
    expect(eventsOf(`(${invoke}\n ${ok})\n`)).toEqual(expected);
  });

  test("or op maps one after another, one a line (Jepsen's history.edn)", () => {
    expect(eventsOf(`${invoke}\n${ok}\n`)).toEqual(expected);
  });

  test("or op records one after another, as Jepsen prints them (#jepsen.history.Op{...})", () => {
    const text = `#jepsen.history.Op{:index 0, :time 1, :type :invoke, :process 0, :f :cas, :value [1 2]}\n#jepsen.history.Op{:index 1, :time 2, :type :ok, :process 0, :f :cas, :value [1 2]}\n`;
    expect(parseEdnHistory(text, FILE)).toEqual({ events: expected, lines: [1, 2] });
  });

  test("an empty file, a file of comments and an empty vector hold no events", () => {
    for (const text of ["", "\n\n", "; nothing here\n", "[]", "[\n]\n", "()"]) expect(parseEdnHistory(text, FILE)).toEqual({ events: [], lines: [] });
  });

  test("nemesis events are skipped entirely, and their lines with them", () => {
    const text = [`[${op(0, "invoke", "read")}`, ` {:process :nemesis, :type :info, :f :start, :value "Cut off {:n1 #{:n2}}"}`, ` ${op(0, "ok", "read", "3")}]`].join("\n");
    const { events, lines } = parseEdnHistory(text, FILE);
    expect(events.map((e) => e.process)).toEqual([0, 0]);
    expect(lines).toEqual([1, 3]);
  });

  test(":time is dropped, :index, :error and other keys are ignored, an absent :value is nil", () => {
    const text = `{:type :fail, :f :release, :process 3, :time 32094782390123456789, :error [:not-found "lease not found"], :index 1120, "x" 1}`;
    expect(eventsOf(text)).toEqual([{ process: 3, type: "fail", f: "release", key: null, value: null }]);
  });

  test(":key becomes a string: a keyword's name, a string, an integer's digits; nil or absent is null", () => {
    const keyOf = (key: string) => (eventsOf(`{:process 0, :type :invoke, :f :read, :value nil${key}}`)[0] as HistoryEvent).key;
    expect(keyOf(", :key :x")).toBe("x");
    expect(keyOf(', :key "y"')).toBe("y");
    expect(keyOf(", :key 7")).toBe("7");
    expect(keyOf(", :key -7")).toBe("-7");
    expect(keyOf(", :key nil")).toBeNull();
    expect(keyOf("")).toBeNull();
  });

  test("the four types and any :f keyword come through by name", () => {
    const text = ["invoke", "ok", "fail", "info"].map((type, i) => op(i, type, "append", '"x"')).join("\n");
    expect(eventsOf(text).map((e) => [e.process, e.type, e.f, e.value])).toEqual([
      [0, "invoke", "append", "x"],
      [1, "ok", "append", "x"],
      [2, "fail", "append", "x"],
      [3, "info", "append", "x"],
    ]);
  });

  test("events printed as EDN, in any of the shapes and with any spacing, read back the same (fast-check, seed 20240601)", () => {
    const event = fc.record({
      process: fc.nat({ max: 1000 }),
      type: fc.constantFrom("invoke", "ok", "fail", "info"),
      f: fc.constantFrom("read", "write", "cas", "append"),
      key: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
      value: fc.oneof(fc.constant(null), fc.integer(), fc.tuple(fc.integer(), fc.integer()), fc.string({ maxLength: 12 })),
    });
    const space = fc.constantFrom(" ", ", ", "\n", " ; comment\n", " #_:gone ", "\t");
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), fc.constantFrom("vector", "list", "lines"), space, (events, shape, gap) => {
        const maps = events.map((e) => `{:process ${e.process}${gap}:type :${e.type}, :f :${e.f}${gap}:key ${e.key === null ? "nil" : JSON.stringify(e.key)}, :value ${printValue(e.value)}}`);
        const text = shape === "vector" ? `[${maps.join(gap)}]` : shape === "list" ? `(${maps.join(gap)})` : maps.join("\n");
        expect(eventsOf(text)).toEqual(events);
      }),
      { seed: 20240601, numRuns: 200 },
    );
  });
});

/** A JSON value from the property test as EDN (JSON's string escapes are EDN's, except \/ which JSON.stringify never writes). */
function printValue(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(printValue).join(" ")}]`;
  return value === null ? "nil" : JSON.stringify(value);
}

describe("bad input is rejected with the line and what was expected", () => {
  test("an op that is not a map", () => {
    expect(errorOf(`[${op(0, "invoke", "read")}\n [1 2]]`)).toEqual({ line: 2, problem: "expected a map with :process, :type, :f, got a vector" });
    expect(errorOf(`${op(0, "invoke", "read")}\n:oops`)).toEqual({ line: 2, problem: "expected a map with :process, :type, :f, got the keyword :oops" });
    expect(errorOf(`#inst "2015"`)).toEqual({ line: 1, problem: "expected a map with :process, :type, :f, got a tagged #inst value" });
  });

  test("a second top-level form after the vector of ops", () => {
    expect(errorOf(`[${op(0, "invoke", "read")}]\n\n${op(0, "ok", "read")}`)).toEqual({
      line: 3,
      problem: "a map after the top-level vector that opened on line 1: expected one vector of ops, or op maps one after another",
    });
  });

  test("a missing :process, :type or :f", () => {
    expect(errorOf(`\n{:type :invoke, :f :read, :value nil}`)).toEqual({ line: 2, problem: "missing :process: expected a map with :process, :type, :f" });
    expect(errorOf(`{:process 1, :f :read}`)).toEqual({ line: 1, problem: "missing :type: expected a map with :process, :type, :f" });
    expect(errorOf(`{:process 1, :type :ok}`)).toEqual({ line: 1, problem: "missing :f: expected a map with :process, :type, :f" });
  });

  test("an unknown :type, on the line of the value", () => {
    expect(errorOf(`{:process 1,\n :type :foo, :f :read}`)).toEqual({ line: 2, problem: "unknown :type :foo: expected :invoke, :ok, :fail or :info" });
    expect(errorOf(`{:process 1, :type "ok", :f :read}`)).toEqual({ line: 1, problem: 'unknown :type "ok": expected :invoke, :ok, :fail or :info' });
  });

  test("a :process that is neither a non-negative integer nor :nemesis", () => {
    expect(errorOf(op(-1, "invoke", "read"))).toEqual({ line: 1, problem: ":process must be a non-negative integer or :nemesis, got -1" });
    expect(errorOf(op('"p1"', "invoke", "read"))).toEqual({ line: 1, problem: ':process must be a non-negative integer or :nemesis, got "p1"' });
    expect(errorOf(op(":client", "invoke", "read"))).toEqual({ line: 1, problem: ":process must be a non-negative integer or :nemesis, got :client" });
    expect(errorOf(op("1.5", "invoke", "read"))).toEqual({ line: 1, problem: ":process must be a non-negative integer or :nemesis, got 1.5" });
    expect(errorOf(op("99999999999999999999", "invoke", "read"))).toEqual({ line: 1, problem: ":process must be a non-negative integer or :nemesis, got 99999999999999999999" });
  });

  test("an :f that is not a keyword, a :key that cannot be a string", () => {
    expect(errorOf(`{:process 1, :type :ok, :f "read"}`)).toEqual({ line: 1, problem: ':f must be a keyword such as :read, got "read"' });
    expect(errorOf(`{:process 1, :type :ok, :f :read, :key [:x]}`)).toEqual({ line: 1, problem: ":key must be a keyword, a string, an integer or nil, got [:x]" });
  });

  test("a key twice in an op map or in a value map", () => {
    expect(errorOf(`{:process 1, :type :ok,\n :type :fail, :f :read}`)).toEqual({ line: 2, problem: "duplicate key :type in an op map" });
    expect(errorOf(op(1, "ok", "read", '{:a 1, "a" 2}'))).toEqual({ line: 1, problem: 'duplicate key "a" in a map' });
  });

  test("values JSON cannot hold", () => {
    expect(errorOf(op(1, "ok", "read", "123456789012345678901"))).toEqual({ line: 1, problem: "integer 123456789012345678901 does not fit a JSON number exactly (beyond 2^53)" });
    expect(errorOf(op(1, "ok", "read", "1e999"))).toEqual({ line: 1, problem: "number 1e999 is out of range" });
    expect(errorOf(op(1, "ok", "read", "{[1] 2}"))).toEqual({ line: 1, problem: "a map key must be a keyword, a string or a number to become JSON, got a vector" });
  });

  test("an unterminated string, on the line where it opens", () => {
    expect(errorOf(`${op(0, "invoke", "read")}\n{:process 0, :type :ok, :f :read, :value "abc\n\n`)).toEqual({ line: 2, problem: 'unterminated string: the file ends before its closing "' });
    expect(errorOf(`"abc\\`)).toEqual({ line: 1, problem: "unterminated string: the file ends in an escape" });
  });

  test("a bad escape in a string", () => {
    expect(errorOf(`\n"a\\qb"`)).toEqual({ line: 2, problem: "unknown escape \\q in a string" });
    expect(errorOf(`"\\u12G4"`)).toEqual({ line: 1, problem: "malformed escape \\u12G4 in a string: expected four hex digits" });
  });

  test("unbalanced, mismatched and unclosed brackets", () => {
    expect(errorOf(`${op(0, "invoke", "read")}\n]`)).toEqual({ line: 2, problem: "unbalanced ]: nothing is open at the top level" });
    expect(errorOf(`[${op(0, "invoke", "read")}\n)`)).toEqual({ line: 2, problem: "unbalanced ): expected ] to close the [ opened on line 1" });
    expect(errorOf(`\n#{1 2]`)).toEqual({ line: 2, problem: "unbalanced ]: expected } to close the #{ opened on line 2" });
    expect(errorOf(`\n[${op(0, "invoke", "read")}\n`)).toEqual({ line: 2, problem: "unclosed [: the file ends before its ]" });
    expect(errorOf(`({:process 0`)).toEqual({ line: 1, problem: "unclosed {: the file ends before its }" });
  });

  test("a map with a key and no value", () => {
    expect(errorOf(`\n{:process 0, :type :ok, :f}`)).toEqual({ line: 2, problem: "a map needs a value for every key: the { opened here has 5 forms" });
  });

  test("characters, regular expressions and symbolic values, which histories do not use", () => {
    expect(errorOf(op(0, "ok", "read", "\\a"))).toEqual({ line: 1, problem: "characters (\\a) are not supported in a history: write a string" });
    expect(errorOf(op(0, "ok", "read", '#"a+"'))).toEqual({ line: 1, problem: 'regular expressions (#"...") are not EDN' });
    expect(errorOf(op(0, "ok", "read", "##Inf"))).toEqual({ line: 1, problem: "symbolic values (##Inf) are not supported: a history holds finite numbers" });
  });

  test("a # that starts nothing EDN knows, and a tag or #_ with no form after it", () => {
    expect(errorOf(op(0, "ok", "read", "#1"))).toEqual({ line: 1, problem: "# must be followed by {, _ or a tag symbol, got #1" });
    expect(errorOf(op(0, "ok", "read", "#inst"))).toEqual({ line: 1, problem: "#inst with no form after it" });
    expect(errorOf(`[1 #_]`)).toEqual({ line: 1, problem: "#_ with no form after it" });
    expect(errorOf(`\n#_`)).toEqual({ line: 2, problem: "#_ with no form after it" });
  });

  test("malformed numbers, keywords and symbols", () => {
    expect(errorOf(op(0, "ok", "read", "1/2"))).toEqual({ line: 1, problem: "malformed number 1/2" });
    expect(errorOf(op(0, "ok", "read", "007"))).toEqual({ line: 1, problem: "malformed number 007" });
    expect(errorOf(op(0, "ok", "read", "12abc"))).toEqual({ line: 1, problem: "malformed number 12abc" });
    expect(errorOf(op(0, "ok", "read", ": x"))).toEqual({ line: 1, problem: "a lone : is not a keyword: a keyword needs a name" });
    expect(errorOf(op(0, "ok", "read", "::x"))).toEqual({ line: 1, problem: "auto-resolved keywords (::x) are not EDN" });
    expect(errorOf(op(0, "ok", "read", ":a@b"))).toEqual({ line: 1, problem: "malformed keyword :a@b" });
    expect(errorOf(op(0, "ok", "read", "@x"))).toEqual({ line: 1, problem: "unexpected character in @x: symbols hold letters, digits and .*+!-_?$%&=<>/" });
  });

  test("nesting deeper than 100 collections", () => {
    expect(valueOf(`${"[".repeat(99)}${"]".repeat(99)}`)).toBeInstanceOf(Array);
    expect(errorOf(op(0, "ok", "read", `${"[".repeat(100)}${"]".repeat(100)}`))).toEqual({ line: 1, problem: "collections nested more than 100 deep" });
    expect(errorOf(`[\n${"(".repeat(200)}`)).toEqual({ line: 2, problem: "collections nested more than 100 deep" });
  });

  test("an input larger than 64 Mi characters, before reading any of it", () => {
    expect(errorOf(" ".repeat(64 * 1024 * 1024 + 1))).toEqual({ line: 0, problem: `the input has ${64 * 1024 * 1024 + 1} characters, more than the limit of ${64 * 1024 * 1024}` });
  });

  test("the error's message names the file and the line, and nothing else", () => {
    expect(() => parseEdnHistory(`{:process 0, :type :done, :f :read}`, "runs/h.edn")).toThrow(new HistoryError("runs/h.edn", 1, "unknown :type :done: expected :invoke, :ok, :fail or :info"));
    expect(() => parseEdnHistory(`[`, "runs/h.edn")).toThrow(/^runs\/h\.edn:1: unclosed \[: the file ends before its \]$/);
  });
});

function withoutTime(event: HistoryEvent): HistoryEvent {
  const { time: _time, ...rest } = event;
  return rest;
}

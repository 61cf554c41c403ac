import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseEdnHistory, readEdnOperations } from "../../src/check/edn.ts";
import { EdnValue, HistoryError, parseJsonlHistory, toOperations, type HistoryEvent, type Json, type Value } from "../../src/check/history.ts";
import { checkLinearizable } from "../../src/check/linearizability.ts";
import { makeModel, showValue, valueKey } from "../../src/check/models.ts";

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

/** The value of one ok op, as a person reads it (showValue: JSON, with EDN values as EDN). */
function shown(edn: string): string {
  return showValue(valueOf(edn));
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
    expect(valueOf("9007199254740993")).toBe(9007199254740993n);
    expect(valueOf("-123456789012345678901N")).toBe(-123456789012345678901n);
  });

  test("reads floats, which are not integers: decimals, exponents, and big decimals with the suffix M", () => {
    expect(shown("1.5")).toBe("1.5");
    expect(shown("-0.25")).toBe("-0.25");
    expect(shown("1e3")).toBe("1e3");
    expect(shown("3.0M")).toBe("3.0M");
    expect([valueOf("1.0"), valueOf("1e3"), valueOf("3.0M")].map((v) => (v as EdnValue).kind)).toEqual(["float", "float", "decimal"]);
    expect(valueKey(valueOf("2.5E-1"))).toBe(valueKey(valueOf("0.25")));
  });

  test("reads strings with their escapes, across lines", () => {
    expect(valueOf(String.raw`"a \"quoted\" \\ back\tslash\n"`)).toBe('a "quoted" \\ back\tslash\n');
    expect(valueOf(String.raw`"\r\b\f\u00e9\u263A"`)).toBe("\r\b\f\u00e9\u263a");
    expect(valueOf('"two\nlines"')).toBe("two\nlines");
    expect(valueOf('""')).toBe("");
    expect(valueOf('"; not a comment, [not a vector"')).toBe("; not a comment, [not a vector");
  });

  test("reads keywords as keywords, a namespace kept (one instance per keyword)", () => {
    expect(shown(":foo")).toBe(":foo");
    expect(shown(":jepsen.history/op")).toBe(":jepsen.history/op");
    expect(shown(":not-held?")).toBe(":not-held?");
    expect(shown(":1")).toBe(":1");
    expect((valueOf(":foo") as EdnValue).kind).toBe("keyword");
    const [a, b] = eventsOf(`${op(0, "invoke", "write", ":foo")}\n${op(0, "ok", "write", ":foo")}`).map((e) => e.value);
    expect(a).toBe(b);
  });

  test("reads symbols as symbols", () => {
    expect(shown("java.net.SocketTimeoutException")).toBe("java.net.SocketTimeoutException");
    expect(shown("clojure.core$fn__6395/invoke")).toBe("clojure.core$fn__6395/invoke");
    expect(shown("-")).toBe("-");
    expect((valueOf("-") as EdnValue).kind).toBe("symbol");
  });

  test("reads vectors and lists as arrays, sets as sets", () => {
    expect(valueOf("[1 2]")).toEqual([1, 2]);
    expect(valueOf("[]")).toEqual([]);
    expect(shown("(:a [nil 1.5] ())")).toBe("[:a,[null,1.5],[]]");
    expect(shown("#{3 1 2}")).toBe("#{1 2 3}");
    expect(shown("[[:r 0 nil] [:w 1 1]]")).toBe("[[:r,0,null],[:w,1,1]]");
  });

  test("reads maps with string keys as objects, and other maps as maps", () => {
    expect(valueOf('{"a" 1, "b" [2], "x/y" {"z" nil}}')).toEqual({ a: 1, b: [2], "x/y": { z: null } });
    expect(valueOf("{}")).toEqual({});
    expect(Object.keys(valueOf('{"__proto__" 1}') as object)).toEqual(["__proto__"]);
    expect(shown('{:a 1, "b" [2], 3 :c, [1] #{}}')).toBe('{"b" [2], 3 :c, :a 1, [1] #{}}');
  });

  test("reads a tagged literal with its tag (#inst and #uuid as Clojure's readers take them)", () => {
    expect(shown('#inst "2015-03-01T12:00:00.000-00:00"')).toBe('#inst "2015-03-01T12:00:00.000-00:00"');
    expect(shown('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"')).toBe('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"');
    expect(shown('#object[java.lang.Object "x"]')).toBe('#object [java.lang.Object "x"]');
  });

  test("skips comments, commas and forms discarded with #_, even nested ones", () => {
    expect(valueOf("[1 ; one\n ,,, 2 #_3 4]")).toEqual([1, 2, 4]);
    expect(valueOf("[#_ #_ 1 2 3]")).toEqual([3]);
    expect(shown("[#_[nested [discard]] :kept]")).toBe("[:kept]");
    expect(shown("#_ :dropped :kept")).toBe(":kept");
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

  test(":key becomes a string that keeps its kind: a keyword as :x, a string in quotes, an integer's digits; nil or absent is null", () => {
    const keyOf = (key: string) => (eventsOf(`{:process 0, :type :invoke, :f :read, :value nil${key}}`)[0] as HistoryEvent).key;
    expect(keyOf(", :key :x")).toBe(":x");
    expect(keyOf(', :key "y"')).toBe('"y"');
    expect(keyOf(", :key 7")).toBe("7");
    expect(keyOf(", :key +7N")).toBe("7");
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
        expect(eventsOf(text)).toEqual(events.map((e) => ({ ...e, key: e.key === null ? null : JSON.stringify(e.key) })));
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
    expect(errorOf(op(1, "ok", "read", '{"a" 1, "a" 2}'))).toEqual({ line: 1, problem: 'duplicate key "a" in a map' });
    expect(errorOf(op(1, "ok", "read", "{:a 1, :b 2,\n 1 3, 1N 4}"))).toEqual({ line: 2, problem: "duplicate key 1 in a map" });
    expect(errorOf(op(1, "ok", "read", "#{1 [2]\n(2)}"))).toEqual({ line: 2, problem: "duplicate item (2) in a set" });
  });

  test("values that cannot be held exactly, and malformed #inst and #uuid", () => {
    expect(errorOf(op(1, "ok", "read", `1${"0".repeat(1_000)}`))).toEqual({ line: 1, problem: `the number 1${"0".repeat(1_000)} has more than 1000 digits` });
    expect(errorOf(op(1, "ok", "read", "1e999"))).toEqual({ line: 1, problem: "number 1e999 is out of range" });
    expect(errorOf(op(1, "ok", "read", "1e9999999999M"))).toEqual({ line: 1, problem: "number 1e9999999999M is out of range" });
    expect(errorOf(op(1, "ok", "read", '#inst "2015-02-29"'))).toEqual({ line: 1, problem: 'malformed #inst "2015-02-29": expected a timestamp such as "2015-03-01T12:00:00.000-00:00"' });
    expect(errorOf(op(1, "ok", "read", '#uuid "1-1-1-1-1"'))).toEqual({ line: 1, problem: 'malformed #uuid "1-1-1-1-1": expected 8-4-4-4-12 hex digits in quotes' });
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
    expect(errorOf(`[${op(0, "invoke", "read")} #_]`)).toEqual({ line: 1, problem: "#_ with no form after it" });
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

  test("one op longer than 64 Mi characters, read in pieces; space and comments between ops of any length are dropped as they are read", () => {
    const pieces = (...parts: string[]) => {
      let k = 0;
      return () => parts[k++] ?? null;
    };
    const mebi = "x".repeat(1024 * 1024);
    const long = pieces(`${op(0, "invoke", "read")}\n{:process 0, :type :ok, :f :read, :value "`, ...new Array<string>(65).fill(mebi), '"}');
    expect(() => readEdnOperations(long, FILE)).toThrow(new HistoryError(FILE, 2, "an op longer than 67108864 characters"));
    const spaces = " ".repeat(1024 * 1024 - 1);
    const blank = pieces(op(0, "invoke", "read"), ...new Array<string>(65).fill(`${spaces}\n`), "; done\n", op(0, "ok", "read", "1"), ...new Array<string>(65).fill(`;${spaces}`));
    expect(readEdnOperations(blank, FILE)).toMatchObject([{ f: "read", output: 1, line: 1 }]);
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

describe("values compare as Clojure's = compares them", () => {
  /** A write of `written`, then a read that returns `read`, as a Jepsen EDN history; the verdict of the cas-register model. */
  function verdict(written: string, read: string): string {
    const text = [op(0, "invoke", "write", written), op(0, "ok", "write", written), op(1, "invoke", "read"), op(1, "ok", "read", read)].join("\n");
    const { events, lines } = parseEdnHistory(text, FILE);
    return checkLinearizable(toOperations(events, FILE, lines), makeModel("cas-register")).verdict;
  }
  const same = (a: string, b: string) => expect([verdict(a, b), verdict(b, a)]).toEqual(["linearizable", "linearizable"]);
  const different = (a: string, b: string) => expect([verdict(a, b), verdict(b, a)]).toEqual(["not-linearizable", "not-linearizable"]);

  test("a set is a set, whatever order it is written in", () => {
    same("#{1 2 3}", "#{3 1 2}");
    same("#{[1 2] #{:a :b}}", "#{#{:b :a} [1 2]}");
    different("#{1 2}", "#{1 2 3}");
    different("#{1 2}", "[1 2]");
  });

  test("a keyword, a symbol and a string of the same name are three values", () => {
    different(":a", '"a"');
    different(":a", "a");
    different("a", '"a"');
    different(":a/b", ":b");
    same(":a", ":a");
    different('{:a 1}', '{"a" 1}');
    different('{1 :x}', '{"1" :x}');
  });

  test("an integer is not a float; a float is not a big decimal; 1 and 1N are one integer", () => {
    different("1", "1.0");
    different("1.0", "1.0M");
    different("1", "1M");
    same("1", "1N");
    same("12345678901234567890", "12345678901234567890N");
    different("12345678901234567890", "12345678901234567891");
  });

  test("floats are doubles, as Clojure reads them; big decimals compare by value, whatever their scale", () => {
    same("1.0", "1.00");
    same("0.1", "0.10000000000000001");
    same("-0.0", "0.0");
    same("1.5e3", "1500.0");
    same("1.0M", "1.00M");
    different("1.0M", "1.01M");
  });

  test("a list and a vector with the same items are equal (Clojure's sequential equality)", () => {
    same("(1 2)", "[1 2]");
    different("(1 2)", "[2 1]");
  });

  test("#inst compares instants and #uuid compares the identifier, as Clojure's readers do; other tags keep the tag", () => {
    same('#inst "2015-03-01T12:00:00Z"', '#inst "2015-03-01T13:00:00.000+01:00"');
    same('#inst "2015"', '#inst "2015-01-01T00:00:00.000-00:00"');
    different('#inst "2015-03-01T12:00:00Z"', '#inst "2015-03-01T12:00:00.001Z"');
    different('#inst "2015-03-01T12:00:00Z"', '"2015-03-01T12:00:00Z"');
    same('#uuid "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"', '#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"');
    different('#object[java.lang.Object "x"]', '[java.lang.Object "x"]');
  });

  test("a :key is told apart by kind: :x and \"x\" are two keys, 7 and \"7\" two (7N is 7)", () => {
    const keys = (...written: string[]) => new Set(written.map((k) => (eventsOf(`{:process 0, :type :invoke, :f :read, :value nil, :key ${k}}`)[0] as HistoryEvent).key)).size;
    expect(keys(":x", '"x"', "7", '"7"', "-7", "7N")).toBe(5);
  });
});

describe("reading in pieces", () => {
  /** `text` cut at the given positions. */
  const cut = (text: string, at: readonly number[]) => {
    const points = [...new Set(at.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
    const parts = points.map((p, i) => text.slice(i === 0 ? 0 : (points[i - 1] as number), p)).concat(text.slice(points.at(-1) ?? 0));
    let k = 0;
    return () => parts[k++] ?? null;
  };
  const text = [
    "; a history with every construct a piece may cut",
    `[${op(0, "invoke", "write", '"a \\"b\\"\\n\\u00e9 c"')}`,
    ` #_ {:process 9, :type :ok} ${op(0, "ok", "write", '"a \\"b\\"\\n\\u00e9 c"')}`,
    ` {:process 1, :type :invoke, :f :cas, :value [#{:x "y" 1.5M} #inst "2015-03-01T12:00:00Z"], :key :k}`,
    ` {:process 1, :type :info, :f :cas, :value [#{"y" :x 1.50M} #inst "2015-03-01T12:00:00.000-00:00"], :key :k} ; trailing`,
    ` #jepsen.history.Op{:process 2, :type :invoke, :f :read, :value nil, :time 12345678901234567890}`,
    ` {:process 2, :type :ok, :f :read, :value ("multi`,
    `line" -7N 12345678901234567890 sym/bol)}]`,
    "",
  ].join("\n");

  test("cut anywhere, the text reads the same as in one piece (fast-check, seed 11)", () => {
    const { events, lines } = parseEdnHistory(text, FILE);
    const whole = toOperations(events, FILE, lines);
    expect(whole).toHaveLength(3);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (at) => {
        expect(readEdnOperations(cut(text, at), FILE)).toEqual(whole);
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  test("cut anywhere, a bad text gives the same error (fast-check, seed 12)", () => {
    const bad = text.replace("sym/bol)}]", "sym/bol)}\n  {:process 3, :type :ok, :f :read\n ]");
    expect(() => parseEdnHistory(bad, FILE)).toThrow(new HistoryError(FILE, 10, "unbalanced ]: expected } to close the { opened on line 9"));
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (at) => {
        expect(() => readEdnOperations(cut(bad, at), FILE)).toThrow(new HistoryError(FILE, 10, "unbalanced ]: expected } to close the { opened on line 9"));
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkLinearizable, HistoryError, makeModel, parseJsonlHistory, parseJsonlHistoryWithLines, parseJsonValue, readJsonlOperations, toOperations, valueEqual, valueKey, type Value, type Verdict } from "../../src/check/index.ts";

/**
 * JSON Lines histories: values are read exactly (a verdict must never rest
 * on a number rounded on the way in), and every problem names the line.
 */

const FILE = "h.jsonl";
const line = (process: number, type: string, f: string, value: string, key = "null") => `{"process": ${process}, "type": "${type}", "f": "${f}", "key": ${key}, "value": ${value}}`;

/** A write of `written`, then a read that returns `read`, as JSON text. */
function writeThenRead(written: string, read: string): string {
  return [line(0, "invoke", "write", written), line(0, "ok", "write", written), line(1, "invoke", "read", "null"), line(1, "ok", "read", read)].join("\n");
}

function verdictOf(text: string): Verdict {
  return checkLinearizable(toOperations(parseJsonlHistory(text, FILE), FILE), makeModel("cas-register")).verdict;
}

function errorOf(text: string): { line: number; problem: string } {
  try {
    parseJsonlHistory(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryError);
    const { file, line, problem } = error as HistoryError;
    expect(file).toBe(FILE);
    return { line, problem };
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 200))} to be rejected`);
}

describe("numbers are read exactly", () => {
  test("integers beyond 2^53 are not rounded: 9007199254740993 is not 9007199254740992", () => {
    expect(verdictOf(writeThenRead("9007199254740993", "9007199254740992"))).toBe("not-linearizable");
    expect(verdictOf(writeThenRead("9007199254740993", "9007199254740993"))).toBe("linearizable");
    expect(verdictOf(writeThenRead("-123456789012345678901234567890", "-123456789012345678901234567890"))).toBe("linearizable");
  });

  test("1e400 is an integer of 401 digits, not Infinity, and not 1e401", () => {
    expect(verdictOf(writeThenRead("1e400", "1e401"))).toBe("not-linearizable");
    expect(verdictOf(writeThenRead("1e400", `1${"0".repeat(400)}`))).toBe("linearizable");
  });

  test("one number written two ways is one value, as JSON says: 1, 1.0 and 10e-1; 0.5 and 5e-1", () => {
    expect(verdictOf(writeThenRead("1", "1.0"))).toBe("linearizable");
    expect(verdictOf(writeThenRead("1", "10e-1"))).toBe("linearizable");
    expect(verdictOf(writeThenRead("0.5", "5e-1"))).toBe("linearizable");
    expect(verdictOf(writeThenRead("0", "-0"))).toBe("linearizable");
    expect(verdictOf(writeThenRead("0.5", "0.25"))).toBe("not-linearizable");
  });

  test("a fraction that no double holds exactly, and that a double would merge with another, is refused at its line", () => {
    expect(errorOf(`${line(0, "invoke", "write", "0.1")}\n${line(0, "ok", "write", "0.10000000000000001")}`)).toEqual({
      line: 2,
      problem: "the number 0.10000000000000001 cannot be held exactly: it would read as 0.1 (write it as a string to compare it exactly)",
    });
    expect(errorOf(line(0, "invoke", "write", "1e-400"))).toEqual({ line: 1, problem: "the number 1e-400 cannot be held exactly: it would read as 0 (write it as a string to compare it exactly)" });
  });

  test("an integer of more than 1,000 digits is refused rather than expanded", () => {
    expect(errorOf(line(0, "invoke", "write", "1e1000"))).toEqual({ line: 1, problem: "the number 1e1000 has more than 1000 digits" });
    expect(errorOf(line(0, "invoke", "write", "1e999999999999"))).toEqual({ line: 1, problem: "the number 1e999999999999 has more than 1000 digits" });
  });

  test("a process number must be exact too", () => {
    expect(errorOf(line(9007199254740993, "invoke", "read", "null").replace("9007199254740992", "9007199254740993"))).toEqual({ line: 1, problem: '"process" must be a non-negative integer below 2^53, got 9007199254740993' });
  });
});

describe("values are bounded and unambiguous", () => {
  test("a value nested 3,000 deep is refused at its line, without overflowing the stack", () => {
    const deep = `${"[".repeat(3_000)}${"]".repeat(3_000)}`;
    expect(errorOf(`${line(0, "invoke", "write", "1")}\n${line(1, "invoke", "write", deep)}`)).toEqual({ line: 2, problem: "arrays and objects nested more than 100 deep" });
    expect(errorOf(line(0, "invoke", "write", `${'{"a":'.repeat(3_000)}1${"}".repeat(3_000)}`))).toEqual({ line: 1, problem: "arrays and objects nested more than 100 deep" });
  });

  test("a field twice in an object is refused, not silently the last one", () => {
    expect(errorOf(line(0, "invoke", "write", '{"a": 1, "a": 2}'))).toEqual({ line: 1, problem: 'malformed JSON (the field "a" twice in one object at column 79)' });
    expect(errorOf('{"process": 0, "process": 1, "type": "invoke", "f": "read", "key": null, "value": null}')).toEqual({ line: 1, problem: 'malformed JSON (the field "process" twice in one object at column 16)' });
  });

  test("JSON's own syntax errors name the column", () => {
    expect(errorOf('{"process": 0,')).toEqual({ line: 1, problem: "malformed JSON (the line ends inside an object at column 15)" });
    expect(errorOf(line(0, "invoke", "write", "01"))).toEqual({ line: 1, problem: "malformed JSON (a number has no leading zeros at column 71)" });
    expect(errorOf(line(0, "invoke", "write", "'a'"))).toEqual({ line: 1, problem: "malformed JSON (unexpected ' at column 70)" });
    expect(errorOf(line(0, "invoke", "write", '"a\tb"'))).toEqual({ line: 1, problem: "malformed JSON (a control character in a string at column 72)" });
    expect(errorOf(`${line(0, "invoke", "write", "1")} x`)).toEqual({ line: 1, problem: "malformed JSON (unexpected x after the object at column 73)" });
  });

  test("strings keep every character, escapes and surrogates included; __proto__ is a field like any other", () => {
    const events = parseJsonlHistory(line(0, "invoke", "write", String.raw`["a\"b\\c\/\b\f\n\r\t\u00e9\ud83d\ude00", {"__proto__": 1}]`), FILE);
    expect(events[0]?.value).toEqual(['a"b\\c/\b\f\n\r\t\u00e9\u{1f600}', JSON.parse('{"__proto__": 1}')]);
    expect(Object.keys((events[0]?.value as unknown[])[1] as object)).toEqual(["__proto__"]);
  });
});

describe("values and their keys", () => {
  test("JSON text reads as JSON.parse reads it, where JSON.parse is exact: safe integers and fractions (fast-check, seed 7)", () => {
    const number = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d)));
    const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.constantFrom(null, true, false), number, fc.string({ unit: "binary" }), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string({ unit: "binary", maxLength: 4 }), tie("value"), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(json, fc.constantFrom(undefined, 1), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const parsed = parseJsonValue(text);
        expect(parsed).toHaveProperty("value");
        expect(valueKey((parsed as { value: Value }).value)).toBe(valueKey(JSON.parse(text) as Value));
      }),
      { seed: 7, numRuns: 2_000 },
    );
  });

  /** Values made of the characters that every joined encoding needs: separators, brackets, quotes, NUL, and kind letters. */
  const tricky: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom<Value>(null, true, false, 0, 1, -1, 1.5, 2n ** 60n, -(2n ** 60n), "null", "1", "t", "n"),
      fc.string({ unit: fc.constantFrom(",", "s", "v", "[", "]", "{", "}", ":", '"', "\\", "\u0000", "a", "1"), maxLength: 6 }),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.string({ unit: fc.constantFrom(",", ":", '"', "a", "b"), maxLength: 3 }), tie("value"), { maxKeys: 3 }),
    ),
  })).value;

  test("two values have one key exactly when they are equal (fast-check, seed 8)", () => {
    fc.assert(
      fc.property(tricky, tricky, (a, b) => {
        expect(valueKey(a) === valueKey(b)).toBe(valueEqual(a, b));
        expect(valueKey(a)).toBe(valueKey(structuredClone(a)));
      }),
      { seed: 8, numRuns: 5_000 },
    );
  });
});

describe("reading in pieces", () => {
  const cut = (text: string, at: readonly number[]) => {
    const points = [...new Set(at.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
    const parts = points.map((p, i) => text.slice(i === 0 ? 0 : (points[i - 1] as number), p)).concat(text.slice(points.at(-1) ?? 0));
    let k = 0;
    return () => parts[k++] ?? null;
  };
  const text = `\ufeff${line(0, "invoke", "write", '"a\\n\u00e9 \\u00e9"')}\r\n\n${line(1, "invoke", "cas", "[1e400, 2]", '"k"')}\n  \n${line(0, "ok", "write", '"a\\n\u00e9 \\u00e9"')}\r\n${line(1, "info", "cas", "[1e400, 2]", '"k"')}`;

  test("cut anywhere, the text reads the same as in one piece (fast-check, seed 9)", () => {
    const { events, lines } = parseJsonlHistoryWithLines(text, FILE);
    const whole = toOperations(events, FILE, lines);
    expect(whole).toMatchObject([
      { f: "write", outcome: "ok", line: 1, input: "a\né é" },
      { f: "cas", outcome: "info", line: 3, key: "k" },
    ]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (at) => {
        expect(readJsonlOperations(cut(text, at), FILE)).toEqual(whole);
      }),
      { seed: 9, numRuns: 500 },
    );
  });

  test("a line longer than 64 Mi characters is refused; blank lines of any number are not held", () => {
    const mebi = "x".repeat(1024 * 1024);
    let k = 0;
    const long = () => (k++ === 0 ? `${line(0, "invoke", "read", "null")}\n{"process": 0, "value": "` : k < 70 ? mebi : null);
    expect(() => readJsonlOperations(long, FILE)).toThrow(new HistoryError(FILE, 2, "a line longer than 67108864 characters"));
    const blanks = " \n".repeat(512 * 1024);
    let j = 0;
    const blank = () => (j++ === 0 ? line(0, "invoke", "read", "null") : j < 70 ? blanks : j === 70 ? line(0, "ok", "read", "1") : null);
    expect(readJsonlOperations(blank, FILE)).toMatchObject([{ f: "read", output: 1, line: 1 }]);
  });
});

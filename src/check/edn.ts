/**
 * Jepsen and Knossos histories as they write them: EDN, either one vector (or
 * list) of op maps, or (Jepsen's history.edn) op maps one after another, one a
 * line. A small EDN reader turns the text into forms that remember their line;
 * the op maps then become the project's history events.
 *
 * What is kept: :process (an integer; :nemesis events are skipped, they are
 * not client operations), :type, :f, :value (absent means nil) and :key
 * (absent means null; a keyword :x, a string "x" in its quotes, an integer
 * as its digits). :time is dropped, because Knossos files are not ordered by
 * it (the file order is what counts); :index, :error and any other key are
 * ignored. Jepsen's record form #jepsen.history.Op{...} reads as its map.
 *
 * Values keep the distinctions Clojure's = makes, since a verdict rests on
 * them: nil, booleans, strings, integers (1N is 1; beyond 2^53 a bigint),
 * vectors and lists (one and the same, as in Clojure) and maps with string
 * keys are JSON's values; a keyword, a symbol, a float (1.0 is not 1), a big
 * decimal, a set (in any order), a map with other keys, and a tagged literal
 * are EdnValues with canonical keys (#inst by its instant, #uuid by its
 * digits). A read's invocation value is kept too (some Knossos files give
 * one; what a read returned is on its completion).
 */

import { canonicalDecimal, EdnValue, exactNumber, HistoryBuilder, HistoryError, LINE_CHARS_MAX, type EdnKind, type EventType, type HistoryEvent, type Operation, type TextSource, type Value } from "./history.ts";
import { valueKey } from "./models.ts";

/** Collections nested in collections: an op map holds a few levels; this bounds the reader's recursion. */
const EDN_DEPTH_MAX = 100;

const EVENT_TYPES: readonly EventType[] = ["invoke", "ok", "fail", "info"];

/** Parses a Jepsen/Knossos EDN history into events; `lines[k]` is the 1-based line of event k. */
export function parseEdnHistory(text: string, file: string): { events: HistoryEvent[]; lines: number[] } {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  readEdnEvents(onePiece(text), file, (event, line) => {
    events.push(event);
    lines.push(line);
  });
  return { events, lines };
}

/**
 * Reads an EDN history piece by piece, never as one string, pairing its
 * events into operations as they come (the events are not kept).
 */
export function readEdnOperations(source: TextSource, file: string): Operation[] {
  const builder = new HistoryBuilder(file);
  readEdnEvents(source, file, (event, line) => builder.add(event, line));
  return builder.finish();
}

/** One EDN value from text (a command-line flag's, say), read as a history's values are; or why it is not one. */
export function parseEdnValue(text: string): { readonly value: Value } | { readonly problem: string } {
  try {
    const forms: Form[] = [];
    new Reader(onePiece(text), "").forEachOp((form) => forms.push(form));
    const form = forms[0];
    if (form === undefined || forms.length > 1) return { problem: "expected one EDN value" };
    return { value: toValue(form, new ValueContext("")) };
  } catch (error) {
    if (error instanceof HistoryError) return { problem: error.problem };
    throw error;
  }
}

function readEdnEvents(source: TextSource, file: string, onEvent: (event: HistoryEvent, line: number) => void): void {
  const context = new ValueContext(file);
  new Reader(source, file).forEachOp((form) => {
    const event = eventFromForm(form, context);
    if (event !== null) onEvent(event, form.line);
  });
}

function onePiece(text: string): TextSource {
  let given = false;
  return () => {
    if (given) return null;
    given = true;
    return text;
  };
}

// ---------------------------------------------------------------------------
// Forms: what the reader produces. Every form remembers the line it starts on.

type Form =
  | { readonly kind: "nil"; readonly line: number }
  | { readonly kind: "boolean"; readonly line: number; readonly value: boolean }
  /** `text` is the decimal digits with their sign, without a trailing N: an integer may exceed a double's exact range. */
  | { readonly kind: "integer"; readonly line: number; readonly text: string }
  /** `text` without a trailing M; `decimal` when it had one (a big decimal, not a double). */
  | { readonly kind: "float"; readonly line: number; readonly text: string; readonly decimal: boolean }
  | { readonly kind: "string"; readonly line: number; readonly value: string }
  /** `name` keeps a namespace (`:a/b` is "a/b"), as Jepsen's JSON writer (Cheshire) does. */
  | { readonly kind: "keyword"; readonly line: number; readonly name: string }
  | { readonly kind: "symbol"; readonly line: number; readonly name: string }
  /** In a map, keys and values alternate: items[0] is a key, items[1] its value, and so on. */
  | { readonly kind: CollectionKind; readonly line: number; readonly items: readonly Form[] }
  | { readonly kind: "tagged"; readonly line: number; readonly tag: string; readonly value: Form };

type CollectionKind = "vector" | "list" | "set" | "map";

const CLOSER: Record<CollectionKind, string> = { vector: "]", list: ")", set: "}", map: "}" };
const OPENER: Record<CollectionKind, string> = { vector: "[", list: "(", set: "#{", map: "{" };

const CHAR_NEWLINE = 10;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" };
const INTEGER = /^[+-]?(?:0|[1-9][0-9]*)N?$/;
const FLOAT = /^[+-]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?M?$/;
/** EDN's symbol characters (letters, digits, `.*+!-_?$%&=<>/` and, after the first, `#:'`), and any non-ASCII letter. */
const SYMBOL = /^[A-Za-z.*+!\-_?$%&=<>/\u0080-\uffff][A-Za-z0-9.*+!\-_?$%&=<>/#:'\u0080-\uffff]*$/;
/** A keyword's name: symbol characters, and it may start with a digit (Clojure reads `:1`). */
const KEYWORD = /^[A-Za-z0-9.*+!\-_?$%&=<>/#'\u0080-\uffff][A-Za-z0-9.*+!\-_?$%&=<>/#:'\u0080-\uffff]*$/;

/**
 * Reads EDN text into forms, tracking the line; every problem is a
 * HistoryError naming the line. The text comes in pieces: positions are
 * absolute (from the start of the input), and the reader keeps only what
 * the form it is reading needs, dropping what lies before it when the next
 * piece comes.
 */
class Reader {
  /** The text held: the input from `base` on. */
  private text = "";
  private base = 0;
  private pos = 0;
  private line = 1;
  /** The earliest position still needed; while `free` (between ops), none is, and it follows `pos`. */
  private keep = 0;
  private free = true;
  private ended = false;
  /** Keyword names already found well formed (a history repeats a few). */
  private readonly keywords = new Set<string>();

  constructor(
    private readonly source: TextSource,
    private readonly file: string,
  ) {
    // A byte order mark is not part of the text.
    if (this.code(0) === 0xfeff) this.pos = 1;
  }

  /** Each op form, in file order: the items of one top-level vector or list, or the top-level forms themselves. */
  forEachOp(visit: (form: Form) => void): void {
    this.between(0);
    const first = this.char(this.pos);
    if (first === undefined) return;
    if (first !== "[" && first !== "(") {
      for (let c: string | undefined = first; c !== undefined; c = this.between(0)) {
        if (c === "]" || c === ")" || c === "}") throw this.error(this.line, `unbalanced ${c}: nothing is open at the top level`);
        visit(this.readForm(0));
      }
      return;
    }
    const kind: CollectionKind = first === "[" ? "vector" : "list";
    const line = this.line;
    this.pos++;
    for (;;) {
      const c = this.between(1);
      if (c === undefined) throw this.error(line, `unclosed ${OPENER[kind]}: the file ends before its ${CLOSER[kind]}`);
      if (c === CLOSER[kind]) break;
      if (c === "]" || c === ")" || c === "}") throw this.error(this.line, `unbalanced ${c}: expected ${CLOSER[kind]} to close the ${OPENER[kind]} opened on line ${line}`);
      visit(this.readForm(1));
    }
    this.pos++;
    if (this.between(0) === undefined) return;
    const second = this.readForm(0);
    throw this.error(second.line, `${describe(second)} after the top-level ${kind} that opened on line ${line}: expected one ${kind} of ops, or op maps one after another`);
  }

  /** Skips the space between ops (holding nothing, so that pieces read here are dropped); the character after it, if any. */
  private between(depth: number): string | undefined {
    this.free = true;
    this.skipSpace(depth);
    this.free = false;
    this.keep = this.pos;
    return this.char(this.pos);
  }

  /** The character code at an absolute position, reading more pieces as needed; NaN past the end. */
  private code(at: number): number {
    while (at - this.base >= this.text.length) if (!this.more()) return Number.NaN;
    return this.text.charCodeAt(at - this.base);
  }

  private char(at: number): string | undefined {
    return Number.isNaN(this.code(at)) ? undefined : this.text[at - this.base];
  }

  /** The text from `from` to `to` (absolute), which must have been read. */
  private slice(from: number, to: number): string {
    return this.text.slice(from - this.base, to - this.base);
  }

  /** The next piece: what is no longer needed is dropped first. */
  private more(): boolean {
    if (this.ended) return false;
    const piece = this.source();
    if (piece === null) {
      this.ended = true;
      return false;
    }
    if (this.free) this.keep = this.pos;
    const drop = this.keep - this.base;
    if (drop > 0) {
      this.text = this.text.slice(drop);
      this.base = this.keep;
    }
    this.text += piece;
    if (this.text.length > LINE_CHARS_MAX + piece.length) throw this.error(this.line, `an op longer than ${LINE_CHARS_MAX} characters`);
    return true;
  }

  /** Skips whitespace, commas, `;` comments and `#_` discarded forms. */
  private skipSpace(depth: number): void {
    for (;;) {
      const code = this.code(this.pos);
      if (code === CHAR_NEWLINE) {
        this.line++;
        this.pos++;
      } else if (code === 32 || code === 44 || code === 9 || code === 13 || code === 12) {
        this.pos++;
      } else if (code === 59) {
        for (let c = this.code(this.pos); !Number.isNaN(c) && c !== CHAR_NEWLINE; c = this.code(this.pos)) this.pos++;
      } else if (code === 35 && this.char(this.pos + 1) === "_") {
        const line = this.line;
        const free = this.free;
        this.free = false;
        this.keep = this.pos;
        this.pos += 2;
        this.readFormAfter("#_", line, depth);
        this.free = free;
      } else {
        return;
      }
    }
  }

  /** Reads the form that must follow a prefix such as `#_` or a tag. */
  private readFormAfter(prefix: string, line: number, depth: number): Form {
    this.skipSpace(depth);
    const c = this.char(this.pos);
    if (c === undefined || c === "]" || c === ")" || c === "}") throw this.error(line, `${prefix} with no form after it`);
    return this.readForm(depth);
  }

  /** Reads one form starting at a non-space character. */
  private readForm(depth: number): Form {
    const line = this.line;
    const c = this.char(this.pos) as string;
    switch (c) {
      case '"':
        return this.readString();
      case "[":
        return this.readCollection("vector", 1, depth);
      case "(":
        return this.readCollection("list", 1, depth);
      case "{":
        return this.readCollection("map", 1, depth);
      case "#":
        return this.readDispatch(depth);
      case "\\":
        this.code(this.pos + 1);
        throw this.error(line, `characters (${this.slice(this.pos, this.pos + 2)}) are not supported in a history: write a string`);
      case ":":
        return this.readKeyword();
      default:
        return this.readAtom();
    }
  }

  /** `[`, `(`, `{` or `#{` (`openerLength` characters) up to the matching closer. */
  private readCollection(kind: CollectionKind, openerLength: number, depth: number): Form {
    const line = this.line;
    if (depth >= EDN_DEPTH_MAX) throw this.error(line, `collections nested more than ${EDN_DEPTH_MAX} deep`);
    this.pos += openerLength;
    const items: Form[] = [];
    for (;;) {
      this.skipSpace(depth + 1);
      const c = this.char(this.pos);
      if (c === undefined) throw this.error(line, `unclosed ${OPENER[kind]}: the file ends before its ${CLOSER[kind]}`);
      if (c === CLOSER[kind]) break;
      if (c === "]" || c === ")" || c === "}") throw this.error(this.line, `unbalanced ${c}: expected ${CLOSER[kind]} to close the ${OPENER[kind]} opened on line ${line}`);
      items.push(this.readForm(depth + 1));
    }
    this.pos++;
    if (kind === "map" && items.length % 2 === 1) throw this.error(line, `a map needs a value for every key: the { opened here has ${items.length} forms`);
    return { kind, line, items };
  }

  /** `#{...}` sets and `#tag form` tagged literals (`#_` is handled as space). */
  private readDispatch(depth: number): Form {
    const line = this.line;
    const next = this.char(this.pos + 1);
    if (next === "{") return this.readCollection("set", 2, depth);
    if (next === '"') throw this.error(line, `regular expressions (#"...") are not EDN`);
    if (next === "#") throw this.error(line, `symbolic values (${this.token(this.pos)}) are not supported: a history holds finite numbers`);
    const tag = this.token(this.pos + 1);
    if (tag === "" || !SYMBOL.test(tag)) throw this.error(line, `# must be followed by {, _ or a tag symbol, got #${tag === "" ? (next ?? "") : tag}`);
    this.pos += 1 + tag.length;
    if (depth >= EDN_DEPTH_MAX) throw this.error(line, `collections nested more than ${EDN_DEPTH_MAX} deep`);
    return { kind: "tagged", line, tag, value: this.readFormAfter(`#${tag}`, line, depth + 1) };
  }

  private readKeyword(): Form {
    const line = this.line;
    const name = this.token(this.pos + 1);
    if (!this.keywords.has(name)) {
      if (name === "") throw this.error(line, "a lone : is not a keyword: a keyword needs a name");
      if (name.startsWith(":")) throw this.error(line, `auto-resolved keywords (:${name}) are not EDN`);
      if (!KEYWORD.test(name)) throw this.error(line, `malformed keyword :${name}`);
      if (this.keywords.size < 10_000) this.keywords.add(name);
    }
    this.pos += 1 + name.length;
    return { kind: "keyword", line, name };
  }

  /** Numbers and symbols (nil, true and false among them). */
  private readAtom(): Form {
    const line = this.line;
    const token = this.token(this.pos);
    if (token === "") throw this.error(line, `unexpected character ${this.char(this.pos) ?? ""}`);
    this.pos += token.length;
    if (/^[+-]?[0-9]/.test(token)) {
      if (INTEGER.test(token)) return { kind: "integer", line, text: token.endsWith("N") ? token.slice(0, -1) : token };
      if (FLOAT.test(token)) return token.endsWith("M") ? { kind: "float", line, text: token.slice(0, -1), decimal: true } : { kind: "float", line, text: token, decimal: false };
      throw this.error(line, `malformed number ${token}`);
    }
    if (token === "nil") return { kind: "nil", line };
    if (token === "true" || token === "false") return { kind: "boolean", line, value: token === "true" };
    if (!SYMBOL.test(token)) throw this.error(line, `unexpected character in ${token}: symbols hold letters, digits and .*+!-_?$%&=<>/`);
    return { kind: "symbol", line, name: token };
  }

  /** A string with EDN's escapes; it may span lines. */
  private readString(): Form {
    const line = this.line;
    let value = "";
    let start = ++this.pos;
    for (;;) {
      const code = this.code(this.pos);
      if (Number.isNaN(code)) throw this.error(line, `unterminated string: the file ends before its closing "`);
      if (code === 34) break;
      if (code === CHAR_NEWLINE) this.line++;
      if (code === 92) {
        value += this.slice(start, this.pos) + this.readEscape();
        start = this.pos;
      } else {
        this.pos++;
      }
    }
    value += this.slice(start, this.pos);
    this.pos++;
    return { kind: "string", line, value };
  }

  /** The escape at `pos` (a backslash and what follows); moves past it. */
  private readEscape(): string {
    const c = this.char(this.pos + 1);
    const simple = c === undefined ? undefined : ESCAPES[c];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    if (c === "u") {
      this.code(this.pos + 5);
      const hex = this.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw this.error(this.line, `malformed escape \\u${hex} in a string: expected four hex digits`);
      this.pos += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    if (c === undefined) throw this.error(this.line, `unterminated string: the file ends in an escape`);
    throw this.error(this.line, `unknown escape \\${c} in a string`);
  }

  /** The run of token characters starting at `from` (up to whitespace, a comma, a bracket, a quote, `;` or `\\`). */
  private token(from: number): string {
    let end = from;
    for (let c = this.code(end); !Number.isNaN(c) && !isDelimiter(c); c = this.code(end)) end++;
    return this.slice(from, end);
  }

  private error(line: number, problem: string): HistoryError {
    return new HistoryError(this.file, line, problem);
  }
}

function isDelimiter(code: number): boolean {
  switch (code) {
    case 32: // space
    case 9: // tab
    case 10: // \n
    case 13: // \r
    case 12: // \f
    case 44: // ,
    case 34: // "
    case 59: // ;
    case 92: // \
    case 40: // (
    case 41: // )
    case 91: // [
    case 93: // ]
    case 123: // {
    case 125: // }
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// From forms to events.

/** One op map as an event, or null for a nemesis event (not a client operation). */
function eventFromForm(form: Form, context: ValueContext): HistoryEvent | null {
  const file = context.file;
  // Jepsen's own history.edn prints each op as a record: #jepsen.history.Op{...}.
  const map = form.kind === "tagged" && form.value.kind === "map" ? form.value : form;
  if (map.kind !== "map") throw new HistoryError(file, form.line, `expected a map with :process, :type, :f, got ${describe(form)}`);
  const fields = opFields(map.items, file);
  const required = (name: string): Form => {
    const value = fields.get(name);
    if (value === undefined) throw new HistoryError(file, map.line, `missing :${name}: expected a map with :process, :type, :f`);
    return value;
  };
  const process = processOf(required("process"), file);
  if (process === null) return null;
  const type = required("type");
  if (type.kind !== "keyword" || !EVENT_TYPES.includes(type.name as EventType)) throw new HistoryError(file, type.line, `unknown :type ${show(type)}: expected :invoke, :ok, :fail or :info`);
  const f = required("f");
  if (f.kind !== "keyword") throw new HistoryError(file, f.line, `:f must be a keyword such as :read, got ${show(f)}`);
  const value = fields.get("value");
  return { process, type: type.name as EventType, f: f.name, key: keyOf(fields.get("key"), file), value: value === undefined ? null : toValue(value, context) };
}

/** The op map's keyword-keyed entries by name; other keys are ignored, a repeated keyword is an error. */
function opFields(items: readonly Form[], file: string): Map<string, Form> {
  const fields = new Map<string, Form>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i] as Form;
    if (key.kind !== "keyword") continue;
    if (fields.has(key.name)) throw new HistoryError(file, key.line, `duplicate key :${key.name} in an op map`);
    fields.set(key.name, items[i + 1] as Form);
  }
  return fields;
}

/** A client process's number, or null for :nemesis. */
function processOf(form: Form, file: string): number | null {
  if (form.kind === "keyword" && form.name === "nemesis") return null;
  if (form.kind === "integer" && !form.text.startsWith("-")) {
    const process = exactNumber(form.text.replace(/^\+/, ""));
    if (typeof process === "number") return process;
  }
  throw new HistoryError(file, form.line, `:process must be a non-negative integer or :nemesis, got ${show(form)}`);
}

/**
 * A :key as the text that names its part of the history: a keyword as :x, a
 * string in quotes ("x"), an integer as its digits. Keys of different kinds
 * never share a text, as Clojure never finds them equal.
 */
function keyOf(form: Form | undefined, file: string): string | null {
  if (form === undefined || form.kind === "nil") return null;
  if (form.kind === "keyword") return `:${form.name}`;
  if (form.kind === "string") return JSON.stringify(form.value);
  if (form.kind === "integer") return String(integerOf(form, file));
  throw new HistoryError(file, form.line, `:key must be a keyword, a string, an integer or nil, got ${show(form)}`);
}

/**
 * A value, kept as exactly as Clojure's = tells values apart: nil, booleans,
 * strings, integers (number or bigint), and vectors and lists (arrays: equal
 * when their items are) are JSON's; a map whose keys are all strings is an
 * object; everything else is an EdnValue with a canonical key. The reader
 * bounds the nesting, and so this recursion.
 */
function toValue(form: Form, context: ValueContext): Value {
  switch (form.kind) {
    case "nil":
      return null;
    case "boolean":
      return form.value;
    case "integer":
      return integerOf(form, context.file);
    case "float":
      return form.decimal ? decimalOf(form, context.file) : floatOf(form, context.file);
    case "string":
      return form.value;
    case "keyword":
      return context.atom("keyword", `:${JSON.stringify(form.name)}`, `:${form.name}`);
    case "symbol":
      return context.atom("symbol", `'${JSON.stringify(form.name)}`, form.name);
    case "vector":
    case "list":
      return form.items.map((item) => toValue(item, context));
    case "set":
      return setOf(form, context);
    case "map":
      return mapOf(form, context);
    case "tagged":
      return taggedOf(form, context);
    default: {
      const never: never = form;
      return never;
    }
  }
}

/** What converting values needs: the file (for errors), and one instance per keyword and symbol. */
class ValueContext {
  private readonly atoms = new Map<string, EdnValue>();

  constructor(readonly file: string) {}

  atom(kind: EdnKind, key: string, text: string): EdnValue {
    let atom = this.atoms.get(key);
    if (atom === undefined) {
      atom = new EdnValue(kind, key, text);
      if (this.atoms.size < 100_000) this.atoms.set(key, atom);
    }
    return atom;
  }
}

function integerOf(form: Form & { kind: "integer" }, file: string): number | bigint {
  const value = exactNumber(form.text.replace(/^\+/, ""));
  if (typeof value === "string") throw new HistoryError(file, form.line, value);
  return value;
}

/** A float: the double Clojure reads it as (so 0.1 and 0.10000000000000001 are one value, and -0.0 is 0.0). */
function floatOf(form: Form & { kind: "float" }, file: string): EdnValue {
  const value = Number(form.text);
  if (!Number.isFinite(value)) throw new HistoryError(file, form.line, `number ${form.text} is out of range`);
  const text = Object.is(value, -0) ? "0" : String(value);
  return new EdnValue("float", `~${text}`, form.text);
}

/** A big decimal (1.50M): by its value, whatever its scale, as Clojure compares them (1.5M is 1.50M). */
function decimalOf(form: Form & { kind: "float" }, file: string): EdnValue {
  const decimal = canonicalDecimal(form.text.replace(/^\+/, ""));
  if (decimal === null || decimal.exponent < -1_000_000) throw new HistoryError(file, form.line, `number ${form.text}M is out of range`);
  const { negative, digits, exponent } = decimal;
  return new EdnValue("decimal", digits === "" ? "M0" : `M${negative ? "-" : ""}${digits}e${exponent}`, `${form.text}M`);
}

/** A set: its items' keys in order (a total order on text), so that the order it was written in does not matter. */
function setOf(form: { readonly items: readonly Form[] }, context: ValueContext): EdnValue {
  const items = form.items.map((item) => ({ form: item, value: toValue(item, context) })).map((item) => ({ ...item, key: valueKey(item.value) }));
  items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as (typeof items)[number];
    if (item.key === (items[i - 1] as (typeof items)[number]).key) throw new HistoryError(context.file, item.form.line, `duplicate item ${show(item.form)} in a set`);
  }
  return new EdnValue("set", `#{${items.map((i) => i.key).join(",")}}`, `#{${items.map((i) => ednText(i.value)).join(" ")}}`);
}

/** A map: a JSON object when every key is a string; otherwise by its entries, sorted by key, so that {:a 1} is not {"a" 1}. */
function mapOf(form: { readonly items: readonly Form[] }, context: ValueContext): Value {
  const items = form.items;
  const allStrings = items.every((item, i) => i % 2 === 1 || item.kind === "string");
  const entries: { key: Value; keyText: string; value: Value; form: Form }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    const keyForm = items[i] as Form;
    const key = toValue(keyForm, context);
    const keyText = valueKey(key);
    if (seen.has(keyText)) throw new HistoryError(context.file, keyForm.line, `duplicate key ${show(keyForm)} in a map`);
    seen.add(keyText);
    entries.push({ key, keyText, value: toValue(items[i + 1] as Form, context), form: keyForm });
  }
  // fromEntries defines own properties, so a "__proto__" key stays data.
  if (allStrings) return Object.fromEntries(entries.map((e) => [e.key as string, e.value]));
  entries.sort((a, b) => (a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0));
  return new EdnValue("map", `m{${entries.map((e) => `${e.keyText}=${valueKey(e.value)}`).join(",")}}`, `{${entries.map((e) => `${ednText(e.key)} ${ednText(e.value)}`).join(", ")}}`);
}

/** #inst is an instant and #uuid an identifier, as Clojure's own readers take them; any other tag is kept with its value. */
function taggedOf(form: Form & { kind: "tagged" }, context: ValueContext): EdnValue {
  const inner = form.value;
  if (form.tag === "inst") {
    const ms = inner.kind === "string" ? instantMs(inner.value) : null;
    if (ms === null) throw new HistoryError(context.file, form.line, `malformed #inst ${show(inner)}: expected a timestamp such as "2015-03-01T12:00:00.000-00:00"`);
    return new EdnValue("tagged", `#"inst"${ms}`, `#inst ${print(inner, 0)}`);
  }
  if (form.tag === "uuid") {
    if (inner.kind !== "string" || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(inner.value)) {
      throw new HistoryError(context.file, form.line, `malformed #uuid ${show(inner)}: expected 8-4-4-4-12 hex digits in quotes`);
    }
    return new EdnValue("tagged", `#"uuid"${JSON.stringify(inner.value.toLowerCase())}`, `#uuid ${print(inner, 0)}`);
  }
  const value = toValue(inner, context);
  return new EdnValue("tagged", `#${JSON.stringify(form.tag)}${valueKey(value)}`, `#${form.tag} ${ednText(value)}`);
}

/**
 * An #inst timestamp as milliseconds since 1970 (UTC), as Clojure's reader
 * takes it (a java.util.Date: digits beyond the millisecond are dropped), or
 * null when it is not one. Computed with integers: no host date functions.
 */
function instantMs(text: string): number | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?)?)?(?:[Zz]|([-+])(\d{2}):(\d{2}))?$/.exec(text);
  if (m === null) return null;
  const n = (i: number, fallback: number) => (m[i] === undefined ? fallback : Number(m[i]));
  const [year, month, day, hour, minute, second] = [n(1, 0), n(2, 1), n(3, 1), n(4, 0), n(5, 0), n(6, 0)];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  const offsetMinutes = m[8] === undefined ? 0 : (m[8] === "-" ? -1 : 1) * (n(9, 0) * 60 + n(10, 0));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 60 || n(9, 0) > 23 || n(10, 0) > 59) return null;
  return (daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offsetMinutes * 60) * 1_000 + ms;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** A value as EDN text, for a person. */
function ednText(value: Value): string {
  if (value === null) return "nil";
  if (value instanceof EdnValue) return value.text;
  if (Array.isArray(value)) return `[${value.map(ednText).join(" ")}]`;
  if (typeof value === "object") {
    const o = value as { readonly [key: string]: Value };
    return `{${Object.keys(o)
      .map((k) => `${JSON.stringify(k)} ${ednText(o[k] as Value)}`)
      .join(", ")}}`;
  }
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** What a form is, for messages: "a vector", "the keyword :foo". */
function describe(form: Form): string {
  switch (form.kind) {
    case "vector":
    case "list":
    case "set":
    case "map":
      return `a ${form.kind}`;
    case "tagged":
      return `a tagged #${form.tag} value`;
    case "nil":
      return "nil";
    case "integer":
      return `the integer ${show(form)}`;
    default:
      return `the ${form.kind} ${show(form)}`;
  }
}

/** A form printed back as EDN, shortened for a message. */
function show(form: Form): string {
  const text = print(form, 0);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function print(form: Form, depth: number): string {
  if (depth > 3) return "...";
  switch (form.kind) {
    case "nil":
      return "nil";
    case "boolean":
      return String(form.value);
    case "integer":
      return form.text;
    case "float":
      return form.decimal ? `${form.text}M` : form.text;
    case "string":
      return JSON.stringify(form.value);
    case "keyword":
      return `:${form.name}`;
    case "symbol":
      return form.name;
    case "vector":
    case "list":
    case "set":
    case "map":
      return `${OPENER[form.kind]}${form.items.map((item) => print(item, depth + 1)).join(" ")}${CLOSER[form.kind]}`;
    case "tagged":
      return `#${form.tag} ${print(form.value, depth + 1)}`;
    default: {
      const never: never = form;
      return never;
    }
  }
}

/**
 * Jepsen and Knossos histories as they write them: EDN, either one vector (or
 * list) of op maps, or (Jepsen's history.edn) op maps one after another, one a
 * line. A small EDN reader turns the text into forms that remember their line;
 * the op maps then become the project's history events.
 *
 * What is kept: :process (an integer; :nemesis events are skipped, they are
 * not client operations), :type, :f, :value (absent means nil) and :key
 * (absent means null). :time is dropped, because Knossos files are not
 * ordered by it (the file order is what counts); :index, :error and any other
 * key are ignored. Values become JSON: keywords and symbols their names,
 * vectors, lists and sets arrays, maps objects, tagged literals (#inst "...",
 * #uuid "...") their value. Values are kept as written, a read's invocation
 * value too (some Knossos files give one; what a read returned is on its
 * completion), and Jepsen's record form #jepsen.history.Op{...} reads as its map.
 */

import { HistoryError, type EventType, type HistoryEvent, type Json } from "./history.ts";

/** Characters an EDN history may hold: a bound against a runaway file (64 Mi, about 600k ops). */
const EDN_CHARS_MAX = 64 * 1024 * 1024;
/** Collections nested in collections: an op map holds a few levels; this bounds the reader's recursion. */
const EDN_DEPTH_MAX = 100;

const EVENT_TYPES: readonly EventType[] = ["invoke", "ok", "fail", "info"];

/** Parses a Jepsen/Knossos EDN history into events; `lines[k]` is the 1-based line of event k. */
export function parseEdnHistory(text: string, file: string): { events: HistoryEvent[]; lines: number[] } {
  if (text.length > EDN_CHARS_MAX) throw new HistoryError(file, 0, `the input has ${text.length} characters, more than the limit of ${EDN_CHARS_MAX}`);
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  for (const form of opForms(new Reader(text, file).readAll(), file)) {
    const event = eventFromForm(form, file);
    if (event === null) continue;
    events.push(event);
    lines.push(form.line);
  }
  return { events, lines };
}

// ---------------------------------------------------------------------------
// Forms: what the reader produces. Every form remembers the line it starts on.

type Form =
  | { readonly kind: "nil"; readonly line: number }
  | { readonly kind: "boolean"; readonly line: number; readonly value: boolean }
  /** `text` is the decimal digits with their sign, without a trailing N: an integer may exceed a double's exact range. */
  | { readonly kind: "integer"; readonly line: number; readonly text: string }
  | { readonly kind: "float"; readonly line: number; readonly text: string }
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

/** Reads EDN text into forms, tracking the line; every problem is a HistoryError naming the line. */
class Reader {
  private pos = 0;
  private line = 1;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    // A byte order mark is not part of the text.
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  /** Every top-level form, in file order. */
  readAll(): Form[] {
    const forms: Form[] = [];
    for (;;) {
      this.skipSpace(0);
      if (this.pos >= this.text.length) return forms;
      const c = this.text[this.pos] as string;
      if (c === "]" || c === ")" || c === "}") throw this.error(this.line, `unbalanced ${c}: nothing is open at the top level`);
      forms.push(this.readForm(0));
    }
  }

  /** Skips whitespace, commas, `;` comments and `#_` discarded forms. */
  private skipSpace(depth: number): void {
    const text = this.text;
    while (this.pos < text.length) {
      const code = text.charCodeAt(this.pos);
      if (code === CHAR_NEWLINE) {
        this.line++;
        this.pos++;
      } else if (code === 32 || code === 44 || code === 9 || code === 13 || code === 12) {
        this.pos++;
      } else if (code === 59) {
        while (this.pos < text.length && text.charCodeAt(this.pos) !== CHAR_NEWLINE) this.pos++;
      } else if (code === 35 && text[this.pos + 1] === "_") {
        const line = this.line;
        this.pos += 2;
        this.readFormAfter("#_", line, depth);
      } else {
        return;
      }
    }
  }

  /** Reads the form that must follow a prefix such as `#_` or a tag. */
  private readFormAfter(prefix: string, line: number, depth: number): Form {
    this.skipSpace(depth);
    const c = this.text[this.pos];
    if (c === undefined || c === "]" || c === ")" || c === "}") throw this.error(line, `${prefix} with no form after it`);
    return this.readForm(depth);
  }

  /** Reads one form starting at a non-space character. */
  private readForm(depth: number): Form {
    const line = this.line;
    const c = this.text[this.pos] as string;
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
        throw this.error(line, `characters (${this.text.slice(this.pos, this.pos + 2)}) are not supported in a history: write a string`);
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
      const c = this.text[this.pos];
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
    const next = this.text[this.pos + 1];
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
    if (name === "") throw this.error(line, "a lone : is not a keyword: a keyword needs a name");
    if (name.startsWith(":")) throw this.error(line, `auto-resolved keywords (:${name}) are not EDN`);
    if (!KEYWORD.test(name)) throw this.error(line, `malformed keyword :${name}`);
    this.pos += 1 + name.length;
    return { kind: "keyword", line, name };
  }

  /** Numbers and symbols (nil, true and false among them). */
  private readAtom(): Form {
    const line = this.line;
    const token = this.token(this.pos);
    if (token === "") throw this.error(line, `unexpected character ${this.text[this.pos] ?? ""}`);
    this.pos += token.length;
    if (/^[+-]?[0-9]/.test(token)) {
      if (INTEGER.test(token)) return { kind: "integer", line, text: token.endsWith("N") ? token.slice(0, -1) : token };
      if (FLOAT.test(token)) return { kind: "float", line, text: token.endsWith("M") ? token.slice(0, -1) : token };
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
    const text = this.text;
    let value = "";
    let start = ++this.pos;
    for (;;) {
      const code = text.charCodeAt(this.pos);
      if (Number.isNaN(code)) throw this.error(line, `unterminated string: the file ends before its closing "`);
      if (code === 34) break;
      if (code === CHAR_NEWLINE) this.line++;
      if (code === 92) {
        value += text.slice(start, this.pos) + this.readEscape();
        start = this.pos;
      } else {
        this.pos++;
      }
    }
    value += text.slice(start, this.pos);
    this.pos++;
    return { kind: "string", line, value };
  }

  /** The escape at `pos` (a backslash and what follows); moves past it. */
  private readEscape(): string {
    const c = this.text[this.pos + 1];
    const simple = c === undefined ? undefined : ESCAPES[c];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    if (c === "u") {
      const hex = this.text.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw this.error(this.line, `malformed escape \\u${hex} in a string: expected four hex digits`);
      this.pos += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    if (c === undefined) throw this.error(this.line, `unterminated string: the file ends in an escape`);
    throw this.error(this.line, `unknown escape \\${c} in a string`);
  }

  /** The run of token characters starting at `from` (up to whitespace, a comma, a bracket, a quote, `;` or `\`). */
  private token(from: number): string {
    const text = this.text;
    let end = from;
    while (end < text.length && !isDelimiter(text.charCodeAt(end))) end++;
    return text.slice(from, end);
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

/** The op forms: the items of one top-level vector or list, or the top-level forms themselves. */
function opForms(forms: readonly Form[], file: string): readonly Form[] {
  const first = forms[0];
  if (first === undefined || (first.kind !== "vector" && first.kind !== "list")) return forms;
  const second = forms[1];
  if (second !== undefined) throw new HistoryError(file, second.line, `${describe(second)} after the top-level ${first.kind} that opened on line ${first.line}: expected one ${first.kind} of ops, or op maps one after another`);
  return first.items;
}

/** One op map as an event, or null for a nemesis event (not a client operation). */
function eventFromForm(form: Form, file: string): HistoryEvent | null {
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
  return { process, type: type.name as EventType, f: f.name, key: keyOf(fields.get("key"), file), value: value === undefined ? null : toJson(value, file) };
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
    const process = Number(form.text);
    if (Number.isSafeInteger(process)) return process;
  }
  throw new HistoryError(file, form.line, `:process must be a non-negative integer or :nemesis, got ${show(form)}`);
}

function keyOf(form: Form | undefined, file: string): string | null {
  if (form === undefined || form.kind === "nil") return null;
  if (form.kind === "keyword") return form.name;
  if (form.kind === "string") return form.value;
  if (form.kind === "integer") return form.text.startsWith("+") ? form.text.slice(1) : form.text;
  throw new HistoryError(file, form.line, `:key must be a keyword, a string, an integer or nil, got ${show(form)}`);
}

/** A value as JSON. The reader bounds the nesting, and so this recursion. */
function toJson(form: Form, file: string): Json {
  switch (form.kind) {
    case "nil":
      return null;
    case "boolean":
      return form.value;
    case "integer": {
      const value = Number(form.text);
      if (!Number.isSafeInteger(value)) throw new HistoryError(file, form.line, `integer ${form.text} does not fit a JSON number exactly (beyond 2^53)`);
      return value;
    }
    case "float": {
      const value = Number(form.text);
      if (!Number.isFinite(value)) throw new HistoryError(file, form.line, `number ${form.text} is out of range`);
      return value;
    }
    case "string":
      return form.value;
    case "keyword":
    case "symbol":
      return form.name;
    case "vector":
    case "list":
    case "set":
      return form.items.map((item) => toJson(item, file));
    case "map":
      return objectOf(form.items, file);
    case "tagged":
      return toJson(form.value, file);
    default: {
      const never: never = form;
      return never;
    }
  }
}

/** A map as a JSON object; its keys must name distinct strings. */
function objectOf(items: readonly Form[], file: string): Json {
  const entries: [string, Json][] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i] as Form;
    let name: string;
    if (key.kind === "keyword" || key.kind === "symbol") name = key.name;
    else if (key.kind === "string") name = key.value;
    else if (key.kind === "integer" || key.kind === "boolean" || key.kind === "nil") name = String(toJson(key, file));
    else throw new HistoryError(file, key.line, `a map key must be a keyword, a string or a number to become JSON, got ${describe(key)}`);
    if (seen.has(name)) throw new HistoryError(file, key.line, `duplicate key ${show(key)} in a map`);
    seen.add(name);
    entries.push([name, toJson(items[i + 1] as Form, file)]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(entries);
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
    case "float":
      return form.text;
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

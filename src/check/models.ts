import { EdnValue, type Operation, type Value } from "./history.ts";

/**
 * A sequential specification: the state an object starts in, and what one
 * operation does to it. `step` returns the new state, or undefined when the
 * operation could not have returned what it returned in this state.
 * Operations whose outcome is unknown (`info`) have no output: a model lets
 * them take effect as they would if they succeeded (the search itself
 * considers that they never happened).
 *
 * States are plain values, compared through `key` (a string that is equal
 * exactly when the states are: `valueKey` for the models here).
 */
export interface Model<State = Value> {
  readonly name: ModelName;
  init(key: string | null): State;
  step(state: State, op: Operation): State | undefined;
  /** The same as `step` for one operation, prepared once (the search calls it millions of times). */
  compile?(op: Operation): (state: State) => State | undefined;
  key(state: State): string;
  /** Splits a history into independent parts (by key); undefined: one part. */
  readonly partitionByKey: boolean;
  /** What a person reads for the operation in a counterexample. */
  describe(op: Operation): string;
}

export type ModelName = "register" | "cas-register" | "kv" | "kv-append" | "znode";
export const MODEL_NAMES: readonly ModelName[] = ["register", "cas-register", "kv", "kv-append", "znode"];

export interface ModelOptions {
  /** The value every register or key starts with (null for registers, "" for kv in the shared histories). */
  readonly initialValue?: Value;
}

/** Equality of values: structural, the key order of objects ignored. */
export function valueEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return typeof a === "bigint" || typeof b === "bigint" ? integersEqual(a, b) : false;
  if (a instanceof EdnValue || b instanceof EdnValue) return a instanceof EdnValue && b instanceof EdnValue && a.key === b.key;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bArray = b as readonly Value[];
    if (a.length !== bArray.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEqual(a[i] as Value, bArray[i] as Value)) return false;
    return true;
  }
  const ao = a as { readonly [key: string]: Value };
  const bo = b as { readonly [key: string]: Value };
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) if (!Object.hasOwn(bo, k) || !valueEqual(ao[k] as Value, bo[k] as Value)) return false;
  return true;
}

/** A bigint and a number are equal when the number is that integer (histories never hold such a pair: an integer is a number exactly when it is safe). */
function integersEqual(a: Value, b: Value): boolean {
  const [big, other] = typeof a === "bigint" ? [a, b] : [b as bigint, a];
  return typeof other === "number" && Number.isInteger(other) && BigInt(other) === big;
}

/**
 * A canonical text for a value: two values have the same text exactly when
 * they are equal. Every kind of value has its own first character, and
 * every text ends where the grammar says, so that no concatenation of texts
 * is ambiguous: null, true and false are n, t and f; a number is its
 * shortest decimal (an integer in full digits, a bigint too); a string is
 * its JSON literal (quoted and escaped); arrays and objects are bracketed,
 * an object's fields sorted by name. An EDN value brings its own key, which
 * starts with one of : ' ~ M # m (see edn.ts).
 */
export function valueKey(value: Value): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return numberKey(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "t" : "f";
    default:
      break;
  }
  if (value === null) return "n";
  if (value instanceof EdnValue) return value.key;
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i++) text += (i === 0 ? "" : ",") + valueKey(value[i] as Value);
    return `${text}]`;
  }
  const o = value as { readonly [key: string]: Value };
  const names = Object.keys(o).sort();
  let text = "{";
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    text += `${i === 0 ? "" : ","}${JSON.stringify(name)}:${valueKey(o[name] as Value)}`;
  }
  return `${text}}`;
}

/** A number's canonical text: -0 is 0, and an integer too large for exact doubles is written in full, not as 1e+21. */
function numberKey(value: number): string {
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return BigInt(value).toString();
  return String(value);
}

/** A value as a person reads it: JSON, with big integers in full, and an EDN value as EDN. */
export function showValue(value: Value): string {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return JSON.stringify(value);
  }
  if (value === null) return "null";
  if (value instanceof EdnValue) return value.text;
  if (Array.isArray(value)) return `[${value.map((item: Value) => showValue(item)).join(",")}]`;
  const o = value as { readonly [key: string]: Value };
  return `{${Object.keys(o)
    .map((k) => `${JSON.stringify(k)}:${showValue(o[k] as Value)}`)
    .join(",")}}`;
}

/** Whether === decides equality with this value: a primitive in its one canonical form. */
function comparesByIdentity(value: Value): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "bigint":
      return true;
    case "number":
      return Number.isSafeInteger(value) || !Number.isInteger(value);
    default:
      return false;
  }
}

function show(value: Value): string {
  return showValue(value);
}

function describeRegisterOp(op: Operation): string {
  const who = `p${op.process}`;
  const unknown = op.outcome === "info" ? " (outcome unknown)" : "";
  switch (op.f) {
    case "read":
      return `${who} read${op.outcome === "ok" ? ` → ${show(op.output)}` : ""}${unknown}`;
    case "write":
      return `${who} write ${show(op.input)}${unknown}`;
    case "cas": {
      const [expected, next] = Array.isArray(op.input) ? (op.input as readonly Value[]) : [null, null];
      return `${who} cas ${show(expected ?? null)} → ${show(next ?? null)}${unknown}`;
    }
    case "append":
      return `${who} append ${show(op.input)}${unknown}`;
    default:
      return `${who} ${op.f} ${show(op.input)}${op.outcome === "ok" ? ` → ${show(op.output)}` : ""}${unknown}`;
  }
}

/** read / write / cas on one register (per key for kv). A failed op is dropped before the search. */
function registerModel(name: ModelName, withCas: boolean, partitionByKey: boolean, initialValue: Value): Model {
  return {
    name,
    partitionByKey,
    init: () => initialValue,
    key: valueKey,
    describe: describeRegisterOp,
    // The search calls an operation's step millions of times: it is prepared once per operation.
    compile: (op) => compileRegisterStep(op, withCas),
    step: (state, op) => compileRegisterStep(op, withCas)(state),
  };
}

/** One register operation's step, prepared once: read, write, and (with `withCas`) cas. */
function compileRegisterStep(op: Operation, withCas: boolean): (state: Value) => Value | undefined {
  const unknown = op.outcome === "info";
  switch (op.f) {
    case "read": {
      if (unknown) return (state) => state;
      const output = op.output;
      if (comparesByIdentity(output)) return (state) => (state === output ? state : undefined);
      return (state) => (valueEqual(output, state) ? state : undefined);
    }
    case "write": {
      const value = op.input;
      return () => value;
    }
    case "cas": {
      const pair = op.input;
      if (!withCas || !Array.isArray(pair) || pair.length !== 2) return () => undefined;
      const [expected, next] = pair as unknown as readonly [Value, Value];
      if (comparesByIdentity(expected)) return (state) => (state === expected ? next : unknown ? state : undefined);
      return (state) => (valueEqual(state, expected) ? next : unknown ? state : undefined);
    }
    default:
      return () => undefined;
  }
}

/** A key whose value is a string that `append` extends; `read` returns the whole string. */
function appendModel(initialValue: Value): Model {
  return {
    name: "kv-append",
    partitionByKey: true,
    init: () => initialValue,
    key: valueKey,
    describe: describeRegisterOp,
    step(state, op) {
      switch (op.f) {
        case "read":
          return op.outcome === "info" || valueEqual(op.output, state) ? state : undefined;
        case "append":
          return typeof state === "string" && typeof op.input === "string" ? state + op.input : undefined;
        case "write":
          return op.input;
        default:
          return undefined;
      }
    },
  };
}

/**
 * One znode (per path): absent, or present with data and a version.
 * Operations, as histories record them (key = the path):
 * - create: value = data; ok means it was created (fail: it existed).
 * - setData: value = [data, expectedVersion] (-1 = any); ok output = the new version.
 * - delete: value = expectedVersion (-1 = any).
 * - getData: ok output = [data, version], or null when the node is absent.
 * - exists: ok output = version, or null when absent.
 * A failed op (NodeExists, NoNode, BadVersion) is a `fail` and constrains nothing.
 */
function znodeModel(): Model {
  type Node = readonly [Value, number] | null;
  return {
    name: "znode",
    partitionByKey: true,
    init: () => null,
    key: valueKey,
    describe(op) {
      const who = `p${op.process}`;
      const unknown = op.outcome === "info" ? " (outcome unknown)" : "";
      const out = op.outcome === "ok" ? ` → ${show(op.output)}` : "";
      return `${who} ${op.f} ${op.key ?? ""}${op.input === null ? "" : ` ${show(op.input)}`}${out}${unknown}`;
    },
    step(state, op) {
      const next = znodeStep(state as Node, op);
      // An operation with an unknown outcome may also have failed (NoNode, NodeExists, BadVersion): no effect.
      return next === undefined && op.outcome === "info" ? state : next;
    },
  };

  function znodeStep(node: Node, op: Operation): Value | undefined {
    const state = node as Value;
    {
      switch (op.f) {
        case "create":
          return node === null ? ([op.input, 0] as const) : undefined;
        case "setData": {
          if (node === null || !Array.isArray(op.input)) return undefined;
          const [data, expected] = op.input as unknown as readonly [Value, number];
          if (expected !== -1 && expected !== node[1]) return undefined;
          const next = [data, node[1] + 1] as const;
          return op.outcome === "info" || op.output === next[1] ? next : undefined;
        }
        case "delete": {
          if (node === null) return undefined;
          const expected = op.input as number;
          return expected === -1 || expected === node[1] ? null : undefined;
        }
        case "getData":
          if (op.outcome === "info") return state;
          return valueEqual(op.output, node === null ? null : [node[0], node[1]]) ? state : undefined;
        case "exists":
          if (op.outcome === "info") return state;
          return valueEqual(op.output, node === null ? null : node[1]) ? state : undefined;
        default:
          return undefined;
      }
    }
  }
}

/** The operations each model knows, and what an invocation's value must look like. */
const MODEL_OPERATIONS: Readonly<Record<ModelName, Readonly<Record<string, (input: Value) => string | null>>>> = {
  register: { read: () => null, write: () => null },
  "cas-register": { read: () => null, write: () => null, cas: casPair },
  kv: { read: () => null, write: () => null, cas: casPair },
  "kv-append": { read: () => null, write: () => null, append: (v) => (typeof v === "string" ? null : "an append carries a string") },
  znode: {
    create: () => null,
    setData: (v) => (Array.isArray(v) && v.length === 2 && typeof v[1] === "number" ? null : "a setData carries [data, expectedVersion]"),
    delete: (v) => (typeof v === "number" ? null : "a delete carries the expected version (-1 for any)"),
    getData: () => null,
    exists: () => null,
  },
};

function casPair(v: Value): string | null {
  return Array.isArray(v) && v.length === 2 ? null : "a cas carries [expected, new]";
}

/**
 * Why an operation does not fit the model (an unknown `f`, a malformed
 * value), or null when it fits. A checker must not read a malformed
 * operation as merely impossible: that would turn a bad file into a
 * "not linearizable" verdict.
 */
export function operationProblem(model: ModelName, f: string, input: Value): string | null {
  const known = MODEL_OPERATIONS[model];
  const check = known[f];
  if (check === undefined) return `"${f}" is not an operation of the ${model} model (${Object.keys(known).join(", ")})`;
  return check(input);
}

export function makeModel(name: ModelName, options: ModelOptions = {}): Model {
  switch (name) {
    case "register":
      return registerModel(name, false, false, options.initialValue ?? null);
    case "cas-register":
      return registerModel(name, true, false, options.initialValue ?? null);
    case "kv":
      return registerModel(name, true, true, options.initialValue ?? null);
    case "kv-append":
      return appendModel(options.initialValue ?? "");
    case "znode":
      return znodeModel();
    default: {
      const unknown: never = name;
      throw new Error(`unknown model ${String(unknown)}`);
    }
  }
}

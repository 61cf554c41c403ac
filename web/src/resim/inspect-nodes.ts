import type { NodeStatus, Simulation } from "../../../src/sim/index.ts";

/**
 * What the inspector shows of each node at an instant of a re-run: what the
 * engine says about it (status, incarnation, its clock, its durable storage)
 * and, when the node offers one, its own `inspect()` as plain data. Nothing
 * here reads a node's private fields.
 */
export interface NodeInspection {
  readonly id: string;
  readonly status: NodeStatus;
  readonly incarnation: number;
  readonly clockUs: number;
  /** Whether the node has an inspect() method (false: the engine's view only). */
  readonly inspectable: boolean;
  /** What inspect() returned, as plain data; null when the node has none or is crashed. */
  readonly state: unknown;
  /** Durable storage: how many keys, and the first and last of them with their values. */
  readonly durable: { readonly keys: number; readonly shown: Readonly<Record<string, unknown>> };
}

export interface Inspection {
  readonly nowUs: number;
  readonly nodes: readonly NodeInspection[];
}

/** Durable keys shown per node, the first and the last (a Paxos log may hold thousands). */
const DURABLE_SHOWN_EACH_END = 20;
/** Values kept per inspection: past this, a branch is cut and says how much was left out. */
const PLAIN_VALUES_MAX = 50_000;

export function inspectNodes(sim: Simulation<unknown>): Inspection {
  const nodes: NodeInspection[] = [];
  for (const id of sim.nodeIds) {
    const status = sim.status(id);
    const node = sim.nodeObject(id);
    const inspect = typeof node === "object" && node !== null ? (node as { inspect?: unknown }).inspect : undefined;
    const inspectable = typeof inspect === "function";
    let state: unknown = null;
    if (inspectable && status !== "crashed") {
      try {
        state = plainData((inspect as (this: unknown) => unknown).call(node), { left: PLAIN_VALUES_MAX });
      } catch (error) {
        state = { "inspect() failed": error instanceof Error ? error.message : String(error) };
      }
    }
    const entries = sim.durableStorage(id);
    const shown: Record<string, unknown> = {};
    const budget = { left: PLAIN_VALUES_MAX / 10 };
    const cut = entries.length > 2 * DURABLE_SHOWN_EACH_END;
    const first = cut ? entries.slice(0, DURABLE_SHOWN_EACH_END) : entries;
    for (const [key, value] of first) shown[key] = plainData(value, budget);
    if (cut) {
      shown[`… ${entries.length - 2 * DURABLE_SHOWN_EACH_END} keys between`] = null;
      for (const [key, value] of entries.slice(-DURABLE_SHOWN_EACH_END)) shown[key] = plainData(value, budget);
    }
    nodes.push({ id, status, incarnation: sim.incarnation(id), clockUs: sim.localTimeUs(id), inspectable, state, durable: { keys: entries.length, shown } });
  }
  return { nowUs: sim.nowUs, nodes };
}

/**
 * A value as plain data that survives postMessage and JSON: Maps become
 * objects, Sets arrays, big integers strings, functions disappear; past the
 * budget a branch becomes a note saying so.
 */
export function plainData(value: unknown, budget: { left: number }): unknown {
  if (budget.left <= 0) return "…";
  budget.left--;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "undefined":
      return null;
    case "function":
    case "symbol":
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => plainData(item, budget));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) out[String(key)] = plainData(item, budget);
    return out;
  }
  if (value instanceof Set) return [...value].map((item) => plainData(item, budget));
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>).slice(0, 1000);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const plain = plainData(item, budget);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

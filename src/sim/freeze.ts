import { AssertionError } from "./assert.ts";

/**
 * Deep-freezes plain data (objects, arrays, strings, numbers, booleans, null)
 * so that a node that mutates a message after sending it, or one it received,
 * fails at once with a TypeError at the line that did it (ES modules are
 * strict). Anything that is not plain data is a bug: messages and stored
 * values must survive JSON, since the trace records them.
 *
 * An object that is already frozen is taken as deep-frozen (we froze it when it
 * was first sent), which keeps re-sending a large value cheap.
 */
export function freezePlainData(value: unknown, what: string): void {
  if (value === null) return;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new AssertionError(`${what} holds a non-finite number`, { value: String(value) });
      return;
    case "object":
      break;
    default:
      throw new AssertionError(`${what} must be plain data, found a ${typeof value}`, undefined);
  }
  if (Object.isFrozen(value)) return;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    throw new AssertionError(`${what} must be plain data (objects and arrays), found an instance of a class`, {
      constructor: (value as { constructor?: { name?: string } }).constructor?.name ?? "unknown",
    });
  }
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) freezePlainData(value[i], what);
  } else {
    for (const key in value) freezePlainData((value as Record<string, unknown>)[key], what);
  }
}

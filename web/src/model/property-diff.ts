/**
 * What changed between two inspections of a node: the paths of the values
 * that differ (added, removed or changed), and every path above one, so a
 * collapsed branch can say that something inside it changed. Paths are
 * written as in the property tree: `a.b[3].c`.
 */
export interface Changes {
  readonly changed: ReadonlySet<string>;
  readonly containsChange: ReadonlySet<string>;
}

/** Stop comparing past this many changes: a tree that changed this much is shown as changed. */
const CHANGES_MAX = 5_000;

export function changesBetween(before: unknown, after: unknown): Changes {
  const changed = new Set<string>();
  compare(before, after, "", changed);
  const containsChange = new Set<string>();
  for (const path of changed) for (const parent of parentsOf(path)) containsChange.add(parent);
  return { changed, containsChange };
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

function compare(before: unknown, after: unknown, path: string, changed: Set<string>): void {
  if (changed.size >= CHANGES_MAX) return;
  if (Object.is(before, after)) return;
  const beforeObject = typeof before === "object" && before !== null;
  const afterObject = typeof after === "object" && after !== null;
  if (!beforeObject || !afterObject || Array.isArray(before) !== Array.isArray(after)) {
    changed.add(path);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const n = Math.max(before.length, after.length);
    for (let k = 0; k < n; k++) compare(before[k], after[k], childPath(path, k), changed);
    return;
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of Object.keys(a)) compare(a[key], b[key], childPath(path, key), changed);
  for (const key of Object.keys(b)) if (!(key in a)) changed.add(childPath(path, key));
}

/** "a.b[3].c" → "", "a", "a.b", "a.b[3]". */
function parentsOf(path: string): string[] {
  const out = [""];
  const parts = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current = "";
  for (let k = 0; k < parts.length - 1; k++) {
    const part = parts[k] as string;
    current = part.startsWith("[") ? current + part : current === "" ? part : `${current}.${part}`;
    out.push(current);
  }
  return out;
}

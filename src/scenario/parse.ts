import { isNode, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { formatPath } from "../sim/index.ts";
import { scenarioSchema, type Scenario } from "./schema.ts";

/** One problem in a scenario file: where (line, field) and what was expected. */
export interface ScenarioProblem {
  readonly line: number;
  readonly path: string;
  readonly message: string;
}

/** A scenario file that cannot be used; the message lists every problem as file:line: field: message. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly problems: readonly ScenarioProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}: ${p.path === "" ? "" : `${p.path}: `}${p.message}`).join("\n"));
  }
}

/** Scenario files larger than this are refused (a bound, far above any real scenario). */
const SCENARIO_CHARS_MAX = 1_000_000;
/** How far aliases may expand (the yaml library's maxAliasCount): a guard against alias bombs. */
const ALIAS_COUNT_MAX = 100;

/** Parses and validates a scenario written in YAML. */
export function parseScenario(text: string, file: string): Scenario {
  if (text.length > SCENARIO_CHARS_MAX) throw new ScenarioError(file, [{ line: 0, path: "", message: `the file is larger than ${SCENARIO_CHARS_MAX} characters` }]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => ({ line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line, path: "", message: `YAML: ${e.message.split("\n")[0] ?? e.message}` })),
    );
  }
  const data = toData(doc, lineCounter, file);
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new ScenarioError(file, [{ line: 1, path: "", message: "expected a mapping (name:, description:, duration:, ...)" }]);
  const result = scenarioSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ScenarioError(file, result.error.issues.map((issue) => problemOf(issue, doc, lineCounter)));
}

/**
 * The document as plain data. The yaml library stops an alias bomb by throwing
 * a ReferenceError from toJS: turn that (and anything else toJS throws) into a
 * problem at the first alias, or at the top of the file.
 */
function toData(doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: ALIAS_COUNT_MAX });
  } catch (error) {
    let alias: { source: string; offset: number } | undefined;
    visit(doc, {
      Alias: (_key, node) => {
        alias = { source: node.source, offset: node.range?.[0] ?? 0 };
        return visit.BREAK;
      },
    });
    const reason = error instanceof Error ? error.message : String(error);
    const message =
      alias === undefined || !/alias/i.test(reason)
        ? `YAML: ${reason}`
        : `YAML: the aliases expand too far (more than ${ALIAS_COUNT_MAX} nodes, a guard against alias bombs), from *${alias.source} on; expected a scenario that repeats little`;
    throw new ScenarioError(file, [{ line: lineCounter.linePos(alias?.offset ?? 0).line, path: "", message }]);
  }
}

function problemOf(issue: z.core.$ZodIssue, doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter): ScenarioProblem {
  const path = [...issue.path];
  // An unknown key: point at the key itself.
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  let node: unknown = keys.length > 0 ? findKey(doc, path, keys[0] as string) : undefined;
  // Otherwise the deepest node of the path that exists.
  for (let depth = path.length; node === undefined && depth >= 0; depth--) {
    const found = doc.getIn(path.slice(0, depth) as (string | number)[], true);
    if (isNode(found) && found.range !== undefined && found.range !== null) node = found;
  }
  const offset = isNode(node) && node.range !== null && node.range !== undefined ? node.range[0] : 0;
  const message = issue.code === "unrecognized_keys" ? `unknown field${keys.length > 1 ? "s" : ""} ${keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
  return { line: lineCounter.linePos(offset).line, path: formatPath(path), message };
}

/** The line of the node at `path` in a scenario's text (or of its deepest part that exists); 1 when none does. */
export function lineOf(text: string, path: readonly (string | number)[]): number {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  for (let depth = path.length; depth >= 0; depth--) {
    const found = doc.getIn(path.slice(0, depth), true);
    if (isNode(found) && found.range !== undefined && found.range !== null) return lineCounter.linePos(found.range[0]).line;
  }
  return 1;
}

function findKey(doc: ReturnType<typeof parseDocument>, path: PropertyKey[], key: string): unknown {
  const parent = path.length === 0 ? doc.contents : doc.getIn(path as (string | number)[], true);
  if (parent === null || typeof parent !== "object" || !("items" in parent)) return undefined;
  for (const item of (parent as { items: unknown[] }).items) {
    const pair = item as { key?: { value?: unknown; range?: [number, number, number] } };
    if (pair.key?.value === key) return pair.key;
  }
  return undefined;
}

import { parseLesson, type ParsedLesson } from "../../../src/lesson/index.ts";
import { ScenarioError } from "../../../src/scenario/index.ts";
import { BUNDLED_SCENARIOS } from "../scenarios.ts";

/**
 * The bundled lessons (scenarios/lessons/*.yaml), built into the page by
 * vite like the bundled scenarios, and validated here with the core's
 * parseLesson: a lesson that does not parse is named with its file, line
 * and field, never skipped.
 */

const loaders = import.meta.glob<string>("../../../scenarios/lessons/*.yaml", { query: "?raw", import: "default" });

/** A bundled lesson: its validated form, its text (for the trace worker), its file. */
export interface BundledLesson {
  readonly parsed: ParsedLesson;
  readonly text: string;
  readonly file: string;
}

export type BundledLessons = { readonly ok: true; readonly lessons: readonly BundledLesson[] } | { readonly ok: false; readonly file: string; readonly message: string; readonly problems: readonly { line: number; path: string; message: string }[] };

let cached: Promise<BundledLessons> | null = null;

/** Every bundled lesson, in the course's order (parsed once per page). */
export function bundledLessons(): Promise<BundledLessons> {
  cached ??= loadAll();
  return cached;
}

async function loadAll(): Promise<BundledLessons> {
  const lessons: BundledLesson[] = [];
  for (const [path, load] of Object.entries(loaders).sort((a, b) => a[0].localeCompare(b[0]))) {
    const file = `scenarios/lessons/${path.replace(/^.*\//, "")}`;
    const text = await load();
    try {
      lessons.push({ parsed: parseLesson(text, file), text, file });
    } catch (error) {
      if (error instanceof ScenarioError) return { ok: false, file, message: `${file} is not a valid lesson`, problems: error.problems };
      return { ok: false, file, message: `${file}: ${error instanceof Error ? error.message : String(error)}`, problems: [] };
    }
  }
  lessons.sort((a, b) => a.parsed.lesson.order - b.parsed.lesson.order);
  return { ok: true, lessons };
}

/** The sources of bundled scenarios by name, loaded first so that forkSource and challengeSource can read them. */
export async function scenarioSources(names: readonly string[]): Promise<{ ok: true; load: (name: string) => string } | { ok: false; name: string }> {
  const sources = new Map<string, string>();
  for (const name of names) {
    const load = BUNDLED_SCENARIOS.get(name);
    if (load === undefined) return { ok: false, name };
    sources.set(name, await load());
  }
  return {
    ok: true,
    load: (name) => {
      const source = sources.get(name);
      if (source === undefined) throw new Error(`the scenario ${name} was not loaded`);
      return source;
    },
  };
}

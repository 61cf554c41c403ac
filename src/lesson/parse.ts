import { parse as parseYaml } from "yaml";
import { parseYamlFile } from "../scenario/index.ts";
import { lessonSchema, type Lesson } from "./schema.ts";

/** A lesson as validated, and as written (fault entries are copied into variants of its scenario as the author wrote them). */
export interface ParsedLesson {
  readonly lesson: Lesson;
  readonly raw: RawLesson;
}

/** The parts of a lesson's text that variants copy verbatim. */
export interface RawLesson {
  readonly steps: readonly { readonly fork?: { readonly apply?: readonly Record<string, unknown>[] } }[];
  readonly challenge?: { readonly solution: readonly Record<string, unknown>[] };
}

/** Parses and validates a lesson file (YAML); problems are named by line and field, as for scenarios. */
export function parseLesson(text: string, file: string): ParsedLesson {
  const lesson = parseYamlFile(text, file, lessonSchema, "expected a mapping (name:, title:, scenario:, steps:, ...)");
  return { lesson, raw: parseYaml(text) as RawLesson };
}

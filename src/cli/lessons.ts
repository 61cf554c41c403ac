import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseLesson, type Lesson } from "../lesson/index.ts";
import { readInputFile, UsageError } from "./input.ts";

/** The bundled lessons: scenarios/lessons/*.yaml. */
export const LESSON_DIR = fileURLToPath(new URL("../../scenarios/lessons/", import.meta.url));

export const LESSONS_HELP = `Usage: zksim lessons

The bundled lessons, in the course's order: each walks through a run of a
bundled scenario step by step. Open one with zksim view --lesson NAME.
`;

export interface LoadedLesson {
  readonly lesson: Lesson;
  readonly file: string;
}

export function bundledLessons(): LoadedLesson[] {
  return readdirSync(LESSON_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => {
      const file = join(LESSON_DIR, f);
      return { lesson: parseLesson(readInputFile(file), file).lesson, file };
    })
    .sort((a, b) => a.lesson.order - b.lesson.order);
}

/** A bundled lesson by name (a UsageError listing the names when there is none). */
export function lessonNamed(name: string): LoadedLesson {
  const lessons = bundledLessons();
  const found = lessons.find((l) => l.lesson.name === name);
  if (found === undefined) throw new UsageError(`no lesson named '${name}'; expected one of: ${lessons.map((l) => l.lesson.name).join(", ")} (see zksim lessons)`);
  return found;
}

export function lessons(args: string[]): number {
  const { values } = parseArgs({ args, options: { help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
  if (values.help === true) {
    process.stdout.write(LESSONS_HELP);
    return 0;
  }
  const all = bundledLessons();
  const width = Math.max(...all.map((l) => l.lesson.name.length));
  for (const { lesson } of all) {
    const extras = [`${lesson.steps.length} steps`, lesson.challenge === undefined ? null : "a challenge"].filter((x) => x !== null).join(", ");
    process.stdout.write(`${String(lesson.order).padStart(2)}. ${lesson.name.padEnd(width)}  ${lesson.title} (${lesson.scenario}; ${extras})\n`);
  }
  return 0;
}

import { readFileSync } from "node:fs";

/** Bad input from the command line or a file it names: the command prints the message and exits 2. */
export class UsageError extends Error {}

/** A file's text, or a UsageError naming the file and why it cannot be read. */
export function readInputFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

import { readFileSync } from "node:fs";

/** Bad input from the command line or a file it names: the command prints the message and exits 2. */
export class UsageError extends Error {}

/** A file's text, or a UsageError naming the file and why it cannot be read. */
export function readInputFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw cannotRead(path, error);
  }
}

/** The UsageError for a file that cannot be read: the path and the file system's code. */
export function cannotRead(path: string, error: unknown): UsageError {
  return new UsageError(`${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
}

/** What the file system said, in words and with its code: "it is a directory (EISDIR)". */
export function fsReason(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  const words = FS_REASONS[code];
  return words === undefined ? code : `${words} (${code})`;
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENAMETOOLONG: "the name is too long for the file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  EFBIG: "the file is too large",
  EIO: "an input/output error",
  EEXIST: "it exists",
  ELOOP: "too many symbolic links",
};

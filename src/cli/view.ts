import { spawn } from "node:child_process";
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseScenario } from "../scenario/index.ts";
import { traceHeaderSchema } from "../sim/index.ts";
import { readInputFile, UsageError } from "./input.ts";
import { lessonNamed } from "./lessons.ts";
import { SCENARIO_DIR } from "./run.ts";

/**
 * zksim view: serves the viewer (web/) on 127.0.0.1 through vite's
 * development server, opened on a trace or on a scenario to run in the page.
 * The page is built from the sources as they are, on request, so there is no
 * build step to remember and no built copy to fall out of date (the same
 * reason the CLI runs through tsx).
 */

export const VIEW_HELP = `Usage: zksim view [TRACE | SCENARIO | --lesson NAME] [--seed N] [--port P] [--no-open]

Serves the viewer on 127.0.0.1 and prints its address. Given a trace (a
.jsonl file from zksim run), the page opens it; given a scenario (a file, or
the name of a bundled one), the page runs it in the browser (with --seed N,
that seed). Given --lesson NAME, the page opens that lesson (zksim lessons
lists them). With none, the page waits for a trace to be dropped on it.

Options:
  --lesson NAME  open a bundled lesson (its scenario runs in the page)
  --seed N     run the scenario with this seed instead of its own
  --port P     the port (0 picks a free one; default 5173, or the next free one)
  --no-open    do not start a browser (without it, xdg-open or open is tried)
  -h, --help   this text

The server runs until interrupted (Ctrl-C).
`;

const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));
const PORT_DEFAULT = 5173;
/** The header line is read to tell a trace from a scenario; this much is enough for any header. */
const HEADER_BYTES_MAX = 1024 * 1024;

/** What the page is opened on. */
type Target =
  | { readonly kind: "none" }
  | { readonly kind: "trace"; readonly file: string }
  | { readonly kind: "bundled"; readonly name: string }
  | { readonly kind: "scenario-file"; readonly file: string; readonly name: string }
  | { readonly kind: "lesson"; readonly name: string };

export async function view(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { seed: { type: "string" }, lesson: { type: "string" }, port: { type: "string" }, "no-open": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(VIEW_HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`view: expected at most one trace or scenario, got ${positionals.join(" ")}`);
  if (values.lesson !== undefined && positionals.length > 0) throw new UsageError(`view: --lesson opens a lesson's own scenario; expected no trace or scenario beside it, got ${positionals.join(" ")}`);
  const target: Target = values.lesson === undefined ? classify(positionals[0]) : { kind: "lesson", name: lessonNamed(values.lesson).lesson.name };
  const seed = values.seed === undefined ? null : parseWhole("--seed", values.seed, 999_999_999_999_999);
  if (seed !== null && (target.kind === "trace" || target.kind === "none")) throw new UsageError("view: --seed is for a scenario (a trace was made with its own seed)");
  if (seed !== null && target.kind === "lesson") throw new UsageError("view: --seed is for a scenario (a lesson runs the seed its steps were written for)");
  const port = values.port === undefined ? null : parseWhole("--port", values.port, 65_535);

  const { createServer } = await import("vite");
  const server = await createServer({
    configFile: join(WEB_ROOT, "vite.config.ts"),
    logLevel: "warn",
    server: { host: "127.0.0.1", port: port ?? PORT_DEFAULT, strictPort: port !== null, open: false },
    plugins: [
      {
        name: "zksim-view",
        configureServer(dev) {
          dev.middlewares.use((request, response, next) => {
            if (!serve(target, request.url ?? "", response)) next();
          });
        },
      },
    ],
  });
  await server.listen();
  const base = server.resolvedUrls?.local[0];
  if (base === undefined) {
    await server.close();
    throw new Error("the viewer's server started but gives no address");
  }
  const url = new URL(pagePath(target, seed), base).href;
  process.stdout.write(`zksim view: the viewer is at ${url}\n  (Ctrl-C to stop)\n`);
  if (values["no-open"] !== true) openBrowser(url);
  await stopSignal();
  await server.close();
  return 0;
}

/** A trace (its first line is a zksim trace header), a scenario file, or a bundled scenario's name. */
function classify(argument: string | undefined): Target {
  if (argument === undefined) return { kind: "none" };
  if (existsSync(argument) && statSync(argument).isFile()) {
    if (isTrace(argument)) return { kind: "trace", file: argument };
    const source = readInputFile(argument);
    const scenario = parseScenario(source, argument);
    return { kind: "scenario-file", file: argument, name: scenario.name };
  }
  if (existsSync(join(SCENARIO_DIR, `${argument}.yaml`))) return { kind: "bundled", name: argument };
  throw new UsageError(`${argument}: no such file, and no bundled scenario of that name (see zksim list)`);
}

/** Whether a file starts with a zksim trace header; a file that starts with a broken one is a trace too (the page says what is wrong). */
function isTrace(file: string): boolean {
  const buffer = Buffer.alloc(HEADER_BYTES_MAX);
  const fd = openSync(file, "r");
  let read = 0;
  try {
    read = readSync(fd, buffer, 0, HEADER_BYTES_MAX, 0);
  } finally {
    closeSync(fd);
  }
  const text = buffer.subarray(0, read).toString("utf8");
  const firstLine = text.split("\n", 1)[0] ?? "";
  try {
    const value: unknown = JSON.parse(firstLine);
    return traceHeaderSchema.safeParse(value).success || (typeof value === "object" && value !== null && (value as { format?: unknown }).format === "zksim-trace");
  } catch {
    return /\.jsonl$/i.test(file);
  }
}

const TRACE_PATH = "/__zksim/trace/";
const SCENARIO_PATH = "/__zksim/scenario/";

function pagePath(target: Target, seed: number | null): string {
  const seedPart = seed === null ? "" : `&seed=${seed}`;
  switch (target.kind) {
    case "none":
      return "/";
    case "trace":
      return `/?trace=${encodeURIComponent(TRACE_PATH + basename(target.file))}`;
    case "bundled":
      return `/?scenario=${encodeURIComponent(target.name)}${seedPart}`;
    case "lesson":
      return `/?lesson=${encodeURIComponent(target.name)}`;
    case "scenario-file":
      return `/?scenarioUrl=${encodeURIComponent(SCENARIO_PATH + basename(target.file))}&name=${encodeURIComponent(target.name)}${seedPart}`;
    default: {
      const unknown: never = target;
      return String(unknown);
    }
  }
}

/** Serves the one file the page was opened on (and nothing else of the disk); false for other paths. */
function serve(target: Target, url: string, response: ServerResponse): boolean {
  const path = decodeURIComponent(url.split("?", 1)[0] ?? "");
  const file =
    target.kind === "trace" && path === TRACE_PATH + basename(target.file)
      ? target.file
      : target.kind === "scenario-file" && path === SCENARIO_PATH + basename(target.file)
        ? target.file
        : null;
  if (file === null) return false;
  const size = statSync(file).size;
  response.writeHead(200, {
    "Content-Type": target.kind === "trace" ? "application/x-ndjson; charset=utf-8" : "text/yaml; charset=utf-8",
    "Content-Length": String(size),
    "Cache-Control": "no-store",
  });
  createReadStream(file).pipe(response);
  return true;
}

/** Tries the desktop's opener; a machine without one just shows the address. */
function openBrowser(url: string): void {
  const command = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  try {
    const child = spawn(command, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No opener: the address is printed above.
  }
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function parseWhole(flag: string, text: string, max: number): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) > max) throw new UsageError(`${flag}: expected a whole number from 0 to ${max}, got '${text}'`);
  return Number(text);
}

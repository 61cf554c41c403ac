import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";

/**
 * The design's rules, checked mechanically on the source tree: the simulated
 * world reads no host time or randomness, the core runs in a browser, and
 * dependencies point one way, through each folder's one door (index.ts).
 */

const ROOT = join(import.meta.dirname, "..");
const SRC = join(ROOT, "src");
/** The browser viewer: it sits on top of the core and imports it, never the other way. */
const WEB = join(ROOT, "web", "src");

/** What each folder under src/ may import from (besides itself). */
const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  sim: [],
  paxos: ["sim"],
  zk: ["sim", "paxos"],
  client: ["sim", "paxos", "zk"],
  check: ["sim"],
  scenario: ["sim", "paxos", "zk", "client", "check"],
  explore: ["sim", "paxos", "zk", "client", "check", "scenario"],
  lesson: ["sim", "paxos", "scenario"],
  examples: ["sim"],
  cli: ["sim", "paxos", "zk", "client", "check", "scenario", "explore", "examples", "lesson"],
  property: ["sim", "paxos", "zk", "client", "check", "scenario"],
};
/** Folders that may use Node's own modules: the command, and the property-test API (it writes trace files and reads ZKSIM_REPLAY). */
const NODE_ONLY = new Set(["cli", "property"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The code without comments, so that a comment may name what the code must not use. */
function codeOf(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function importsOf(code: string): string[] {
  return [...code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1] as string);
}

const files = sourceFiles(SRC).map((path) => {
  const rel = relative(SRC, path);
  return { path, rel, folder: rel.includes("/") ? (rel.split("/")[0] as string) : "", code: codeOf(path) };
});

describe("the core", () => {
  test("reads no host clock, host timer or host randomness outside src/cli", () => {
    const banned = /\b(Math\.random|Date\.now|performance\.now|new Date\(|setTimeout|setInterval|setImmediate|queueMicrotask)\b/;
    // src/property runs simulations from the user's seed: Node-only, but no host time or randomness either.
    const offenders = files.filter((f) => f.folder !== "cli" && banned.test(f.code)).map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  test("imports no Node module outside src/cli (it must run unchanged in a browser)", () => {
    const offenders = files
      .filter((f) => !NODE_ONLY.has(f.folder))
      .flatMap((f) => importsOf(f.code).filter((spec) => spec.startsWith("node:") || /^(fs|path|os|crypto|child_process|worker_threads)$/.test(spec)).map((spec) => `${f.rel}: ${spec}`));
    expect(offenders).toEqual([]);
  });

  test("every folder under src/ is known to the dependency rules", () => {
    const folders = new Set(files.map((f) => f.folder).filter((f) => f !== ""));
    expect([...folders].filter((f) => !(f in ALLOWED_IMPORTS))).toEqual([]);
  });

  test("dependencies point one way, and cross folders only through index.ts", () => {
    const offenders: string[] = [];
    for (const f of files) {
      if (f.folder === "") continue;
      for (const spec of importsOf(f.code)) {
        if (!spec.startsWith(".")) continue;
        const target = relative(SRC, join(f.path, "..", spec));
        const targetFolder = target.split("/")[0] as string;
        if (targetFolder === f.folder) continue;
        if (!(ALLOWED_IMPORTS[f.folder] ?? []).includes(targetFolder)) offenders.push(`${f.rel} imports ${target} (${f.folder} may not depend on ${targetFolder})`);
        else if (target !== `${targetFolder}/index.ts` && f.folder !== "cli") offenders.push(`${f.rel} imports ${target}, not ${targetFolder}/index.ts`);
      }
    }
    expect(offenders).toEqual([]);
  });

  test("names each export: no `export *`, and no `any`", () => {
    const offenders = files.filter((f) => /export\s*\*/.test(f.code) || /(:\s*any\b|\bas any\b|<any>)/.test(f.code)).map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  test("imports nothing from the viewer (web/ depends on the core, not the reverse)", () => {
    const offenders = files.flatMap((f) =>
      importsOf(f.code)
        .filter((spec) => spec.startsWith(".") && relative(SRC, join(f.path, "..", spec)).startsWith(".."))
        .map((spec) => `${f.rel} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe("the viewer (web/)", () => {
  const webFiles = sourceFiles(WEB).map((path) => ({ path, rel: relative(ROOT, path), code: codeOf(path) }));

  test("exists, and imports the core only through a folder's index.ts (never the Node-only CLI)", () => {
    expect(webFiles.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    let coreImports = 0;
    for (const f of webFiles) {
      for (const spec of importsOf(f.code)) {
        if (!spec.startsWith(".")) continue;
        const target = relative(ROOT, join(f.path, "..", spec));
        if (target.startsWith("web/")) continue;
        coreImports++;
        const parts = target.split("/");
        const ok = parts[0] === "src" && (target === "src/index.ts" || (parts.length === 3 && parts[2] === "index.ts" && parts[1] !== "cli"));
        if (!ok) offenders.push(`${f.rel} imports ${target}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(coreImports).toBeGreaterThan(0);
  });

  test("runs in a browser: no Node modules", () => {
    const offenders = webFiles.flatMap((f) => importsOf(f.code).filter((spec) => spec.startsWith("node:") || /^(fs|path|os|crypto|child_process|worker_threads)$/.test(spec)).map((spec) => `${f.rel}: ${spec}`));
    expect(offenders).toEqual([]);
  });

  test("names each export: no `export *`, and no `any`", () => {
    const offenders = webFiles.filter((f) => /export\s*\*/.test(f.code) || /(:\s*any\b|\bas any\b|<any>)/.test(f.code)).map((f) => f.rel);
    expect(offenders).toEqual([]);
  });
});

/**
 * The browser viewer in Debian's Chromium (headless, through playwright-core),
 * served by `zksim view` as a user starts it:
 *
 * - open: traces of about 100,000 and 1,000,000 events, made with
 *   `zksim run` from a long steady scenario, opened with ?trace=URL; wall time
 *   from the request until the diagram is drawn (the page's modules already
 *   served once), and the worker's own read time;
 * - frames: draw time per frame while panning and zooming over the whole
 *   run (frames driven by requestAnimationFrame), as frames per second;
 * - memory: resident memory of every process of this Chromium, and the
 *   page's JavaScript heap;
 * - scrubbing: on the default scenario's trace, the time from moving the
 *   cursor to an instant until the inspector shows every node there, once the
 *   checkpoints are parked (and before, for comparison).
 *
 *   node --import tsx bench/viewer.bench.ts [--quick]   (--quick: 100k events only)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CHROMIUM, launchBrowser, ROOT, startView, waitOpened, type Browser } from "../test/web/chromium.ts";

const quick = process.argv.includes("--quick");
const BENCH_DIR = join(ROOT, ".bench");
const FRAMES = 180;

/** A long, steady ZooKeeper run: ten clients writing and reading every 10 ms, a leader crash and a restart. */
function benchScenario(durationS: number): string {
  return `name: viewer-bench-${durationS}s
description: |
  A long steady run for the viewer's benchmark (bench/viewer.bench.ts).
seed: 1
duration: ${durationS}s
servers: { count: 5, tick: 500ms }
network: { latency: { kind: uniform, min: 200us, max: 2ms } }
clients:
  - count: 8
    workload: { kind: register, keys: 8, ops: 100000, every: 10ms }
  - count: 2
    workload: { kind: znode, keys: 8, ops: 100000, every: 10ms }
faults:
  - { at: 3s, crash: leader }
  - { at: 5s, restart: s1 }
checks: [paxos-safety, replica-agreement]
expect: pass
`;
}

/** Makes (or reuses) a trace with `npx zksim run SCENARIO --trace FILE`; returns its path and event count. */
function makeTrace(name: string, yaml: string): { path: string; events: number; megabytes: number } {
  mkdirSync(BENCH_DIR, { recursive: true });
  const scenarioPath = join(BENCH_DIR, `${name}.yaml`);
  const tracePath = join(BENCH_DIR, `${name}.trace.jsonl`);
  const fresh = !existsSync(tracePath) || !existsSync(scenarioPath) || readFileSync(scenarioPath, "utf8") !== yaml;
  if (fresh) {
    writeFileSync(scenarioPath, yaml);
    process.stderr.write(`  making ${tracePath} (zksim run)…\n`);
    execFileSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", scenarioPath, "--trace", tracePath, "--quiet"], { cwd: ROOT, stdio: "inherit" });
  }
  const text = readFileSync(tracePath, "utf8");
  const last = text.slice(text.lastIndexOf("\n", text.length - 2) + 1);
  const summary = JSON.parse(last) as { events: number };
  return { path: tracePath, events: summary.events, megabytes: text.length / 1e6 };
}

/** Resident memory of this browser's processes (the one started with our profile, and its children), in MB. */
function chromiumRssMb(profile: string): number {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  let root = -1;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? "0");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
      parents.set(pid, ppid);
      rss.set(pid, kb);
      // The browser process names our profile and is of no --type (its children are renderers, GPU, utilities).
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes(profile) && !cmdline.includes("--type=")) root = pid;
    } catch {
      // A process that ended while we looked.
    }
  }
  if (root < 0) return Number.NaN;
  let total = 0;
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = parents.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  for (const [pid, kb] of rss) if (inTree(pid)) total += kb;
  return total / 1024;
}

async function jsHeapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  await cdp.detach();
  return (metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? Number.NaN) / 1e6;
}

interface FrameFigures {
  readonly fps: number;
  readonly drawMsP50: number;
  readonly drawMsP95: number;
  readonly drawMsMax: number;
}

/** Drives the view frame by frame (pan, or zoom in and out) and times each frame's drawing and the frame rate. */
async function frames(page: Page, motion: "pan" | "zoom", scale: number): Promise<FrameFigures> {
  return page.evaluate(
    async ({ count, motion, scale }) => {
      const hook = window.zksimViewer;
      if (hook === undefined) throw new Error("no viewer hook");
      const [e0, e1] = hook.extent();
      const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
      const draws: number[] = [];
      await nextFrame();
      const started = performance.now();
      for (let f = 0; f < count; f++) {
        const phase = f / count;
        const k = motion === "zoom" ? Math.pow(scale, 0.5 - 0.5 * Math.cos(phase * 2 * Math.PI)) : scale;
        const span = (e1 - e0) / k;
        const y0 = e0 + (e1 - e0 - span) * (motion === "pan" ? phase : 0.5);
        const before = hook.lastFrame().frames;
        hook.setView(k, y0);
        await nextFrame();
        await nextFrame();
        const frame = hook.lastFrame();
        if (frame.frames > before) draws.push(frame.drawMs);
      }
      const elapsed = performance.now() - started;
      draws.sort((a, b) => a - b);
      const at = (q: number) => draws[Math.min(draws.length - 1, Math.floor(q * draws.length))] ?? Number.NaN;
      // Two animation frames per step: the rate a person would see is twice the steps per second.
      return { fps: (2 * count * 1000) / elapsed, drawMsP50: at(0.5), drawMsP95: at(0.95), drawMsMax: draws[draws.length - 1] ?? Number.NaN };
    },
    { count: FRAMES, motion, scale },
  );
}

interface OpenFigures {
  readonly events: number;
  readonly megabytes: number;
  /** The first open, while the development server transforms the page's and the workers' modules. */
  readonly firstOpenMs: number;
  readonly openMs: number;
  /** Resident memory of the whole browser with a blank page of the viewer. */
  readonly rssBlankMb: number;
  readonly readMs: number;
  /** Resident memory of the whole browser right after opening, and once the background re-runs are done (or after a minute). */
  readonly rssOpenMb: number;
  readonly rssSettledMb: number;
  readonly settledNote: string;
  readonly heapMb: number;
  /** Frames while the re-runs work in the background, and once they are done. */
  readonly busy: FrameSet;
  readonly quiet: FrameSet;
}

interface FrameSet {
  readonly whole: FrameFigures;
  readonly pan: FrameFigures;
  readonly zoom: FrameFigures;
}

async function frameSet(page: Page): Promise<FrameSet> {
  return { whole: await frames(page, "pan", 1), pan: await frames(page, "pan", 20), zoom: await frames(page, "zoom", 200) };
}

async function openTrace(browser: Browser, trace: { path: string; events: number; megabytes: number }): Promise<OpenFigures> {
  const server = await startView([trace.path]);
  try {
    const blank = await browser.page();
    await blank.goto(server.url.replace(/\?.*$/, ""));
    await blank.waitForSelector("#diagram[data-state=empty]");
    await blank.waitForTimeout(1_000);
    const rssBlankMb = chromiumRssMb(browser.profile);
    await blank.close();
    // Once, so that the development server has transformed the page's and the workers' modules.
    const firstStarted = Date.now();
    const first = await browser.page();
    await first.goto(`${server.url}&reruns=off`);
    await waitOpened(first, 600_000);
    const firstOpenMs = Date.now() - firstStarted;
    await first.close();
    const page = await browser.page();
    const started = Date.now();
    await page.goto(server.url);
    if ((await waitOpened(page, 600_000)) !== "ready") throw new Error(await page.locator("#error-panel").innerText());
    await page.waitForFunction(() => Number(document.getElementById("diagram")?.dataset["frames"] ?? "0") > 0);
    const openMs = Date.now() - started;
    const readMs = Number(await page.getAttribute("#diagram", "data-load-ms"));
    const rssOpenMb = chromiumRssMb(browser.profile);
    // Frames while the re-runs (checks, inspector) still work in the background: the busy case.
    const busy = await frameSet(page);
    const settled = await page
      .waitForFunction(
        () => {
          const resim = document.getElementById("diagram")?.dataset["resim"];
          const [filled, slots] = (document.getElementById("panel-inspector")?.dataset["checkpoints"] ?? "0/1").split("/").map(Number);
          return resim !== "running" && filled === slots;
        },
        null,
        { timeout: 60_000, polling: 500 },
      )
      .then(() => "re-run and checkpoints done")
      .catch(() => "after a further minute of re-runs");
    const rssSettledMb = chromiumRssMb(browser.profile);
    const heapMb = await jsHeapMb(page);
    const quiet = await frameSet(page);
    await page.close();
    return { events: trace.events, megabytes: trace.megabytes, firstOpenMs, openMs, readMs, rssBlankMb, rssOpenMb, rssSettledMb, settledNote: settled, heapMb, busy, quiet };
  } finally {
    await server.stop();
  }
}

interface ScrubFigures {
  readonly warmupMs: number;
  readonly coldMs: readonly number[];
  readonly warmMs: readonly number[];
}

/** Moves the cursor to instants spread over the run and times until the inspector shows them. */
async function scrub(browser: Browser): Promise<ScrubFigures> {
  const trace = makeTrace("viewer-default", readFileSync(join(ROOT, "scenarios", "default.yaml"), "utf8"));
  const server = await startView([trace.path]);
  try {
    const page = await browser.page();
    const started = Date.now();
    await page.goto(server.url);
    await waitOpened(page);
    const targets = (count: number, seed: number) => {
      const out: number[] = [];
      let x = seed;
      for (let k = 0; k < count; k++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        out.push(1 + (x % (trace.events - 2)));
      }
      return out;
    };
    const time = (list: number[]) =>
      page.evaluate(async (cursorTargets) => {
        const panel = document.getElementById("panel-inspector");
        const hook = window.zksimViewer;
        if (panel === null || hook === undefined) throw new Error("no inspector");
        const out: number[] = [];
        for (const target of cursorTargets) {
          const t0 = performance.now();
          hook.setCursor(target);
          await new Promise<void>((resolve) => {
            const done = () => panel.dataset["target"] === String(target) && panel.dataset["pending"] === "";
            if (done()) resolve();
            const observer = new MutationObserver(() => {
              if (!done()) return;
              observer.disconnect();
              resolve();
            });
            observer.observe(panel, { attributes: true });
          });
          out.push(performance.now() - t0);
        }
        return out;
      }, list);
    const coldMs = await time(targets(5, 7));
    await page.waitForFunction(
      () => {
        const [filled, slots] = (document.getElementById("panel-inspector")?.dataset["checkpoints"] ?? "0/1").split("/").map(Number);
        return filled === slots;
      },
      null,
      { timeout: 600_000, polling: 250 },
    );
    const warmupMs = Date.now() - started;
    const warmMs = await time(targets(40, 99));
    await page.close();
    return { warmupMs, coldMs, warmMs };
  } finally {
    await server.stop();
  }
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function f(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium)`);
  const traces = [makeTrace("viewer-100k", benchScenario(6))];
  if (!quick) traces.push(makeTrace("viewer-1m", benchScenario(60)));
  const rows: OpenFigures[] = [];
  for (const trace of traces) {
    const browser = await launchBrowser();
    try {
      rows.push(await openTrace(browser, trace));
    } finally {
      await browser.close();
    }
  }
  const browser = await launchBrowser();
  let scrubbed: ScrubFigures;
  try {
    scrubbed = await scrub(browser);
  } finally {
    await browser.close();
  }

  const out: string[] = [];
  out.push("viewer: traces opened in Chromium (headless, software rendering) from zksim view", "");
  out.push("| events | MB | open (request to drawn) | of which the worker's reading | first open (modules transformed) | memory opened | memory later | page JS heap |");
  out.push("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    out.push(`| ${f(r.events)} | ${f(r.megabytes)} | ${f(r.openMs)} ms | ${f(r.readMs)} ms | ${f(r.firstOpenMs)} ms | +${f(r.rssOpenMb - r.rssBlankMb)} MB | +${f(r.rssSettledMb - r.rssBlankMb)} MB (${r.settledNote}) | ${f(r.heapMb)} MB |`);
  }
  out.push("", `memory: resident memory of all of Chromium's processes over the same browser with a blank page of the viewer (${rows.map((r) => `${f(r.rssBlankMb)} MB`).join(", ")})`);
  out.push("", `frames (${FRAMES} steps each): frames per second shown, and main-thread time per frame (p50 / p95 / max ms)`, "");
  out.push("| events | re-runs | whole run, panning | 20× zoomed, panning | zooming 1×–200× |");
  out.push("|---|---|---|---|---|");
  const cell = (x: FrameFigures) => `${f(x.fps)} fps (${f(x.drawMsP50, 1)} / ${f(x.drawMsP95, 1)} / ${f(x.drawMsMax, 1)})`;
  for (const r of rows) {
    out.push(`| ${f(r.events)} | working | ${cell(r.busy.whole)} | ${cell(r.busy.pan)} | ${cell(r.busy.zoom)} |`);
    out.push(`| ${f(r.events)} | done | ${cell(r.quiet.whole)} | ${cell(r.quiet.pan)} | ${cell(r.quiet.zoom)} |`);
  }
  out.push("", "scrubbing the default scenario: cursor moved to an instant until the inspector shows every node there");
  out.push(`  before the checkpoints are parked (${scrubbed.coldMs.length} instants): ${scrubbed.coldMs.map((x) => f(x)).join(", ")} ms`);
  out.push(`  checkpoints parked ${f(scrubbed.warmupMs / 1000, 1)} s after the page opened`);
  out.push(`  then (${scrubbed.warmMs.length} instants): p50 ${f(percentile(scrubbed.warmMs, 0.5))} ms, p95 ${f(percentile(scrubbed.warmMs, 0.95))} ms, max ${f(Math.max(...scrubbed.warmMs))} ms`);
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/**
 * Debian's Chromium driven through playwright-core (no browser is ever
 * downloaded), and `zksim view` started as a user starts it: for the browser
 * tests and the viewer's benchmark.
 */

/** The checkout's root. */
export const ROOT = join(import.meta.dirname, "..", "..");

export const CHROMIUM = process.env["ZKSIM_CHROMIUM"] ?? "/usr/bin/chromium";
export const ARTIFACTS = join(ROOT, "test-artifacts");

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface Browser {
  readonly context: BrowserContext;
  /** The fresh profile directory (--user-data-dir) of this browser. */
  readonly profile: string;
  /** Errors the pages reported (uncaught exceptions, console errors). */
  readonly errors: string[];
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium, headless, with a fresh profile directory removed at close. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "zksim-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1500, height: 900 },
  });
  const errors: string[] = [];
  return {
    context,
    profile,
    errors,
    page: async () => {
      const page = await context.newPage();
      // Code run through tsx keeps function names with an __name helper, which
      // callbacks handed to page.evaluate carry into the page: give it one there.
      await page.addInitScript({ content: "globalThis.__name ??= (target) => target;" });
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error" && !message.text().includes("favicon")) errors.push(message.text());
      });
      return page;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface ViewServer {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `zksim view ARGS --no-open --port 0` and reads the address it prints. */
export async function startView(args: readonly string[]): Promise<ViewServer> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "bin", "zksim.js"), "view", ...args, "--no-open", "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`zksim view printed no address within 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /https?:\/\/127\.0\.0\.1:\d+\/\S*/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`zksim view exited (${code}) before printing an address:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Waits until the page has opened its trace (or failed to); returns the state. */
export async function waitOpened(page: Page, timeoutMs = 120_000): Promise<string> {
  await page.waitForFunction(() => {
    const state = document.getElementById("diagram")?.dataset["state"];
    return state === "ready" || state === "error";
  }, null, { timeout: timeoutMs });
  return (await page.getAttribute("#diagram", "data-state")) ?? "";
}

/** Saves a screenshot as a test artifact (test-artifacts/NAME.png, git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A data attribute of the diagram, as a number. */
export async function diagramNumber(page: Page, name: string): Promise<number> {
  return Number(await page.getAttribute("#diagram", `data-${name}`));
}

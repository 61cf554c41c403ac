import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { describeInBrowser, launchBrowser, screenshot, startView, waitOpened, type Browser, type ViewServer } from "./browser.ts";
import { ROOT, scenarioSource } from "./fixtures.ts";

/**
 * Same seed, same run, in Node and in the browser: every bundled scenario,
 * run in the page (the core's runner in a Web Worker), gives the digest the
 * same scenario gives in Node. For the default scenario the Node side is
 * `zksim run default` itself.
 */

const SCENARIOS = readdirSync(join(ROOT, "scenarios"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.replace(/\.yaml$/, ""))
  .sort();

describeInBrowser("every bundled scenario run in the page gives Node's digest", () => {
  let browser: Browser;
  let server: ViewServer;

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startView([]);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
  });

  test("there are bundled scenarios to compare", () => {
    expect(SCENARIOS.length).toBeGreaterThan(20);
    expect(SCENARIOS).toContain("default");
  });

  test("default: the page's digest is the one zksim run default prints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zksim-viewer-"));
    const cli = execFileSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", "default", "--json", "--trace", join(dir, "default.trace.jsonl")], { cwd: ROOT, encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    const report = JSON.parse(cli) as { digest: string };
    const page = await browser.page();
    // The run's own report gives the checks; the inspector's re-runs are not needed here (reruns=off).
    await page.goto(`${server.url}?scenario=default&reruns=off`);
    expect(await waitOpened(page, 180_000)).toBe("ready");
    const state = await page.evaluate(() => window.zksimViewer?.state());
    expect(state?.digestRead).toBe(report.digest);
    expect(state?.digestResim).toBe(report.digest);
    await page.click('#tabs button[data-tab="checks"]');
    await screenshot(page, "scenario-default");
    await page.close();
  }, 240_000);

  for (const name of SCENARIOS.filter((n) => n !== "default")) {
    test(name, async () => {
      const node = await runScenario(parseScenario(scenarioSource(name), `${name}.yaml`));
      const page = await browser.page();
      await page.goto(`${server.url}?scenario=${encodeURIComponent(name)}&reruns=off`);
      const opened = await waitOpened(page, 180_000);
      if (opened !== "ready") throw new Error(`${name}: ${await page.locator("#error-panel").innerText()}`);
      const state = await page.evaluate(() => window.zksimViewer?.state());
      // The digest of the lines the page read, and the one its runner reported.
      expect(state?.digestRead).toBe(node.digest);
      expect(state?.digestResim).toBe(node.digest);
      expect(await page.locator("#panel-checks").getAttribute("data-failed")).toBe(String(node.checks.filter((c) => !c.holds).length));
      await page.close();
    }, 240_000);
  }
});

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { parseTrace } from "../../src/sim/index.ts";
import type {} from "../../web/src/live/live-hook.ts";
import { packText } from "../../web/src/share/codec.ts";
import { defaultLinkView, encodeLink, type Intervention } from "../../web/src/share/link.ts";
import { describeInBrowser, diagramNumber, launchBrowser, screenshot, startView, waitOpened, type Browser, type ViewServer } from "./browser.ts";
import { ROOT, scenarioSource } from "./fixtures.ts";

/**
 * Sharing and exporting, end to end: a link made in one page opens in a
 * fresh one at the same digest, cursor and view; the built viewer, served
 * as plain files from a sub-path, runs a link to the digest `zksim run`
 * gives in Node; the exported scenario runs in Node to the page's digest,
 * the exported trace reads back to it, and the exported SVG holds the arrows
 * the diagram has in view. A bad link names its bad parameter.
 */

const SEED = 5;
const INTERVENTIONS: Intervention[] = [
  { at: "3s", crash: "s2" },
  { at: "3500ms", restart: "s2" },
];
/** The default scenario with the interventions written into its faults by hand (not by the code under test). */
function defaultWithInterventions(): string {
  const source = scenarioSource("default");
  const last = "  - { at: 6s, restart: s5 }\n";
  if (!source.includes(last)) throw new Error("scenarios/default.yaml changed: update this test's hand-written copy");
  return source.replace(last, `${last}  - { at: 3s, crash: s2 }\n  - { at: 3500ms, restart: s2 }\n`);
}

/** `zksim run FILE --json` in Node: its digest. */
function nodeDigest(file: string, args: readonly string[] = []): string {
  const trace = `${file}.trace.jsonl`;
  let out: string;
  try {
    out = execFileSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", file, "--json", "--trace", trace, ...args], { cwd: ROOT, encoding: "utf8" });
  } catch (error) {
    // Exit 1 means a check failed as the scenario did not expect; the report is still printed.
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  const digest = (JSON.parse(out) as { digest?: string }).digest;
  if (digest === undefined) throw new Error(`zksim run ${file}: no digest in ${out.slice(0, 300)}`);
  return digest;
}

/** A static file server for the built viewer, under a sub-path; it records what it could not find. */
function serveStatic(dir: string, prefix: string): Promise<{ server: Server; url: string; misses: string[] }> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json", ".wasm": "application/wasm" };
  const misses: string[] = [];
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    const inside = path.startsWith(prefix) ? path.slice(prefix.length) : null;
    const file = inside === null ? null : normalize(join(dir, inside === "" ? "index.html" : inside));
    if (file === null || !(file === dir || file.startsWith(dir + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      misses.push(path);
      response.writeHead(404).end("not found");
      return;
    }
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}${prefix}`, misses })));
}

async function digestOf(page: Page): Promise<string> {
  return (await page.getAttribute("#diagram", "data-digest-trace")) ?? "";
}

/** Waits until the address holds every parameter given (it follows the cursor and view once they rest). */
async function addressHas(page: Page, params: Record<string, string | null>): Promise<void> {
  await page.waitForFunction((wanted) => {
    const search = new URLSearchParams(window.location.search);
    return Object.entries(wanted).every(([k, v]) => (v === null ? search.has(k) : search.get(k) === v));
  }, params);
}

/** Chooses an export and saves the download. */
async function exportAs(page: Page, what: string, dir: string): Promise<{ path: string; name: string }> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.selectOption("#export-select", what)]);
  const name = download.suggestedFilename();
  const path = join(dir, name);
  await download.saveAs(path);
  return { path, name };
}

describeInBrowser("sharing and exporting in Chromium", () => {
  let dir = "";
  let staticDir = "";
  let browser: Browser;
  let server: ViewServer;
  let statics: { server: Server; url: string; misses: string[] };
  let linkQuery = "";
  let expected = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zksim-share-"));
    staticDir = join(dir, "site");
    // The build as a person makes it (npm run build:web), into a directory of its own.
    execFileSync("npm", ["run", "--silent", "build:web", "--", "--outDir", staticDir, "--emptyOutDir", "--logLevel", "warn"], { cwd: ROOT, stdio: "pipe" });
    statics = await serveStatic(staticDir, "/zk/viewer/");
    const scenarioFile = join(dir, "default-with-interventions.yaml");
    writeFileSync(scenarioFile, defaultWithInterventions());
    expected = nodeDigest(scenarioFile, ["--seed", String(SEED)]);
    linkQuery = await encodeLink({ run: { source: scenarioSource("default"), seed: SEED, interventions: INTERVENTIONS }, cursor: null, view: defaultLinkView() });
    browser = await launchBrowser();
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"]);
    server = await startView([]);
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
    await new Promise((resolve) => statics?.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test("the interventions change the run: without them zksim run gives another digest", () => {
    writeFileSync(join(dir, "plain.yaml"), scenarioSource("default"));
    expect(nodeDigest(join(dir, "plain.yaml"), ["--seed", String(SEED)])).not.toBe(expected);
  });

  test("a link copied from one page opens in a fresh page at the same digest, cursor and view", async () => {
    const first = await browser.page();
    await first.goto(`${server.url}?${linkQuery}`);
    expect(await waitOpened(first)).toBe("ready");
    expect(await digestOf(first)).toBe(expected);
    expect(await first.locator('[data-banner="link"]').textContent()).toContain(expected);
    // Move the cursor, change the view, zoom in: the address follows.
    await first.evaluate(() => {
      const viewer = window.zksimViewer;
      viewer?.key("m");
      viewer?.key("h");
      viewer?.setCursor(1234);
      viewer?.key("+");
      viewer?.key("+");
    });
    await addressHas(first, { ev: "1234", order: "1", hb: "1", zoom: null, seed: String(SEED), iv: null });
    await first.waitForTimeout(400);
    await first.click("#copy-link");
    await first.waitForFunction(() => document.getElementById("share-status")?.textContent?.startsWith("Link copied") === true);
    const link = await first.evaluate(() => navigator.clipboard.readText());
    expect(link).toBe(first.url());
    const before = { arrowsInView: await diagramNumber(first, "arrows-in-view"), shown: await diagramNumber(first, "shown-events") };
    await screenshot(first, "share-link-source");

    const second = await browser.page();
    await second.goto(link);
    expect(await waitOpened(second)).toBe("ready");
    expect(await digestOf(second)).toBe(expected);
    expect(await diagramNumber(second, "cursor")).toBe(1234);
    expect(await second.getAttribute("#diagram", "data-mode")).toBe("order");
    expect(await second.isChecked("#show-heartbeats")).toBe(true);
    await second.waitForFunction((n) => Number(document.getElementById("diagram")?.dataset["arrowsInView"]) === n, before.arrowsInView);
    expect(await diagramNumber(second, "shown-events")).toBe(before.shown);
    await screenshot(second, "share-link-opened");
    expect(browser.errors).toEqual([]);
    await first.close();
    await second.close();
  });

  test("a live branch with interventions, shared by Copy link, opens in a fresh page at the digest the branch reached", async () => {
    const first = await browser.page();
    await first.goto(server.url);
    await first.click('#tabs button[data-tab="live"]');
    await first.waitForFunction(() => document.querySelector(".live-editor")?.getAttribute("data-valid") === "true", null, { timeout: 60_000 });
    await first.fill("#live-seed", String(SEED));
    await first.click("#live-start");
    const idle = () =>
      first.waitForFunction(() => {
        const live = window.zksimLive;
        const status = live?.status();
        return status !== null && status !== undefined && live?.busy() === false && !status.playing;
      }, null, { timeout: 120_000 });
    await idle();
    /** Steps the run on to an instant (fast enough at 1 s of virtual time per second), then pauses. */
    const playTo = async (us: number) => {
      await first.selectOption("#live-speed", "1000000");
      await first.click("#live-play");
      await first.waitForFunction((target) => (window.zksimLive?.status()?.nowUs ?? 0) >= target, us, { timeout: 120_000 });
      await first.click("#live-play");
      await idle();
    };
    // Interventions through the page, as a person makes them: a crash from s2's menu, later a restart and a client's write.
    await playTo(800_000);
    await first.click('.live-lane[data-node="s2"]');
    await first.click('.live-menu [data-action="crash"]');
    await idle();
    await playTo(1_300_000);
    await first.click('.live-lane[data-node="s2"]');
    await first.click('.live-menu [data-action="restart"]');
    await idle();
    await first.selectOption("#live-client", "c2");
    await first.selectOption("#live-op", "create");
    await first.fill("#live-path", "/shared");
    await first.click("#live-submit");
    await idle();
    expect(await first.getAttribute("#live-message", "data-error")).toBeFalsy();
    const branch = await first.evaluate(() => window.zksimLive?.branches()[0]?.interventions ?? []);
    expect(branch.map((entry) => Object.keys(entry).filter((k) => k !== "at" && k !== "live")[0])).toEqual(["crash", "restart", "request"]);
    await first.click("#live-finish");
    await idle();
    const reached = await first.evaluate(() => window.zksimLive?.status() ?? null);
    expect(reached?.finished).toBe(true);
    expect(reached?.digest).toMatch(/^[0-9a-f]{16}$/);
    // The plain scenario with this seed reaches another digest: the link must carry the interventions.
    writeFileSync(join(dir, "plain-live.yaml"), scenarioSource("default"));
    expect(nodeDigest(join(dir, "plain-live.yaml"), ["--seed", String(SEED)])).not.toBe(reached?.digest);
    await first.click("#copy-link");
    await first.waitForFunction(() => document.getElementById("share-status")?.textContent?.startsWith("Link copied") === true);
    const link = await first.evaluate(() => navigator.clipboard.readText());
    expect(new URL(link).searchParams.get("seed")).toBe(String(SEED));

    const second = await browser.page();
    await second.goto(link);
    expect(await waitOpened(second)).toBe("ready");
    expect(await digestOf(second)).toBe(reached?.digest);
    expect(await second.locator('[data-banner="link"]').textContent()).toContain(reached?.digest ?? "?");
    await screenshot(second, "share-live-branch-opened");
    expect(browser.errors).toEqual([]);
    await first.close();
    await second.close();
  });

  test("the built viewer, served as plain files from a sub-path, runs a link to the digest zksim run gives in Node", async () => {
    expect(existsSync(join(staticDir, "index.html"))).toBe(true);
    const page = await browser.page();
    await page.goto(`${statics.url}?${linkQuery}&ev=2000`);
    // Every file the page asked for by the time it loaded was there (addresses relative to the page, not the host's root).
    expect(statics.misses).toEqual([]);
    expect(await waitOpened(page)).toBe("ready");
    expect(await digestOf(page)).toBe(expected);
    expect(await diagramNumber(page, "cursor")).toBe(2000);
    // The re-runs (workers) work there too: the inspector shows the cursor's instant.
    await page.waitForFunction(() => document.getElementById("panel-inspector")?.dataset["target"] === "2000", null, { timeout: 60_000 });
    await screenshot(page, "share-static-build");
    // A bundled scenario is in the build too.
    await page.goto(`${statics.url}?scenario=basic-paxos`);
    expect(await waitOpened(page)).toBe("ready");
    expect(statics.misses).toEqual([]);
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("exports: the scenario runs in Node to the page's digest, the trace reads back to it, the SVG holds the arrows in view", async () => {
    const page = await browser.page();
    await page.goto(`${server.url}?${linkQuery}`);
    expect(await waitOpened(page)).toBe("ready");
    const digest = await digestOf(page);
    expect(digest).toBe(expected);

    const scenario = await exportAs(page, "scenario", dir);
    expect(scenario.name).toBe(`default-${SEED}.yaml`);
    const yaml = readFileSync(scenario.path, "utf8");
    expect(yaml).toMatch(/^seed: 5$/m);
    expect(yaml).toMatch(/crash: s2/);
    expect(nodeDigest(scenario.path)).toBe(digest);

    const trace = await exportAs(page, "trace", dir);
    expect(trace.name).toBe(`default-${SEED}.trace.jsonl`);
    const read = parseTrace(readFileSync(trace.path, "utf8"), trace.path);
    expect(read.digest).toBe(digest);
    expect(read.summary?.digest).toBe(digest);
    expect(read.events.length).toBe(await diagramNumber(page, "events"));

    // Zoomed in, where every arrow in view is drawn one by one.
    await page.evaluate(() => {
      window.zksimViewer?.setCursor(5000);
      for (let k = 0; k < 3; k++) window.zksimViewer?.key("+");
    });
    await page.waitForTimeout(500);
    const arrows = await diagramNumber(page, "arrows");
    expect(arrows).toBeGreaterThan(50);
    expect(arrows).toBe(await diagramNumber(page, "arrows-in-view"));
    const svg = await exportAs(page, "svg", dir);
    expect(svg.name).toBe(`default-${SEED}.svg`);
    const text = readFileSync(svg.path, "utf8");
    const parsed = await page.evaluate((source) => {
      const doc = new DOMParser().parseFromString(source, "image/svg+xml");
      return {
        root: doc.documentElement.nodeName,
        errors: doc.getElementsByTagName("parsererror").length,
        arrows: doc.querySelectorAll("path.arrow").length,
        lanes: doc.querySelectorAll("line.lane").length,
        labels: [...doc.querySelectorAll("text.lane-label")].map((t) => t.textContent),
        cursor: doc.querySelectorAll("line.cursor-line").length,
        images: doc.querySelectorAll("image").length,
      };
    }, text);
    expect(parsed).toEqual({ root: "svg", errors: 0, arrows, lanes: await diagramNumber(page, "lanes"), labels: expect.arrayContaining(["s1", "s5", "c1"]), cursor: 1, images: 0 });

    // The drawing itself, shown by the browser as an image.
    const shown = await browser.page();
    await shown.goto(`file://${svg.path}`);
    await screenshot(shown, "share-exported-svg");
    await shown.close();

    const png = await exportAs(page, "png", dir);
    const bytes = readFileSync(png.path);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.length).toBeGreaterThan(5_000);
    await screenshot(page, "share-exports");
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("a malformed link names the parameter that is wrong, and what was expected", async () => {
    const page = await browser.page();
    const errorOf = async (query: string) => {
      await page.goto(`${server.url}?${query}`);
      expect(await waitOpened(page)).toBe("error");
      expect(await page.isVisible("#error-panel")).toBe(true);
      return (await page.textContent("#error-panel")) ?? "";
    };
    const good = await packText(scenarioSource("default"));
    expect(await errorOf(`src=${good.slice(0, 40)}*${good.slice(41)}&seed=1`)).toMatch(/\?src: it is not base64url: character 41 is "\*"/);
    expect(await errorOf(`src=${good.slice(0, -20)}&seed=1`)).toMatch(/\?src: .*deflate-raw/);
    expect(await errorOf(`src=${good}&seed=one`)).toMatch(/\?seed: expected a whole number/);
    expect(await errorOf(`src=${await packText("name: x\ndescription: d\nduration: 1s\nservers: { count: 99 }\n")}`)).toMatch(/line 4, \?src: servers\.count: .*at most 9/);
    expect(await errorOf(`src=${good}&iv=${await packText('[{"at":"1s","crash":"s42"}]')}`)).toMatch(/\?iv: interventions\[0\]\.crash: unknown node "s42"/);
    await screenshot(page, "share-bad-link");
    // A name the run does not have: the run opens, and a banner names the parameter.
    await page.goto(`${server.url}?src=${good}&seed=1&hide=s9&ev=99999999`);
    expect(await waitOpened(page)).toBe("ready");
    expect(await page.locator('[data-banner="link-param"][data-param="hide"]').textContent()).toContain('no node "s9"');
    expect(await page.locator('[data-banner="link-param"][data-param="ev"]').textContent()).toMatch(/events/);
    expect(browser.errors).toEqual([]);
    await page.close();
  });
});

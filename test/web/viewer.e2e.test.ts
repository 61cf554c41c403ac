import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeInBrowser, diagramNumber, launchBrowser, screenshot, startView, waitOpened, type Browser, type ViewServer } from "./browser.ts";
import { ROOT } from "./fixtures.ts";

/**
 * The viewer end to end, as a person uses it: `zksim view TRACE` serves the
 * page; the page reads the trace, draws it, re-runs its scenario, steps and
 * inspects; bad files are refused with the line and what was expected.
 * Counts drawn are checked against the trace file itself.
 */

const HEARTBEATS = new Set(["heartbeat", "heartbeat-ack", "zk-ping", "zk-pong"]);

interface TraceFacts {
  readonly nodes: readonly string[];
  readonly events: number;
  readonly messages: number;
  readonly shownMessages: number;
  /** Client operations: the clients' zk-invoke notes. */
  readonly requests: number;
  /** The first request that names a path, to search for by its message id. */
  readonly firstRequest: { readonly id: number; readonly path: string };
  /** The first leader after the first crash: its role note's event, node and ballot. */
  readonly leaderAfterCrash: { readonly i: number; readonly node: string; readonly ballot: string };
  readonly digest: string;
}

/** What the trace file says, counted here without the viewer's code. */
function factsOf(path: string): TraceFacts {
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const header = JSON.parse(lines[0] as string) as { config: { nodes: string[] } };
  const summary = JSON.parse(lines[lines.length - 1] as string) as { digest: string };
  const types = new Map<number, string>();
  let messages = 0;
  let shownMessages = 0;
  let requests = 0;
  let firstRequest: { id: number; path: string } | undefined;
  let crashed = false;
  let leaderAfterCrash: { i: number; node: string; ballot: string } | undefined;
  for (const line of lines.slice(1, -1)) {
    const e = JSON.parse(line) as {
      type: string;
      i: number;
      node?: string;
      kind?: string;
      fault?: { type: string };
      data?: { role?: string; ballot?: { round: number; node: string } };
      id?: number;
      of?: number;
      from?: string;
      msg?: { type: string; xid?: number; op?: { path?: string } };
    };
    if (e.type === "fault" && e.fault?.type === "crash") crashed = true;
    if (crashed && leaderAfterCrash === undefined && e.type === "note" && e.kind === "role" && e.data?.role === "leader" && e.data.ballot !== undefined) {
      leaderAfterCrash = { i: e.i, node: e.node ?? "?", ballot: `${e.data.ballot.round}.${e.data.ballot.node}` };
    }
    if (e.type === "note" && e.kind === "zk-invoke") requests++;
    if (e.type !== "send" && e.type !== "duplicate") continue;
    messages++;
    const type = e.type === "send" ? (e.msg?.type ?? "?") : (types.get(e.of ?? -1) ?? "?");
    types.set(e.id ?? -1, type);
    if (!HEARTBEATS.has(type)) shownMessages++;
    const path = e.msg?.op?.path;
    if (firstRequest === undefined && type === "zk-request" && path !== undefined) firstRequest = { id: e.id ?? -1, path };
  }
  if (firstRequest === undefined) throw new Error(`${path}: no request with a path`);
  if (leaderAfterCrash === undefined) throw new Error(`${path}: no leader after a crash`);
  return { nodes: header.config.nodes, events: lines.length - 2, messages, shownMessages, requests, firstRequest, leaderAfterCrash, digest: summary.digest };
}

describeInBrowser("the viewer in Chromium", () => {
  let dir = "";
  let tracePath = "";
  let facts: TraceFacts;
  let browser: Browser;
  let server: ViewServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zksim-viewer-"));
    tracePath = join(dir, "default-1.trace.jsonl");
    execFileSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", "default", "--trace", tracePath, "--quiet"], { cwd: ROOT });
    facts = factsOf(tracePath);
    browser = await launchBrowser();
    server = await startView([tracePath]);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("zksim view serves the page on 127.0.0.1, and it draws the trace: a lane per node, an arrow per message, a span per request", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?trace=/);
    const page = await browser.page();
    await page.goto(server.url);
    expect(await waitOpened(page)).toBe("ready");
    expect(await diagramNumber(page, "lanes")).toBe(facts.nodes.length);
    expect(await diagramNumber(page, "events")).toBe(facts.events);
    expect(await diagramNumber(page, "messages")).toBe(facts.messages);
    // Heartbeats are hidden by default; at the whole-run view every other message is one arrow.
    expect(await diagramNumber(page, "arrows-shown")).toBe(facts.shownMessages);
    expect(await diagramNumber(page, "arrows")).toBe(facts.shownMessages);
    const state = await page.evaluate(() => window.zksimViewer?.state());
    expect(state?.spans).toBe(facts.requests);
    expect(state?.spansDrawn).toBe(facts.requests);
    expect(state?.digestRead).toBe(facts.digest);
    // One click brings the heartbeats back.
    await page.click("#show-heartbeats");
    await page.waitForFunction((n) => Number(document.getElementById("diagram")?.dataset["arrowsShown"]) === n, facts.messages);
    await page.click("#show-heartbeats");
    // The scenario is re-run here, and gives the trace's digest.
    await page.waitForFunction(() => document.getElementById("diagram")?.dataset["resim"] === "done", null, { timeout: 120_000 });
    expect(await page.getAttribute("#diagram", "data-digest-resim")).toBe(facts.digest);
    expect(await page.locator('[data-banner="resim-ok"]').count()).toBe(1);
    await screenshot(page, "trace-opened");
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("stepping moves the cursor, and the inspector shows every node after it, with what changed", async () => {
    const page = await browser.page();
    await page.goto(server.url);
    await waitOpened(page);
    await page.waitForFunction(() => document.getElementById("panel-inspector")?.dataset["target"] === "0", null, { timeout: 60_000 });
    // To the first fault (the leader's crash at 2 s): choose "fault", then n.
    await page.selectOption("#match-kind", { label: "fault" });
    await page.locator("#diagram canvas").focus();
    await page.keyboard.press("n");
    const crash = await diagramNumber(page, "cursor");
    expect(crash).toBeGreaterThan(0);
    await page.waitForFunction((c) => document.getElementById("panel-inspector")?.dataset["target"] === String(c), crash, { timeout: 60_000 });
    const crashed = await page.locator('.inspect-node[data-node="s5"] .badge').first().textContent();
    expect(crashed).toBe("crashed");
    // The first leader elected after the crash (as the trace file says): the inspector there shows it leading, with its ballot.
    await page.evaluate((ev) => window.zksimViewer?.setCursor(ev), facts.leaderAfterCrash.i);
    await page.waitForFunction((c) => document.getElementById("panel-inspector")?.dataset["target"] === String(c), facts.leaderAfterCrash.i, { timeout: 60_000 });
    const leaders = await page.evaluate(() => [...document.querySelectorAll('.inspect-node[data-role="leader"]')].map((e) => e.getAttribute("data-node")));
    expect(leaders).toEqual([facts.leaderAfterCrash.node]);
    expect(leaders).not.toContain("s5");
    expect(await page.locator(`.inspect-node[data-node="${facts.leaderAfterCrash.node}"] .role-leader`).textContent()).toBe(`leader ${facts.leaderAfterCrash.ballot}`);
    await screenshot(page, "new-leader");
    await page.keyboard.press("Home");
    await page.selectOption("#match-kind", { label: "fault" });
    await page.locator("#diagram canvas").focus();
    await page.keyboard.press("n");
    expect(await diagramNumber(page, "cursor")).toBe(crash);
    await page.waitForFunction((c) => document.getElementById("panel-inspector")?.dataset["target"] === String(c), crash, { timeout: 60_000 });
    const before = await page.locator("#panel-inspector").innerText();
    // Three events on: the cursor moves, and so does the inspector.
    for (let k = 0; k < 3; k++) await page.keyboard.press("ArrowRight");
    const after = await diagramNumber(page, "cursor");
    expect(after).toBeGreaterThan(crash);
    await page.waitForFunction((c) => document.getElementById("panel-inspector")?.dataset["target"] === String(c), after, { timeout: 60_000 });
    expect(await page.locator("#panel-inspector").innerText()).not.toBe(before);
    // To the last event: every server has written to its disk since, and the changes are marked.
    await page.keyboard.press("End");
    const last = await diagramNumber(page, "cursor");
    expect(last).toBe(facts.events - 1);
    await page.waitForFunction((c) => document.getElementById("panel-inspector")?.dataset["target"] === String(c), last, { timeout: 60_000 });
    expect(await page.locator(".inspect-node.contains-change").count()).toBeGreaterThan(0);
    await page.keyboard.press("Home");
    await page.selectOption("#match-kind", { label: "fault" });
    await page.locator("#diagram canvas").focus();
    await page.keyboard.press("n");
    await page.waitForFunction((c) => document.getElementById("panel-inspector")?.dataset["target"] === String(c), crash, { timeout: 60_000 });
    // s1's durable storage, opened: what changed since the step before is marked.
    await page.click('.inspect-node[data-node="s1"] details[data-path="durable"] > summary');
    expect(await page.locator('.inspect-node[data-node="s1"] [data-path^="durable."]').count()).toBeGreaterThan(10);
    // Zoom in (+, four times) and centre on the cursor (c): the crash and the election after it.
    for (let k = 0; k < 4; k++) await page.keyboard.press("+");
    await page.waitForTimeout(400);
    await page.keyboard.press("c");
    await page.waitForTimeout(600);
    const [top, bottom] = await page.evaluate(() => {
      const ticks = [...document.querySelectorAll(".diagram-axis .tick text")].map((t) => t.textContent ?? "");
      return [ticks[0] ?? "", ticks[ticks.length - 1] ?? ""];
    });
    expect(`${top} ${bottom}`).not.toContain("0.00 s");
    await screenshot(page, "inspector");
    // Back one step, and to event order.
    await page.keyboard.press("ArrowLeft");
    expect(await diagramNumber(page, "cursor")).toBeLessThan(crash);
    await page.keyboard.press("m");
    expect(await page.getAttribute("#diagram", "data-mode")).toBe("order");
    await page.waitForTimeout(300);
    await screenshot(page, "event-order");
    // ? lists the shortcuts.
    await page.keyboard.press("?");
    await page.waitForSelector("#help-dialog[open]");
    expect(await page.locator("#help-dialog").innerText()).toContain("next event of the chosen kind");
    await screenshot(page, "shortcuts");
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("search finds a message; its payload and causes show, and its causes are drawn back through the diagram", async () => {
    const page = await browser.page();
    await page.goto(`${server.url}&reruns=off`);
    await waitOpened(page);
    await page.fill("#search", "/lock");
    const hits = await diagramNumber(page, "search-hits");
    expect(hits).toBeGreaterThan(10);
    await page.fill("#search", `#${facts.firstRequest.id}`);
    expect(await diagramNumber(page, "search-hits")).toBe(1);
    await page.click('#tabs button[data-tab="details"]');
    await page.waitForFunction(() => (document.querySelector("#panel-details .payload")?.textContent ?? "").includes("zk-request"));
    const payload = await page.locator("#panel-details .payload").innerText();
    expect(payload).toContain(`"path": "${facts.firstRequest.path}"`);
    await page.click("#panel-details .trace-back");
    expect(await diagramNumber(page, "chain-events")).toBeGreaterThan(1);
    await screenshot(page, "details");
    await page.close();
  });

  test("a trace with a bad line shows the line and what was expected, dropped on the page or picked in the file dialog", async () => {
    const lines = readFileSync(tracePath, "utf8").split("\n");
    lines[2] = (lines[2] as string).replace(/"t":\d+/, '"t":"later"');
    const bad = lines.join("\n");
    const page = await browser.page();
    await page.goto(server.url.replace(/\?.*$/, ""));
    expect(await page.getAttribute("#diagram", "data-state")).toBe("empty");
    // Dropped on the page.
    const transfer = await page.evaluateHandle((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], "broken.trace.jsonl", { type: "application/x-ndjson" }));
      return data;
    }, bad);
    await page.dispatchEvent("body", "drop", { dataTransfer: transfer });
    expect(await waitOpened(page)).toBe("error");
    const error = await page.locator("#error-panel").innerText();
    expect(error).toContain("Could not open broken.trace.jsonl");
    expect(error).toContain("line 3, t: Invalid input: expected number, received string");
    await screenshot(page, "bad-trace");
    // A file that is no trace at all, picked in the file dialog.
    const chooser = page.waitForEvent("filechooser");
    await page.click("#open-file");
    await (await chooser).setFiles({ name: "package.json", mimeType: "application/json", buffer: readFileSync(join(ROOT, "package.json")) });
    await page.waitForFunction(() => (document.getElementById("error-panel")?.innerText ?? "").includes("package.json"));
    const foreign = await page.locator("#error-panel").innerText();
    expect(foreign).toContain("package.json is not a zksim trace");
    expect(foreign).toContain("line 1");
    await page.close();
  });

  test("a broken check jumps to its first violation and draws the messages that led to it", async () => {
    const bug = await startView(["bug-accept-lower-ballot"]);
    try {
      const page = await browser.page();
      // The scenario's own run gives the checks; no inspector needed (reruns=off).
      await page.goto(`${bug.url}&reruns=off`);
      expect(await waitOpened(page)).toBe("ready");
      await page.click('#tabs button[data-tab="checks"]');
      const failed = page.locator('.check.failed[data-check="paxos-safety"]');
      await failed.waitFor();
      await failed.click();
      const cursor = await diagramNumber(page, "cursor");
      const violation = await page.evaluate(() => document.getElementById("diagram")?.dataset["selected"]);
      expect(String(cursor)).toBe(violation);
      expect(await page.locator("#panel-details").innerText()).toContain("violation");
      expect(await diagramNumber(page, "chain-messages")).toBeGreaterThan(0);
      await screenshot(page, "violation");
      await page.close();
    } finally {
      await bug.stop();
    }
  });

  test("a check judged after the run (lock-pause's fencing) is drawn and jumped to where it was first broken, not at the run's end", async () => {
    const file = join(dir, "lock-pause.trace.jsonl");
    execFileSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", "lock-pause", "--trace", file, "--quiet"], { cwd: ROOT, stdio: "ignore" });
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const violation = lines.map((l) => JSON.parse(l) as { type: string; i: number; t: number; check?: string; causes?: number[] }).find((e) => e.type === "violation" && e.check === "fencing");
    expect(violation, "lock-pause breaks fencing").toBeDefined();
    const causes = violation?.causes ?? [];
    expect(causes.length).toBeGreaterThan(0);
    const anchor = Math.max(...causes);
    expect(anchor).toBeLessThan(violation?.i ?? 0);
    const pause = await startView([file]);
    try {
      const page = await browser.page();
      // The checks' verdicts come from re-running the trace's scenario in the page.
      await page.goto(pause.url);
      expect(await waitOpened(page)).toBe("ready");
      await page.click('#tabs button[data-tab="checks"]');
      const failed = page.locator('.check.failed[data-check="fencing"]');
      await failed.waitFor({ timeout: 60_000 });
      await failed.click();
      expect(await diagramNumber(page, "cursor")).toBe(anchor);
      expect(await page.evaluate(() => document.getElementById("diagram")?.dataset["selected"])).toBe(String(violation?.i));
      expect(await page.locator("#panel-details").innerText()).toContain("fencing");
      expect(await diagramNumber(page, "chain-messages")).toBeGreaterThan(0);
      await screenshot(page, "violation-judged-after");
      await page.close();
    } finally {
      await pause.stop();
    }
  }, 180_000);

  test("a linearizability failure (stale-read) is drawn as Porcupine draws it: the prefix numbered, the operation that cannot be placed, on the diagram's time axis", async () => {
    const json = execFileSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", "stale-read", "--json", "--quiet", "--trace", join(dir, "stale-read.trace.jsonl")], { cwd: ROOT, encoding: "utf8" });
    const report = JSON.parse(json) as { checks: { name: string; counterexample?: { ops: { invokeEv: number; stuck: boolean; place: number | null; text: string }[] } }[] };
    const picture = report.checks.find((c) => c.name === "reads-linearizable")?.counterexample;
    expect(picture, "zksim run stale-read gives a counterexample").toBeDefined();
    const stuck = picture?.ops.find((op) => op.stuck);
    expect(stuck).toBeDefined();
    const stale = await startView(["stale-read"]);
    try {
      const page = await browser.page();
      await page.goto(`${stale.url}&reruns=off`);
      expect(await waitOpened(page)).toBe("ready");
      expect(await page.getAttribute("#diagram", "data-counterexample-ops")).toBeFalsy();
      await page.click('#tabs button[data-tab="checks"]');
      const failed = page.locator('.check.failed[data-check="reads-linearizable"]');
      await failed.waitFor();
      await failed.click();
      await page.waitForFunction(() => Number(document.getElementById("diagram")?.dataset["counterexampleOps"]) > 0);
      expect(await page.getAttribute("#diagram", "data-counterexample")).toBe("reads-linearizable");
      // The view holds the stuck read and the operations before it; the cursor is at the stuck read's invocation.
      expect(await diagramNumber(page, "counterexample-ops")).toBeGreaterThanOrEqual(2);
      expect(await diagramNumber(page, "cursor")).toBe(stuck?.invokeEv);
      const details = await page.locator("#panel-details").innerText();
      expect(details).toContain("Longest linearizable prefix");
      expect(details).toContain("Cannot come next");
      expect(await page.locator("#panel-details .counterexample-stuck li").count()).toBe(picture?.ops.filter((op) => op.stuck).length);
      expect(await page.locator("#panel-details .counterexample-prefix li").count()).toBe(Math.min(12, picture?.ops.filter((op) => op.place !== null).length ?? 0));
      await screenshot(page, "linearizability");
      // Clicking the stuck read in the list moves the cursor to it.
      await page.locator("#panel-details .counterexample-stuck li a").first().click();
      expect(await diagramNumber(page, "cursor")).toBe(stuck?.invokeEv);
      expect(browser.errors).toEqual([]);
      await page.close();
    } finally {
      await stale.stop();
    }
  }, 120_000);
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import type {} from "../../web/src/live/live-hook.ts";
import { describeInBrowser, launchBrowser, screenshot, startView, type Browser, type ViewServer } from "./browser.ts";
import { PaxosChecker } from "../../src/paxos/index.ts";
import type { TraceEvent } from "../../src/sim/index.ts";
import { inflightAt, ROOT, traceOf } from "./fixtures.ts";

/**
 * Live runs end to end, as a person uses them: start the default scenario in
 * the page, play it, click a server's name to crash it, drag between servers
 * to cut links, click a message in flight to drop it, go back and fork, switch
 * branches, compare them, and export a branch as a scenario file that
 * `zksim run` replays in Node to the page's digest.
 */

/** The default scenario's election timeout at most (ZooKeeper's defaults), and slack for the heartbeat and the election itself. */
const ELECTION_TIMEOUT_US_MAX = 600_000;
const ELECTION_SLACK_US = 100_000;
const SERVERS = ["s1", "s2", "s3", "s4", "s5"];

describeInBrowser("live runs in Chromium", () => {
  let browser: Browser;
  let server: ViewServer;
  let dir = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zksim-live-"));
    browser = await launchBrowser();
    server = await startView([]);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startLive(page: Page, seed?: number, checkpoints: number | null = null): Promise<void> {
    await page.goto(server.url);
    await page.click('#tabs button[data-tab="live"]');
    await page.waitForFunction(() => document.querySelector(".live-editor")?.getAttribute("data-valid") === "true", null, { timeout: 60_000 });
    if (seed !== undefined) await page.fill("#live-seed", String(seed));
    await page.evaluate((max) => window.zksimLive?.setCheckpoints(max), checkpoints);
    await page.click("#live-start");
    await idle(page);
    expect(await page.getAttribute("#diagram", "data-state")).toBe("ready");
  }

  /** Waits until the live run rests: no request under way, not playing. */
  async function idle(page: Page): Promise<void> {
    await page.waitForFunction(
      () => {
        const live = window.zksimLive;
        const status = live?.status();
        return status !== null && status !== undefined && live?.busy() === false && !status.playing;
      },
      null,
      { timeout: 120_000 },
    );
  }

  /** Plays at 1 virtual second per second until the run has reached `us`, then pauses. */
  async function playUntil(page: Page, us: number): Promise<void> {
    await page.selectOption("#live-speed", "1000000");
    await page.click("#live-play");
    await page.waitForFunction((target) => (window.zksimLive?.status()?.nowUs ?? 0) >= target, us, { timeout: 120_000 });
    await page.click("#live-play");
    await idle(page);
  }

  async function status(page: Page) {
    const s = await page.evaluate(() => window.zksimLive?.status() ?? null);
    if (s === null) throw new Error("no live run in the page");
    return s;
  }

  async function leaderNow(page: Page): Promise<string> {
    const leaders = await page.evaluate(() => window.zksimLive?.leaders() ?? []);
    const open = leaders.filter((l) => l.endUs < 0);
    expect(open).toHaveLength(1);
    return open[0]?.node as string;
  }

  async function interventions(page: Page): Promise<Record<string, unknown>[]> {
    return page.evaluate(() => {
      const live = window.zksimLive;
      const current = live?.branch() ?? 0;
      return live?.branches().find((b) => b.id === current)?.interventions ?? [];
    });
  }

  /** The live panel says nothing went wrong. */
  async function noLiveError(page: Page): Promise<void> {
    expect(await page.getAttribute("#live-message", "data-error")).toBeFalsy();
  }

  /** Clicks a server's name on the diagram and picks a menu entry. */
  async function serverMenu(page: Page, node: string, action: string): Promise<void> {
    await page.click(`.live-lane[data-node="${node}"]`);
    await page.click(`.live-menu [data-action="${action}"]`);
    await idle(page);
    await noLiveError(page);
  }

  /** Drags from one server's name to another's and picks a cut. */
  async function dragCut(page: Page, from: string, to: string, action: "cut-both" | "cut-one-way"): Promise<void> {
    const a = await page.locator(`.live-lane[data-node="${from}"]`).boundingBox();
    const b = await page.locator(`.live-lane[data-node="${to}"]`).boundingBox();
    if (a === null || b === null) throw new Error("no lane buttons");
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.click(`.live-menu [data-action="${action}"]`);
    await idle(page);
    await noLiveError(page);
  }

  test("the default scenario runs live; crashing the leader by clicking its name, another server leads within the election timeout", async () => {
    const page = await browser.page();
    await startLive(page);
    await playUntil(page, 1_000_000);
    const grown = await status(page);
    expect(grown.events).toBeGreaterThan(1_000);
    expect(Number(await page.getAttribute("#diagram", "data-events"))).toBe(grown.events);
    const leader = await leaderNow(page);
    await serverMenu(page, leader, "crash");
    const [crash] = await interventions(page);
    expect(crash).toMatchObject({ crash: leader, live: true });
    const crashAtUs = crash?.["at"] as number;
    expect(crashAtUs).toBe((await status(page)).nowUs);
    await playUntil(page, crashAtUs + 1_000_000);
    const leaders = await page.evaluate(() => window.zksimLive?.leaders() ?? []);
    const next = leaders.find((l) => l.startUs > crashAtUs);
    expect(next).toBeDefined();
    expect(next?.node).not.toBe(leader);
    expect((next?.startUs ?? Infinity) - crashAtUs).toBeLessThanOrEqual(ELECTION_TIMEOUT_US_MAX + ELECTION_SLACK_US);
    await screenshot(page, "live-leader-crashed");
    expect(browser.errors).toEqual([]);
  }, 300_000);

  test("two followers picked by shift-clicking their names and partitioned from the rest in one action stop committing; healed, they catch up", async () => {
    const page = await browser.page();
    await startLive(page);
    // The default scenario crashes its leader at 2 s: all of this happens before.
    await playUntil(page, 700_000);
    const leader = await leaderNow(page);
    const minority = SERVERS.filter((s) => s !== leader).slice(-2);
    const majority = SERVERS.filter((s) => !minority.includes(s));
    for (const node of minority) await page.click(`.live-lane[data-node="${node}"]`, { modifiers: ["Shift"] });
    expect(await page.locator(".live-lane.picked").evaluateAll((lanes) => lanes.map((l) => (l as HTMLElement).dataset["node"]))).toEqual(minority);
    await page.click('.live-menu [data-action="partition"]');
    await idle(page);
    await noLiveError(page);
    const cuts = await interventions(page);
    expect(cuts).toEqual([expect.objectContaining({ partition: [minority], live: true })]);
    expect(await page.locator(".live-lane.picked").count()).toBe(0);
    const cutUs = (await status(page)).nowUs;
    await playUntil(page, cutUs + 600_000);
    // What was in flight at the cut has landed by now; after that, only the majority applies new slots.
    const applied = await page.evaluate((since) => window.zksimLive?.notes("apply", since) ?? {}, cutUs + 100_000);
    for (const node of majority) expect(applied[node] ?? 0).toBeGreaterThan(10);
    for (const node of minority) expect(applied[node] ?? 0).toBe(0);
    await screenshot(page, "live-minority-cut");
    await page.click("#live-heal");
    await idle(page);
    const healUs = (await status(page)).nowUs;
    await playUntil(page, healUs + 300_000);
    const after = await page.evaluate((since) => window.zksimLive?.notes("apply", since) ?? {}, healUs);
    for (const node of minority) expect(after[node] ?? 0).toBeGreaterThan(0);
    expect(browser.errors).toEqual([]);
  }, 300_000);

  test("the lenses follow a live run: the Paxos checker's chosen slots marked as it grows, and the ring with the messages in flight at the cursor", async () => {
    // The same run made in Node: the live run without interventions is the scenario's run, event for event.
    const trace = await traceOf("default");
    const events = trace.lines.slice(1, -1).map((line) => JSON.parse(line) as TraceEvent);
    const nodes = (JSON.parse(trace.lines[0] as string) as { config: { nodes: string[] } }).config.nodes;
    const checker = new PaxosChecker(nodes.filter((n) => /^s\d+$/.test(n)));
    for (const event of events) checker.observe(event);
    const chosenBefore = (count: number) => checker.chosenSlots.filter((c) => c.ev < count).length;
    const page = await browser.page();
    await startLive(page);
    for (const us of [600_000, 1_200_000]) {
      await playUntil(page, us);
      const { events: count } = await status(page);
      await page.waitForFunction((n) => Number(document.getElementById("diagram")?.dataset["chosenMarks"]) === n, chosenBefore(count));
      expect(chosenBefore(count)).toBeGreaterThan(0);
    }
    await page.click('#tabs button[data-tab="paxos"]');
    await page.waitForFunction(() => Number(document.getElementById("diagram")?.dataset["chosenDrawn"]) > 0);
    // The ring, at an event well behind the run's edge (what was in flight there has landed in the live run too).
    await page.click('#tabs button[data-tab="ring"]');
    const { events: count } = await status(page);
    let ev = Math.floor(count / 2);
    const endUs = (JSON.parse(trace.lines.at(-1) as string) as { endUs: number }).endUs;
    const inflight = (cursor: number) => inflightAt(events, cursor, endUs);
    while (inflight(ev) === 0) ev++;
    await page.evaluate((e) => window.zksimViewer?.setCursor(e), ev);
    await page.waitForSelector(`#panel-ring[data-cursor="${ev}"]`);
    expect(await page.locator("#panel-ring g.ring-node").count()).toBe(nodes.length);
    expect(Number(await page.getAttribute("#panel-ring", "data-inflight"))).toBe(inflight(ev));
    expect(await page.locator("#panel-ring g.ring-flights circle").count()).toBe(inflight(ev));
    await screenshot(page, "live-lenses-ring");
    expect(browser.errors).toEqual([]);
  }, 300_000);

  test("a forwarded write dropped by clicking it in flight is forwarded again", async () => {
    const page = await browser.page();
    await startLive(page);
    await playUntil(page, 1_000_000);
    // Step to the next write a follower forwards to the leader: the cursor stands on its send, the message in flight.
    await page.selectOption("#live-match-kind", "send");
    await page.selectOption("#live-match-type", "zk-forward");
    await page.click("#live-step-match");
    await idle(page);
    const cursor = Number(await page.getAttribute("#diagram", "data-cursor"));
    await page.waitForFunction((ev) => (window.zksimLive?.inflightDots() ?? []).some((d) => d.type === "zk-forward"), cursor);
    const sends = await page.evaluate(() => window.zksimLive?.sends("zk-forward") ?? []);
    const target = sends.find((s) => s.ev === cursor);
    expect(target).toBeDefined();
    const dot = (await page.evaluate(() => window.zksimLive?.inflightDots() ?? [])).find((d) => d.id === target?.id);
    expect(dot).toBeDefined();
    const box = await page.locator("#diagram canvas.diagram-canvas").boundingBox();
    if (box === null || dot === undefined || target === undefined) throw new Error("no diagram");
    await page.mouse.click(box.x + dot.x, box.y + dot.y);
    await page.click('.live-menu [data-action="drop"]');
    await idle(page);
    expect((await interventions(page)).at(-1)).toMatchObject({ drop: target.id });
    const origin = (JSON.parse((await page.evaluate((ev) => window.zksimLive?.line(ev) ?? null, target.ev)) ?? "{}") as { msg?: { origin?: unknown } }).msg?.origin;
    expect(origin).toBeDefined();
    await playUntil(page, target.sendUs + 1_000_000);
    const after = await page.evaluate(() => window.zksimLive?.sends("zk-forward") ?? []);
    expect(after.find((s) => s.id === target.id)?.dropped).toBe(true);
    const again: unknown[] = [];
    for (const send of after.filter((s) => s.from === target.from && s.sendUs > target.sendUs)) {
      const line = await page.evaluate((ev) => window.zksimLive?.line(ev) ?? null, send.ev);
      if (JSON.stringify((JSON.parse(line ?? "{}") as { msg?: { origin?: unknown } }).msg?.origin) === JSON.stringify(origin)) again.push(send);
    }
    expect(again.length).toBeGreaterThan(0);
    await screenshot(page, "live-dropped");
    expect(browser.errors).toEqual([]);
  }, 300_000);

  test("a fork from an earlier instant with another crash reaches another digest; back on the first branch, the first digest; compared, they part at the fork", async () => {
    const page = await browser.page();
    await startLive(page);
    // Well before the scenario's own crash of the leader at 2 s (a pause lands a little after it is asked for).
    await playUntil(page, 1_000_000);
    const leader = await leaderNow(page);
    await serverMenu(page, leader, "crash");
    await page.click("#live-finish");
    await idle(page);
    const first = await status(page);
    expect(first.finished).toBe(true);
    expect(first.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(await page.textContent("#live-digest")).toBe(first.digest);

    // Back to 0.7 s (the leader elected, nothing crashed yet), and crash a follower there instead.
    const back = (await page.evaluate(() => window.zksimLive?.sends("heartbeat") ?? [])).find((s) => s.sendUs >= 700_000);
    if (back === undefined) throw new Error("no heartbeat after 0.7 s");
    await page.evaluate((ev) => window.zksimViewer?.setCursor(ev), back.ev);
    await page.waitForFunction(() => document.getElementById("live-fork")?.hidden === false);
    const follower = SERVERS.find((s) => s !== leader) as string;
    await serverMenu(page, follower, "crash");
    const branches = await page.evaluate(() => window.zksimLive?.branches() ?? []);
    expect(branches.map((b) => [b.id, b.parent])).toEqual([
      [0, null],
      [1, 0],
    ]);
    expect(branches[1]?.interventions).toEqual([expect.objectContaining({ crash: follower, at: back.sendUs })]);
    expect((await status(page)).branch).toBe(1);
    await page.click("#live-finish");
    await idle(page);
    const second = await status(page);
    expect(second.finished).toBe(true);
    expect(second.digest).not.toBe(first.digest);
    await screenshot(page, "live-fork");

    // The tree, drawn: branch 1 hangs from a node on branch 0's line at the fork's instant, its edge labelled with its crash, and it is the current one.
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll<SVGGElement>("#live-tree-svg g.live-branch")].map((g) => ({
        id: Number(g.dataset["branch"]),
        parent: g.dataset["parent"],
        forkUs: Number(g.dataset["forkUs"]),
        label: g.dataset["label"],
        current: g.classList.contains("current"),
        forkNode: g.querySelector(".live-fork-node") !== null,
      })),
    );
    expect(drawn.sort((a, b) => a.id - b.id)).toEqual([
      { id: 0, parent: "", forkUs: 0, label: `the scenario; crash ${leader}`, current: false, forkNode: false },
      { id: 1, parent: "0", forkUs: back.sendUs, label: `crash ${follower}`, current: true, forkNode: true },
    ]);

    await page.locator("#live-tree").scrollIntoViewIfNeeded();
    await screenshot(page, "live-fork-tree");

    // The first branch again, by clicking it in the tree: the first digest.
    await page.click('#live-tree-svg g.live-branch[data-branch="0"] .live-branch-id');
    await idle(page);
    await noLiveError(page);
    const again = await status(page);
    expect(again.branch).toBe(0);
    expect(again.finished).toBe(true);
    expect(again.digest).toBe(first.digest);
    expect(await page.getAttribute("#live-tree-svg", "data-current")).toBe("0");

    // Compared side by side: they part at the follower's crash on branch 1.
    await page.click('#live-tree-svg g.live-branch[data-branch="1"] .live-compare-button');
    await idle(page);
    await page.waitForSelector("#live-compare:not([hidden])");
    expect(await page.textContent("#live-parting")).toContain("They part at event #");
    expect(await page.textContent("#live-parting")).toContain(`crash`);
    expect(Number(await page.getAttribute(".live-compare-diagram", "data-compare-only"))).toBeGreaterThan(0);
    await screenshot(page, "live-compare");
    expect(browser.errors).toEqual([]);
  }, 300_000);

  test("a fork at the end of the default scenario starts from a checkpoint of the branch: sooner than from the seed, and to the same digest", async () => {
    /** Runs the default scenario to its end, waits for its checkpoints, forks 0.2 s before the end, crashes s1 there, and runs the fork to its end. */
    async function forkAtTheEnd(checkpoints: number | null) {
      const page = await browser.page();
      await startLive(page, undefined, checkpoints);
      await page.click("#live-finish");
      await idle(page);
      const end = await status(page);
      expect(end.finished).toBe(true);
      if (checkpoints !== 0) await page.waitForFunction(() => (window.zksimLive?.status()?.checkpoints ?? 0) >= 8, null, { timeout: 120_000 });
      const ev = await page.evaluate((us) => window.zksimLive?.sends("heartbeat").find((s) => s.sendUs >= us)?.ev ?? -1, end.durationUs - 200_000);
      expect(ev).toBeGreaterThan(0);
      await page.evaluate((e) => window.zksimViewer?.setCursor(e), ev);
      await page.waitForFunction(() => document.getElementById("live-fork")?.hidden === false);
      await page.click("#live-fork");
      await idle(page);
      await noLiveError(page);
      const forked = await status(page);
      await serverMenu(page, "s1", "crash");
      await page.click("#live-finish");
      await idle(page);
      const done = await status(page);
      await page.close();
      return { forked, done, first: end };
    }
    const fromCheckpoint = await forkAtTheEnd(null);
    const fromSeed = await forkAtTheEnd(0);
    expect(fromCheckpoint.forked.branch).toBe(1);
    expect(fromCheckpoint.forked.built?.from.kind).toBe("checkpoint");
    expect(fromSeed.forked.built?.from.kind).toBe("seed");
    expect(fromCheckpoint.forked.built?.untilUs).toBe(fromSeed.forked.built?.untilUs);
    // A checkpoint late in the run (eight of them, evenly spaced in its events), and not past the fork.
    expect(fromCheckpoint.forked.built?.from.atUs).toBeGreaterThan(fromCheckpoint.first.durationUs / 2);
    expect(fromCheckpoint.forked.built?.from.atUs).toBeLessThanOrEqual(fromCheckpoint.forked.built?.untilUs ?? 0);
    expect(fromCheckpoint.forked.events).toBe(fromSeed.forked.events);
    expect(fromCheckpoint.forked.digest).toBe(fromSeed.forked.digest);
    expect(fromCheckpoint.done.digest).toBe(fromSeed.done.digest);
    expect(fromCheckpoint.done.digest).not.toBe(fromCheckpoint.first.digest);
    expect(fromCheckpoint.done.source).toBe(fromSeed.done.source);
    expect(fromCheckpoint.forked.built?.wallMs).toBeLessThan(fromSeed.forked.built?.wallMs ?? 0);
    console.log(`fork at ${fromSeed.forked.built?.untilUs} µs: from the seed ${fromSeed.forked.built?.wallMs} ms; from a checkpoint at ${fromCheckpoint.forked.built?.from.atUs} µs ${fromCheckpoint.forked.built?.wallMs} ms`);
    expect(browser.errors).toEqual([]);
  }, 300_000);

  test("a branch with a crash, a cut, a client's write and a dropped message, exported as a scenario file, replays in Node to the page's digest", async () => {
    const page = await browser.page();
    await startLive(page, 3);
    await playUntil(page, 1_000_000);
    const leader = await leaderNow(page);
    const [other, third] = SERVERS.filter((s) => s !== leader);
    await dragCut(page, other as string, third as string, "cut-one-way");
    await page.selectOption("#live-client", "c1");
    await page.selectOption("#live-op", "setData");
    await page.fill("#live-path", "/k0");
    await page.fill("#live-data", "from-the-console");
    await page.click("#live-submit");
    await idle(page);
    await page.selectOption("#live-match-kind", "send");
    await page.selectOption("#live-match-type", "accept");
    await page.click("#live-step-match");
    await idle(page);
    // The leader's accept to another server (its accept to itself is delivered within the instant, before an intervention applies).
    const nowUs = (await status(page)).nowUs;
    const accept = (await page.evaluate(() => window.zksimLive?.sends("accept") ?? [])).find((s) => s.sendUs === nowUs && s.from !== s.to);
    if (accept === undefined) throw new Error("no accept to another server at the cursor's instant");
    await page.evaluate((id) => window.zksimLive?.intervene({ drop: id }), accept.id);
    await idle(page);
    await noLiveError(page);
    await serverMenu(page, leader, "crash");
    const kinds = (await interventions(page)).map((entry) => Object.keys(entry).filter((k) => k !== "at" && k !== "live")[0]);
    expect(kinds).toEqual(["cut", "request", "drop", "crash"]);
    await page.click("#live-finish");
    await idle(page);
    const done = await status(page);
    await page.click("#live-export");
    const source = await page.inputValue("#live-export-text");
    expect(source).toBe(done.source);
    const file = join(dir, "live-branch.yaml");
    writeFileSync(file, source);
    // Exit 0 or 1 (the checks as expected or not): either way a report with the run's digest; 2 or 4 would be a failure.
    const run = spawnSync(process.execPath, [join(ROOT, "bin", "zksim.js"), "run", file, "--seed", String(done.seed), "--json", "--trace", join(dir, "live-branch.trace.jsonl")], { cwd: ROOT, encoding: "utf8" });
    expect([0, 1], run.stderr).toContain(run.status);
    const report = JSON.parse(run.stdout) as { digest: string };
    expect(report.digest).toBe(done.digest);
    const shared = await page.evaluate(() => window.zksimLive?.scenario() ?? null);
    expect(shared).toEqual({ source, seed: 3 });
    expect(browser.errors).toEqual([]);
  }, 300_000);
});

import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { formatBallot, PaxosChecker } from "../../src/paxos/index.ts";
import { parseScenario } from "../../src/scenario/index.ts";
import type { TraceEvent } from "../../src/sim/index.ts";
import { replicaOf, SLOT_ROWS_MAX } from "../../web/src/lenses/slot-table.ts";
import { zkServerOf } from "../../web/src/lenses/zk-lens.ts";
import { inspectNodes, type Inspection } from "../../web/src/resim/inspect-nodes.ts";
import { PausableRun } from "../../web/src/resim/pausable-run.ts";
import { describeInBrowser, diagramNumber, launchBrowser, screenshot, startView, waitOpened, type Browser, type ViewServer } from "./browser.ts";
import { eventsOf, HEARTBEATS, inflightAt, lastDeliveryBefore, scenarioSource, traceOf } from "./fixtures.ts";

/**
 * The protocol lenses end to end, each held to data computed here without
 * the page: the slot table to the replicas' own inspections, the chosen
 * marks to the Paxos checker, the ring to the messages in flight counted
 * from the trace, the ZooKeeper lens to the servers' zxids.
 */


/** Some events after the second leader of a run took over: the log then holds slots accepted at two ballots. */
function afterSecondLeader(events: readonly TraceEvent[]): number {
  const leaders = events.filter((e) => e.type === "note" && e.kind === "role" && (e.data as { role?: string }).role === "leader");
  const second = leaders[1];
  if (second === undefined) throw new Error("the run has no second leader");
  return Math.min(events.length - 1, second.i + 300);
}

/**
 * An event at which some replica knows of slots chosen beyond what it has
 * applied (its learner's chosenEnd past its appliedEnd), and that replica,
 * found by re-running the scenario and asking the nodes' own inspect().
 */
async function knowsMoreThanApplied(name: string, events: readonly TraceEvent[]): Promise<{ ev: number; node: string }> {
  const scenario = parseScenario(scenarioSource(name), `${name}.yaml`);
  const run = new PausableRun(scenario, scenario.seed, 1);
  for (let ev = 1; ev < events.length; ev++) {
    await run.advanceTo(ev);
    for (const node of inspectNodes(run.simulation).nodes) {
      const replica = replicaOf(node.state);
      if (replica !== null && replica.learner.chosenEnd > replica.learner.appliedEnd) return { ev, node: node.id };
    }
  }
  throw new Error(`no replica of ${name} ever knows of slots beyond what it applied`);
}

/** The checker's chosen slots for a scenario's run, as "slot:event" in order. */
async function checkerChosen(name: string): Promise<string[]> {
  const trace = await traceOf(name);
  const nodes = (JSON.parse(trace.lines[0] as string) as { config: { nodes: string[] } }).config.nodes;
  const checker = new PaxosChecker(nodes.filter((n) => /^s\d+$/.test(n)));
  for (const event of eventsOf(trace.lines)) checker.observe(event);
  return checker.chosenSlots.map((c) => `${c.slot}:${c.ev}`);
}

async function inspectionAt(name: string, ev: number): Promise<Inspection> {
  const scenario = parseScenario(scenarioSource(name), `${name}.yaml`);
  const run = new PausableRun(scenario, scenario.seed, ev);
  await run.advanceTo(ev);
  return inspectNodes(run.simulation);
}

describeInBrowser("the protocol lenses in Chromium", () => {
  let browser: Browser;
  let server: ViewServer;
  let origin = "";

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startView([]);
    origin = new URL(server.url).origin;
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
  });

  async function open(name: string): Promise<Page> {
    const page = await browser.page();
    await page.goto(`${origin}/?scenario=${name}`);
    expect(await waitOpened(page)).toBe("ready");
    return page;
  }

  async function cursorAt(page: Page, ev: number): Promise<void> {
    await page.evaluate((e) => window.zksimViewer?.setCursor(e), ev);
  }

  /** The slot table shown at `ev` against the replicas' inspection computed here; returns the cells marked changed. */
  async function expectTableMatches(page: Page, name: string, ev: number): Promise<{ changed: string[]; chosen: number[] }> {
    await cursorAt(page, ev);
    await page.waitForSelector(`#panel-paxos section[data-target="${ev}"]`, { timeout: 60_000 });
    const shown = await page.evaluate(() => ({
      cells: [...document.querySelectorAll<HTMLElement>("#panel-paxos td[data-ballot]")].map((td) => ({ slot: Number(td.dataset["slot"]), acceptor: td.dataset["acceptor"], ballot: td.dataset["ballot"], vid: td.dataset["vid"], changed: td.dataset["changed"] === "" })),
      commit: Object.fromEntries([...document.querySelectorAll<HTMLElement>("#panel-paxos td[data-commit]")].map((td) => [td.dataset["acceptor"], Number(td.dataset["commit"])])),
      applied: Object.fromEntries([...document.querySelectorAll<HTMLElement>("#panel-paxos td[data-applied]")].map((td) => [td.dataset["acceptor"], Number(td.dataset["applied"])])),
      chosen: [...document.querySelectorAll<HTMLElement>("#panel-paxos td[data-chosen-ev]")].map((td) => Number(td.dataset["chosenEv"])),
    }));
    const inspection = await inspectionAt(name, ev);
    const expected: { slot: number; acceptor: string; ballot: string; vid: string }[] = [];
    const commit: Record<string, number> = {};
    const applied: Record<string, number> = {};
    for (const node of inspection.nodes) {
      const replica = replicaOf(node.state);
      if (replica === null) continue;
      for (const entry of replica.acceptor.accepted) expected.push({ slot: entry.slot, acceptor: node.id, ballot: formatBallot(entry.ballot), vid: entry.vid });
      commit[node.id] = replica.learner.chosenEnd;
      applied[node.id] = replica.learner.appliedEnd;
    }
    // The table shows the highest slots.
    const shownSlots = new Set([...new Set(expected.map((e) => e.slot))].sort((a, b) => b - a).slice(0, SLOT_ROWS_MAX));
    const order = (list: { slot: number; acceptor?: string | undefined }[]) => list.slice().sort((a, b) => b.slot - a.slot || (a.acceptor ?? "").localeCompare(b.acceptor ?? ""));
    expect(order(shown.cells.map(({ slot, acceptor, ballot, vid }) => ({ slot, acceptor, ballot, vid })))).toEqual(order(expected.filter((e) => shownSlots.has(e.slot))));
    expect(shown.commit).toEqual(commit);
    expect(shown.applied).toEqual(applied);
    return { changed: shown.cells.filter((c) => c.changed).map((c) => c.acceptor ?? ""), chosen: shown.chosen };
  }

  test("the slot table at a cursor shows what each replica's inspection says, the new acceptance marked (basic-paxos, and default across leaders)", async () => {
    const page = await open("basic-paxos");
    await page.click('#tabs button[data-tab="paxos"]');
    const events = eventsOf((await traceOf("basic-paxos")).lines);
    const [slot, chosenEv] = ((await checkerChosen("basic-paxos"))[0] as string).split(":").map(Number) as [number, number];
    expect(slot).toBe(0);
    const lastAcceptor = (events[chosenEv] as TraceEvent & { node: string }).node;
    const delivered = lastDeliveryBefore(events, chosenEv, lastAcceptor);
    await expectTableMatches(page, "basic-paxos", delivered - 1);
    // One step on from the inspection shown before: the acceptance delivered at this event is the one cell changed.
    expect((await expectTableMatches(page, "basic-paxos", delivered)).changed).toEqual([lastAcceptor]);
    await screenshot(page, "lenses-paxos-slot-table");
    expect(await expectTableMatches(page, "basic-paxos", chosenEv)).toEqual({ changed: [], chosen: [chosenEv] });
    expect((await expectTableMatches(page, "basic-paxos", events.length - 1)).chosen).toEqual([chosenEv]);
    await page.close();
    // Multi-Paxos across leaders: slots accepted at several ballots, a restarted replica catching up.
    const multi = await open("default");
    await multi.click('#tabs button[data-tab="paxos"]');
    const ballots = new Set<string>();
    const defaultEvents = eventsOf((await traceOf("default")).lines);
    // And an event where a replica knows slots chosen that it has not applied yet.
    const behind = await knowsMoreThanApplied("default", defaultEvents);
    for (const ev of [afterSecondLeader(defaultEvents), behind.ev]) {
      await expectTableMatches(multi, "default", ev);
      for (const ballot of await multi.evaluate(() => [...document.querySelectorAll<HTMLElement>("#panel-paxos td[data-ballot]")].map((td) => td.dataset["ballot"] ?? ""))) ballots.add(ballot);
    }
    expect(ballots.size).toBeGreaterThan(1);
    const lag = await multi.evaluate((node) => [document.querySelector<HTMLElement>(`#panel-paxos td[data-commit][data-acceptor="${node}"]`)?.dataset["commit"], document.querySelector<HTMLElement>(`#panel-paxos td[data-applied][data-acceptor="${node}"]`)?.dataset["applied"]], behind.node);
    expect(Number(lag[0])).toBeGreaterThan(Number(lag[1]));
    await screenshot(multi, "lenses-paxos-catching-up");
    expect(browser.errors).toEqual([]);
    await multi.close();
  });

  test("the chosen marks sit at the events the Paxos checker names (basic-paxos, dueling-proposers, default)", async () => {
    for (const name of ["basic-paxos", "dueling-proposers", "default"]) {
      const expected = await checkerChosen(name);
      expect(expected.length).toBeGreaterThan(0);
      const page = await open(name);
      await page.click('#tabs button[data-tab="paxos"]');
      expect(await diagramNumber(page, "chosen-marks")).toBe(expected.length);
      // The whole run is in view: every mark is drawn, at the checker's event.
      await page.waitForFunction((n) => Number(document.getElementById("diagram")?.dataset["chosenDrawn"]) === n, expected.length);
      expect((await page.getAttribute("#diagram", "data-chosen-at"))?.split(",")).toEqual(expected.slice(0, 100));
      // The panel counts the slots chosen by the cursor: none just before the first mark, one at it.
      const first = Number((expected[0] as string).split(":")[1]);
      const chosenBy = async (ev: number) => {
        await cursorAt(page, ev);
        await page.waitForSelector(`#panel-paxos[data-cursor="${ev}"]`);
        return Number(await page.getAttribute("#panel-paxos section[data-chosen-by-cursor]", "data-chosen-by-cursor"));
      };
      expect(await chosenBy(first - 1)).toBe(0);
      expect(await chosenBy(first)).toBe(1);
      const last = Number((expected.at(-1) as string).split(":")[1]);
      expect(await chosenBy(last)).toBe(expected.length);
      const listed = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>("#panel-paxos li[data-chosen-slot]")].map((li) => `${li.dataset["chosenSlot"]}:${li.dataset["ev"]}`));
      expect(listed).toEqual(expected.slice(-8).reverse());
      if (name === "dueling-proposers") await screenshot(page, "lenses-chosen-dueling");
      if (name === "default") {
        // The quorums of the leader at the cursor are drawn over the diagram and listed.
        await page.waitForFunction(() => Number(document.getElementById("diagram")?.dataset["quorumMessages"]) > 0);
        expect(await page.locator("#panel-paxos section.quorums[data-leader]").count()).toBe(1);
        await screenshot(page, "lenses-quorums-default");
      }
      await page.close();
    }
    expect(browser.errors).toEqual([]);
  });

  test("default: the ring shows the messages in flight at the cursor, steps with the diagram, and a click picks a lane", async () => {
    const trace = await traceOf("default");
    const events = eventsOf(trace.lines);
    const endUs = (JSON.parse(trace.lines.at(-1) as string) as { endUs: number }).endUs;
    const page = await open("default");
    await page.click('#tabs button[data-tab="ring"]');
    let ev = 0;
    for (const from of [1_000, 9_000, 20_000]) {
      // The first event from there with a message in flight (counted here from the trace).
      ev = from;
      while (inflightAt(events, ev, endUs) === 0) ev++;
      await cursorAt(page, ev);
      await page.waitForSelector(`#panel-ring[data-cursor="${ev}"]`);
      const expected = inflightAt(events, ev, endUs);
      expect(Number(await page.getAttribute("#panel-ring", "data-inflight"))).toBe(expected);
      expect(await page.locator("#panel-ring g.ring-flights circle").count()).toBe(expected);
      await page.waitForFunction((n) => Number(document.getElementById("diagram")?.dataset["inflight"]) === n, expected);
    }
    await screenshot(page, "lenses-ring");
    // Stepping moves both pictures.
    await page.evaluate(() => window.zksimViewer?.key("ArrowRight"));
    const cursor = await diagramNumber(page, "cursor");
    expect(cursor).toBeGreaterThan(ev);
    expect(await page.getAttribute("#panel-ring", "data-cursor")).toBe(String(cursor));
    expect(Number(await page.getAttribute("#panel-ring", "data-inflight"))).toBe(inflightAt(events, cursor, endUs));
    // A node clicked in the ring selects its lane: the transport's n / p now step to its events.
    await page.click('#panel-ring g.ring-node[data-node="s3"]');
    const lane = (JSON.parse(trace.lines[0] as string) as { config: { nodes: string[] } }).config.nodes.indexOf("s3");
    expect(await page.inputValue("#match-lane")).toBe(String(lane));
    expect(await diagramNumber(page, "selected-lane")).toBe(lane);
    expect(await page.getAttribute('#panel-ring g.ring-node[data-node="s3"]', "class")).toContain("selected");
    await page.evaluate(() => window.zksimViewer?.key("n"));
    const next = await diagramNumber(page, "cursor");
    expect(next).toBeGreaterThan(cursor);
    const at = events[next] as TraceEvent;
    const on = at.type === "send" ? at.from : at.type === "deliver" || at.type === "drop" || at.type === "duplicate" ? at.to : "node" in at ? at.node : "";
    expect(on).toBe("s3");
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("default: the ZooKeeper lens marks the servers behind the highest zxid, s5 catching up after its restart", async () => {
    const events = eventsOf((await traceOf("default")).lines);
    const ev = events.findIndex((e) => e.t >= 6_300_000);
    const inspection = await inspectionAt("default", ev);
    const zxids = new Map<string, number>();
    for (const node of inspection.nodes) {
      const server = zkServerOf(node.state);
      if (server !== null) zxids.set(node.id, server.lastZxid);
    }
    const max = Math.max(...zxids.values());
    const lagging = [...zxids].filter(([, zxid]) => zxid < max).map(([id]) => id);
    expect(lagging).toContain("s5");
    const page = await open("default");
    await page.click('#tabs button[data-tab="zk"]');
    await cursorAt(page, ev);
    await page.waitForSelector(`#panel-zk[data-target="${ev}"]`, { timeout: 60_000 });
    expect(await page.getAttribute("#panel-zk", "data-lagging")).toBe(lagging.join(","));
    expect(Number(await page.getAttribute("#panel-zk", "data-max-zxid"))).toBe(max);
    const heads = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>("#panel-zk th[data-server]")].map((th) => ({ server: th.dataset["server"], zxid: Number(th.dataset["zxid"]), lagging: th.dataset["lagging"] === "" })));
    expect(heads).toEqual([...zxids].map(([server, zxid]) => ({ server, zxid, lagging: zxid < max })));
    expect(await page.locator('#panel-zk th[data-server="s5"] .lag-badge').count()).toBe(1);
    expect(await page.locator("#panel-zk tr[data-session]").count()).toBeGreaterThan(0);
    await screenshot(page, "lenses-zookeeper");
    // Early in the run, followers a transaction behind the leader are marked too (at event 600, s1 and s4).
    const early = new Map<string, number>();
    for (const node of (await inspectionAt("default", 600)).nodes) {
      const server = zkServerOf(node.state);
      if (server !== null) early.set(node.id, server.lastZxid);
    }
    const earlyMax = Math.max(...early.values());
    expect([...early.values()]).toContain(earlyMax - 1);
    await cursorAt(page, 600);
    await page.waitForSelector('#panel-zk[data-target="600"]', { timeout: 60_000 });
    expect(await page.getAttribute("#panel-zk", "data-lagging")).toBe([...early].filter(([, zxid]) => zxid < earlyMax).map(([id]) => id).join(","));
    expect(browser.errors).toEqual([]);
    await page.close();
  });
});

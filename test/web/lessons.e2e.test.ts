import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { answerOf, locateSteps, parseLesson, type LocatedStep, type ParsedLesson } from "../../src/lesson/index.ts";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace } from "../../src/sim/index.ts";
import { parseMarkdown, plainText } from "../../web/src/lessons/markdown.ts";
import type {} from "../../web/src/live/live-hook.ts";
import { describeInBrowser, diagramNumber, launchBrowser, screenshot, startView, waitOpened, type Browser, type ViewServer } from "./browser.ts";
import { ROOT } from "./fixtures.ts";

/**
 * The lessons in the page, as a student takes them: every lesson walks from
 * its first step to its last in Chromium, the cursor at each step on the
 * event the core's locateSteps finds in the same run here in Node, the
 * step's lanes marked and its narration shown; every question is answered
 * right (the page says so) and, on a second walk, wrong (the page says
 * that); every fork shows its consequence and opens at its violation; the
 * challenge's solution reaches its goal.
 */

const LESSONS = join(ROOT, "scenarios", "lessons");
const files = readdirSync(LESSONS).filter((f) => f.endsWith(".yaml")).sort();
const lessons = files.map((f) => parseLesson(readFileSync(join(LESSONS, f), "utf8"), f));
const load = (name: string): string => readFileSync(join(ROOT, "scenarios", `${name}.yaml`), "utf8");

/** What the core says about a lesson's run, computed here without the page's code. */
interface Expected {
  readonly located: readonly LocatedStep[];
  readonly answers: ReadonlyMap<number, string>;
  readonly nodes: readonly string[];
}

async function expectedOf(parsed: ParsedLesson): Promise<Expected> {
  const { lesson } = parsed;
  const sink = new MemorySink();
  await runScenario(parseScenario(load(lesson.scenario), `${lesson.scenario}.yaml`), { traceSink: sink, ...(lesson.seed === undefined ? {} : { seed: lesson.seed }) });
  const trace = parseTrace(sink.lines.join("\n"), lesson.scenario);
  const located = locateSteps(lesson, trace.events);
  const answers = new Map<number, string>();
  lesson.steps.forEach((step, k) => {
    if (step.question !== undefined) answers.set(k, answerOf(lesson, k, trace.events, located));
  });
  return { located, answers, nodes: (trace.header.config as { nodes: string[] }).nodes };
}

const words = (text: string): string => text.replace(/\s+/g, " ").trim();

async function pane(page: Page, name: string): Promise<string> {
  return (await page.getAttribute("#lesson-pane", `data-${name}`)) ?? "";
}

/** Opens a lesson and waits for its run and its first step. */
async function openLesson(page: Page, base: string, name: string): Promise<void> {
  // The inspector's re-runs check nothing here: off, so the walk does not wait for them.
  await page.goto(`${base}?lesson=${name}&reruns=off`);
  await page.waitForFunction(() => document.getElementById("lesson-pane")?.dataset["state"] === "ready", null, { timeout: 120_000 });
}

/** Waits until the step shown is `k` and the diagram is drawn with its run. */
async function atStep(page: Page, k: number): Promise<void> {
  await page.waitForFunction((step) => document.getElementById("lesson-pane")?.dataset["step"] === String(step) && document.getElementById("lesson-pane")?.dataset["showing"] === "lesson", k, { timeout: 120_000 });
}

describeInBrowser("lessons in Chromium", () => {
  let browser: Browser;
  let server: ViewServer;
  let base = "";

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startView(["--lesson", "basic-paxos"]);
    base = server.url.replace(/\?.*$/, "");
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await browser?.close();
  });

  test("zksim view --lesson basic-paxos serves a page that opens the lesson at its first step", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?lesson=basic-paxos$/);
    const page = await browser.page();
    await page.goto(server.url);
    expect(await waitOpened(page)).toBe("ready");
    await page.waitForFunction(() => document.getElementById("lesson-pane")?.dataset["state"] === "ready", null, { timeout: 120_000 });
    expect(await pane(page, "lesson")).toBe("basic-paxos");
    expect(await pane(page, "step")).toBe("0");
    expect(await page.locator("#lesson-pane .lesson-title").innerText()).toBe("Basic Paxos with one proposer");
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("the Lessons menu lists the nine lessons in the course's order, and one opens from it", async () => {
    const page = await browser.page();
    await page.goto(base);
    await page.click("#lessons-menu > summary");
    await page.waitForSelector("#lessons-menu .lessons-list li a");
    const listed = await page.$$eval("#lessons-menu .lessons-list a", (links) => links.map((a) => a.getAttribute("data-lesson")));
    expect(listed).toEqual([...lessons].sort((a, b) => a.lesson.order - b.lesson.order).map((p) => p.lesson.name));
    expect(listed).toHaveLength(9);
    await page.click('#lessons-menu a[data-lesson="stale-reads"]');
    await page.waitForFunction(() => document.getElementById("lesson-pane")?.dataset["lesson"] === "stale-reads" && document.getElementById("lesson-pane")?.dataset["state"] === "ready", null, { timeout: 120_000 });
    expect(page.url()).toContain("?lesson=stale-reads");
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  test("a step's slots and znodes are marked in the protocol lenses (basic-paxos's slot 0, znodes-watches's /r1)", async () => {
    const page = await browser.page();
    for (const [name, tab, attribute, stepWith] of [
      ["basic-paxos", "paxos", "emphasisSlots", (l: ParsedLesson) => l.lesson.steps.findIndex((st) => (st.highlight?.slots?.length ?? 0) > 0)],
      ["znodes-watches", "zk", "emphasisZnodes", (l: ParsedLesson) => l.lesson.steps.findIndex((st) => (st.highlight?.znodes?.length ?? 0) > 0)],
    ] as const) {
      const parsed = lessons.find((l) => l.lesson.name === name) as ParsedLesson;
      const k = stepWith(parsed);
      expect(k, name).toBeGreaterThan(0);
      // With the inspector on: the lenses show the state at the cursor.
      await page.goto(`${base}?lesson=${name}`);
      await page.waitForFunction(() => document.getElementById("lesson-pane")?.dataset["state"] === "ready", null, { timeout: 120_000 });
      for (let step = 0; step < k; step++) {
        await atStep(page, step);
        await page.locator("#diagram canvas").focus();
        // A question holds the next step back until it is answered (any choice will do here).
        if (parsed.lesson.steps[step]?.question !== undefined) await page.keyboard.press("1");
        await page.keyboard.press("PageDown");
      }
      await atStep(page, k);
      await page.click(`#tabs button[data-tab="${tab}"]`);
      await page.waitForFunction(([panel, attr]) => Number(document.getElementById(`panel-${panel}`)?.dataset[attr]) >= 1, [tab, attribute] as const, { timeout: 120_000 });
      await screenshot(page, `lesson-${tab}-emphasis`);
    }
    expect(browser.errors).toEqual([]);
    await page.close();
  }, 300_000);

  test("a lesson that is not bundled is refused, naming the lessons there are", async () => {
    const page = await browser.page();
    await page.goto(`${base}?lesson=basic-paxo`);
    expect(await waitOpened(page)).toBe("error");
    const error = await page.locator("#error-panel").innerText();
    expect(error).toContain("Could not open lesson basic-paxo");
    expect(error).toContain("no bundled lesson of that name; expected one of basic-paxos, dueling-proposers");
    await page.close();
  });

  describe.each(lessons.map((parsed) => [parsed.lesson.name, parsed] as const))("%s", (name, parsed) => {
    const { lesson } = parsed;
    let expected: Expected;

    beforeAll(async () => {
      expected = await expectedOf(parsed);
    }, 60_000);

    test("walks from its first step to its last: the cursor on each step's event, its lanes marked, its narration shown; questions answered right; forks show their consequence; the challenge's solution reaches its goal", async () => {
      const page = await browser.page();
      await openLesson(page, base, name);
      for (let k = 0; k < lesson.steps.length; k++) {
        const step = lesson.steps[k];
        if (step === undefined) throw new Error("no step");
        await atStep(page, k);
        const where = `${name} step ${k + 1}`;
        expect(await diagramNumber(page, "cursor"), where).toBe(expected.located[k]?.event);
        expect(await pane(page, "event"), where).toBe(String(expected.located[k]?.event));
        expect(words(await page.locator("#lesson-pane .lesson-say").innerText()), where).toBe(words(plainText(parseMarkdown(step.say))));
        const nodes = (step.highlight?.nodes ?? []).filter((n) => expected.nodes.includes(n));
        await page.waitForFunction((lanes) => document.getElementById("diagram")?.dataset["emphasisLanes"] === lanes, nodes.join(" "));
        for (const node of nodes) expect(await page.locator(`#lesson-pane .chip-node[data-node="${node}"]`).count(), where).toBe(1);
        for (const type of step.highlight?.messages ?? []) expect(await page.locator(`#lesson-pane .chip-message[data-message="${type}"]`).count(), where).toBe(1);
        // The lanes may be those of the step before (the same node): wait for the redraw that outlines this step's messages.
        if ((step.highlight?.messages ?? []).length > 0) {
          await page.waitForFunction(() => Number(document.getElementById("diagram")?.dataset["emphasisMessages"]) > 0, undefined, { timeout: 5_000 }).catch(() => undefined);
          expect(await diagramNumber(page, "emphasis-messages"), `${where}: its messages are outlined`).toBeGreaterThan(0);
        }
        if (step.question !== undefined) {
          const answer = expected.answers.get(k) as string;
          // Predict first: the next step waits for a choice.
          expect(await page.locator("#lesson-next").isDisabled(), where).toBe(true);
          await page.click(`#lesson-pane .choice[data-choice="${answer}"]`);
          await page.waitForSelector('#lesson-pane .lesson-question[data-answer="right"]');
          expect(await page.locator("#lesson-pane .lesson-verdict").innerText()).toBe("Right.");
          expect(words(await page.locator("#lesson-pane .lesson-reveal").innerText()), where).toBe(words(plainText(parseMarkdown(step.question.reveal))));
          if (name === "basic-paxos") await screenshot(page, "lesson-question");
        }
        if (step.fork !== undefined) await checkFork(page, k, step.fork.expect, where);
        if (k === 1 && name === "basic-paxos") await screenshot(page, "lesson-step");
        if (k + 1 < lesson.steps.length) {
          expect(await page.locator("#lesson-next").isDisabled(), where).toBe(false);
          // Both ways forward: the button, and the key.
          if (k % 2 === 0) await page.click("#lesson-next");
          else {
            await page.locator("#diagram canvas").focus();
            await page.keyboard.press("PageDown");
          }
        }
      }
      expect(await page.locator("#lesson-next").isDisabled()).toBe(true);
      // Back one step with the key, and forward again.
      if (lesson.steps.length > 1) {
        await page.keyboard.press("PageUp");
        await atStep(page, lesson.steps.length - 2);
        expect(await diagramNumber(page, "cursor")).toBe(expected.located[lesson.steps.length - 2]?.event);
        await page.click("#lesson-next");
        await atStep(page, lesson.steps.length - 1);
      }
      if (lesson.challenge !== undefined) {
        const goal = lesson.challenge.check;
        expect(await page.getAttribute("#lesson-pane .lesson-challenge", "data-goal")).toBe("idle");
        await page.click("#lesson-pane .show-solution");
        await page.waitForFunction(() => ["reached", "not-reached", "failed"].includes(document.querySelector("#lesson-pane .lesson-challenge")?.getAttribute("data-goal") ?? ""), null, { timeout: 120_000 });
        expect(await page.getAttribute("#lesson-pane .lesson-challenge", "data-goal")).toBe("reached");
        expect(await pane(page, "showing")).toBe("solution");
        expect(await page.locator("#lesson-pane .goal-reached").innerText()).toContain(goal);
        // The diagram shows the solution's run at the goal's violation.
        expect(String(await diagramNumber(page, "cursor"))).not.toBe("NaN");
        expect(await page.getAttribute("#diagram", "data-selected")).not.toBeNull();
        await screenshot(page, `lesson-challenge-${name}`);
        await page.click("#lesson-return");
        await atStep(page, lesson.steps.length - 1);
        expect(await diagramNumber(page, "cursor")).toBe(expected.located[lesson.steps.length - 1]?.event);
        await challengeLive(page, lesson.challenge.solution as unknown as readonly Record<string, unknown>[], goal);
        await page.click("#lesson-return");
        await atStep(page, lesson.steps.length - 1);
      }
      expect(browser.errors).toEqual([]);
      await page.close();
    }, 300_000);

    if (lesson.steps.some((s) => s.question !== undefined))
      test("every question picked wrong on a second walk: the page says wrong, names the run's answer, and reveals", async () => {
        const page = await browser.page();
        await openLesson(page, base, name);
        for (let k = 0; k < lesson.steps.length; k++) {
          const step = lesson.steps[k];
          await atStep(page, k);
          if (step?.question !== undefined) {
            const answer = expected.answers.get(k) as string;
            const wrong = step.question.choices.find((c) => c !== answer) as string;
            const index = step.question.choices.indexOf(wrong);
            // Choices have keys: 1 for the first, 2 for the second...
            await page.locator("#diagram canvas").focus();
            await page.keyboard.press(String(index + 1));
            await page.waitForSelector('#lesson-pane .lesson-question[data-answer="wrong"]');
            expect(await page.locator("#lesson-pane .lesson-verdict").innerText()).toBe(`Not quite: the run says ${answer}.`);
            expect(await page.locator(`#lesson-pane .choice.right-answer[data-choice="${answer}"]`).count()).toBe(1);
            expect(await page.locator("#lesson-pane .lesson-reveal").innerText()).not.toBe("");
          }
          if (k + 1 < lesson.steps.length) await page.click("#lesson-next");
        }
        expect(browser.errors).toEqual([]);
        await page.close();
      }, 300_000);
  });

  /**
   * The challenge live: the lesson's scenario started in the Live tab; its
   * own run (played to its end) does not reach the goal; the solution's
   * interventions applied the live view's way (the cursor on the last event
   * at or before each one's instant, then the intervention, which forks a
   * branch there), and the branch played to its end, reaches it.
   */
  async function challengeLive(page: Page, solution: readonly Record<string, unknown>[], goal: string): Promise<void> {
    const idle = () => page.waitForFunction(() => window.zksimLive?.status() !== null && window.zksimLive?.busy() === false, null, { timeout: 120_000 });
    await page.click("#lesson-pane .try-live");
    await idle();
    expect(await pane(page, "showing")).toBe("live");
    await page.click("#live-finish");
    await page.waitForFunction(() => document.querySelector("#lesson-pane .lesson-challenge")?.getAttribute("data-goal") === "not-reached", null, { timeout: 120_000 });
    expect(await page.getAttribute("#lesson-pane .lesson-challenge", "data-by")).toBe("live");
    const entries = solution.map((e: Record<string, unknown>) => ({ ...e, atUs: Number(e["at"]) })).sort((a, b) => a.atUs - b.atUs);
    for (const entry of entries) {
      expect(Number.isSafeInteger(entry.atUs), "the solution's instants, in µs as parsed").toBe(true);
      const ev = await page.evaluate(async (atUs) => {
        // The last event at or before the instant, by the live run's own lines.
        const count = window.zksimViewer?.state().events ?? 0;
        let lo = 0;
        let hi = count - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          const t = (JSON.parse((await window.zksimLive?.line(mid)) ?? "{}") as { t: number }).t;
          if (t <= atUs) lo = mid;
          else hi = mid - 1;
        }
        return lo;
      }, entry.atUs);
      await page.evaluate((e) => window.zksimViewer?.setCursor(e), ev);
      const intervention: Record<string, unknown> = { ...entry };
      delete intervention["at"];
      delete intervention["atUs"];
      await page.evaluate((i) => window.zksimLive?.intervene(i as never), intervention);
      await idle();
      await page.click("#live-finish");
      await idle();
    }
    await page.waitForFunction(() => document.querySelector("#lesson-pane .lesson-challenge")?.getAttribute("data-goal") === "reached", null, { timeout: 120_000 });
    expect(await page.getAttribute("#lesson-pane .lesson-challenge", "data-by")).toBe("live");
    expect(await page.locator("#lesson-pane .goal-reached").innerText()).toContain(goal);
    const branches = await page.evaluate(() => window.zksimLive?.branches() ?? []);
    expect(branches.length).toBeGreaterThanOrEqual(entries.length + 1);
    await screenshot(page, "lesson-challenge-live");
    // Check my branch: the same verdict from the branch run to its end here.
    await page.click("#lesson-pane .check-branch");
    await page.waitForFunction(() => document.querySelector("#lesson-pane .lesson-challenge")?.getAttribute("data-goal") === "reached", null, { timeout: 120_000 });
  }

  /** Runs a step's fork, checks its consequence, opens it at its violation and comes back. */
  async function checkFork(page: Page, k: number, expect_: string, where: string): Promise<void> {
    const fork = page.locator("#lesson-pane .lesson-fork");
    expect(await fork.getAttribute("data-fork")).toBe("idle");
    await page.click("#lesson-pane .run-fork");
    await page.waitForFunction(() => ["done", "failed"].includes(document.querySelector("#lesson-pane .lesson-fork")?.getAttribute("data-fork") ?? ""), null, { timeout: 120_000 });
    expect(await fork.getAttribute("data-fork"), where).toBe("done");
    expect(await fork.getAttribute("data-consequence"), where).toBe("shown");
    expect(await page.locator("#lesson-pane .fork-digest").innerText()).toMatch(/^[0-9a-f]{16}$/);
    if (expect_ === "pass") expect(await page.locator("#lesson-pane .fork-none").count(), where).toBe(1);
    else expect(await page.locator(`#lesson-pane .fork-check.expected[data-check="${expect_}"]`).count(), where).toBe(1);
    await screenshot(page, `lesson-fork-${where.replace(/ /g, "-")}`);
    const cursorBefore = await diagramNumber(page, "cursor");
    await page.click("#lesson-pane .open-fork");
    await page.waitForFunction(() => document.getElementById("lesson-pane")?.dataset["showing"] === "fork" && document.getElementById("diagram")?.dataset["state"] === "ready" && document.getElementById("lesson-pane")?.dataset["jumped"] !== undefined, null, { timeout: 120_000 });
    if (expect_ !== "pass") {
      expect(await pane(page, "jumped"), where).toBe(expect_);
      expect(await page.locator("#panel-details").innerText()).toContain("violation");
    }
    await page.click("#lesson-return");
    await atStep(page, k);
    await page.waitForFunction((c) => document.getElementById("diagram")?.dataset["cursor"] === String(c), cursorBefore, { timeout: 60_000 });
    // The fork's result is kept: no need to run it again.
    expect(await fork.getAttribute("data-fork")).toBe("done");
  }
});

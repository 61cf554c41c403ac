import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { answerOf, challengeSource, forkSource, locateSteps, LessonStepError, parseLesson, type ParsedLesson } from "../../src/lesson/index.ts";
import { parseScenario, runScenario, ScenarioError } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace, type TraceEvent } from "../../src/sim/index.ts";

/**
 * The bundled lessons against the runs they narrate: every step's filter
 * finds its event, every question's answer (read from the run) is one of its
 * choices, every fork shows the consequence it promises, and every
 * challenge's solution reaches its goal (which the lesson's own run does
 * not). A protocol change that moves a lesson's ground fails here, naming
 * the lesson and the step.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const LESSONS = join(ROOT, "scenarios", "lessons");
const load = (name: string): string => readFileSync(join(ROOT, "scenarios", `${name}.yaml`), "utf8");

const files = readdirSync(LESSONS).filter((f) => f.endsWith(".yaml")).sort();

async function eventsOf(parsed: ParsedLesson): Promise<{ events: TraceEvent[]; nodes: readonly string[] }> {
  const scenario = parseScenario(load(parsed.lesson.scenario), `${parsed.lesson.scenario}.yaml`);
  const sink = new MemorySink();
  await runScenario(scenario, { traceSink: sink, ...(parsed.lesson.seed === undefined ? {} : { seed: parsed.lesson.seed }) });
  const trace = parseTrace(sink.lines.join("\n"), parsed.lesson.scenario);
  return { events: trace.events, nodes: (trace.header.config as { nodes: string[] }).nodes };
}

const failedChecks = async (name: string, source: string): Promise<string[]> => (await runScenario(parseScenario(source, `${name}.yaml`))).checks.filter((c) => !c.holds).map((c) => c.name);

test("the course: nine lessons in order, the ones the course promises", () => {
  const lessons = files.map((f) => parseLesson(readFileSync(join(LESSONS, f), "utf8"), f).lesson);
  expect(lessons.map((l) => l.order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(lessons.map((l) => l.name)).toEqual(["basic-paxos", "dueling-proposers", "acceptor-restart", "multi-paxos", "znodes-watches", "sessions-ephemerals", "lock-fencing", "stale-reads", "cluster-membership"]);
  expect(lessons.some((l) => l.challenge !== undefined)).toBe(true);
});

describe.each(files)("%s", (file) => {
  const parsed = parseLesson(readFileSync(join(LESSONS, file), "utf8"), file);
  const { lesson } = parsed;

  test("every step finds its event, in order; highlighted nodes exist; questions are answerable from the run", async () => {
    const { events, nodes } = await eventsOf(parsed);
    const located = locateSteps(lesson, events);
    expect(located).toHaveLength(lesson.steps.length);
    lesson.steps.forEach((step, k) => {
      for (const node of step.highlight?.nodes ?? []) expect(nodes, `${lesson.name} step ${k + 1} highlights ${node}`).toContain(node);
      if (step.question === undefined) return;
      const answer = answerOf(lesson, k, events, located);
      expect(step.question.choices, `${lesson.name} step ${k + 1}: the run answers ${answer}`).toContain(answer);
    });
  }, 60_000);

  const forks = lesson.steps.flatMap((step, k) => (step.fork === undefined ? [] : [k]));
  if (forks.length > 0)
    test("every fork shows its consequence", async () => {
    const { events } = await eventsOf(parsed);
    const located = locateSteps(lesson, events);
    for (const k of forks) {
      const fork = lesson.steps[k]?.fork;
      const variant = forkSource(parsed, k, located[k]?.atUs ?? 0, load);
      const failed = await failedChecks(variant.name, variant.source);
      if (fork?.expect === "pass") expect(failed, `${lesson.name} step ${k + 1}`).toEqual([]);
      else expect(failed, `${lesson.name} step ${k + 1}`).toContain(fork?.expect);
    }
  }, 60_000);

  if (lesson.challenge !== undefined)
    test("the challenge's solution reaches its goal, which the lesson's own run does not", async () => {
    const goal = lesson.challenge?.check as string;
    expect(await failedChecks(lesson.scenario, load(lesson.scenario))).not.toContain(goal);
    expect(await failedChecks(lesson.scenario, challengeSource(parsed, load))).toContain(goal);
  }, 60_000);
});

describe("lesson files and filters", () => {
  const minimal = ["name: x", "order: 1", "title: T", "summary: S", "scenario: basic-paxos", "steps:", "  - at: { type: send, msg: prepare }", "    say: hello"];

  test("a bad field is named by its line", () => {
    const bad = [...minimal];
    bad[6] = "  - at: { type: sent, msg: prepare }";
    expect(() => parseLesson(bad.join("\n"), "bad.yaml")).toThrow(ScenarioError);
    expect(() => parseLesson(bad.join("\n"), "bad.yaml")).toThrow(/^bad\.yaml:7: steps\[0\]\.at\.type: /);
    const unknown = [...minimal, "    narration: no"];
    expect(() => parseLesson(unknown.join("\n"), "u.yaml")).toThrow(/u\.yaml:9: .*unknown field "narration"/);
    const fork = [...minimal, "    fork: { say: s, expect: pass }"];
    expect(() => parseLesson(fork.join("\n"), "f.yaml")).toThrow(/exactly one of apply, bugs or scenario/);
  });

  test("a step whose filter matches nothing names the lesson, the step and the filter", async () => {
    const parsed = parseLesson([...minimal, "  - at: { type: send, msg: prepare, where: { msg.ballot.round: 7 } }", "    say: never"].join("\n"), "x.yaml");
    const { events } = await eventsOf(parsed);
    expect(() => locateSteps(parsed.lesson, events)).toThrow(LessonStepError);
    expect(() => locateSteps(parsed.lesson, events)).toThrow(/x: step 2: no event matches \{ type: "send", msg: "prepare", where: \{"msg.ballot.round":7\} \} after the previous step/);
  });

  test("nth counts matches, since: start searches from the beginning, deliveries see their message", async () => {
    const steps = ["  - at: { type: deliver, msg: promise, nth: 2 }", "    say: a", "  - at: { type: send, msg: prepare, since: start }", "    say: b"];
    const parsed = parseLesson([...minimal.slice(0, 6), ...steps].join("\n"), "n.yaml");
    const { events } = await eventsOf(parsed);
    const located = locateSteps(parsed.lesson, events);
    const promises = events.filter((e) => e.type === "deliver" && events.some((s) => s.type === "send" && s.id === e.id && (s.msg as { type: string }).type === "promise"));
    expect(located[0]?.event).toBe(promises[1]?.i);
    expect(located[1]?.event).toBe(events.find((e) => e.type === "send" && (e.msg as { type: string }).type === "prepare")?.i);
  });
});

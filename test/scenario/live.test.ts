import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { LiveRun, parseScenario, runScenario, ScenarioError, type FaultEntry, type Intervention } from "../../src/scenario/index.ts";
import { InputError, MemorySink, parseTrace, type TraceEvent } from "../../src/sim/index.ts";

/**
 * Live runs: a run driven to an instant, intervened, and finished reaches a
 * digest that the exported scenario reaches again, in the runner and with
 * `zksim run`; stepping and running to an instant meet at the same run; a
 * branch's interventions replay it; what cannot apply is a clear error.
 */

const BIN = fileURLToPath(new URL("../../bin/zksim.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "zksim-live-"));

const SOURCE = `# A small cluster for live runs.
name: live-small
description: Three servers and two clients on znodes; the leader crashes at 1 s.
seed: 4
duration: 2500ms
servers: { count: 3 }
clients:
  - count: 2
    workload: { kind: znode, keys: 3, ops: 60, every: 20ms }
faults:
  - { at: 1s, crash: leader }   # the old leader stays down
expect: pass
`;
const FILE = "live-small.yaml";
const AT_US = 1_500_000;

/** The digest runScenario reaches for a scenario source. */
async function digestOf(source: string): Promise<string | null> {
  return (await runScenario(parseScenario(source, "exported.yaml"))).digest;
}

/** A live run taken to `AT_US`, intervened by `act`, and finished. */
async function intervened(act: (live: LiveRun) => Promise<unknown>): Promise<{ live: LiveRun; digest: string | null }> {
  const live = LiveRun.build(SOURCE, FILE);
  await live.runTo(AT_US);
  await act(live);
  const report = await live.finish();
  return { live, digest: report.digest };
}

/** A server that is down at the run's current instant. */
function crashedServer(live: LiveRun): string {
  const id = ["s1", "s2", "s3"].find((s) => live.simulation.status(s) === "crashed");
  if (id === undefined) throw new Error("no crashed server");
  return id;
}

/**
 * The first message in flight that arrives after the current instant (an
 * intervention completes the instant first, so one due now is delivered
 * before it applies).
 */
function messageInFlight(live: LiveRun): number {
  return messagesInFlight(live, 1)[0] as number;
}

/** The first message in flight after the current instant, stepping the run on until there is one. */
async function nextInFlight(live: LiveRun): Promise<number> {
  await untilInFlight(live, 1);
  return messageInFlight(live);
}

/** Steps the run until `count` messages are in flight past the current instant. */
async function untilInFlight(live: LiveRun, count: number): Promise<void> {
  while (live.simulation.messagesInFlight().filter((m) => m.arrivalUs > live.nowUs).length < count) {
    if ((await live.runEvents(1)) === 0) throw new Error(`the run ended with fewer than ${count} messages in flight`);
  }
}

function messagesInFlight(live: LiveRun, count: number): number[] {
  const ids = live.simulation
    .messagesInFlight()
    .filter((m) => m.arrivalUs > live.nowUs)
    .map((m) => m.id);
  if (ids.length < count) throw new Error(`expected ${count} messages in flight after ${live.nowUs} µs, found ${ids.length}`);
  return ids.slice(0, count);
}

const baseline = runScenario(parseScenario(SOURCE, FILE)).then((r) => r.digest);

/** Every kind of entry, as a person would make it at AT_US (some after an earlier one). */
const CASES: readonly { readonly kind: string; readonly act: (live: LiveRun) => Promise<unknown> }[] = [
  { kind: "crash (the new leader)", act: (live) => live.intervene({ crash: "leader" }) },
  { kind: "restart", act: (live) => live.intervene({ restart: crashedServer(live) }) },
  {
    kind: "pause, then resume",
    act: async (live) => {
      await live.intervene({ pause: "c1" });
      await live.runTo(AT_US + 300_000);
      return live.intervene({ resume: "c1" });
    },
  },
  { kind: "isolate", act: (live) => live.intervene({ isolate: "c2" }) },
  { kind: "partition", act: (live) => live.intervene({ partition: [["c1"], ["s1", "s2", "s3", "c2"]] }) },
  { kind: "cut (one way)", act: (live) => live.intervene({ cut: { from: "c1", to: "c2", oneWay: true } }) },
  {
    kind: "heal",
    act: async (live) => {
      await live.intervene({ isolate: "c1" });
      await live.runTo(AT_US + 200_000);
      return live.intervene({ heal: true });
    },
  },
  { kind: "skew", act: (live) => live.intervene({ skew: { node: "c2", by: "-200ms", driftPpm: 1000 } }) },
  { kind: "network", act: (live) => live.intervene({ network: { loss: 0.05, latency: { kind: "constant", value: "3ms" } } }) },
  // The run is stepped on to the first instant with a message in flight (at 1.5 s the cluster may be between messages).
  { kind: "drop", act: async (live) => live.intervene({ drop: await nextInFlight(live) }) },
  { kind: "duplicate", act: async (live) => live.intervene({ duplicate: await nextInFlight(live) }) },
  { kind: "delay", act: async (live) => live.intervene({ delay: { message: await nextInFlight(live), by: "20ms" } }) },
  { kind: "request create", act: (live) => live.intervene({ request: { client: "c1", op: "create", path: "/console", data: "v", ephemeral: true } }) },
  { kind: "request setData", act: (live) => live.intervene({ request: { client: "c2", op: "setData", path: "/k1", data: "x", version: -1 } }) },
  { kind: "request getData with a watch", act: (live) => live.intervene({ request: { client: "c1", op: "getData", path: "/", watch: true } }) },
  { kind: "request exists", act: (live) => live.intervene({ request: { client: "c2", op: "exists", path: "/nothing", watch: true } }) },
  { kind: "request getChildren", act: (live) => live.intervene({ request: { client: "c1", op: "getChildren", path: "/" } }) },
  { kind: "request delete", act: (live) => live.intervene({ request: { client: "c1", op: "delete", path: "/k0", version: -1 } }) },
  { kind: "request sync", act: (live) => live.intervene({ request: { client: "c2", op: "sync", path: "/" } }) },
];

describe("a live run, intervened, and its exported scenario", () => {
  test("a live run with no intervention reaches the runner's digest", async () => {
    const live = LiveRun.build(SOURCE, FILE);
    expect(live.seed).toBe(4);
    expect(live.durationUs).toBe(2_500_000);
    const report = await live.finish();
    expect(report.digest).toBe(await baseline);
    expect(live.finished).toBe(true);
    expect(live.exportSource()).toBe(SOURCE);
  });

  for (const { kind, act } of CASES) {
    test(`${kind}: the live run and its exported scenario reach the same digest, another than without it`, async () => {
      const live = LiveRun.build(SOURCE, FILE);
      await live.runTo(AT_US);
      await act(live);
      const report = await live.finish();
      expect(report.digest).toMatch(/^[0-9a-f]{16}$/);
      expect(report.digest).not.toBe(await baseline);
      for (const entry of live.interventions()) expect(entry.live).toBe(true);
      const exported = live.exportSource();
      // The original text is kept as it was; the interventions follow its faults.
      expect(exported.startsWith(SOURCE.slice(0, SOURCE.indexOf("expect:")))).toBe(true);
      // The same run, judged the same: the whole report, not the digest only.
      expect(await runScenario(parseScenario(exported, "exported.yaml"))).toEqual(report);
    });
  }

  test("every kind in one run: zksim run of the exported file reaches the live run's digest", async () => {
    const live = LiveRun.build(SOURCE, FILE);
    await live.runTo(1_200_000);
    await live.intervene({ isolate: "c2" });
    await live.intervene({ drop: await nextInFlight(live) });
    await live.intervene({ duplicate: await nextInFlight(live) });
    await live.intervene({ delay: { message: await nextInFlight(live), by: "15ms" } });
    await live.intervene({ request: { client: "c1", op: "create", path: "/cli", data: null } });
    await live.runEvents(40);
    await live.intervene({ request: { client: "c1", op: "getData", path: "/cli", watch: true } });
    await live.intervene({ skew: { node: "s3", by: "1s" } });
    await live.intervene({ network: { latency: { kind: "uniform", min: "1ms", max: "4ms" } } });
    await live.runTo(1_600_000);
    await live.intervene({ heal: true });
    await live.intervene({ partition: [["s1", "s2"], ["s3", "c1", "c2"]] });
    await live.intervene({ cut: { from: "c1", to: "s1" } });
    await live.intervene({ pause: "c2" });
    await live.intervene({ restart: crashedServer(live) });
    await live.runTo(1_900_000);
    await live.intervene({ heal: true });
    await live.intervene({ resume: "c2" });
    await live.intervene({ crash: "leader" });
    await live.intervene({ request: { client: "c2", op: "setData", path: "/cli", data: "w" } });
    const report = await live.finish();
    const file = join(dir, "every-kind.yaml");
    writeFileSync(file, live.exportSource());
    const run = spawnSync(process.execPath, [BIN, "run", file, "--json", "--trace", join(dir, "every-kind.jsonl")], { encoding: "utf8", cwd: dir });
    expect(run.stderr).toBe("");
    const cli = JSON.parse(run.stdout) as { digest: string; events: number };
    expect(cli.digest).toBe(report.digest);
    expect(cli.events).toBe(report.events);
    expect(run.status).toBe(report.matched ? 0 : 1);
  }, 120_000);

  test("stepping event by event and then intervening is the same run as running to that instant and intervening", async () => {
    const stepped = LiveRun.build(SOURCE, FILE);
    let ran = 0;
    // The leader-aimed crash at 1 s falls due while stepping: it is applied, not skipped.
    while (stepped.nowUs < 1_000_300) ran += await stepped.runEvents(1 + (ran % 7));
    const firstUs = stepped.nowUs;
    await stepped.intervene({ isolate: "c2" });
    while (stepped.nowUs < 1_400_000) ran += await stepped.runEvents(1 + (ran % 5));
    await untilInFlight(stepped, 1);
    const secondUs = stepped.nowUs;
    await stepped.intervene({ drop: messageInFlight(stepped) });
    const run = LiveRun.build(SOURCE, FILE);
    await run.runTo(firstUs);
    await run.intervene({ isolate: "c2" });
    await run.runTo(secondUs);
    await run.intervene({ drop: messageInFlight(run) });
    expect(stepped.interventions()).toEqual(run.interventions());
    expect(stepped.events).toBe(run.events);
    expect((await stepped.finish()).digest).toBe((await run.finish()).digest);
  });

  test("a step never runs past a fault that falls due: the leader's crash at 1 s comes before any later event", async () => {
    const sink = new MemorySink();
    const live = LiveRun.build(SOURCE, FILE, { traceSink: sink });
    await live.runTo(999_000);
    while (live.nowUs <= 1_000_000) await live.runEvents(1);
    const events = sink.lines.slice(1).map((line) => JSON.parse(line) as TraceEvent);
    const crash = events.findIndex((e) => e.type === "fault" && e.fault.type === "crash");
    expect(crash).toBeGreaterThan(0);
    expect(events[crash]?.t).toBe(1_000_000);
    expect(events.slice(0, crash).every((e) => e.t <= 1_000_000)).toBe(true);
  });

  test("an intervention at the instant of a leader-aimed fault comes after it, in the live run and in the exported one", async () => {
    const sink = new MemorySink();
    const live = LiveRun.build(SOURCE, FILE, { traceSink: sink });
    await live.runTo(1_000_000);
    const crashed = crashedServer(live);
    await live.intervene({ restart: crashed });
    const recorded = live.interventions()[0] as FaultEntry;
    expect(recorded.at).toBe(1_000_000);
    const report = await live.finish();
    const faults = sink.lines
      .slice(1, -1)
      .map((line) => JSON.parse(line) as TraceEvent)
      .filter((e): e is Extract<TraceEvent, { type: "fault" }> => e.type === "fault");
    expect(faults.map((f) => [f.t, f.fault.type])).toEqual([
      [1_000_000, "crash"],
      [1_000_000, "restart"],
    ]);
    expect(await digestOf(live.exportSource())).toBe(report.digest);
  });

  test("a run built with a branch's interventions replays that branch to the same digest", async () => {
    const { live, digest } = await intervened(async (run) => {
      await run.intervene({ crash: "leader" });
      await run.runTo(1_800_000);
      await run.intervene({ restart: crashedServer(run) });
      return run.intervene({ request: { client: "c1", op: "sync", path: "/" } });
    });
    const branch = live.interventions();
    const replayed = LiveRun.build(SOURCE, FILE, { interventions: branch });
    expect(replayed.interventions()).toEqual(branch);
    expect((await replayed.finish()).digest).toBe(digest);
    // The branch can go on from any earlier instant: build with the interventions before it, run there, intervene otherwise.
    const fork = LiveRun.build(SOURCE, FILE, { interventions: branch.slice(0, 1) });
    await fork.runTo(1_800_000);
    await fork.intervene({ isolate: "c1" });
    expect((await fork.finish()).digest).not.toBe(digest);
  });
});

describe("a live run of a Paxos scenario", () => {
  const PAXOS = `name: live-paxos
description: A Paxos log with a crash and a restart early on; liveness is judged after the last fault.
system: paxos
duration: 3s
servers: { count: 3, heartbeat: 20ms, electionTimeout: [60ms, 120ms] }
proposals: { every: 10ms }
faults:
  - { at: 300ms, crash: s1 }
  - { at: 600ms, restart: s1 }
`;

  test("an intervention late in the run moves the calm point, as the exported scenario's last fault does", async () => {
    const live = LiveRun.build(PAXOS, "live-paxos.yaml");
    await live.runTo(2_600_000);
    await live.intervene({ crash: "leader" });
    const report = await live.finish();
    const liveness = report.checks.find((c) => c.name === "paxos-liveness");
    expect(liveness?.holds).toBe(false);
    expect(liveness?.detail).toMatch(/before calm \(2600000 µs\)/);
    expect(await runScenario(parseScenario(live.exportSource(), "exported.yaml"))).toEqual(report);
  });
});

describe("the new faults in the trace", () => {
  test("a drop is a drop with reason intervention; a duplicate a duplicate; a delay moves the delivery later by exactly its amount", async () => {
    const sink = new MemorySink();
    const live = LiveRun.build(SOURCE, FILE, { traceSink: sink });
    await live.runTo(AT_US);
    await untilInFlight(live, 3);
    const atUs = live.nowUs;
    const ids = messagesInFlight(live, 3);
    const [first, second, third] = live.simulation.messagesInFlight().filter((m) => ids.includes(m.id));
    if (first === undefined || second === undefined || third === undefined) throw new Error("expected three messages in flight");
    await live.intervene({ drop: first.id });
    await live.intervene({ duplicate: second.id });
    await live.intervene({ delay: { message: third.id, by: "20ms" } });
    expect(live.simulation.messagesInFlight().some((m) => m.id === first.id)).toBe(false);
    expect(live.simulation.messagesInFlight().find((m) => m.id === third.id)?.arrivalUs).toBe(third.arrivalUs + 20_000);
    await live.finish();
    const trace = parseTrace(sink.text(), "live");
    expect(trace.header.version).toBe(4); // these faults came with version 3; version 4 changed the digest
    const at = (e: TraceEvent) => e.t === atUs;
    expect(trace.events.find((e) => at(e) && e.type === "drop" && e.id === first.id)).toMatchObject({ reason: "intervention", from: first.from, to: first.to });
    expect(trace.events.find((e) => at(e) && e.type === "duplicate" && e.of === second.id)).toMatchObject({ from: second.from, to: second.to });
    expect(trace.events.find((e) => e.type === "deliver" && e.id === third.id)?.t).toBe(third.arrivalUs + 20_000);
    expect(trace.events.filter((e) => e.type === "fault" && at(e)).map((e) => (e.type === "fault" ? e.fault : null))).toEqual([
      { type: "drop", message: first.id },
      { type: "duplicate", message: second.id },
      { type: "delay", message: third.id, byUs: 20_000 },
    ]);
    expect(trace.summary?.stats.dropped.intervention).toBe(1);
  });

  test("a console request is a client's request: its invoke and complete notes, and a watch it set fires into the trace", async () => {
    const sink = new MemorySink();
    const live = LiveRun.build(SOURCE, FILE, { traceSink: sink });
    await live.runTo(500_000);
    await live.intervene({ request: { client: "c1", op: "create", path: "/watched", data: "a" } });
    await live.runTo(700_000);
    await live.intervene({ request: { client: "c1", op: "getData", path: "/watched", watch: true } });
    await live.runTo(900_000);
    await live.intervene({ request: { client: "c2", op: "setData", path: "/watched", data: "b" } });
    await live.finish();
    const events = parseTrace(sink.text(), "live").events;
    const faultAt = events.findIndex((e) => e.type === "fault" && e.fault.type === "request" && e.t === 700_000);
    expect(events[faultAt]).toMatchObject({ fault: { type: "request", node: "c1", request: { op: "getData", path: "/watched", watch: true } } });
    // The client's invoke note follows the fault at once, and its request names the fault as its cause.
    expect(events[faultAt + 1]).toMatchObject({ type: "note", node: "c1", kind: "zk-invoke", data: { op: "getData", path: "/watched" } });
    const request = events.find((e) => e.i > faultAt && e.type === "send" && e.from === "c1");
    expect(request).toMatchObject({ cause: faultAt });
    const xid = (events[faultAt + 1] as { data: { xid: number } }).data.xid;
    expect(events.find((e) => e.type === "note" && e.node === "c1" && e.kind === "zk-complete" && (e.data as { xid: number }).xid === xid)).toMatchObject({ data: { outcome: "ok" } });
    const fired = events.find((e) => e.type === "note" && e.kind === "console-watch");
    expect(fired).toMatchObject({ node: "c1", data: { type: "NodeDataChanged", path: "/watched" } });
    expect(fired?.t).toBeGreaterThan(900_000);
  });
});

describe("what cannot apply is a clear error, and nothing is recorded", () => {
  test("a message not in flight, an unknown client, a server as a client, a bad entry", async () => {
    const live = LiveRun.build(SOURCE, FILE);
    await live.runTo(AT_US);
    const errorOf = async (entry: Intervention): Promise<InputError> => {
      const error = await live.intervene(entry).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InputError);
      return error as InputError;
    };
    expect((await errorOf({ drop: 999_999_999 })).message).toMatch(/drop: message 999999999 is not in flight at 1500000 µs: no message has that id yet \(the last one sent is \d+\)/);
    expect((await errorOf({ duplicate: 1 })).message).toMatch(/duplicate: message 1 is not in flight .*delivered or dropped already/);
    expect((await errorOf({ request: { client: "c9", op: "sync", path: "/" } })).message).toMatch(/request\.client: unknown client "c9"; expected a client, c1 to c2/);
    expect((await errorOf({ request: { client: "s1", op: "sync", path: "/" } })).message).toMatch(/"s1" is a server, not a client/);
    expect((await errorOf({ request: { client: "c1", op: "getData", path: "no-slash" } })).message).toMatch(/request\.path: expected a znode path such as \/app\/config: Path must start with \/ character/);
    expect((await errorOf({ crash: "s7" })).message).toMatch(/crash: unknown node "s7"/);
    expect((await errorOf({ delay: { message: 3, by: "0ms" } })).message).toMatch(/delay\.by: expected at least 1us/);
    expect((await errorOf({ pause: "c1", crash: "c2" } as Intervention)).message).toMatch(/expected exactly one fault/);
    expect(live.interventions()).toEqual([]);
    expect(live.nowUs).toBe(AT_US);
    // A client that is down takes no request; the run goes on after every refusal.
    await live.intervene({ crash: "c1" });
    expect((await errorOf({ request: { client: "c1", op: "sync", path: "/" } })).message).toMatch(/request: c1 is crashed: it takes requests again once restarted/);
    expect(live.interventions()).toHaveLength(1);
    expect((await live.finish()).digest).toMatch(/^[0-9a-f]{16}$/);
    await expect(live.intervene({ heal: true })).rejects.toThrow(/the run has finished/);
  });

  test("a drop in a file of a message that is not in flight names the file and the entry's line, in the runner and from zksim run (exit 2)", async () => {
    const source = SOURCE.replace("expect: pass", "  - { at: 1200ms, drop: 999999 }\nexpect: pass");
    const scenario = parseScenario(source, "bad-drop.yaml");
    const error = await runScenario(scenario, { origin: { file: "bad-drop.yaml", source } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).toMatch(/^bad-drop\.yaml:12: faults\[1\]: cannot apply this fault at 1\.2s: message 999999 is not in flight at 1200000 µs/);
    const file = join(dir, "bad-drop.yaml");
    writeFileSync(file, source);
    const run = spawnSync(process.execPath, [BIN, "run", file, "--trace", join(dir, "bad-drop.jsonl")], { encoding: "utf8", cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad-drop\.yaml:12: faults\[1\]: cannot apply this fault at 1\.2s: message 999999 is not in flight/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  test("bad interventions to build with are an InputError naming each", () => {
    expect(() => LiveRun.build(SOURCE, FILE, { interventions: [{ at: 1000, request: { client: "c5", op: "sync", path: "/" } } as FaultEntry] })).toThrow(/interventions: invalid input\n {2}\[0\]\.request\.client: unknown client "c5"/);
  });

  test("running back in time is refused with what to do instead", async () => {
    const live = LiveRun.build(SOURCE, FILE);
    await live.runTo(100_000);
    await expect(live.runTo(50_000)).rejects.toThrow(/build the run again with its interventions/);
  });
});

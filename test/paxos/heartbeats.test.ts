import { describe, expect, test } from "vitest";
import { paxosConfigSchema, runPaxosCluster } from "../../src/paxos/index.ts";
import { MemorySink, parseTrace, type TraceEvent } from "../../src/sim/index.ts";

/**
 * What a leader sends its followers besides accepts: a commit index that an
 * accept did not carry, and a periodic heartbeat only to a follower it has
 * not sent an accept or a heartbeat lately. The cuts must not cost liveness:
 * no follower goes longer without hearing from the leader than its shortest
 * election timeout less a heartbeat period.
 */

const PAXOS = paxosConfigSchema.parse({});

type Send = Extract<TraceEvent, { type: "send" }>;

function leaderSends(proposeEveryUs: number): { sends: Send[]; leaderChanges: number; ticks: number; leader: string } {
  const sink = new MemorySink();
  const result = runPaxosCluster({
    engine: { seed: 1 },
    serverCount: 3,
    paxos: {},
    durationUs: 3_000_000,
    proposeEveryUs,
    trace: { level: "full", sink },
  });
  expect(result.violations).toEqual([]);
  const events = parseTrace(sink.text(), "heartbeats").events;
  const elected = events.find((e) => e.type === "note" && e.kind === "role" && (e.data as { role: string }).role === "leader");
  const leader = elected?.type === "note" ? elected.node : "";
  const sends = events.filter((e): e is Send => e.type === "send" && e.from === leader);
  const ticks = events.filter((e) => e.type === "timer" && e.node === leader && (e.tag as { kind: string }).kind === "heartbeat").length;
  return { sends, leaderChanges: result.leaderChanges, ticks, leader };
}

/** The longest time between two accepts or heartbeats from the leader to `to`, from the first one on. */
function longestSilenceUs(sends: readonly Send[], to: string): number {
  let lastUs: number | null = null;
  let longestUs = 0;
  for (const s of sends) {
    const type = (s.msg as { type: string }).type;
    if (s.to !== to || (type !== "accept" && type !== "heartbeat")) continue;
    if (lastUs !== null) longestUs = Math.max(longestUs, s.t - lastUs);
    lastUs = s.t;
  }
  return longestUs;
}

const heartbeats = (sends: readonly Send[], to: string) => sends.filter((s) => s.to === to && (s.msg as { type: string }).type === "heartbeat");

describe("the leader's heartbeats (seed 1, 3 replicas)", () => {
  test("under steady proposals a follower gets almost no periodic heartbeat (accepts and commits reach it), the leader none of its own commit announcements, and one leader leads throughout", () => {
    const { sends, leaderChanges, ticks, leader } = leaderSends(20_000);
    expect(leaderChanges).toBe(1);
    expect(ticks).toBeGreaterThan(50);
    const followers = ["s1", "s2", "s3"].filter((s) => s !== leader);
    for (const follower of followers) {
      const probed = heartbeats(sends, follower).filter((s) => (s.msg as { probe: number }).probe > 0);
      expect(probed.length, follower).toBeLessThan(ticks / 10);
      expect(longestSilenceUs(sends, follower), follower).toBeLessThanOrEqual(PAXOS.electionTimeoutUsMin - PAXOS.heartbeatUs);
    }
    const toSelf = heartbeats(sends, leader).filter((s) => (s.msg as { probe: number }).probe === 0);
    expect(toSelf).toEqual([]);
  });

  test("with proposals rarer than the period, the periodic heartbeat still reaches every follower in time, and no election starts", () => {
    const { sends, leaderChanges, leader } = leaderSends(300_000);
    expect(leaderChanges).toBe(1);
    for (const follower of ["s1", "s2", "s3"].filter((s) => s !== leader)) {
      expect(heartbeats(sends, follower).length, follower).toBeGreaterThan(20);
      expect(longestSilenceUs(sends, follower), follower).toBeLessThanOrEqual(PAXOS.electionTimeoutUsMin - PAXOS.heartbeatUs);
    }
  });
});

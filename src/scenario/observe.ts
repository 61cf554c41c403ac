import type { NoteRecord, ZkChange } from "../check/index.ts";
import { PaxosChecker, PaxosLiveness, type PaxosViolation } from "../paxos/index.ts";
import type { NodeId, TraceEvent } from "../sim/index.ts";
import type { ScenarioSimulation } from "./build.ts";

/** Progress in a Paxos scenario is due within 20 election timeouts of the calm point (at most 3 s). */
const PAXOS_LIVENESS_BOUND_US = 3_000_000;

/** A span in which a node was crashed or paused. */
export interface Absence {
  readonly node: NodeId;
  readonly fromUs: number;
  readonly toUs: number;
}

/**
 * The second step of a scenario run: watches every trace event while the
 * simulation runs and keeps what the judges and the report need: Paxos
 * safety as it goes (a violation is reported into the trace at once),
 * replicas' tree digests at every zxid, the committed log's watch triggers,
 * the notes, messages by type, who leads, and when nodes were away.
 */
export class ScenarioObserver {
  readonly paxosViolations: PaxosViolation[] = [];
  readonly liveness: PaxosLiveness;
  readonly messages = new Map<string, number>();
  readonly notes: NoteRecord[] = [];
  /** The committed log's watch triggers, from the first replica to apply each zxid. */
  readonly changes: ZkChange[] = [];
  /** The first time two replicas applied one zxid with different trees, in words. */
  agreement: string | null = null;
  leaderChanges = 0;
  readonly leaderless = { count: 0, totalUs: 0, longestUs: 0 };

  private readonly checker: PaxosChecker;
  private readonly digests = new Map<number, string>();
  private readonly leaders = new Set<NodeId>();
  private leaderlessSince: number | null = null;
  private everLed = false;
  private readonly awaySince = new Map<NodeId, number>();
  private readonly absences: Absence[] = [];

  constructor(private readonly run: ScenarioSimulation) {
    this.checker = new PaxosChecker(run.servers);
    this.liveness = new PaxosLiveness(run.servers, run.calmUs, Math.min(PAXOS_LIVENESS_BOUND_US, 20 * run.paxos.electionTimeoutUsMax));
    run.sim.subscribe((event) => this.observe(event));
  }

  /** Spans in which nodes were crashed or paused, up to `nowUs` for those still away. */
  absencesUntil(nowUs: number): Absence[] {
    return [...this.absences, ...[...this.awaySince].map(([node, fromUs]) => ({ node, fromUs, toUs: nowUs }))];
  }

  /** Closes the last period without a leader at the end of the run. */
  finish(nowUs: number): void {
    this.endLeaderless(nowUs);
  }

  private observe(event: TraceEvent): void {
    if (event.type === "send") {
      const type = typeof event.msg === "object" && event.msg !== null && "type" in event.msg ? String((event.msg as { type: unknown }).type) : "?";
      this.messages.set(type, (this.messages.get(type) ?? 0) + 1);
      return;
    }
    if (event.type === "violation") return;
    if (event.type === "note") this.note(event);
    if (event.type === "fault") this.fault(event);
    this.liveness.observe(event);
    for (const v of this.checker.observe(event)) {
      this.paxosViolations.push(v);
      this.run.sim.reportViolation(v.check, v.message, v.data, v.causes);
    }
  }

  private note(event: Extract<TraceEvent, { type: "note" }>): void {
    this.notes.push({ node: event.node, t: event.t, kind: event.kind, data: event.data });
    if (event.kind === "role") {
      const role = (event.data as { role: string }).role;
      if (role === "leader") {
        this.leaders.add(event.node);
        this.leaderChanges++;
        this.everLed = true;
        this.endLeaderless(event.t);
      } else if (this.leaders.delete(event.node) && this.leaders.size === 0) this.leaderlessSince = event.t;
    }
    if (event.kind === "zk-apply") {
      const { zxid, digest, changes: triggers } = event.data as { zxid: number; digest: string; changes?: readonly (readonly string[])[] };
      const known = this.digests.get(zxid);
      if (known === undefined) {
        this.digests.set(zxid, digest);
        for (const [type, path, acl] of triggers ?? []) this.changes.push({ zxid, type: type as ZkChange["type"], path: path as string, restricted: acl !== undefined });
      } else if (known !== digest && this.agreement === null) {
        this.agreement = `at ${event.t} µs ${event.node} applied zxid ${zxid} with tree digest ${digest}; another replica had ${known}`;
      }
    }
  }

  private fault(event: Extract<TraceEvent, { type: "fault" }>): void {
    const fault = event.fault;
    if (fault.type === "crash" || fault.type === "pause") {
      if (this.leaders.delete(fault.node) && this.leaders.size === 0 && this.everLed) this.leaderlessSince = event.t;
      if (!this.awaySince.has(fault.node)) this.awaySince.set(fault.node, event.t);
    }
    if (fault.type === "restart" || fault.type === "resume") {
      const since = this.awaySince.get(fault.node);
      this.awaySince.delete(fault.node);
      if (since !== undefined) this.absences.push({ node: fault.node, fromUs: since, toUs: event.t });
    }
  }

  private endLeaderless(t: number): void {
    if (this.leaderlessSince === null) return;
    const span = t - this.leaderlessSince;
    this.leaderless.count++;
    this.leaderless.totalUs += span;
    this.leaderless.longestUs = Math.max(this.leaderless.longestUs, span);
    this.leaderlessSince = null;
  }
}

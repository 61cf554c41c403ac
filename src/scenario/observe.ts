import type { NoteRecord, ZkChange } from "../check/index.ts";
import { asClientNote, isClientNoteKind, type ClientNote } from "../client/index.ts";
import { asZkNote, isZkNoteKind, type ZkNote } from "../zk/index.ts";
import { asPaxosNote, isPaxosNoteKind, PaxosChecker, PaxosLiveness, type PaxosNote, type PaxosViolation } from "../paxos/index.ts";
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
  /** The recipes' and the storage node's notes, typed, in order (what the recipe checks read). */
  readonly recipeNotes: NoteRecord[] = [];
  /** Workloads that threw, in order. */
  readonly workloadFailures: { readonly node: NodeId; readonly t: number; readonly error: string; readonly i: number }[] = [];
  /** Each request's zk-invoke and zk-complete events (trace indices), by client and xid: the causes of a violation its operation shows. */
  readonly requestEvents = new Map<string, number[]>();
  /** The first replica-agreement break: the two zk-apply events that differ. */
  agreementEvents: readonly number[] = [];
  agreementAtUs = 0;
  /** A bare Paxos scenario's command outcomes (LogServer's outcome notes). */
  readonly outcomes: { readonly chosen: boolean; readonly latencyUs: number }[] = [];
  /** The committed log's watch triggers, from the first replica to apply each zxid. */
  readonly changes: ZkChange[] = [];
  /** The first time two replicas applied one zxid with different trees, in words. */
  agreement: string | null = null;
  leaderChanges = 0;
  readonly leaderless = { count: 0, totalUs: 0, longestUs: 0 };

  private readonly checker: PaxosChecker;
  private readonly digests = new Map<number, { readonly digest: string; readonly i: number }>();
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
      if (event.from === event.to) return; // handed to itself, not over the network
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
    const kind = event.kind;
    if (isClientNoteKind(kind)) return this.clientNote(event.node, event.t, asClientNote(kind, event.data), event.i);
    if (isZkNoteKind(kind)) return this.zkNote(event.node, event.t, asZkNote(kind, event.data), event.i);
    if (isPaxosNoteKind(kind)) return this.paxosNote(event.node, event.t, asPaxosNote(kind, event.data));
  }

  private paxosNote(node: NodeId, t: number, note: PaxosNote): void {
    if (note.kind === "outcome") this.outcomes.push({ chosen: note.data.outcome === "chosen", latencyUs: note.data.latencyUs });
    if (note.kind !== "role") return;
    if (note.data.role === "leader") {
      this.leaders.add(node);
      this.leaderChanges++;
      this.everLed = true;
      this.endLeaderless(t);
    } else if (this.leaders.delete(node) && this.leaders.size === 0) {
      this.leaderlessSince = t;
    }
  }

  private clientNote(node: NodeId, t: number, note: ClientNote, i: number): void {
    if (note.kind === "workload-failed") this.workloadFailures.push({ node, t, error: note.data.error, i });
    if (note.kind === "zk-invoke" || note.kind === "zk-complete") {
      const key = `${node} ${note.data.xid}`;
      const known = this.requestEvents.get(key);
      this.requestEvents.set(key, note.kind === "zk-invoke" ? [i] : [...(known ?? []), i]);
    }
    const recipe = recipeNoteOf(node, t, note, i);
    if (recipe !== null) this.recipeNotes.push(recipe);
  }

  private zkNote(node: NodeId, t: number, note: ZkNote, i: number): void {
    if (note.kind === "zk-skip") return;
    const { zxid, digest, changes: triggers } = note.data;
    const known = this.digests.get(zxid);
    if (known === undefined) {
      this.digests.set(zxid, { digest, i });
      for (const [type, path, acl] of triggers ?? []) this.changes.push({ zxid, type, path, restricted: acl !== undefined });
    } else if (known.digest !== digest && this.agreement === null) {
      this.agreement = `at ${t} µs ${node} applied zxid ${zxid} with tree digest ${digest}; another replica had ${known.digest}`;
      this.agreementEvents = [known.i, i];
      this.agreementAtUs = t;
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

/** A client's note as the recipe checks read it, or null for the notes they do not read. */
export function recipeNoteOf(node: NodeId, t: number, note: ClientNote, i = -1): NoteRecord | null {
  switch (note.kind) {
    case "lock-wanted":
    case "lock-acquired":
    case "lock-released":
    case "lock-abandoned":
    case "election-wanted":
    case "elected":
    case "resigned":
    case "election-abandoned":
    case "barrier-enter":
    case "barrier-passed":
    case "barrier-left":
    case "barrier-abandoned":
    case "storage-write":
    case "workload-done":
      return { ...note, node, t, i };
    case "workload-failed":
    case "zk-invoke":
    case "zk-complete":
    case "config-seen":
    case "console-watch":
      return null;
    default: {
      const unknown: never = note;
      return unknown;
    }
  }
}

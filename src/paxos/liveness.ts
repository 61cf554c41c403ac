import { asPaxosNote } from "./notes.ts";
import type { NodeId, TraceEvent } from "../sim/index.ts";

export interface LivenessVerdict {
  readonly held: boolean;
  readonly message: string;
}

/**
 * Liveness, judged on a calm system: once faults have stopped (at `calmUs`,
 * with every node up and the network healed), some proposal must commit within
 * `boundUs`, and by the end every running replica must have applied every slot
 * that any replica had applied `boundUs` before the end (newer slots may still
 * be on their way while the workload goes on).
 */
export class PaxosLiveness {
  private readonly appliedEnd = new Map<NodeId, number>();
  /** (time, furthest applied end) each time the furthest end grew, in time order: the first commit after calm is read from it. */
  private readonly furthest: { t: number; end: number }[] = [];
  private calm: number;

  constructor(
    private readonly replicas: readonly NodeId[],
    calmUs: number,
    readonly boundUs: number,
  ) {
    this.calm = calmUs;
    for (const id of replicas) this.appliedEnd.set(id, 0);
  }

  /** When the faults stopped. */
  get calmUs(): number {
    return this.calm;
  }

  /**
   * Moves the calm point later: a fault applied while the run goes (a
   * person's intervention) ends the calm that began before it. The verdict
   * is read from the whole record, so it is the one a run with this calm
   * point from the start would give.
   */
  moveCalm(calmUs: number): void {
    if (calmUs > this.calm) this.calm = calmUs;
  }

  observe(event: TraceEvent): void {
    if (event.type !== "note" || !this.appliedEnd.has(event.node)) return;
    if (event.kind !== "apply" && event.kind !== "install") return;
    const note = asPaxosNote(event.kind, event.data);
    const slot = note.kind === "apply" || note.kind === "install" ? note.data.slot : 0;
    const end = note.kind === "apply" ? slot + 1 : slot;
    if (end > (this.appliedEnd.get(event.node) ?? 0)) this.appliedEnd.set(event.node, end);
    const last = this.furthest[this.furthest.length - 1];
    if (last === undefined || end > last.end) this.furthest.push({ t: event.t, end });
  }

  /** The first time after calm that a replica applied beyond what any replica had applied before calm. */
  private firstCommitAfterCalmUs(): number | undefined {
    const endAtCalm = this.furthestAt(this.calm - 1);
    for (const point of this.furthest) {
      if (point.t >= this.calm && point.end > endAtCalm) return point.t;
    }
    return undefined;
  }

  /** The verdict at the end of the run; `running` says which replicas are up. */
  verdict(endUs: number, running: (id: NodeId) => boolean): LivenessVerdict {
    if (endUs < this.calmUs + this.boundUs) {
      return { held: false, message: `the run ended at ${endUs} µs, before calm (${this.calmUs} µs) plus the bound (${this.boundUs} µs)` };
    }
    const commitUs = this.firstCommitAfterCalmUs();
    if (commitUs === undefined || commitUs > this.calmUs + this.boundUs) {
      return { held: false, message: `no proposal committed within ${this.boundUs} µs after faults stopped at ${this.calmUs} µs` };
    }
    const target = this.furthestAt(endUs - this.boundUs);
    const behind = this.replicas.filter((id) => running(id) && (this.appliedEnd.get(id) ?? 0) < target);
    if (behind.length > 0) {
      return { held: false, message: `${behind.join(", ")} did not catch up to slot ${target} within ${this.boundUs} µs` };
    }
    return { held: true, message: `first commit ${commitUs - this.calmUs} µs after calm; every running replica applied at least ${target} slots` };
  }

  /** The furthest applied end at time `atUs`. */
  private furthestAt(atUs: number): number {
    let end = 0;
    for (const point of this.furthest) {
      if (point.t > atUs) break;
      end = point.end;
    }
    return end;
  }
}

import { assert, fail, unreachable } from "../sim/index.ts";
import type { ProposerTimer, Value } from "./messages.ts";
import { Proposer, type Done, type ProposeRefusal } from "./proposer.ts";

/**
 * Single-decree mode: classic Basic Paxos deciding one value, in slot 0.
 * There is no stable leader: every replica with a value to propose competes
 * (prepare/promise, accept/accepted), and a proposer that wins tells every
 * learner with `decided`. A preempted proposer puts its value back in front
 * of its queue and tries again with a higher ballot after a random backoff
 * drawn from its own stream, so dueling proposers replay from their seed.
 * Once a value is decided, every other proposal is certain not to be chosen.
 */
export class SingleDecreeProposer<Cmd> extends Proposer<Cmd> {
  protected readonly slotEndMax = 1;
  /** A preempted proposal goes back in front of a queue that may be full. */
  protected readonly queueSlack = 1;

  propose(cmd: Cmd, done: Done): "proposed" | ProposeRefusal {
    const result = this.enqueue(cmd, done);
    if (result !== "proposed") return result;
    if (this.roleValue === "follower" && !this.learner.isChosen(0)) this.becomeCandidate();
    else this.pump();
    return result;
  }

  timer(tag: ProposerTimer): void {
    switch (tag.kind) {
      case "retry-prepare":
        this.retryTimer = null;
        if (this.roleValue === "candidate" || (this.roleValue === "follower" && this.queue.length > 0)) this.becomeCandidate();
        return;
      case "election":
      case "heartbeat":
        return assert(false, "single-decree mode sets no election or heartbeat timer", { kind: tag.kind });
      default:
        return unreachable(tag, "proposer timer");
    }
  }

  /** One value is decided: every other proposal is certain not to be chosen. */
  override applied(slot: number, value: Value<Cmd>): void {
    super.applied(slot, value);
    this.cancelTimer(this.retryTimer);
    this.retryTimer = null;
    this.settleQueue({ type: "not-chosen" });
  }

  override invariants(): void {
    super.invariants();
    if (this.roleValue === "leader" && this.retryTimer !== null) fail("a single-decree leader still has a retry timer");
    if (!(this.awaiting.size <= 1 && this.nextSlot <= 1)) fail("single-decree mode proposes in slot 0 only", { awaiting: this.awaiting.size, nextSlot: this.nextSlot });
  }

  protected override pump(): void {
    super.pump();
    if (this.roleValue === "leader" && this.learner.isChosen(0)) this.settleQueue({ type: "not-chosen" });
  }

  protected elected(): void {}

  protected chosen(slot: number, value: Value<Cmd>): void {
    this.outbox.broadcast({ type: "decided", slot, value });
  }

  /** Basic Paxos: the proposer backs off and tries again with a higher ballot. */
  protected steppedDown(): void {
    for (const [slot, waiting] of this.awaiting) {
      this.awaiting.delete(slot);
      if (!this.learner.isChosen(slot)) this.queue.unshift(waiting);
    }
    if (this.queue.length > 0 && !this.learner.isChosen(0)) this.setRetryTimer();
  }
}

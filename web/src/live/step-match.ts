import type { TraceEvent } from "../../../src/sim/index.ts";
import type { LiveStepMatch } from "../protocol.ts";

/**
 * "Step to the next event of a type", decided on the trace's own events as
 * the live run writes them: the event kind (the trace's `type`: send,
 * deliver, drop, timer, fault, note...) and, for message events, the
 * message's type (a delivery or a drop names only the id, so the sender's
 * type is remembered). Pure.
 */

/** Remembers each message's type from its send, for the events that name only its id. */
export class MessageTypes {
  private readonly types = new Map<number, string>();

  /** Reads an event; returns the type of the message it is about, or null for none. */
  read(event: TraceEvent): string | null {
    switch (event.type) {
      case "send": {
        const type = typeof (event.msg as { type?: unknown } | null)?.type === "string" ? (event.msg as { type: string }).type : "?";
        this.types.set(event.id, type);
        return type;
      }
      case "duplicate": {
        const type = this.types.get(event.of) ?? "?";
        this.types.set(event.id, type);
        return type;
      }
      case "deliver":
      case "drop":
        return this.types.get(event.id) ?? "?";
      default:
        return null;
    }
  }
}

/** Whether an event is one "step to the next" stops at (no match given: every event). */
export function eventMatches(event: TraceEvent, messageType: string | null, match: LiveStepMatch | null): boolean {
  if (match === null) return true;
  if (match.kind !== null && event.type !== match.kind) return false;
  if (match.messageType !== null && messageType !== match.messageType) return false;
  return true;
}

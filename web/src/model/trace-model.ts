import type { ForeignTraceEvent, TraceEvent, TraceHeader, TraceSummary } from "../../../src/sim/index.ts";
import { Column, StringTable } from "./growable.ts";

/**
 * What the viewer draws, built from a trace's events as they stream in: a
 * column per field (typed arrays, so a million events take tens of megabytes
 * and move from the worker to the page without a copy), messages from send
 * to delivery or drop, client operations as spans, node states, partitions
 * and leader terms as intervals, and checker findings. Nothing here judges a
 * run; it reads what the trace says.
 */

/** Event kinds, as stored in `events.kind`. */
export const EV = {
  start: 0,
  send: 1,
  deliver: 2,
  drop: 3,
  duplicate: 4,
  timer: 5,
  sync: 6,
  fault: 7,
  note: 8,
  violation: 9,
  invoke: 10,
  complete: 11,
  foreign: 12,
} as const;
export type EventKind = (typeof EV)[keyof typeof EV];
export const EVENT_KIND_NAMES: readonly string[] = Object.keys(EV);

/** Message flags, in `messages.flags`. */
export const MSG_DELIVERED = 1;
export const MSG_DROPPED = 2;
export const MSG_DUPLICATE = 4;

/** Client operation outcomes, in `spans.outcome`. */
export const OUTCOME = { ok: 0, failed: 1, unknown: 2, pending: 3 } as const;
export type Outcome = (typeof OUTCOME)[keyof typeof OUTCOME];
export const OUTCOME_NAMES: readonly string[] = ["ok", "failed", "unknown", "pending"];

/** The message types that only keep connections and leaders alive: hidden until asked for. */
export const HEARTBEAT_TYPES: ReadonlySet<string> = new Set(["heartbeat", "heartbeat-ack", "zk-ping", "zk-pong"]);

export type LaneKind = "server" | "client" | "other";

export interface Lane {
  readonly id: string;
  readonly kind: LaneKind;
}

export interface EventColumns {
  /** Virtual time, µs. */
  readonly t: Float64Array;
  readonly kind: Uint8Array;
  /** The lane the event happens on (the sender for sends, the receiver for deliveries and drops); -1 for none. */
  readonly lane: Int16Array;
  /** The message's row in `messages` for message events; -1 otherwise. */
  readonly msg: Int32Array;
  /** Message type, note kind, fault type or foreign type (an index into the matching string table); -1 for none. */
  readonly code: Int32Array;
}

export interface MessageColumns {
  readonly count: number;
  /** The message id the engine gave it. */
  readonly id: Int32Array;
  /** The send event (or the duplicate event, for a copy). */
  readonly sendEv: Int32Array;
  /** The deliver or drop event; -1 when still in flight at the end. */
  readonly endEv: Int32Array;
  readonly from: Int16Array;
  readonly to: Int16Array;
  /** Index into `messageTypes`. */
  readonly type: Int16Array;
  readonly flags: Uint8Array;
  /** For a duplicate: the row of the message it copies; -1 otherwise. */
  readonly dupOf: Int32Array;
  /** The event that caused the send, when the trace says (a `cause` field on sends); -1 otherwise. */
  readonly causeEv: Int32Array;
  /** Index into `paths` of the znode path the message is about; -1 for none. */
  readonly path: Int32Array;
  /** The ZooKeeper session the message belongs to; NaN for none. */
  readonly session: Float64Array;
  /** For a client's request: the xid; NaN otherwise. */
  readonly xid: Float64Array;
}

/** Client operations, from invocation to completion. */
export interface SpanColumns {
  readonly count: number;
  readonly startEv: Int32Array;
  /** -1 while open at the end of the trace. */
  readonly endEv: Int32Array;
  readonly lane: Int16Array;
  readonly outcome: Uint8Array;
  /** Index into `opNames`. */
  readonly op: Int16Array;
  readonly xid: Float64Array;
}

/** A stretch of a lane's life: crashed, paused, or a role such as leader. */
export interface LaneInterval {
  readonly lane: number;
  readonly kind: "crashed" | "paused" | "leader" | "candidate";
  readonly startEv: number;
  /** -1: until the end. */
  readonly endEv: number;
  readonly label: string;
}

/** A stretch of time with some links cut: lanes in the same group still talk. */
export interface NetworkInterval {
  readonly startEv: number;
  readonly endEv: number;
  /** Per lane: 0 for the largest group, 1, 2... for the others (-1 for a lane cut off from all). */
  readonly groupOf: readonly number[];
  /** Directed links cut, as [from, to] lanes. */
  readonly cuts: readonly (readonly [number, number])[];
  readonly label: string;
}

export interface ViolationInfo {
  /** The violation event itself (a check judged after the run reports at its end). */
  readonly ev: number;
  /** The instant the property was first broken (the event's `t`). */
  readonly atUs: number;
  /**
   * Where the diagram draws it and the cursor goes: the event itself when it
   * was reported as the run went, else its latest cause, else the last event
   * at or before its instant.
   */
  readonly anchorEv: number;
  readonly check: string;
  readonly message: string;
  readonly causes: readonly number[];
}

export interface TraceModel {
  readonly header: TraceHeader;
  readonly summary: TraceSummary | null;
  /** The scenario's name and YAML, when the header records them (meta.scenario, meta.scenarioSource). */
  readonly scenarioName: string | null;
  readonly scenarioSource: string | null;
  readonly lanes: readonly Lane[];
  readonly eventCount: number;
  readonly endUs: number;
  readonly events: EventColumns;
  readonly messages: MessageColumns;
  readonly spans: SpanColumns;
  /** Where the spans come from: the trace's invoke/complete events, or requests paired with their replies. */
  readonly spanSource: "invoke-complete" | "request-reply" | "none";
  readonly laneIntervals: readonly LaneInterval[];
  readonly network: readonly NetworkInterval[];
  readonly violations: readonly ViolationInfo[];
  readonly messageTypes: readonly string[];
  readonly noteKinds: readonly string[];
  readonly faultTypes: readonly string[];
  readonly foreignTypes: readonly string[];
  readonly opNames: readonly string[];
  readonly paths: readonly string[];
}

/** The buffers of a model, to transfer them to another thread instead of copying. */
export function modelTransferables(model: TraceModel): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (columns: object) => {
    for (const value of Object.values(columns)) if (ArrayBuffer.isView(value)) out.push(value.buffer as ArrayBuffer);
  };
  add(model.events);
  add(model.messages);
  add(model.spans);
  return out;
}

/** Builds a model event by event; `finish` returns it. */
export class TraceModelBuilder {
  private readonly laneIndex = new Map<string, number>();
  private readonly laneIds: string[] = [];
  private readonly laneSends = new Map<number, Set<string>>();

  private readonly t = new Column(Float64Array);
  private readonly kind = new Column(Uint8Array);
  private readonly lane = new Column(Int16Array);
  private readonly msg = new Column(Int32Array);
  private readonly code = new Column(Int32Array);

  private readonly messageRow = new Map<number, number>();
  private readonly mId = new Column(Int32Array);
  private readonly mSend = new Column(Int32Array);
  private readonly mEnd = new Column(Int32Array);
  private readonly mFrom = new Column(Int16Array);
  private readonly mTo = new Column(Int16Array);
  private readonly mType = new Column(Int16Array);
  private readonly mFlags = new Column(Uint8Array);
  private readonly mDupOf = new Column(Int32Array);
  private readonly mCause = new Column(Int32Array);
  private readonly mPath = new Column(Int32Array);
  private readonly mSession = new Column(Float64Array);
  private readonly mXid = new Column(Float64Array);
  /** A reply's outcome, read when it is sent (its delivery does not carry the message). */
  private readonly mOutcome = new Column(Uint8Array);

  private readonly messageTypes = new StringTable();
  private readonly noteKinds = new StringTable();
  private readonly faultTypes = new StringTable();
  private readonly foreignTypes = new StringTable();
  private readonly opNames = new StringTable();
  private readonly paths = new StringTable();

  private readonly requestSpans = new SpanBuilder();
  private readonly invokeSpans = new SpanBuilder();
  private readonly openRequests = new Map<string, number>();
  /** Requests cut off by a new connection: ended as unknown, unless a reply still comes (a resend on the new connection). */
  private readonly interruptedRequests = new Map<string, number>();
  private readonly openInvocations = new Map<string, number>();
  private readonly sessionOfLane = new Map<number, number>();

  private readonly intervals: LaneInterval[] = [];
  private readonly openState = new Map<number, { kind: "crashed" | "paused"; startEv: number; label: string }>();
  private readonly openRole = new Map<number, { kind: "leader" | "candidate"; startEv: number; label: string }>();
  private readonly network: NetworkInterval[] = [];
  private cutLinks = new Set<string>();
  private openNetwork: { startEv: number; label: string; groupOf: number[]; cuts: [number, number][] } | null = null;
  private readonly violations: ViolationInfo[] = [];

  private headerValue: TraceHeader | null = null;
  private summaryValue: TraceSummary | null = null;
  private lastUs = 0;

  header(header: TraceHeader): void {
    this.headerValue = header;
    const config = header.config;
    const nodes = typeof config === "object" && config !== null ? (config as { nodes?: unknown }).nodes : undefined;
    if (Array.isArray(nodes)) for (const node of nodes) if (typeof node === "string") this.laneOf(node);
  }

  summary(summary: TraceSummary): void {
    this.summaryValue = summary;
  }

  get eventCount(): number {
    return this.t.length;
  }

  event(event: TraceEvent): void {
    switch (event.type) {
      case "start":
        this.startEvent(event.node);
        this.push(event.t, EV.start, this.laneOf(event.node), -1, -1);
        return;
      case "send":
        this.sendEvent(event.t, event.id, event.from, event.to, event.msg, causeOf(event));
        return;
      case "duplicate":
        this.duplicateEvent(event.t, event.id, event.of, event.from, event.to);
        return;
      case "deliver":
        this.endEvent(event.t, EV.deliver, event.id, event.to, MSG_DELIVERED);
        return;
      case "drop":
        this.endEvent(event.t, EV.drop, event.id, event.to, MSG_DROPPED);
        return;
      case "timer":
        this.push(event.t, EV.timer, this.laneOf(event.node), -1, -1);
        return;
      case "sync":
        this.push(event.t, EV.sync, this.laneOf(event.node), -1, -1);
        return;
      case "fault":
        this.faultEvent(event.t, event.fault);
        return;
      case "note":
        this.noteEvent(event.t, event.node, event.kind, event.data);
        return;
      case "violation": {
        const node = fieldString(event.data, "node");
        // A verdict judged after the run comes last but names an earlier instant: the event keeps its place in
        // the run's order (times here never go back), and its anchor is found at that instant.
        const late = event.t < this.lastUs;
        const ev = this.push(Math.max(event.t, this.lastUs), EV.violation, node === undefined ? -1 : this.laneOf(node), -1, -1);
        const causes = event.causes.filter((c) => c >= 0 && c < ev);
        const anchorEv = !late ? ev : causes.length > 0 ? Math.max(...causes) : this.lastEventAtOrBefore(event.t, ev);
        this.violations.push({ ev, atUs: event.t, anchorEv, check: event.check, message: event.message, causes: event.causes.slice() });
        return;
      }
      default:
        // A type this build knows by schema but not by drawing: keep its place.
        this.foreign({ i: (event as { i: number }).i, t: (event as { t: number }).t, type: String((event as { type: unknown }).type), fields: {} });
    }
  }

  /** An event of a type the schema does not know; invoke and complete are understood by name. */
  foreign(event: ForeignTraceEvent): void {
    const node = fieldString(event.fields, "node") ?? fieldString(event.fields, "process") ?? fieldString(event.fields, "client");
    const lane = node === undefined ? -1 : this.laneOf(node);
    if (event.type === "invoke" && lane >= 0) {
      const ev = this.push(event.t, EV.invoke, lane, -1, -1);
      this.invoke(ev, lane, event.fields);
      return;
    }
    if (event.type === "complete" && lane >= 0) {
      const ev = this.push(event.t, EV.complete, lane, -1, -1);
      this.complete(ev, lane, event.fields);
      return;
    }
    this.push(event.t, EV.foreign, lane, -1, this.foreignTypes.intern(event.type));
  }

  /**
   * The model of the events so far. It leaves the builder as it was, so a run
   * that goes on can be shown again and again (the live view takes a snapshot
   * while the run grows): what is still open (a crash, a term, a cut) is given
   * to the model as lasting until the end.
   */
  finish(): TraceModel {
    const header = this.headerValue;
    if (header === null) throw new Error("a trace model needs the trace's header first");
    const end = this.t.length;
    const intervals = this.intervals.slice();
    for (const [lane, open] of this.openState) intervals.push({ lane, kind: open.kind, startEv: open.startEv, endEv: -1, label: open.label });
    for (const [lane, open] of this.openRole) intervals.push({ lane, kind: open.kind, startEv: open.startEv, endEv: -1, label: open.label });
    const network = this.network.slice();
    const open = this.openNetwork;
    if (open !== null) network.push({ startEv: open.startEv, endEv: -1, groupOf: open.groupOf.slice(), cuts: open.cuts.slice(), label: open.label });
    const useInvocations = this.invokeSpans.count > 0;
    const spans = (useInvocations ? this.invokeSpans : this.requestSpans).finish();
    const meta = header.meta ?? {};
    return {
      header,
      summary: this.summaryValue,
      scenarioName: typeof meta["scenario"] === "string" ? meta["scenario"] : null,
      scenarioSource: typeof meta["scenarioSource"] === "string" ? meta["scenarioSource"] : null,
      lanes: this.laneIds.map((id, index) => ({ id, kind: this.laneKind(id, index) })),
      eventCount: end,
      endUs: Math.max(this.summaryValue?.endUs ?? 0, this.lastUs),
      events: { t: this.t.finish(), kind: this.kind.finish(), lane: this.lane.finish(), msg: this.msg.finish(), code: this.code.finish() },
      messages: {
        count: this.mId.length,
        id: this.mId.finish(),
        sendEv: this.mSend.finish(),
        endEv: this.mEnd.finish(),
        from: this.mFrom.finish(),
        to: this.mTo.finish(),
        type: this.mType.finish(),
        flags: this.mFlags.finish(),
        dupOf: this.mDupOf.finish(),
        causeEv: this.mCause.finish(),
        path: this.mPath.finish(),
        session: this.mSession.finish(),
        xid: this.mXid.finish(),
      },
      spans,
      spanSource: useInvocations ? "invoke-complete" : spans.count > 0 ? "request-reply" : "none",
      laneIntervals: intervals.sort((a, b) => a.startEv - b.startEv || a.lane - b.lane),
      network,
      violations: this.violations.slice(),
      messageTypes: this.messageTypes.values.slice(),
      noteKinds: this.noteKinds.values.slice(),
      faultTypes: this.faultTypes.values.slice(),
      foreignTypes: this.foreignTypes.values.slice(),
      opNames: this.opNames.values.slice(),
      paths: this.paths.values.slice(),
    };
  }

  // ------------------------------------------------------------ events

  /** The last of the events before `before` whose time is at most t (0 when none is). */
  private lastEventAtOrBefore(t: number, before: number): number {
    let lo = 0;
    let hi = before;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.t.get(mid) as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  private push(t: number, kind: EventKind, lane: number, msg: number, code: number): number {
    this.lastUs = t;
    this.kind.push(kind);
    this.lane.push(lane);
    this.msg.push(msg);
    this.code.push(code);
    return this.t.push(t);
  }

  private sendEvent(t: number, id: number, from: string, to: string, msg: unknown, causeEv: number): void {
    const fromLane = this.laneOf(from);
    const typeName = fieldString(msg, "type") ?? "?";
    const type = this.messageTypes.intern(typeName);
    const row = this.newMessage(id, fromLane, this.laneOf(to), type, 0, -1, causeEv);
    const ev = this.push(t, EV.send, fromLane, row, type);
    this.mSend.set(row, ev);
    this.describeMessage(row, fromLane, typeName, msg);
    this.sentBy(fromLane, typeName);
    if (typeName === "zk-request" || typeName === "zk-close") this.request(ev, fromLane, msg, typeName);
    if (typeName === "zk-connect") this.connectionRestarted(ev, fromLane);
    if (typeName === "zk-reply") this.mOutcome.set(row, replyOutcomeOf(msg));
  }

  private duplicateEvent(t: number, id: number, of: number, from: string, to: string): void {
    const original = this.messageRow.get(of);
    const type = original === undefined ? this.messageTypes.intern("?") : this.mType.get(original);
    const fromLane = this.laneOf(from);
    const row = this.newMessage(id, fromLane, this.laneOf(to), type, MSG_DUPLICATE, original ?? -1, -1);
    const ev = this.push(t, EV.duplicate, fromLane, row, type);
    this.mSend.set(row, ev);
    if (original !== undefined) {
      this.mPath.set(row, this.mPath.get(original));
      this.mSession.set(row, this.mSession.get(original));
    }
  }

  private endEvent(t: number, kind: EventKind, id: number, to: string, flag: number): void {
    const row = this.messageRow.get(id);
    const toLane = this.laneOf(to);
    const type = row === undefined ? -1 : this.mType.get(row);
    const ev = this.push(t, kind, toLane, row ?? -1, type);
    if (row === undefined) return;
    this.mEnd.set(row, ev);
    this.mFlags.set(row, this.mFlags.get(row) | flag);
    if (kind === EV.deliver) this.delivered(ev, row, toLane);
  }

  private newMessage(id: number, from: number, to: number, type: number, flags: number, dupOf: number, causeEv: number): number {
    const row = this.mId.push(id);
    this.messageRow.set(id, row);
    this.mSend.push(-1);
    this.mEnd.push(-1);
    this.mFrom.push(from);
    this.mTo.push(to);
    this.mType.push(type);
    this.mFlags.push(flags);
    this.mDupOf.push(dupOf);
    this.mCause.push(causeEv);
    this.mPath.push(-1);
    this.mSession.push(Number.NaN);
    this.mXid.push(Number.NaN);
    this.mOutcome.push(OUTCOME.unknown);
    return row;
  }

  /** The znode path, session and xid a message is about, for search and for pairing requests with replies. */
  private describeMessage(row: number, fromLane: number, typeName: string, msg: unknown): void {
    const path = pathOf(msg);
    if (path !== undefined) this.mPath.set(row, this.paths.intern(path));
    const session = fieldNumber(msg, "sessionId") ?? fieldNumber(field(msg, "origin"), "sessionId");
    if (session !== undefined) this.mSession.set(row, session);
    else if (typeName === "zk-request" || typeName === "zk-close") {
      const current = this.sessionOfLane.get(fromLane);
      if (current !== undefined) this.mSession.set(row, current);
    }
    const xid = fieldNumber(msg, "xid");
    if (xid !== undefined) this.mXid.set(row, xid);
  }

  private delivered(ev: number, row: number, toLane: number): void {
    const typeName = this.messageTypes.values[this.mType.get(row)];
    if (typeName === "zk-connected") {
      const session = this.mSession.get(row);
      if (!Number.isNaN(session)) this.sessionOfLane.set(toLane, session);
    } else if (typeName === "zk-reply") {
      this.reply(ev, row, toLane);
    } else if (typeName === "zk-expired") {
      this.closeRequests(toLane, ev, OUTCOME.unknown);
    }
  }

  private faultEvent(t: number, fault: { readonly type: string }): void {
    const node = fieldString(fault, "node");
    const lane = node === undefined ? this.messageFaultLane(fault) : this.laneOf(node);
    const ev = this.push(t, EV.fault, lane, -1, this.faultTypes.intern(fault.type));
    switch (fault.type) {
      case "crash":
        this.endRole(lane, ev);
        this.closeRequests(lane, ev, OUTCOME.unknown);
        this.openLaneState(lane, ev, "crashed", "crashed");
        return;
      case "pause":
        this.openLaneState(lane, ev, "paused", "paused");
        return;
      case "resume":
        this.closeLaneState(lane, ev);
        return;
      case "partition":
        this.partition(ev, field(fault, "groups"));
        return;
      case "isolate":
        for (let other = 0; other < this.laneIds.length; other++) if (other !== lane) this.cut(lane, other, false);
        this.networkChanged(ev, `${node ?? "?"} isolated`);
        return;
      case "cut": {
        const from = fieldString(fault, "from");
        const to = fieldString(fault, "to");
        if (from !== undefined && to !== undefined) this.cut(this.laneOf(from), this.laneOf(to), field(fault, "oneWay") === true);
        this.networkChanged(ev, `link ${from ?? "?"} ${field(fault, "oneWay") === true ? "→" : "↔"} ${to ?? "?"} cut`);
        return;
      }
      case "heal":
        this.cutLinks = new Set();
        this.networkChanged(ev, "healed");
        return;
      // Trace version 3: a person's interventions. A drop and a duplicate are drawn by their own drop and
      // duplicate events, and a delay by the later delivery; a request by the client's zk-invoke note.
      case "drop":
      case "duplicate":
      case "delay":
      case "request":
        return;
      default:
        return;
    }
  }

  /** A fault on one message in flight (trace version 3): on the receiver's lane (the sender's for a duplicate), -1 for an unknown message. */
  private messageFaultLane(fault: { readonly type: string }): number {
    const id = fieldNumber(fault, "message");
    const row = id === undefined ? undefined : this.messageRow.get(id);
    if (row === undefined) return -1;
    return fault.type === "duplicate" ? this.mFrom.get(row) : this.mTo.get(row);
  }

  private startEvent(node: string): void {
    const lane = this.laneOf(node);
    this.closeLaneState(lane, this.t.length);
  }

  private noteEvent(t: number, node: string, kind: string, data: unknown): void {
    const lane = this.laneOf(node);
    const ev = this.push(t, EV.note, lane, -1, this.noteKinds.intern(kind));
    if (kind === "zk-invoke" || kind === "zk-complete") {
      // A client's request and its answer, as the client library wrote them down (trace version 2).
      const xid = fieldNumber(data, "xid");
      if (xid === undefined) return;
      const fields = { xid, op: fieldString(data, "op") ?? "?", outcome: fieldString(data, "outcome") ?? "unknown" };
      if (kind === "zk-invoke") this.invoke(ev, lane, fields);
      else this.complete(ev, lane, fields);
      return;
    }
    if (kind !== "role") return;
    const role = fieldString(data, "role");
    const ballot = field(data, "ballot");
    const label = ballotLabel(ballot);
    this.endRole(lane, ev);
    if (role === "leader" || role === "candidate") this.openRole.set(lane, { kind: role, startEv: ev, label });
  }

  // ------------------------------------------------------------ client operations

  /** A client's request opens a span, unless it is a resend of one still open (same xid). */
  private request(ev: number, lane: number, msg: unknown, typeName: string): void {
    const xid = fieldNumber(msg, "xid");
    if (xid === undefined) return;
    const key = `${lane}:${xid}`;
    if (this.openRequests.has(key)) return;
    const interrupted = this.interruptedRequests.get(key);
    if (interrupted !== undefined) {
      // The same request sent again on the new connection: it is still the one operation.
      this.interruptedRequests.delete(key);
      this.requestSpans.reopen(interrupted);
      this.openRequests.set(key, interrupted);
      return;
    }
    const op = typeName === "zk-close" ? "close" : (fieldString(field(msg, "op"), "op") ?? "?");
    this.openRequests.set(key, this.requestSpans.open(ev, lane, this.opNames.intern(op), xid));
  }

  /** A reply delivered to the client closes the span of its xid. */
  private reply(ev: number, row: number, lane: number): void {
    const xid = this.mXid.get(row);
    const key = `${lane}:${xid}`;
    const span = this.openRequests.get(key) ?? this.interruptedRequests.get(key);
    if (span === undefined) return;
    this.openRequests.delete(key);
    this.interruptedRequests.delete(key);
    this.requestSpans.close(span, ev, this.mOutcome.get(row) as Outcome);
  }

  private sentBy(lane: number, typeName: string): void {
    let types = this.laneSends.get(lane);
    if (types === undefined) {
      types = new Set();
      this.laneSends.set(lane, types);
    }
    if (types.size < 64) types.add(typeName);
  }

  /**
   * A new connection attempt: what was in flight on the old one ends here as
   * unknown (the client may fail it with ConnectionLoss), unless its reply
   * still comes on the new connection.
   */
  private connectionRestarted(ev: number, lane: number): void {
    const prefix = `${lane}:`;
    for (const [key, span] of this.openRequests) {
      if (!key.startsWith(prefix)) continue;
      this.openRequests.delete(key);
      this.requestSpans.close(span, ev, OUTCOME.unknown);
      this.interruptedRequests.set(key, span);
    }
  }

  /** The client crashed or its session expired: nothing in flight will be answered. */
  private closeRequests(lane: number, ev: number, outcome: Outcome): void {
    if (lane < 0) return;
    const prefix = `${lane}:`;
    for (const [key, span] of this.openRequests) {
      if (!key.startsWith(prefix)) continue;
      this.openRequests.delete(key);
      this.requestSpans.close(span, ev, outcome);
    }
    for (const key of this.interruptedRequests.keys()) if (key.startsWith(prefix)) this.interruptedRequests.delete(key);
    for (const [key, span] of this.openInvocations) {
      if (!key.startsWith(prefix)) continue;
      this.openInvocations.delete(key);
      this.invokeSpans.close(span, ev, outcome);
    }
  }

  private invoke(ev: number, lane: number, fields: Readonly<Record<string, unknown>>): void {
    const key = `${lane}:${operationKey(fields)}`;
    // The same operation invoked again (a client restarted and counts its xids from 1 again): the old one stays unknown.
    const earlier = this.openInvocations.get(key);
    if (earlier !== undefined) this.invokeSpans.close(earlier, ev, OUTCOME.unknown);
    const op = fieldString(fields, "f") ?? fieldString(fields, "op") ?? fieldString(field(fields, "op"), "op") ?? "?";
    this.openInvocations.set(key, this.invokeSpans.open(ev, lane, this.opNames.intern(op), fieldNumber(fields, "xid") ?? Number.NaN));
  }

  private complete(ev: number, lane: number, fields: Readonly<Record<string, unknown>>): void {
    const key = `${lane}:${operationKey(fields)}`;
    const span = this.openInvocations.get(key);
    if (span === undefined) return;
    this.openInvocations.delete(key);
    this.invokeSpans.close(span, ev, completionOutcome(fields));
  }

  // ------------------------------------------------------------ lane states and roles

  private openLaneState(lane: number, ev: number, kind: "crashed" | "paused", label: string): void {
    if (lane < 0) return;
    this.closeLaneState(lane, ev);
    this.openState.set(lane, { kind, startEv: ev, label });
  }

  private closeLaneState(lane: number, ev: number): void {
    const open = this.openState.get(lane);
    if (open === undefined) return;
    this.openState.delete(lane);
    this.intervals.push({ lane, kind: open.kind, startEv: open.startEv, endEv: ev, label: open.label });
  }

  private endRole(lane: number, ev: number): void {
    const open = this.openRole.get(lane);
    if (open === undefined) return;
    this.openRole.delete(lane);
    this.intervals.push({ lane, kind: open.kind, startEv: open.startEv, endEv: ev, label: open.label });
  }

  // ------------------------------------------------------------ network

  private partition(ev: number, groups: unknown): void {
    this.cutLinks = new Set();
    const groupOf = new Map<number, number>();
    if (Array.isArray(groups)) {
      groups.forEach((group, index) => {
        if (Array.isArray(group)) for (const node of group) if (typeof node === "string") groupOf.set(this.laneOf(node), index);
      });
    }
    const rest = Array.isArray(groups) ? groups.length : 0;
    const n = this.laneIds.length;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) if (a !== b && (groupOf.get(a) ?? rest) !== (groupOf.get(b) ?? rest)) this.cutLinks.add(`${a}>${b}`);
    }
    const names = Array.isArray(groups) ? groups.map((g) => (Array.isArray(g) ? g.join(",") : "?")).join(" | ") : "?";
    this.networkChanged(ev, `partition ${names}`);
  }

  private cut(from: number, to: number, oneWay: boolean): void {
    this.cutLinks.add(`${from}>${to}`);
    if (!oneWay) this.cutLinks.add(`${to}>${from}`);
  }

  /** The links changed: the stretch with the old cuts ends here, and one with the new cuts (if any) begins. */
  private networkChanged(ev: number, label: string): void {
    if (this.openNetwork !== null) this.closeNetwork(ev);
    if (this.cutLinks.size === 0) return;
    const cuts: [number, number][] = [];
    for (const key of this.cutLinks) {
      const [a, b] = key.split(">").map(Number);
      cuts.push([a as number, b as number]);
    }
    this.openNetwork = { startEv: ev, label, groupOf: groupsOf(this.laneIds.length, this.cutLinks), cuts };
  }

  private closeNetwork(endEv: number): void {
    const open = this.openNetwork;
    if (open === null) return;
    this.openNetwork = null;
    this.network.push({ startEv: open.startEv, endEv, groupOf: open.groupOf, cuts: open.cuts, label: open.label });
  }

  // ------------------------------------------------------------ lanes

  private laneOf(node: string): number {
    const known = this.laneIndex.get(node);
    if (known !== undefined) return known;
    const index = this.laneIds.length;
    this.laneIndex.set(node, index);
    this.laneIds.push(node);
    return index;
  }

  private laneKind(id: string, index: number): LaneKind {
    const sent = this.laneSends.get(index);
    if (sent !== undefined) {
      if (sent.has("zk-request") || sent.has("zk-connect")) return "client";
      for (const type of sent) if (type.startsWith("zk-") || SERVER_TYPES.has(type)) return "server";
    }
    if (/^s\d+$/.test(id)) return "server";
    if (/^c\d+$/.test(id)) return "client";
    return "other";
  }

}

/** Message types only servers send. */
const SERVER_TYPES: ReadonlySet<string> = new Set(["prepare", "promise", "accept", "accepted", "heartbeat", "heartbeat-ack", "decided", "fetch", "entries"]);

class SpanBuilder {
  private readonly startEv = new Column(Int32Array);
  private readonly endEv = new Column(Int32Array);
  private readonly lane = new Column(Int16Array);
  private readonly outcome = new Column(Uint8Array);
  private readonly op = new Column(Int16Array);
  private readonly xid = new Column(Float64Array);

  get count(): number {
    return this.startEv.length;
  }

  open(ev: number, lane: number, op: number, xid: number): number {
    this.endEv.push(-1);
    this.lane.push(lane);
    this.outcome.push(OUTCOME.pending);
    this.op.push(op);
    this.xid.push(xid);
    return this.startEv.push(ev);
  }

  close(span: number, ev: number, outcome: Outcome): void {
    this.endEv.set(span, ev);
    this.outcome.set(span, outcome);
  }

  reopen(span: number): void {
    this.endEv.set(span, -1);
    this.outcome.set(span, OUTCOME.pending);
  }

  finish(): SpanColumns {
    return {
      count: this.startEv.length,
      startEv: this.startEv.finish(),
      endEv: this.endEv.finish(),
      lane: this.lane.finish(),
      outcome: this.outcome.finish(),
      op: this.op.finish(),
      xid: this.xid.finish(),
    };
  }
}

/** Groups of lanes that can still talk both ways: the largest is 0; a lane alone and cut from all is -1. */
function groupsOf(n: number, cuts: ReadonlySet<string>): number[] {
  const component = new Array<number>(n).fill(-1);
  const sizes: number[] = [];
  for (let start = 0; start < n; start++) {
    if (component[start] !== -1) continue;
    const id = sizes.length;
    let size = 0;
    const stack = [start];
    component[start] = id;
    while (stack.length > 0) {
      const a = stack.pop() as number;
      size++;
      for (let b = 0; b < n; b++) {
        if (component[b] !== -1 || cuts.has(`${a}>${b}`) || cuts.has(`${b}>${a}`)) continue;
        component[b] = id;
        stack.push(b);
      }
    }
    sizes.push(size);
  }
  // Renumber: the largest group 0, then by first lane; lanes alone (when there are other groups) -1.
  const order = sizes.map((size, id) => ({ size, id })).sort((a, b) => b.size - a.size || a.id - b.id);
  const rank = new Map<number, number>();
  order.forEach((entry, index) => rank.set(entry.id, index));
  return component.map((id) => {
    const size = sizes[id] as number;
    return size === 1 && sizes.length > 1 ? -1 : (rank.get(id) as number);
  });
}

// ------------------------------------------------------------ reading unknown data safely

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function fieldString(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === "string" ? v : undefined;
}

function fieldNumber(value: unknown, key: string): number | undefined {
  const v = field(value, key);
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** The znode path a message is about: a request's op, a forwarded write, a watch event or a reply's result. */
function pathOf(msg: unknown): string | undefined {
  const op = field(msg, "op");
  return (
    fieldString(msg, "path") ??
    fieldString(op, "path") ??
    fieldString(op, "prefix") ??
    fieldString(field(field(op, "ops"), "0"), "path") ??
    fieldString(field(msg, "request"), "path") ??
    fieldString(field(field(msg, "request"), "op"), "path") ??
    fieldString(field(msg, "event"), "path") ??
    fieldString(field(field(msg, "reply"), "result"), "path")
  );
}

function causeOf(event: TraceEvent): number {
  const cause = (event as { cause?: unknown }).cause;
  return typeof cause === "number" && Number.isInteger(cause) && cause >= 0 ? cause : -1;
}

function ballotLabel(ballot: unknown): string {
  const round = fieldNumber(ballot, "round");
  const node = fieldString(ballot, "node");
  return round === undefined ? "" : `${round}.${node ?? "?"}`;
}

/** What identifies an operation between its invoke and complete events. */
function operationKey(fields: Readonly<Record<string, unknown>>): string {
  if (typeof fields["xid"] === "number") return `xid=${fields["xid"]}`;
  for (const key of ["op", "opId", "operation", "id", "index"]) {
    const value = fields[key];
    if (typeof value === "number" || typeof value === "string") return `${key}=${value}`;
    const id = field(value, "id");
    if (typeof id === "number" || typeof id === "string") return `${key}.id=${id}`;
  }
  return "";
}

/** A completion's outcome in Jepsen's words (ok, fail, info) or ours (ok, failed, unknown). */
function completionOutcome(fields: Readonly<Record<string, unknown>>): Outcome {
  const word = fieldString(fields, "outcome") ?? fieldString(fields, "result") ?? fieldString(fields, "status");
  if (word === "ok") return OUTCOME.ok;
  if (word === "fail" || word === "failed") return OUTCOME.failed;
  if (word === "info" || word === "unknown") return OUTCOME.unknown;
  const ok = fields["ok"];
  if (ok === true) return OUTCOME.ok;
  if (ok === false) return OUTCOME.failed;
  return OUTCOME.unknown;
}

/** ConnectionLoss and SessionExpired leave an operation's effect unknown; other errors mean it did not happen. */
export function replyOutcomeOf(msg: unknown): Outcome {
  const reply = field(msg, "reply");
  if (field(reply, "ok") === true) return OUTCOME.ok;
  const err = fieldString(reply, "err");
  if (err === undefined) return OUTCOME.unknown;
  return err === "ConnectionLoss" || err === "SessionExpired" || err === "OperationTimeout" ? OUTCOME.unknown : OUTCOME.failed;
}

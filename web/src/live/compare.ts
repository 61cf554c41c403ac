import { MSG_DROPPED, type TraceModel } from "../model/trace-model.ts";

/**
 * Two branches of a live run, compared: where their traces part (the first
 * event line that differs), and which messages and node states one has and
 * the other has not. Both runs start from the same scenario and seed, so
 * everything before the first difference is the same run. Pure.
 */

/** The first event where two traces differ: its index, and each side's line (null past a trace's end). */
export interface FirstDifference {
  readonly index: number;
  readonly a: string | null;
  readonly b: string | null;
}

/** The first index where the event lines differ; null when they are the same lines. */
export function firstDifference(a: readonly string[], b: readonly string[]): FirstDifference | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return { index: i, a: a[i] as string, b: b[i] as string };
  if (a.length === b.length) return null;
  return { index: n, a: a[n] ?? null, b: b[n] ?? null };
}

/** What one branch has that the other has not: message rows and lane states (crashed, paused, leader terms). */
export interface Differences {
  /** Message rows of A with no message alike in B, and the other way round. */
  readonly messagesOnlyA: ReadonlySet<number>;
  readonly messagesOnlyB: ReadonlySet<number>;
  readonly statesOnlyA: readonly StateKey[];
  readonly statesOnlyB: readonly StateKey[];
}

/** A lane state, named as both models can name it. */
export interface StateKey {
  readonly lane: string;
  readonly kind: string;
  readonly label: string;
  readonly startUs: number;
  /** -1: until the end of the run shown. */
  readonly endUs: number;
}

/**
 * Messages alike: same sender, receiver, type, send time, and the same end
 * (delivered, dropped or in flight, and when). Ids are left out: a message
 * sent in both branches after they part may get another id in each.
 */
function messageKey(model: TraceModel, m: number): string {
  const msgs = model.messages;
  const t = model.events.t;
  const endEv = msgs.endEv[m] as number;
  const end = endEv < 0 ? "flight" : `${(msgs.flags[m] as number) & MSG_DROPPED ? "drop" : "end"}@${t[endEv]}`;
  const lanes = model.lanes;
  return `${lanes[msgs.from[m] as number]?.id}>${lanes[msgs.to[m] as number]?.id}:${model.messageTypes[msgs.type[m] as number]}@${t[msgs.sendEv[m] as number]}:${end}`;
}

function statesOf(model: TraceModel): StateKey[] {
  const t = model.events.t;
  return model.laneIntervals.map((interval) => ({
    lane: model.lanes[interval.lane]?.id ?? "?",
    kind: interval.kind,
    label: interval.label,
    startUs: t[interval.startEv] as number,
    endUs: interval.endEv < 0 ? -1 : (t[interval.endEv] as number),
  }));
}

function stateKey(s: StateKey): string {
  return `${s.lane}:${s.kind}:${s.label}:${s.startUs}:${s.endUs}`;
}

/** What differs between two runs: each side's messages and states with no like in the other (counted as multisets). */
export function differences(a: TraceModel, b: TraceModel): Differences {
  const [messagesOnlyA, messagesOnlyB] = unmatched(
    a.messages.count,
    b.messages.count,
    (m) => messageKey(a, m),
    (m) => messageKey(b, m),
  );
  const statesA = statesOf(a);
  const statesB = statesOf(b);
  const [onlyA, onlyB] = unmatched(
    statesA.length,
    statesB.length,
    (k) => stateKey(statesA[k] as StateKey),
    (k) => stateKey(statesB[k] as StateKey),
  );
  return {
    messagesOnlyA,
    messagesOnlyB,
    statesOnlyA: [...onlyA].map((k) => statesA[k] as StateKey),
    statesOnlyB: [...onlyB].map((k) => statesB[k] as StateKey),
  };
}

/** The items of each side with no equal key left on the other (each key matched once per occurrence). */
function unmatched(countA: number, countB: number, keyA: (i: number) => string, keyB: (i: number) => string): [Set<number>, Set<number>] {
  const left = new Map<string, { readonly items: number[]; used: number }>();
  for (let i = 0; i < countA; i++) {
    const key = keyA(i);
    const entry = left.get(key);
    if (entry === undefined) left.set(key, { items: [i], used: 0 });
    else entry.items.push(i);
  }
  const onlyB = new Set<number>();
  for (let i = 0; i < countB; i++) {
    const entry = left.get(keyB(i));
    if (entry === undefined || entry.used === entry.items.length) onlyB.add(i);
    else entry.used++;
  }
  // Matched from the front: of equal keys, the last ones of A are the unmatched.
  const onlyA = new Set<number>();
  for (const entry of left.values()) for (let k = entry.used; k < entry.items.length; k++) onlyA.add(entry.items[k] as number);
  return [onlyA, onlyB];
}

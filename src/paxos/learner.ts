import { assert, fail, type Storage } from "../sim/index.ts";
import { slotKey } from "./acceptor.ts";
import type { ChosenEntry, Value } from "./messages.ts";

const CHOSEN_PREFIX = "paxos/chosen/";
const SNAPSHOT_KEY = "paxos/snapshot";

/** A snapshot on disk and on the wire: the state machine after every slot below `slot`. */
export interface Snapshot {
  readonly slot: number;
  readonly state: unknown;
}

/** What the learner needs from the layer above. */
export interface LearnerMachine<Cmd> {
  apply(slot: number, value: Value<Cmd>): void;
  snapshot(): unknown;
  restore(slot: number, state: unknown): void;
}

/**
 * The learner role: the chosen log. It collects chosen values (in any order),
 * applies them to the state machine strictly in slot order and exactly once per
 * incarnation, and compacts the applied prefix into snapshots.
 *
 * Chosen entries are written to disk but not synced on their own: one that is
 * lost at a crash is fetched again from a peer. Safety never rests on them.
 */
export class Learner<Cmd> {
  /** Every slot below this one is applied. */
  private appliedSlot = 0;
  /** Slots below this one live only in the snapshot. */
  private snapshotSlotValue = 0;
  /** Chosen values at or above snapshotSlot (applied or waiting for a hole to fill). */
  private readonly chosen = new Map<number, Value<Cmd>>();
  /** The highest chosen slot known, plus one. */
  private knownEnd = 0;

  constructor(
    private readonly storage: Storage,
    private readonly machine: LearnerMachine<Cmd>,
    /** Called after each apply, so the replica can settle proposals. */
    private readonly applied: (slot: number, value: Value<Cmd>) => void,
    /** Called when a slot turns out chosen with two different values here (a safety violation). */
    private readonly conflict: (slot: number, kept: Value<Cmd>, other: Value<Cmd>) => void,
  ) {}

  /** Rebuilds from disk: restores the snapshot, then applies the chosen prefix after it. */
  recover(): void {
    const snapshot = this.storage.read(SNAPSHOT_KEY) as Snapshot | undefined;
    if (snapshot !== undefined) {
      this.machine.restore(snapshot.slot, snapshot.state);
      this.appliedSlot = snapshot.slot;
      this.snapshotSlotValue = snapshot.slot;
      this.knownEnd = snapshot.slot;
    }
    for (const key of this.storage.keys()) {
      if (!key.startsWith(CHOSEN_PREFIX)) continue;
      const slot = Number(key.slice(CHOSEN_PREFIX.length));
      if (slot < this.snapshotSlotValue) continue;
      this.remember(slot, this.storage.read(key) as Value<Cmd>);
    }
    this.applyReady();
  }

  /** Every slot below this one has been applied here. */
  /** What the learner knows, as plain data for the inspector: chosen values not yet compacted, and how far it applied. */
  inspect(): { readonly appliedEnd: number; readonly chosenEnd: number; readonly snapshotSlot: number; readonly chosen: readonly { readonly slot: number; readonly vid: string }[] } {
    const chosen = [...this.chosen].sort((a, b) => a[0] - b[0]).map(([slot, value]) => ({ slot, vid: value.id }));
    return { appliedEnd: this.appliedSlot, chosenEnd: this.chosenEnd, snapshotSlot: this.snapshotSlotValue, chosen };
  }

  get appliedEnd(): number {
    return this.appliedSlot;
  }

  get snapshotSlot(): number {
    return this.snapshotSlotValue;
  }

  /** The highest slot known to be chosen, plus one (at least `appliedEnd`). */
  get chosenEnd(): number {
    return this.knownEnd;
  }

  isChosen(slot: number): boolean {
    return slot < this.snapshotSlotValue || this.chosen.has(slot);
  }

  chosenValue(slot: number): Value<Cmd> | undefined {
    return this.chosen.get(slot);
  }

  /** Records that `value` is chosen in `slot`, and applies whatever became contiguous. */
  choose(slot: number, value: Value<Cmd>): void {
    if (slot < this.snapshotSlotValue) return;
    const known = this.chosen.get(slot);
    if (known !== undefined) {
      if (known.id !== value.id) this.conflict(slot, known, value);
      return;
    }
    this.remember(slot, value);
    this.storage.write(slotKey(CHOSEN_PREFIX, slot), value);
    this.applyReady();
  }

  /** Up to `countMax` chosen entries from `fromSlot` on, contiguous, for a replica that is catching up. */
  entriesFrom(fromSlot: number, countMax: number): ChosenEntry<Cmd>[] {
    const out: ChosenEntry<Cmd>[] = [];
    for (let slot = fromSlot; slot < this.appliedSlot && out.length < countMax; slot++) {
      const value = this.chosen.get(slot);
      if (value === undefined) break;
      out.push({ slot, value });
    }
    return out;
  }

  /** Compacts every applied slot into a snapshot of the state machine (written, not yet synced). */
  compact(): Snapshot {
    const snapshot: Snapshot = { slot: this.appliedSlot, state: this.machine.snapshot() };
    this.storage.write(SNAPSHOT_KEY, snapshot);
    this.dropBelow(snapshot.slot);
    return snapshot;
  }

  /** The snapshot on disk, if any (to send to a replica that is too far behind). */
  storedSnapshot(): Snapshot | undefined {
    return this.storage.read(SNAPSHOT_KEY) as Snapshot | undefined;
  }

  /** Installs a snapshot received from a peer, if it is ahead of what is applied here. */
  install(snapshot: Snapshot): boolean {
    if (snapshot.slot <= this.appliedSlot) return false;
    this.machine.restore(snapshot.slot, snapshot.state);
    this.storage.write(SNAPSHOT_KEY, snapshot);
    this.appliedSlot = snapshot.slot;
    this.knownEnd = Math.max(this.knownEnd, snapshot.slot);
    this.dropBelow(snapshot.slot);
    this.applyReady();
    return true;
  }

  /** The log's bookkeeping: snapshot <= applied <= known chosen, and nothing applicable is left unapplied. */
  invariants(): void {
    if (!(this.snapshotSlotValue <= this.appliedSlot && this.appliedSlot <= this.knownEnd)) fail("the applied end is outside [snapshot, chosen end]", this.ends());
    if (this.chosen.has(this.appliedSlot)) fail("a chosen slot at the applied end was not applied", this.ends());
    if (!(this.chosen.size <= this.knownEnd - this.snapshotSlotValue)) fail("chosen values held outside [snapshot, chosen end)", this.ends());
  }

  private ends(): Record<string, number> {
    return { snapshotSlot: this.snapshotSlotValue, appliedEnd: this.appliedSlot, chosenEnd: this.knownEnd, held: this.chosen.size };
  }

  private remember(slot: number, value: Value<Cmd>): void {
    this.chosen.set(slot, value);
    if (slot + 1 > this.knownEnd) this.knownEnd = slot + 1;
  }

  private dropBelow(slot: number): void {
    this.snapshotSlotValue = slot;
    for (const s of [...this.chosen.keys()]) {
      if (s >= slot) continue;
      this.chosen.delete(s);
      this.storage.delete(slotKey(CHOSEN_PREFIX, s));
    }
  }

  private applyReady(): void {
    for (;;) {
      const value = this.chosen.get(this.appliedSlot);
      if (value === undefined) return;
      const slot = this.appliedSlot;
      this.appliedSlot = slot + 1;
      this.machine.apply(slot, value);
      this.applied(slot, value);
      assert(this.appliedSlot === slot + 1, "apply re-entered the learner", { slot });
    }
  }
}

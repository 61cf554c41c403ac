import { assert } from "./assert.ts";

/**
 * What the event queue needs of an item: a virtual time, a tie-breaking
 * sequence number, and a place for the heap to keep the item's position
 * (-1 when it is not in a heap), so that an item can be taken out before its
 * time (a cancelled timer) instead of staying until it surfaces.
 */
export interface Ordered {
  readonly timeUs: number;
  readonly seq: number;
  heapIndex: number;
}

/**
 * A binary min-heap ordered by (timeUs, seq). Sequence numbers are unique and
 * increase with insertion, so the order is total and two events at the same
 * virtual time run in the order they were scheduled.
 */
export class EventHeap<T extends Ordered> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** The first item, in no particular order, that `match` accepts: a linear scan, for rare look-ups (a person's intervention). */
  find(match: (item: T) => boolean): T | undefined {
    const items = this.items;
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as T;
      if (match(item)) return item;
    }
    return undefined;
  }

  /** Visits every item, in no particular order (sort what you collect). */
  each(visit: (item: T) => void): void {
    const items = this.items;
    for (let index = 0; index < items.length; index++) visit(items[index] as T);
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    this.siftUp(item, items.length - 1);
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top !== undefined) top.heapIndex = -1;
    if (top === undefined || last === undefined || items.length === 0) return top;
    this.siftDown(last, 0);
    return top;
  }

  /** Takes `item` out of the heap, wherever it is (it must be in this heap). */
  remove(item: T): void {
    const items = this.items;
    const index = item.heapIndex;
    assert(index >= 0 && index < items.length && items[index] === item, "an item taken out of the event queue is in it", { index, size: items.length });
    item.heapIndex = -1;
    const last = items.pop() as T;
    if (last === item) return;
    // `last` fills the hole: it may belong above it (a hole deep in another branch) or below it.
    if (index > 0 && before(last, items[(index - 1) >> 1] as T)) this.siftUp(last, index);
    else this.siftDown(last, index);
  }

  /** Moves the hole at `index` towards the root while its parent is later than `item`, then drops `item` in. */
  private siftUp(item: T, index: number): void {
    const items = this.items;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!before(item, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  /** Moves the hole at `index` towards the leaves while a child is earlier than `last`, then drops `last` in. */
  private siftDown(last: T, index: number): void {
    const items = this.items;
    const count = items.length;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= count) break;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      let child = items[leftIndex] as T;
      if (rightIndex < count) {
        const right = items[rightIndex] as T;
        if (before(right, child)) {
          childIndex = rightIndex;
          child = right;
        }
      }
      if (!before(child, last)) break;
      items[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    items[index] = last;
    last.heapIndex = index;
  }
}

function before(a: Ordered, b: Ordered): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.seq < b.seq);
}

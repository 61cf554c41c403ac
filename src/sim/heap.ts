/** What the event queue needs of an item: a virtual time and a tie-breaking sequence number. */
export interface Ordered {
  readonly timeUs: number;
  readonly seq: number;
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

  /**
   * Drops every item `drop` accepts (handing each to `dropped`) and rebuilds
   * the heap from the rest in one pass, O(n): for items that are dead but
   * still queued (cancelled timers), when they outnumber the live ones. The
   * order items pop in is the same, since it is the total (time, seq) order.
   */
  removeWhere(drop: (item: T) => boolean, dropped: (item: T) => void): void {
    const items = this.items;
    let kept = 0;
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as T;
      if (drop(item)) dropped(item);
      else items[kept++] = item;
    }
    items.length = kept;
    for (let index = (kept >> 1) - 1; index >= 0; index--) this.siftDown(index);
  }

  push(item: T): void {
    const items = this.items;
    let index = items.length;
    items.push(item);
    // Sift up: move the hole towards the root while the parent is later.
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!before(item, parent)) break;
      items[index] = parent;
      index = parentIndex;
    }
    items[index] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    this.siftDown(0);
    return top;
  }

  /** Moves the item at `index` down until no child is earlier (after a pop, and to build the heap). */
  private siftDown(index: number): void {
    const items = this.items;
    const count = items.length;
    const item = items[index] as T;
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
      if (!before(child, item)) break;
      items[index] = child;
      index = childIndex;
    }
    items[index] = item;
  }
}

function before(a: Ordered, b: Ordered): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.seq < b.seq);
}

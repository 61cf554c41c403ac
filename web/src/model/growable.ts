/**
 * Typed arrays that grow by doubling while a trace streams in, then are cut
 * to their length. A million events fit in a few tens of megabytes this way,
 * and the finished arrays move to the page without a copy (transferred).
 */

type TypedArray = Int16Array | Int32Array | Uint8Array | Float64Array;
type TypedArrayOf<T extends TypedArray> = T;

interface TypedArrayConstructor<T extends TypedArray> {
  new (length: number): T;
}

/** Capacity of a fresh column; it doubles when full. */
const CAPACITY_FIRST = 1024;

export class Column<T extends TypedArray> {
  private data: T;
  private lengthValue = 0;

  constructor(
    private readonly make: TypedArrayConstructor<T>,
    private readonly fill = 0,
  ) {
    this.data = new make(CAPACITY_FIRST);
    if (fill !== 0) this.data.fill(fill);
  }

  get length(): number {
    return this.lengthValue;
  }

  push(value: number): number {
    if (this.lengthValue === this.data.length) this.grow();
    const index = this.lengthValue++;
    this.data[index] = value;
    return index;
  }

  get(index: number): number {
    return this.data[index] as number;
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  /** The values, cut to length (a copy: the column may go on growing). */
  finish(): TypedArrayOf<T> {
    return this.data.slice(0, this.lengthValue) as T;
  }

  private grow(): void {
    const bigger = new this.make(this.data.length * 2);
    if (this.fill !== 0) bigger.fill(this.fill);
    bigger.set(this.data);
    this.data = bigger;
  }
}

/** Strings numbered in order of first appearance (message types, note kinds, paths). */
export class StringTable {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];

  /** The string's number, given it one if new. */
  intern(value: string): number {
    const known = this.index.get(value);
    if (known !== undefined) return known;
    const next = this.values.length;
    this.index.set(value, next);
    this.values.push(value);
    return next;
  }

  find(value: string): number | undefined {
    return this.index.get(value);
  }
}

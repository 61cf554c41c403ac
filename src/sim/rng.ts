import seedrandom from "seedrandom";
import { assert } from "./assert.ts";

const TWO_POW_32 = 4294967296;

/**
 * A seeded stream of random numbers. Every component of a simulation draws from
 * its own stream, forked by name (`rng.fork("net")`, `rng.fork("node-s3")`), so
 * that one component drawing more numbers never shifts another's draws.
 *
 * The generator is seedrandom's xor4096 (Brent's xorgens). Every draw is an
 * integer; no method uses Math.log or other functions whose last bit may differ
 * between JavaScript engines, so Node and browsers see the same values.
 */
export class Rng {
  /** The seed string this stream was built from; forks extend it with "/name". */
  readonly seed: string;
  private readonly source: seedrandom.PRNG;

  constructor(seed: string | number) {
    this.seed = String(seed);
    this.source = seedrandom.xor4096(this.seed);
  }

  /** An independent stream named `name`, a pure function of this stream's seed and the name. */
  fork(name: string): Rng {
    assert(name.length > 0, "rng fork needs a name");
    return new Rng(`${this.seed}/${name}`);
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    return this.source.int32() >>> 0;
  }

  /** A uniform integer in [0, n), without modulo bias. n must be an integer in [1, 2^32]. */
  below(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n <= TWO_POW_32)) assert(false, "rng.below needs an integer in [1, 2^32]", { n });
    // Reject draws from the last partial block of size (2^32 mod n).
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.source.int32() >>> 0;
      if (x < limit) return x % n;
    }
  }

  /** A uniform integer in [min, max] (both inclusive). */
  between(min: number, max: number): number {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) {
      assert(false, "rng.between needs integers min <= max", { min, max });
    }
    return min + this.below(max - min + 1);
  }

  /** True with probability perMillion / 1,000,000. */
  chancePerMillion(perMillion: number): boolean {
    if (perMillion <= 0) return false;
    if (perMillion >= 1_000_000) return true;
    return this.below(1_000_000) < perMillion;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "rng.pick from an empty array");
    return items[this.below(items.length)] as T;
  }

  /** A uniformly shuffled copy (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}

import { assert } from "./assert.ts";

const MILLION = 1_000_000;

/**
 * A node's local clock: it reads true virtual time plus a skew, and runs at a
 * rate of (1 + driftPpm / 10^6). Changing the clock re-anchors it at the current
 * instant, so local time is continuous except for the skew step that was asked for.
 * All arithmetic is on integers (split to stay below 2^53).
 */
export class LocalClock {
  private anchorGlobalUs = 0;
  private anchorLocalUs = 0;
  private drift = 0;

  get driftPpm(): number {
    return this.drift;
  }

  /** The local reading at true time `globalUs` (which must not precede the last change). */
  localUs(globalUs: number): number {
    const deltaUs = globalUs - this.anchorGlobalUs;
    if (this.drift === 0) return this.anchorLocalUs + deltaUs;
    const wholeSeconds = Math.floor(deltaUs / MILLION);
    const restUs = deltaUs - wholeSeconds * MILLION;
    return this.anchorLocalUs + deltaUs + wholeSeconds * this.drift + Math.floor((restUs * this.drift) / MILLION);
  }

  /** Sets the skew (local minus true time, from now on) and/or the drift, at true time `globalUs`. */
  set(globalUs: number, skewUs: number | undefined, driftPpm: number | undefined): void {
    const localNowUs = this.localUs(globalUs);
    this.anchorGlobalUs = globalUs;
    this.anchorLocalUs = skewUs === undefined ? localNowUs : globalUs + skewUs;
    if (driftPpm !== undefined) {
      assert(driftPpm > -MILLION, "drift must leave the clock running forward", { driftPpm });
      this.drift = driftPpm;
    }
  }

  /** The true-time delay after which this clock has advanced by `localDelayUs` (rounded up). */
  globalDelayUs(localDelayUs: number): number {
    if (this.drift === 0) return localDelayUs;
    return Math.ceil((localDelayUs * MILLION) / (MILLION + this.drift));
  }
}

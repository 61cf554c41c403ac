import { unreachable } from "./assert.ts";
import type { Rng } from "./rng.ts";

/**
 * A latency distribution in integer microseconds. Every sampler below uses only
 * integer draws, comparisons, + - * and division by powers of two, so a browser
 * and Node compute the same latency for the same draws.
 */
export type LatencyDistribution =
  | { kind: "constant"; us: number }
  | { kind: "uniform"; minUs: number; maxUs: number }
  /** Normal around meanUs, clipped to [minUs, maxUs] (Irwin–Hall sum of 12 uniforms). */
  | { kind: "normal"; meanUs: number; stddevUs: number; minUs: number; maxUs: number }
  /** minUs plus an exponential tail of mean meanUs, capped at capUs in total. */
  | { kind: "exponential"; minUs: number; meanUs: number; capUs: number };

const TWO_POW_32 = 4294967296;

/** Draws one latency in microseconds from `distribution` using `rng`. */
export type LatencySampler = (rng: Rng) => number;

export function latencySampler(distribution: LatencyDistribution): LatencySampler {
  switch (distribution.kind) {
    case "constant": {
      const us = distribution.us;
      return () => us;
    }
    case "uniform": {
      const { minUs, maxUs } = distribution;
      if (minUs === maxUs) return () => minUs;
      // The same draw as rng.between(minUs, maxUs), with its bounds computed once.
      const span = maxUs - minUs + 1;
      const limit = TWO_POW_32 - (TWO_POW_32 % span);
      return (rng) => {
        for (;;) {
          const x = rng.uint32();
          if (x < limit) return minUs + (x % span);
        }
      };
    }
    case "normal": {
      const { meanUs, stddevUs, minUs, maxUs } = distribution;
      return (rng) => clamp(meanUs + normalScaled(rng, stddevUs), minUs, maxUs);
    }
    case "exponential": {
      const { minUs, meanUs, capUs } = distribution;
      return (rng) => Math.min(capUs, minUs + exponentialScaled(rng, meanUs));
    }
    default:
      return unreachable(distribution, "latency distribution");
  }
}

const IRWIN_HALL_MEAN = 12 * 32767.5 * 2; // twelve 16-bit uniforms, doubled to stay integral

/**
 * A normal deviate times `stddevUs`, rounded down. The sum of twelve uniforms on
 * [0, 65536) has mean 393210 and standard deviation 65536, so
 * (sum - 393210) / 65536 is approximately N(0, 1) (Irwin–Hall), clipped at ±6σ.
 */
function normalScaled(rng: Rng, stddevUs: number): number {
  let sumDoubled = 0;
  for (let i = 0; i < 6; i++) {
    const x = rng.uint32();
    sumDoubled += ((x >>> 16) + (x & 0xffff)) * 2;
  }
  // (sum - mean) * stddev / 65536, computed on doubled values to keep .5 exact.
  return Math.floor(((sumDoubled - IRWIN_HALL_MEAN) * stddevUs) / 131072);
}

/**
 * An exponential deviate of mean `meanUs`, rounded down, by von Neumann's method,
 * which needs only comparisons of uniforms (Devroye, Non-Uniform Random Variate
 * Generation, IV.2): draw U1 ≥ U2 ≥ … until the run breaks at index N; if N is
 * even accept K + U1, otherwise K += 1 and start again.
 */
function exponentialScaled(rng: Rng, meanUs: number): number {
  let whole = 0;
  for (let attempt = 0; attempt < 64; attempt++) {
    const first = rng.uint32();
    let previous = first;
    let count = 1;
    for (;;) {
      const next = rng.uint32();
      count++;
      if (next > previous) break;
      previous = next;
    }
    if (count % 2 === 0) {
      const fraction21 = first >>> 11; // 21 bits, so meanUs * fraction21 stays below 2^53
      return whole * meanUs + Math.floor((meanUs * fraction21) / 2097152);
    }
    whole++;
  }
  // Reached with probability e^-64: the deviate is at least 64 means, far past any cap.
  return whole * meanUs;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

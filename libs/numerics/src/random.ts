/**
 * Seeded randomness: one generator (mulberry32) and what is drawn from it (integers, shuffles,
 * standard normals), so a seed gives the same numbers in the library and in every tool.
 */

/** mulberry32: a small seeded 32-bit generator of floats in [0, 1); one seed, one sequence, everywhere. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(values: T[] | Int32Array, uniform: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
}

/** mulberry32 with helpers: fits, splits and samples are reproducible for a seed (seed 0 maps to a fixed non-zero state). */
export class SeededRng {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0 || 0x9e3779b9);
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  /** Fisher–Yates, in place; returns the array. */
  shuffle<T>(values: T[]): T[] {
    shuffleInPlace(values, this.next);
    return values;
  }
}

/**
 * The Box–Muller transform: a standard normal from u ∈ (0, 1] and v ∈ [0, 1), independent and
 * uniform (the cosine branch; the sine branch of the same u, v is a second, independent draw).
 */
export function boxMuller(u: number, v: number): number {
  return radius(u) * Math.cos(2 * Math.PI * v);
}

/** One standard normal per call from two fresh uniforms (u kept away from 0). */
export function standardNormal(uniform: () => number): number {
  return boxMuller(Math.max(uniform(), 1e-12), uniform());
}

/** Standard normal draws that use both branches of each Box–Muller pair (half the uniforms of standardNormal). */
export function gaussianSource(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    let u = 0;
    while (u <= 1e-300) u = uniform();
    const v = uniform();
    const r = radius(u);
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function radius(u: number): number {
  return Math.sqrt(-2 * Math.log(u));
}

/** First index whose cumulative value exceeds x: sampling proportional to weights from their prefix sums. */
export function upperBound(cumulative: readonly number[], x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

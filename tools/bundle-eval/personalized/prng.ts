/**
 * Seeded pseudo-random numbers for the personalized bundle evaluation: every
 * random choice (fold assignment, sampled negatives, SVD test matrix) comes from
 * here, so one seed gives byte-identical reports.
 */

export { mulberry32 } from '@recmesh/bundling';

/** Standard normal draws (Box–Muller) from a uniform generator. */
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
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
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

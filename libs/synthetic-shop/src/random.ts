import { mulberry32, standardNormal, upperBound } from '@recmesh/numerics';

/** Small seeded PRNG (mulberry32): the same seed gives the same shop everywhere. */
export class SeededRandom {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0 || 0x9e3779b9);
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Index drawn proportionally to the weights, via a prefix-sum table. */
  weighted(cumulative: readonly number[]): number {
    return upperBound(cumulative, this.next() * cumulative[cumulative.length - 1]);
  }

  normal(): number {
    return standardNormal(this.next);
  }
}

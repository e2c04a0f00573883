import { boxMuller, gaussianSource, mulberry32, SeededRng, shuffleInPlace, standardNormal, upperBound } from './random';

describe('seeded generator', () => {
  it('repeats with the same seed and differs with another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    const arr = [1, 2, 3, 4, 5];
    shuffleInPlace(arr, mulberry32(1));
    expect([...arr].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('SeededRng', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBe(1000);
  });

  it('is mulberry32 of the seed (seed 0 moved to a fixed non-zero state), and shuffles like shuffleInPlace', () => {
    const rng = new SeededRng(7);
    const reference = mulberry32(7);
    expect([rng.next(), rng.next()]).toEqual([reference(), reference()]);
    expect(new SeededRng(0).next()).toBe(mulberry32(0x9e3779b9)());
    const shuffled = new SeededRng(5).shuffle([1, 2, 3, 4, 5, 6]);
    const expected = [1, 2, 3, 4, 5, 6];
    shuffleInPlace(expected, mulberry32(5));
    expect(shuffled).toEqual(expected);
  });
});

describe('standard normal draws (Box–Muller)', () => {
  const moments = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    return { mean, variance };
  };

  it('boxMuller is the cosine branch of the transform', () => {
    expect(boxMuller(Math.exp(-0.5), 0)).toBeCloseTo(1, 12);
    expect(boxMuller(Math.exp(-2), 0.5)).toBeCloseTo(-2, 12);
  });

  it('standardNormal draws two uniforms per value and has mean 0, variance 1', () => {
    const uniform = mulberry32(11);
    const reference = mulberry32(11);
    const first = standardNormal(uniform);
    expect(first).toBe(boxMuller(Math.max(reference(), 1e-12), reference()));
    const { mean, variance } = moments(Array.from({ length: 20000 }, () => standardNormal(uniform)));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('gaussianSource uses both branches of each pair and has mean 0, variance 1', () => {
    const draws = mulberry32(3);
    const next = gaussianSource(draws);
    const [a, b] = [next(), next()];
    const reference = mulberry32(3);
    const u = reference();
    const v = reference();
    expect(a).toBeCloseTo(boxMuller(u, v), 12);
    expect(b).toBeCloseTo(Math.sqrt(-2 * Math.log(u)) * Math.sin(2 * Math.PI * v), 12);
    const { mean, variance } = moments(Array.from({ length: 20000 }, next));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('upperBound', () => {
  it('finds the first prefix sum above x, so draws follow the weights', () => {
    const cumulative = [1, 1, 4, 10];
    expect([0, 0.99, 1, 3.9, 4, 9.99].map((x) => upperBound(cumulative, x))).toEqual([0, 0, 2, 2, 3, 3]);
  });
});

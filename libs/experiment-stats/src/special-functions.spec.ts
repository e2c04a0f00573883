import { chiSquareSurvival, logGamma, regularizedUpperGamma } from './special-functions';

describe('logGamma', () => {
  it('matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(21)).toBeCloseTo(Math.log(2432902008176640000), 9);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe('chi-square upper tail', () => {
  it('gives the textbook critical values their levels', () => {
    // Critical values from any chi-square table (df, statistic, level).
    const table: [number, number, number][] = [
      [1, 3.841459, 0.05],
      [1, 10.827566, 0.001],
      [2, 5.991465, 0.05],
      [2, 13.815511, 0.001],
      [3, 16.266236, 0.001],
      [9, 16.918978, 0.05],
    ];
    for (const [df, statistic, level] of table) expect(chiSquareSurvival(statistic, df)).toBeCloseTo(level, 6);
  });

  it('is 2(1 − Φ(√x)) at one degree of freedom and e^(−x/2) at two, deep into the tail', () => {
    expect(chiSquareSurvival(1, 1)).toBeCloseTo(0.3173105078629141, 12);
    expect(chiSquareSurvival(200, 2) / Math.exp(-100)).toBeCloseTo(1, 9);
    expect(chiSquareSurvival(0, 1)).toBe(1);
    expect(regularizedUpperGamma(3, 2)).toBeCloseTo(Math.exp(-2) * (1 + 2 + 2), 12);
  });

  it('rejects a non-positive number of degrees of freedom', () => {
    expect(() => chiSquareSurvival(1, 0)).toThrow(RangeError);
  });
});

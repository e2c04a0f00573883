import { latencySummary, meanAndStd, median, percentile } from './summary-statistics';

describe('meanAndStd', () => {
  it('gives the per-key mean and sample standard deviation', () => {
    const { mean, std } = meanAndStd([
      { recall: 0.1, ndcg: 1 },
      { recall: 0.3, ndcg: 1 },
    ]);
    expect(mean.recall).toBeCloseTo(0.2, 12);
    expect(std.recall).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(std.ndcg).toBe(0);
  });

  it('has std 0 for one run and nothing for none', () => {
    expect(meanAndStd([{ a: 2 }])).toEqual({ mean: { a: 2 }, std: { a: 0 } });
    expect(meanAndStd([])).toEqual({ mean: {}, std: {} });
  });
});

describe('percentile and latencySummary', () => {
  it('take the nearest rank and summarise latencies in any order', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentile([...values].sort((a, b) => a - b), 50)).toBe(51);
    expect(latencySummary(values)).toEqual({ n: 100, p50: 51, p95: 96, p99: 100, max: 100, mean: 51 });
    expect(latencySummary([])).toBeNull();
  });
});

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the two middle ones of an even count, in any order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});

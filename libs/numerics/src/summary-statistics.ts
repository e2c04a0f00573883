/** Per-key mean and sample standard deviation (n − 1; 0 for a single run) over runs with the same keys, e.g. metrics over seeds. */
export function meanAndStd(runs: readonly Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const key of Object.keys(runs[0] ?? {})) {
    const xs = runs.map((r) => r[key]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[key] = m;
    std[key] = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1)) : 0;
  }
  return { mean, std };
}

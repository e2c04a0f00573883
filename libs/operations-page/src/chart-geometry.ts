/**
 * The geometry of the page's small SVG charts, kept pure (no DOM, no Node) so
 * the page (client/) draws it and the specs check it: scales, line paths
 * that break at missing values, interval plot positions.
 */

export interface Box {
  readonly width: number;
  readonly height: number;
  /** Room for axis labels: left, right, top, bottom. */
  readonly pad: readonly [number, number, number, number];
}

/** x from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle of the range. */
export function scaleLinear(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (x) => r0 + ((x - d0) / (d1 - d0)) * (r1 - r0);
}

/** The smallest 1, 2 or 5 x 10^k at least `value` (an axis top); `fallback` for 0 or less. */
export function niceCeiling(value: number, fallback = 1): number {
  if (!(value > 0) || !Number.isFinite(value)) return fallback;
  const exponent = Math.floor(Math.log10(value));
  // Divide for negative powers: 2 / 1e4 is 0.0002, 2 * 1e-4 is not.
  const times = (step: number) => (exponent >= 0 ? step * 10 ** exponent : step / 10 ** -exponent);
  for (const step of [1, 2, 5]) if (times(step) >= value * (1 - 1e-12)) return times(step);
  return times(10);
}

const r1 = (v: number) => Math.round(v * 10) / 10;

export interface SeriesInput {
  readonly key: string;
  /** Time (epoch ms) and value; a null value breaks the line. */
  readonly points: ReadonlyArray<{ readonly t: number; readonly v: number | null }>;
}

export interface SeriesGeometry {
  readonly key: string;
  /** An SVG path ("M x,y L x,y ..."), one subpath per unbroken run; empty without values. */
  readonly d: string;
  readonly dots: ReadonlyArray<{ readonly cx: number; readonly cy: number; readonly t: number; readonly v: number }>;
}

export interface LineChartGeometry {
  readonly series: readonly SeriesGeometry[];
  /** The y axis runs from 0 to yMax. */
  readonly yMax: number;
  /** Plot area edges. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

/**
 * Lines over time on a shared y axis from 0 to a nice ceiling of the largest
 * value, x over [fromMs, toMs] (widened to the points, so none falls outside).
 */
export function lineChart(series: readonly SeriesInput[], box: Box, fromMs: number, toMs: number): LineChartGeometry {
  const [padLeft, padRight, padTop, padBottom] = box.pad;
  const left = padLeft;
  const right = box.width - padRight;
  const top = padTop;
  const bottom = box.height - padBottom;
  const times = series.flatMap((s) => s.points.map((p) => p.t));
  const t0 = Math.min(fromMs, ...times);
  const t1 = Math.max(toMs, ...times);
  const values = series.flatMap((s) => s.points.flatMap((p) => (p.v === null ? [] : [p.v])));
  const yMax = niceCeiling(Math.max(0, ...values), 1);
  const x = scaleLinear(t0, t1, left, right);
  const y = scaleLinear(0, yMax, bottom, top);
  return {
    left, right, top, bottom, yMax,
    series: series.map((s) => {
      const dots: Array<{ cx: number; cy: number; t: number; v: number }> = [];
      let d = '';
      let broken = true;
      for (const p of [...s.points].sort((a, b) => a.t - b.t)) {
        if (p.v === null) {
          broken = true;
          continue;
        }
        const cx = r1(x(p.t));
        const cy = r1(y(p.v));
        d += `${d === '' ? '' : ' '}${broken ? 'M' : 'L'}${cx},${cy}`;
        broken = false;
        dots.push({ cx, cy, t: p.t, v: p.v });
      }
      return { key: s.key, d, dots };
    }),
  };
}

export interface IntervalInput {
  readonly key: string;
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

export interface IntervalGeometry {
  readonly key: string;
  readonly x: number;
  readonly x1: number;
  readonly x2: number;
}

/**
 * Intervals on one horizontal axis that always shows 0 (no effect) and every
 * bound: symmetric around 0, to a nice ceiling of the largest |bound|.
 * Unbounded ends (an interval that is still the whole line) are clipped to the axis.
 */
export function intervalPlot(intervals: readonly IntervalInput[], left: number, right: number): { readonly zero: number; readonly extent: number; readonly rows: readonly IntervalGeometry[] } {
  const finite = intervals.flatMap((i) => [i.lower, i.upper, i.estimate]).filter(Number.isFinite).map(Math.abs);
  const extent = niceCeiling(Math.max(0, ...finite), 1);
  const x = scaleLinear(-extent, extent, left, right);
  const clip = (v: number) => r1(x(Math.max(-extent, Math.min(extent, Number.isFinite(v) ? v : Math.sign(v) * extent))));
  return { zero: r1(x(0)), extent, rows: intervals.map((i) => ({ key: i.key, x: clip(i.estimate), x1: clip(i.lower), x2: clip(i.upper) })) };
}

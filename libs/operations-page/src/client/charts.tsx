import { intervalPlot, lineChart, SeriesInput } from '../chart-geometry';
import type { OpsInterval, OpsVerdict } from '../ops-api.types';
import { utcClock } from '../ops-format';

/** One colour per model version, in the order the API lists them. */
const PALETTE = ['#2f6fed', '#e4572e', '#17a398', '#9b5de5', '#f2a541', '#5f6b7a'];
export const colorOf = (index: number): string => PALETTE[index % PALETTE.length];

const LINE_BOX = { width: 186, height: 110, pad: [38, 8, 8, 18] as const };

/** A metric over time, one line per model version, y from 0. */
export function LineChart(props: {
  title: string;
  metric: string;
  surface: string;
  series: ReadonlyArray<SeriesInput & { color: string }>;
  fromMs: number;
  toMs: number;
  format: (v: number) => string;
}) {
  const g = lineChart(props.series, LINE_BOX, props.fromMs, props.toMs);
  const mid = (g.top + g.bottom) / 2;
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <svg
        class="line-chart"
        data-metric={props.metric}
        data-surface={props.surface}
        viewBox={`0 0 ${LINE_BOX.width} ${LINE_BOX.height}`}
        width={LINE_BOX.width}
        height={LINE_BOX.height}
        role="img"
        aria-label={`${props.title} over time`}
      >
        {[g.top, mid, g.bottom].map((y, i) => (
          <g key={i} class="grid">
            <line x1={g.left} x2={g.right} y1={y} y2={y} />
            <text x={g.left - 3} y={y + 3} text-anchor="end">
              {props.format((g.yMax * (2 - i)) / 2)}
            </text>
          </g>
        ))}
        <text class="axis" x={g.left} y={LINE_BOX.height - 4}>
          {utcClock(props.fromMs)}
        </text>
        <text class="axis" x={g.right} y={LINE_BOX.height - 4} text-anchor="end">
          {utcClock(props.toMs)} UTC
        </text>
        {g.series.map((s, i) => (
          <g key={s.key} class="series" data-model-version={s.key}>
            <path d={s.d} stroke={props.series[i].color} data-points={s.dots.length} data-last-value={s.dots.at(-1)?.v ?? ''} />
            {s.dots.map((d) => (
              <circle key={d.t} cx={d.cx} cy={d.cy} r={2.5} fill={props.series[i].color}>
                <title>{`${s.key} ${utcClock(d.t)}: ${props.format(d.v)}`}</title>
              </circle>
            ))}
          </g>
        ))}
        {g.series.every((s) => s.dots.length === 0) && (
          <text class="empty" x={(g.left + g.right) / 2} y={mid} text-anchor="middle">
            no lists yet
          </text>
        )}
      </svg>
    </figure>
  );
}

const VERDICT_LABEL: Record<OpsVerdict, string> = {
  better: 'better',
  worse: 'worse',
  no_detectable_difference: 'no difference yet',
  invalid_srm: 'invalid (SRM)',
  insufficient_data: 'too little data',
  unspecified: '?',
};

export interface IntervalRow {
  readonly key: string;
  readonly label: string;
  readonly verdict: OpsVerdict;
  /** Lift (relative) where bounded, else none. */
  readonly interval: OpsInterval | null;
}

/** Lift intervals per arm and metric on one axis around 0 (no effect), with each verdict. */
export function IntervalPlot({ rows, experiment }: { rows: readonly IntervalRow[]; experiment: string }) {
  const width = 560;
  const row = 20;
  const [left, right] = [150, 430];
  const bounded = rows.flatMap((r) => (r.interval ? [{ key: r.key, ...r.interval }] : []));
  const plot = intervalPlot(bounded, left, right);
  const height = rows.length * row + 22;
  const pct = (v: number) => `${v > 0 ? '+' : ''}${Math.round(v * 100)} %`;
  return (
    <svg class="interval-plot" data-experiment={experiment} viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="lift intervals">
      <line class="zero" x1={plot.zero} x2={plot.zero} y1={4} y2={height - 16} />
      <text class="axis" x={left} y={height - 4} text-anchor="start">
        {pct(-plot.extent)}
      </text>
      <text class="axis" x={plot.zero} y={height - 4} text-anchor="middle">
        0 (lift)
      </text>
      <text class="axis" x={right} y={height - 4} text-anchor="end">
        {pct(plot.extent)}
      </text>
      {rows.map((r, i) => {
        const y = 4 + i * row + row / 2;
        const g = plot.rows.find((p) => p.key === r.key);
        const iv = r.interval;
        return (
          <g key={r.key} class={`interval verdict-${r.verdict}`} data-key={r.key} data-verdict={r.verdict}>
            <text x={left - 8} y={y + 4} text-anchor="end">
              {r.label}
            </text>
            {g && iv ? (
              <>
                <line x1={g.x1} x2={g.x2} y1={y} y2={y} />
                <circle cx={g.x} cy={y} r={3.5} />
                <title>{`${r.label}: lift ${pct(iv.estimate)} in [${pct(iv.lower)}, ${pct(iv.upper)}]`}</title>
              </>
            ) : (
              <text class="unbounded" x={plot.zero} y={y + 4} text-anchor="middle">
                not bounded yet
              </text>
            )}
            <text class="verdict" x={right + 10} y={y + 4}>
              {VERDICT_LABEL[r.verdict]}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** Horizontal bars (rejections by reason, consumer lag), longest first as given. */
export function BarChart({ rows, name, empty }: { rows: ReadonlyArray<{ key: string; label: string; value: number }>; name: string; empty: string }) {
  if (rows.length === 0) return <p class="empty" data-chart={name}>{empty}</p>;
  const width = 428;
  const row = 17;
  const [left, right] = [300, 385];
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <svg class="bar-chart" data-chart={name} viewBox={`0 0 ${width} ${rows.length * row + 4}`} width={width} height={rows.length * row + 4} role="img" aria-label={name}>
      {rows.map((r, i) => (
        <g key={r.key} data-key={r.key} data-value={r.value}>
          <title>{`${r.key}: ${r.value}`}</title>
          <text x={left - 6} y={i * row + 13} text-anchor="end">
            {r.label}
          </text>
          <rect x={left} y={i * row + 3} width={Math.max(1, ((right - left) * r.value) / max)} height={row - 6} />
          <text x={left + ((right - left) * r.value) / max + 6} y={i * row + 13}>
            {r.value.toLocaleString('en-US')}
          </text>
        </g>
      ))}
    </svg>
  );
}

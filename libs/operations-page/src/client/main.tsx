import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { OnlineMetrics, OpsExperiment, OpsExperiments, OpsIngest, OpsMetrics, OpsModels, SurfaceMetrics } from '../ops-api.types';
import { count, decimal, money, percent, utcMinute } from '../ops-format';
import { opsApi } from './api';
import { BarChart, colorOf, IntervalPlot, LineChart } from './charts';
import './ops.css';

const REFRESH_MS = 5_000;
const CHART_MIN_SPAN_MS = 3_600_000;

/** Each section's last answer, or why it has none: one failing source leaves the others on the page. */
interface Loaded<T> {
  readonly data?: T;
  readonly error?: string;
}

function Failure({ error }: { error?: string }) {
  return error ? <p class="error">{error}</p> : null;
}

const COLUMNS: ReadonlyArray<{ key: string; title: string; tip: string; value: (m: OnlineMetrics, currency: string) => string }> = [
  { key: 'impressions', title: 'lists', tip: 'impressions: served lists', value: (m) => count(m.impressions) },
  { key: 'ctr', title: 'CTR', tip: 'attributed clicks / impressions', value: (m) => percent(m.ctr) },
  { key: 'add_to_cart_rate', title: 'cart', tip: 'add-to-cart rate: attributed carts / impressions', value: (m) => percent(m.add_to_cart_rate) },
  { key: 'conversion', title: 'conv.', tip: 'conversion: attributed purchases / impressions', value: (m) => percent(m.conversion) },
  { key: 'revenue_per_mille', title: 'rev/1k', tip: 'attributed revenue per 1,000 impressions', value: (m) => money(m.revenue_per_mille_minor) },
  { key: 'mean_position', title: 'pos.', tip: 'mean position of attributed clicks', value: (m) => decimal(m.mean_position, 1) },
  { key: 'long_tail_share', title: 'tail', tip: 'long-tail share of attributed clicks', value: (m) => percent(m.long_tail_share) },
];

function SurfaceCard({ surface, metrics }: { surface: SurfaceMetrics; metrics: OpsMetrics }) {
  const series = (pick: (m: OnlineMetrics) => number | null) =>
    surface.models.map((m, i) => ({ key: m.model_version, color: colorOf(i), points: m.points.map((p) => ({ t: p.bucket_start_ms, v: pick(p) })) }));
  // From the first bucket with lists (at least the last hour) to now: a fresh process's few buckets are not squeezed into the day's last pixels.
  const firstMs = Math.min(metrics.to_ms - CHART_MIN_SPAN_MS, ...surface.models.flatMap((m) => m.points.map((p) => p.bucket_start_ms)));
  const fromMs = Math.max(metrics.from_ms, firstMs);
  return (
    <section class="card surface" data-surface={surface.surface}>
      <h3>{surface.surface}</h3>
      <table class="totals">
        <thead>
          <tr>
            <th>model version</th>
            {COLUMNS.map((c) => (
              <th key={c.key} title={c.tip}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {surface.models.map((m, i) => (
            <tr key={m.model_version} data-model-version={m.model_version}>
              <td class="version">
                <i style={{ background: colorOf(i) }} />
                {m.model_version || '(none)'}
              </td>
              {COLUMNS.map((c) => (
                <td key={c.key} data-metric={c.key}>
                  {c.value(m.totals, metrics.currency)}
                </td>
              ))}
            </tr>
          ))}
          {surface.models.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 1} class="empty">
                no lists served in the window
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div class="charts">
        <LineChart title="CTR" metric="ctr" surface={surface.surface} series={series((p) => p.ctr)} fromMs={fromMs} toMs={metrics.to_ms} format={(v) => percent(v)} />
        <LineChart title="conversion" metric="conversion" surface={surface.surface} series={series((p) => p.conversion)} fromMs={fromMs} toMs={metrics.to_ms} format={(v) => percent(v)} />
      </div>
    </section>
  );
}

function Experiment({ e }: { e: OpsExperiment }) {
  const rows = e.comparisons.map((c) => ({ key: `${c.arm}/${c.metric}`, label: `${c.arm} · ${c.metric}`, verdict: c.verdict, interval: c.lift }));
  return (
    <article class={`experiment ${e.state}`} data-experiment={e.name}>
      <h3>
        {e.name} <span class={`state ${e.state}`}>{e.state}</span> <span class="muted">on {e.surfaces.join(', ')} · since {utcMinute(e.started_at_ms)} UTC</span>
      </h3>
      {e.stopped_at_ms !== null && (
        <p class="muted">
          stopped {utcMinute(e.stopped_at_ms)} UTC: {e.stop_reason}
        </p>
      )}
      <table class="arms">
        <thead>
          <tr>
            <th>arm</th>
            <th>serves</th>
            <th>traffic</th>
            <th>observed</th>
            <th>users</th>
            <th>lists</th>
          </tr>
        </thead>
        <tbody>
          {e.arms.map((a) => (
            <tr key={a.name} data-arm={a.name}>
              <td>
                {a.name}
                {a.control && a.name !== 'control' && <span class="muted"> (control)</span>}
              </td>
              <td>{a.strategy === 'model_version' ? a.model_version : a.strategy.replace('_', ' ')}</td>
              <td data-field="traffic_share">{percent(a.traffic_share)}</td>
              <td>{a.users > 0 ? percent(a.observed_share) : '–'}</td>
              <td data-field="users">{count(a.users)}</td>
              <td>{count(a.impressions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {e.sample_ratio?.mismatch && <p class="error">sample ratio mismatch (p = {e.sample_ratio.p_value.toExponential(1)}): the verdicts are not valid</p>}
      <Failure error={e.error} />
      {rows.length > 0 && <IntervalPlot rows={rows} experiment={e.name} />}
    </article>
  );
}

function Experiments({ data }: { data: OpsExperiments }) {
  if (data.experiments.length === 0) return <p class="empty">No experiment running or stopped in the last {data.recently_stopped_days} days.</p>;
  return (
    <>
      {data.experiments.map((e) => (
        <Experiment key={e.name} e={e} />
      ))}
    </>
  );
}

function Models({ data }: { data: OpsModels }) {
  return (
    <>
      <table class="versions">
        <thead>
          <tr>
            <th>version</th>
            <th>status</th>
            <th>registered</th>
            <th>promoted</th>
          </tr>
        </thead>
        <tbody>
          {data.versions.map((v) => (
            <tr key={v.model_version} data-model-version={v.model_version} class={v.serving ? 'serving' : ''}>
              <td>
                {v.model_version}
                {v.serving && <span class="badge">serving</span>}
                {v.pinned && <span class="badge">pinned</span>}
              </td>
              <td class={`status ${v.status}`}>{v.status}</td>
              <td>{utcMinute(v.registered_at_ms)}</td>
              <td>{v.promoted_at_ms === null ? '–' : utcMinute(v.promoted_at_ms)}</td>
            </tr>
          ))}
          {data.versions.length === 0 && (
            <tr>
              <td colSpan={4} class="empty">
                no version registered
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h3>Gate and canary decisions</h3>
      <ol class="decisions">
        {data.decisions.map((d, i) => (
          <li key={i} data-decision={d.decision}>
            <span class="muted">{utcMinute(d.decided_at_ms)}</span> <b>{d.decision.replace('_', ' ')}</b> {d.model_version}: {d.reason}
          </li>
        ))}
      </ol>
    </>
  );
}

function Ingest({ data }: { data: OpsIngest }) {
  return (
    <>
      <table class="streams">
        <thead>
          <tr>
            <th>stream</th>
            <th>accepted</th>
            <th>duplicates</th>
            <th>rejected</th>
            <th>failed batches</th>
          </tr>
        </thead>
        <tbody>
          {data.streams.map((s) => (
            <tr key={s.stream} data-stream={s.stream}>
              <td>{s.stream}</td>
              <td data-field="accepted">{count(s.accepted)}</td>
              <td>{count(s.duplicates)}</td>
              <td data-field="rejected">{count(s.rejected)}</td>
              <td>{count(s.batch_failures)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Rejected, by reason</h3>
      <BarChart name="rejections" empty="Nothing rejected since the process started." rows={data.rejections.map((r) => ({ key: `${r.stream}/${r.reason}`, label: `${r.stream} · ${r.reason}`, value: r.count }))} />
      <h3>Consumer lag (messages)</h3>
      <BarChart name="lag" empty="No consumer has committed yet." rows={data.lag.map((l) => ({ key: `${l.group}/${l.topic}`, label: `${l.group.replace(/^recmesh-/, '')} · ${l.topic.replace(/^(.*\.)?recmesh\./, '').replace(/\.v\d+$/, '')}`, value: l.lag }))} />
      {data.feedback_pending && (
        <p class="muted">
          feedback: {count(data.feedback_pending.rec_id)} actions wait for their list, {count(data.feedback_pending.view_through)} purchases for a view-through match
        </p>
      )}
    </>
  );
}

function App() {
  const [metrics, setMetrics] = useState<Loaded<OpsMetrics>>({});
  const [experiments, setExperiments] = useState<Loaded<OpsExperiments>>({});
  const [models, setModels] = useState<Loaded<OpsModels>>({});
  const [ingest, setIngest] = useState<Loaded<OpsIngest>>({});
  const [refreshed, setRefreshed] = useState<number | null>(null);

  useEffect(() => {
    let stopped = false;
    const keep = <T,>(set: (l: Loaded<T>) => void) => (p: Promise<T>) =>
      p.then(
        (data) => !stopped && set({ data }),
        (error: unknown) => !stopped && set({ error: error instanceof Error ? error.message : String(error) }),
      );
    const refresh = () =>
      Promise.all([keep(setMetrics)(opsApi.metrics()), keep(setExperiments)(opsApi.experiments()), keep(setModels)(opsApi.models()), keep(setIngest)(opsApi.ingest())]).then(
        () => !stopped && setRefreshed(Date.now()),
      );
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  const data = metrics.data;
  return (
    <>
      <header>
        <span class="logo">
          recmesh <span>operations</span>
        </span>
        <span class="muted" id="refreshed" data-at={refreshed ?? ''}>
          {refreshed === null ? 'loading…' : `refreshed ${new Date(refreshed).toISOString().slice(11, 19)} UTC, every ${REFRESH_MS / 1000} s`}
        </span>
        <nav>
          <a href="/shop">shop</a> <a href="/metrics">/metrics</a>
        </nav>
      </header>
      <main>
        <h2>
          Online metrics <span class="muted">last 24 h, per bucket, attributed by rec_id{metrics.data?.currency ? ` · revenue in ${metrics.data.currency}` : ''}</span>
        </h2>
        <Failure error={metrics.error} />
        <div class="surfaces" id="online-metrics">
          {data && data.surfaces.map((s) => <SurfaceCard key={s.surface} surface={s} metrics={data} />)}
        </div>
        <div class="columns">
          <section class="card" id="experiments">
            <h2>Experiments</h2>
            <Failure error={experiments.error} />
            {experiments.data && <Experiments data={experiments.data} />}
          </section>
          <div>
            <section class="card" id="models">
              <h2>Model registry</h2>
              <Failure error={models.error} />
              {models.data && <Models data={models.data} />}
            </section>
            <section class="card" id="ingest">
              <h2>Ingest health</h2>
              <Failure error={ingest.error} />
              {ingest.data && <Ingest data={ingest.data} />}
            </section>
          </div>
        </div>
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);

// Static checks of the monitoring config: Prometheus config and rules, the
// Grafana dashboards and the runbooks, for the ingest path, the serving path
// and the feedback service (attribution and online metrics).
// Every metric a query names must be one the services really expose (or a
// recording rule defined here), and every label it names one they carry, so a
// metric rename breaks this test instead of silently blanking alerts and panels.
//
// Also runs `promtool check config`, `check rules` on every rules file and
// `test rules` on every rule unit test file in prometheus/tests/. promtool is
// required: without it (on PATH, or named by $PROMTOOL) those tests FAIL, they
// are never skipped. Install it with `bash tools/infra/promtool.sh ensure`
// (Debian's `prometheus` package; .ci/run does this).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { load } from 'js-yaml';
import { Counter, Histogram, Registry } from 'prom-client';
import { FeedbackMetrics } from '@recmesh/attribution';
import { GatewayMetrics } from '@recmesh/gateway-api';
import { createMetricsRegistry } from '@recmesh/observability';

const DEPLOY = __dirname;
const REPO = path.resolve(DEPLOY, '..');
const PROM_DIR = path.join(DEPLOY, 'prometheus');
const PROM_CONFIG = path.join(PROM_DIR, 'prometheus.yml');
const RULE_TESTS_DIR = path.join(PROM_DIR, 'tests');
const RUNBOOKS_DIR = path.join(DEPLOY, 'runbooks');

/** Rule files, each with the alerts and (some of the) recording rules it must define. */
const RULE_FILES = [
  {
    name: 'ingest',
    file: path.join(PROM_DIR, 'alerts', 'recmesh-ingest.rules.yml'),
    alerts: [
      'EventLoopLagHigh',
      'IngestBatchFailures',
      'IngestBatchWriteSlow',
      'IngestConsumerLagGrowing',
      'IngestConsumerLagHigh',
      'IngestDeadLetterRateHigh',
      'IngestStalled',
      'ServiceDown',
    ],
    recorded: ['recmesh:ingest_events_accepted:rate5m'],
  },
  {
    name: 'serving',
    file: path.join(PROM_DIR, 'alerts', 'recmesh-serving.rules.yml'),
    alerts: [
      'BundleModelLoadFailed',
      'BundlerErrorRateHigh',
      'BundlerLatencyHigh',
      'GatewayErrorRateHigh',
      'GatewayLatencyHigh',
      'GatewayOverloaded',
      'ScorerModelLoadFailed',
      'ScorerModelVersionSkew',
      'ServedPublishFailing',
    ],
    recorded: [
      'recmesh:gateway_requests:rate5m',
      'recmesh:gateway_requests_errors:ratio_rate5m',
      'recmesh:gateway_requests_overloaded:ratio_rate5m',
      'recmesh:gateway_request_seconds:p99_rate5m',
      'recmesh:bundler_requests_errors:ratio_rate5m',
      'recmesh:bundler_compose_seconds:p99_rate5m',
    ],
  },
  {
    name: 'feedback',
    file: path.join(PROM_DIR, 'alerts', 'recmesh-feedback.rules.yml'),
    alerts: ['AttributionLagHigh', 'ConversionDrop', 'FeedbackInvalidRecords', 'FeedbackStalled', 'FeedbackSweepFailing'],
    recorded: [
      'recmesh:feedback_impressions:rate1h',
      'recmesh:feedback_ctr:ratio_rate1h',
      'recmesh:feedback_add_to_cart:ratio_rate1h',
      'recmesh:feedback_conversion:ratio_rate1h',
      'recmesh:feedback_revenue_per_1k_impressions:ratio_rate1h',
      'recmesh:feedback_attributed_position:mean_rate1h',
      'recmesh:feedback_tail_clicks:ratio_rate1h',
      'recmesh:feedback_view_through_purchases:rate1h',
      'recmesh:feedback_surface_conversion:ratio_rate1h',
      'recmesh:feedback_surface_conversion_baseline:ratio_rate1h',
      'recmesh:feedback_records_invalid:ratio_rate5m',
      'recmesh:feedback_attribution_lag_seconds:p99_rate5m',
    ],
  },
];

/** Dashboards, each with words its panel titles must contain (one signal SREs watch each). */
const DASHBOARDS = [
  {
    file: path.join(DEPLOY, 'grafana', 'recmesh-ingest.dashboard.json'),
    uid: 'recmesh-ingest',
    signals: ['accepted', 'rejected', 'duplicates', 'p50 / p99', 'lag by partition', 'batch failures', 'cpu', 'resident memory', 'event loop', 'up per service'],
  },
  {
    file: path.join(DEPLOY, 'grafana', 'recmesh-serving.dashboard.json'),
    uid: 'recmesh-serving',
    signals: [
      'calls / s by method and code',
      'latency p50 / p99 by method',
      'in flight',
      'served publish failures',
      'served model version / execution provider',
      'model load failures',
      'requests / s by outcome',
      'bundle compose latency p50 / p99',
      'bundle model version',
      'event loop',
    ],
  },
  {
    file: path.join(DEPLOY, 'grafana', 'recmesh-feedback.dashboard.json'),
    uid: 'recmesh-feedback',
    signals: [
      'impressions / s',
      'ctr',
      'add-to-cart rate',
      'conversion',
      'revenue per 1,000 impressions',
      'mean attributed position',
      'long-tail share of clicks',
      'view-through purchases',
      'attribution lag p50 / p99',
      'pending actions',
      'served-list outcomes',
      'action outcomes',
      'invalid share',
      'batch latency p50 / p99',
      'sweep failures',
      'experiments running',
      'arm fallbacks',
      'experiment lift',
      'experiment verdicts',
      'users per arm',
      'sample-ratio',
      'event loop',
    ],
  },
  {
    file: path.join(DEPLOY, 'grafana', 'recmesh-model.dashboard.json'),
    uid: 'recmesh-model',
    signals: [
      'registry serving version',
      'served model version per scorer instance',
      'version skew',
      'model load failures',
      'registry versions by status',
      'registry decisions',
      'gate decisions',
      'canary decisions',
      'canary lift',
      'training runs per hour by outcome',
      'training run duration',
      'extra versions loaded',
      'arm fallbacks',
      'event loop',
    ],
  },
];

type MetricType = 'counter' | 'gauge' | 'histogram';
const INGEST_SRC = 'libs/ingestion/src/ingest-metrics.ts';
const GATEWAY_SRC = 'libs/gateway-api/src/gateway-metrics.ts';
const SERVING_MODEL_SRC = 'libs/serving-core/src/serving-model.ts';
const BUNDLER_SRC = 'libs/bundle-service/src/bundle-recommender.ts';
const BUNDLER_MODULE_SRC = 'libs/bundle-service/src/serving-bundle-model.ts';
const EXPERIMENTS_SRC = 'libs/gateway-api/src/experiment-refresher.ts';
const EXPERIMENT_RESULTS_SRC = 'libs/experiments/src/experiment-metrics.ts';
const FEEDBACK_SRC = 'libs/attribution/src/feedback-metrics.ts';
const MODEL_POOL_SRC = 'libs/serving-core/src/model-version-pool.ts';
const TRAINER_SRC = 'libs/training/src/retraining-job.ts';
const CANARY_SRC = 'libs/training/src/canary.ts';
const REGISTRY_SRC = 'libs/training/src/registry-metrics.ts';

/**
 * Sources whose metrics are registered by a class: checked by instantiating it
 * on a fresh registry (FeedbackMetrics declares most of its counters through a
 * helper, which the `new Counter({ name, ... })` reading below cannot see). The
 * other sources are read as text.
 */
const METRIC_CLASSES: Record<string, (registry: Registry) => unknown> = {
  [GATEWAY_SRC]: (registry) => new GatewayMetrics(registry),
  [FEEDBACK_SRC]: (registry) => new FeedbackMetrics(registry),
};

/**
 * What the services expose today, as declared (name, type, label names) in
 * each source file; checked against those files below. createMetricsRegistry
 * adds the `service` label to all of them and no prefix (also checked below).
 */
const SERVICE_METRICS: Record<string, { type: MetricType; labels: string[]; source: string }> = {
  recmesh_ingest_events_accepted_total: { type: 'counter', labels: ['stream'], source: INGEST_SRC },
  recmesh_ingest_events_rejected_total: { type: 'counter', labels: ['stream', 'reason'], source: INGEST_SRC },
  recmesh_ingest_events_duplicate_total: { type: 'counter', labels: ['stream'], source: INGEST_SRC },
  recmesh_ingest_batch_write_seconds: { type: 'histogram', labels: ['stream'], source: INGEST_SRC },
  recmesh_ingest_batch_failures_total: { type: 'counter', labels: ['stream'], source: INGEST_SRC },
  recmesh_consumer_lag_messages: { type: 'gauge', labels: ['group', 'topic', 'partition'], source: INGEST_SRC },

  recmesh_gateway_requests_total: { type: 'counter', labels: ['method', 'code'], source: GATEWAY_SRC },
  recmesh_gateway_request_seconds: { type: 'histogram', labels: ['method'], source: GATEWAY_SRC },
  recmesh_gateway_in_flight: { type: 'gauge', labels: [], source: GATEWAY_SRC },
  recmesh_gateway_admission_limit: { type: 'gauge', labels: [], source: GATEWAY_SRC },
  recmesh_gateway_admission_running: { type: 'gauge', labels: [], source: GATEWAY_SRC },
  recmesh_gateway_admission_queue_length: { type: 'gauge', labels: [], source: GATEWAY_SRC },
  recmesh_gateway_admission_rejections_total: { type: 'counter', labels: ['reason'], source: GATEWAY_SRC },
  recmesh_gateway_admission_rejection_seconds: { type: 'histogram', labels: [], source: GATEWAY_SRC },
  recmesh_gateway_served_publish_failures_total: { type: 'counter', labels: [], source: GATEWAY_SRC },
  recmesh_gateway_arm_fallbacks_total: { type: 'counter', labels: ['experiment', 'arm'], source: GATEWAY_SRC },
  recmesh_gateway_experiments_running: { type: 'gauge', labels: [], source: EXPERIMENTS_SRC },
  recmesh_experiment_users: { type: 'gauge', labels: ['experiment', 'arm'], source: EXPERIMENT_RESULTS_SRC },
  recmesh_experiment_sample_ratio_p_value: { type: 'gauge', labels: ['experiment'], source: EXPERIMENT_RESULTS_SRC },
  recmesh_experiment_lift: { type: 'gauge', labels: ['experiment', 'arm', 'metric', 'bound'], source: EXPERIMENT_RESULTS_SRC },
  recmesh_experiment_verdict: { type: 'gauge', labels: ['experiment', 'arm', 'metric', 'verdict'], source: EXPERIMENT_RESULTS_SRC },

  recmesh_scorer_model_info: { type: 'gauge', labels: ['model_version', 'execution_provider'], source: SERVING_MODEL_SRC },
  recmesh_scorer_model_load_failures_total: { type: 'counter', labels: ['model_version'], source: SERVING_MODEL_SRC },
  recmesh_scorer_extra_model_versions_loaded: { type: 'gauge', labels: [], source: MODEL_POOL_SRC },
  recmesh_scorer_extra_model_loads_total: { type: 'counter', labels: ['model_version'], source: MODEL_POOL_SRC },
  recmesh_scorer_extra_model_evictions_total: { type: 'counter', labels: ['model_version', 'reason'], source: MODEL_POOL_SRC },
  recmesh_scorer_extra_model_load_failures_total: { type: 'counter', labels: ['model_version'], source: MODEL_POOL_SRC },

  recmesh_trainer_runs_total: { type: 'counter', labels: ['status'], source: TRAINER_SRC },
  recmesh_trainer_last_trained_timestamp_seconds: { type: 'gauge', labels: [], source: TRAINER_SRC },
  recmesh_trainer_last_run_seconds: { type: 'gauge', labels: ['status'], source: TRAINER_SRC },
  recmesh_trainer_run_seconds: { type: 'histogram', labels: ['status'], source: TRAINER_SRC },
  recmesh_trainer_gate_decisions_total: { type: 'counter', labels: ['decision', 'rule'], source: TRAINER_SRC },
  recmesh_trainer_canary_decisions_total: { type: 'counter', labels: ['verdict'], source: CANARY_SRC },
  recmesh_model_registry_versions: { type: 'gauge', labels: ['status'], source: REGISTRY_SRC },
  recmesh_model_registry_serving_info: { type: 'gauge', labels: ['model_version', 'pinned'], source: REGISTRY_SRC },
  recmesh_model_registry_decisions: { type: 'gauge', labels: ['decision'], source: REGISTRY_SRC },

  recmesh_bundler_requests_total: { type: 'counter', labels: ['outcome'], source: BUNDLER_SRC },
  recmesh_bundler_compose_seconds: { type: 'histogram', labels: [], source: BUNDLER_SRC },
  recmesh_bundler_model_info: { type: 'gauge', labels: ['bundle_model_version'], source: BUNDLER_MODULE_SRC },
  recmesh_bundler_model_load_failures_total: { type: 'counter', labels: [], source: BUNDLER_MODULE_SRC },

  recmesh_feedback_impressions_total: { type: 'counter', labels: ['surface', 'model_version', 'arm'], source: FEEDBACK_SRC },
  recmesh_feedback_items_shown_total: { type: 'counter', labels: ['surface', 'model_version', 'arm'], source: FEEDBACK_SRC },
  recmesh_feedback_attributed_actions_total: { type: 'counter', labels: ['surface', 'model_version', 'arm', 'action'], source: FEEDBACK_SRC },
  recmesh_feedback_attributed_revenue_total: { type: 'counter', labels: ['surface', 'model_version', 'arm'], source: FEEDBACK_SRC },
  recmesh_feedback_view_through_purchases_total: { type: 'counter', labels: ['surface', 'model_version', 'arm'], source: FEEDBACK_SRC },
  recmesh_feedback_view_through_revenue_total: { type: 'counter', labels: ['surface', 'model_version', 'arm'], source: FEEDBACK_SRC },
  recmesh_feedback_tail_clicks_total: { type: 'counter', labels: ['surface', 'model_version', 'arm'], source: FEEDBACK_SRC },
  recmesh_feedback_attributed_position: { type: 'histogram', labels: ['surface', 'model_version', 'arm', 'action'], source: FEEDBACK_SRC },
  recmesh_feedback_attribution_lag_seconds: { type: 'histogram', labels: ['kind'], source: FEEDBACK_SRC },
  recmesh_feedback_pending_actions: { type: 'gauge', labels: ['kind'], source: FEEDBACK_SRC },
  recmesh_feedback_served_lists_total: { type: 'counter', labels: ['outcome'], source: FEEDBACK_SRC },
  recmesh_feedback_actions_total: { type: 'counter', labels: ['outcome'], source: FEEDBACK_SRC },
  recmesh_feedback_foreign_currency_purchases_total: { type: 'counter', labels: [], source: FEEDBACK_SRC },
  recmesh_feedback_batch_seconds: { type: 'histogram', labels: ['topic'], source: FEEDBACK_SRC },
  recmesh_feedback_sweep_failures_total: { type: 'counter', labels: [], source: FEEDBACK_SRC },
};

/** Labels every series has or may have besides its own: the registry's default label, Prometheus' target labels, histogram buckets. */
const COMMON_LABELS = ['service', 'job', 'instance', 'le'];

/** HTTP port of each service (job name = `recmesh-<app>`). */
const SCRAPE_PORTS: Record<string, number> = {
  'recmesh-ingest': 3001,
  'recmesh-feature-builder': 3002,
  'recmesh-scorer': 3003,
  'recmesh-bundler': 3004,
  'recmesh-feedback': 3005,
  'recmesh-gateway': 3006,
  'recmesh-trainer': 3007,
  'recmesh-standalone': 3000,
};

const SEVERITIES = new Set(['warning', 'critical']);

// ---------------------------------------------------------------- helpers

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}
interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
}
interface RuleTestFile {
  rule_files: string[];
  tests: Array<{ alert_rule_test?: AlertRuleTest[] }>;
}
interface PromConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs?: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
}
interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; datasource?: { uid?: string }; query?: unknown; definition?: string }> };
}

function readYaml<T>(file: string): T {
  return load(fs.readFileSync(file, 'utf8')) as T;
}

const PROMQL_KEYWORDS = new Set([
  // binary operators and modifiers
  'and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'atan2',
  // aggregation operators (may be followed by `by (...)` before their parentheses)
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
  // literals
  'inf', 'nan',
]);

/**
 * Metric names a PromQL expression selects (by bare name). Function names,
 * keywords, label names, strings, durations and Grafana variables are not
 * metric names. Good enough for the expressions in this repo, not a parser.
 */
export function metricNamesIn(expr: string): string[] {
  const s = expr
    .replace(/\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]/g, '') // Grafana variables ($service, ${x}, [[x]])
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery windows
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' '); // label lists
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) {
    if (!PROMQL_KEYWORDS.has(m[1].toLowerCase())) names.add(m[1]);
  }
  return [...names];
}

/**
 * Label names a PromQL expression uses: in `by`/`without`/`on`/`ignoring`/
 * `group_left`/`group_right` lists and in label matchers. Not a parser either.
 */
export function labelNamesIn(expr: string): string[] {
  const s = expr
    .replace(/\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]/g, '')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const names = new Set<string>();
  for (const m of s.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/gi)) {
    for (const l of m[1].split(',').map((x) => x.trim())) if (l) names.add(l);
  }
  for (const m of s.matchAll(/\{([^}]*)\}/g)) {
    for (const l of m[1].matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) names.add(l[1]);
  }
  return [...names];
}

/** prom-client's default metrics as createMetricsRegistry registers them: name -> type and label names. */
async function defaultProcessMetrics(): Promise<Map<string, { type: string; labels: string[] }>> {
  const registry = createMetricsRegistry('deploy-spec');
  const metrics = await registry.getMetricsAsJSON();
  registry.clear();
  return new Map(
    metrics.map((m) => [
      m.name,
      { type: String(m.type), labels: [...new Set(m.values.flatMap((v) => Object.keys(v.labels ?? {})))].filter((l) => l !== 'service') },
    ]),
  );
}

/**
 * Metric declarations in a source file: `new Counter|Gauge|Histogram|Summary({ name, labelNames, ... })`
 * (object literals without nested braces, which is how libs/ declares them).
 */
function declaredMetrics(file: string): Map<string, { type: string; labels: string[] }> {
  const out = new Map<string, { type: string; labels: string[] }>();
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  for (const m of text.matchAll(/new\s+(Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\s*\(\s*\{([^{}]*)\}\s*\)/g)) {
    const name = /\bname:\s*['"`]([^'"`]+)['"`]/.exec(m[2])?.[1];
    if (!name) continue;
    const labels = (/\blabelNames:\s*\[([^\]]*)\]/.exec(m[2])?.[1] ?? '')
      .split(',')
      .map((l) => l.trim().replace(/^['"`]|['"`]$/g, ''))
      .filter(Boolean);
    out.set(name, { type: m[1].toLowerCase(), labels });
  }
  return out;
}

/** Metrics a metric class registers (name -> type and label names), on a fresh registry. */
function registeredMetrics(create: (registry: Registry) => unknown): Map<string, { type: string; labels: string[] }> {
  const registry = new Registry();
  create(registry);
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of registry.getMetricsAsArray()) {
    out.set(m.name, { type: String(m.type), labels: [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])] });
  }
  registry.clear();
  return out;
}

/** Series names a metric family exposes (histograms: _bucket, _sum, _count). */
function seriesNames(name: string, type: string): string[] {
  return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
}

/** Minimal glob for Prometheus rule_files entries (`*` and `?` in the file name only). */
function globFiles(baseDir: string, pattern: string): string[] {
  const full = path.resolve(baseDir, pattern);
  const dir = path.dirname(full);
  const re = new RegExp(`^${path.basename(full).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => re.test(f))
    .map((f) => path.join(dir, f));
}

function panelsDeep(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsDeep(p.panels ?? [])]);
}

const PROMTOOL_INSTALL_HINT =
  'Install it with `bash tools/infra/promtool.sh ensure` (Debian\'s `prometheus` package, promtool 2.42 on Debian 12: ' +
  '`sudo apt-get install --no-install-recommends prometheus`), or set PROMTOOL to a promtool binary ' +
  '(without root: `apt-get download prometheus && dpkg -x prometheus_*.deb /opt/prometheus`, ' +
  'then PROMTOOL=/opt/prometheus/usr/bin/promtool). These checks are required and never skipped.';

/** promtool from $PROMTOOL or PATH, with its version; or why it cannot be used. */
function findPromtool(): { bin: string; version: string } | { problem: string } {
  const fromEnv = process.env.PROMTOOL;
  const candidate = fromEnv || 'promtool';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : `exit status ${probe.status}: ${`${probe.stdout}${probe.stderr}`.trim()}`;
    return {
      problem: fromEnv
        ? `PROMTOOL=${fromEnv} does not run (\`${fromEnv} --version\`: ${why}). ${PROMTOOL_INSTALL_HINT}`
        : `promtool is not installed (not on PATH, and $PROMTOOL is not set). ${PROMTOOL_INSTALL_HINT}`,
    };
  }
  return { bin: candidate, version: `${probe.stdout}${probe.stderr}`.split('\n')[0].trim() };
}

// ---------------------------------------------------------------- loaded once

const promConfig = readYaml<PromConfig>(PROM_CONFIG);
const ruleFiles = RULE_FILES.map((f) => {
  const rules = readYaml<{ groups: RuleGroup[] }>(f.file).groups.flatMap((g) => g.rules);
  return { ...f, rules, alerts: rules.filter((r) => r.alert !== undefined), expectedAlerts: f.alerts };
});
const rules = ruleFiles.flatMap((f) => f.rules);
const alerts = rules.filter((r) => r.alert !== undefined);
const recordings = rules.filter((r) => r.record !== undefined);
const recordedNames = new Set(recordings.map((r) => r.record as string));
const dashboards = DASHBOARDS.map((d) => {
  const dashboard = JSON.parse(fs.readFileSync(d.file, 'utf8')) as Dashboard;
  const allPanels = panelsDeep(dashboard.panels);
  return { ...d, name: path.basename(d.file), dashboard, allPanels, dataPanels: allPanels.filter((p) => p.type !== 'row') };
});
/** Every rules file in prometheus/alerts/ (what prometheus.yml loads), listed in RULE_FILES or not. */
const alertRuleFilesOnDisk = globFiles(PROM_DIR, 'alerts/*.rules.yml').sort();
const ruleTests = fs
  .readdirSync(RULE_TESTS_DIR)
  .filter((f) => f.endsWith('.test.yml'))
  .map((f) => {
    const test = readYaml<RuleTestFile>(path.join(RULE_TESTS_DIR, f));
    return { file: f, ruleFiles: (test.rule_files ?? []).map((r) => path.resolve(RULE_TESTS_DIR, r)), cases: (test.tests ?? []).flatMap((t) => t.alert_rule_test ?? []) };
  });

let processMetrics: Map<string, { type: string; labels: string[] }>;
let knownSeries: Set<string>;
let knownLabels: Set<string>;

beforeAll(async () => {
  processMetrics = await defaultProcessMetrics();
  knownSeries = new Set<string>(['up', ...recordedNames]);
  knownLabels = new Set<string>(COMMON_LABELS);
  for (const [name, m] of Object.entries(SERVICE_METRICS)) {
    seriesNames(name, m.type).forEach((n) => knownSeries.add(n));
    m.labels.forEach((l) => knownLabels.add(l));
  }
  for (const [name, m] of processMetrics) {
    if (/^recmesh_(process|nodejs)_/.test(name)) {
      seriesNames(name, m.type).forEach((n) => knownSeries.add(n));
      m.labels.forEach((l) => knownLabels.add(l));
    }
  }
});

/**
 * Names in `expr` that are none of: the service metrics above (histogram series
 * included), a recording rule defined in a rules file, `up`, or one of
 * prom-client's recmesh_process_* / recmesh_nodejs_* default metrics (exact
 * names, so a typo in a process metric is caught too).
 */
function unknownMetrics(expr: string): string[] {
  return metricNamesIn(expr).filter((name) => !knownSeries.has(name));
}

/** Labels in `expr` that no exposed series carries (`methods`, `status` for `code`, ...). */
function unknownLabels(expr: string): string[] {
  return labelNamesIn(expr).filter((name) => !knownLabels.has(name));
}

// ---------------------------------------------------------------- tests

describe('metricNamesIn (PromQL name extraction used below)', () => {
  it('finds selected metrics and ignores functions, keywords, labels, strings and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, stream) (rate(recmesh_ingest_batch_write_seconds_bucket{service=~"$service",le!="x"}[$__rate_interval])))',
      ),
    ).toEqual(['recmesh_ingest_batch_write_seconds_bucket']);
    expect(
      metricNamesIn('a:b:c > 0.05 and on (service) sum(increase(foo_total[5m] offset 1h)) >= 1e3 unless bar{x="y z"} or vector(0) * inf'),
    ).toEqual(['a:b:c', 'foo_total', 'bar']);
    expect(metricNamesIn('max without (instance) (up{job=~"recmesh-.+"}) == bool 0')).toEqual(['up']);
  });

  it('labelNamesIn finds grouping labels and matcher labels, not values or variables', () => {
    expect(
      labelNamesIn(
        'sum by (le, method) (rate(x_bucket{service=~"$service",code!~"A|B",le!="x=y"}[5m])) and on (service, method) y{outcome="ok"} offset 1h',
      ).sort(),
    ).toEqual(['code', 'le', 'method', 'outcome', 'service']);
  });
});

describe('the metric names this config relies on still exist in the code', () => {
  it('every service metric is declared in libs/', () => {
    const declared = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'node_modules' && entry.name !== 'generated') walk(p);
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/name:\s*['"`](recmesh_[a-z0-9_]+)['"`]/g)) declared.add(m[1]);
        }
      }
    };
    walk(path.join(REPO, 'libs'));
    for (const create of Object.values(METRIC_CLASSES)) for (const name of registeredMetrics(create).keys()) declared.add(name);
    expect(Object.keys(SERVICE_METRICS).filter((m) => !declared.has(m))).toEqual([]);
  });

  it.each([...new Set(Object.values(SERVICE_METRICS).map((m) => m.source))])(
    '%s declares exactly the metrics listed for it, with their types and labels',
    (source) => {
      const listed = Object.fromEntries(
        Object.entries(SERVICE_METRICS)
          .filter(([, m]) => m.source === source)
          .map(([name, m]) => [name, { type: m.type, labels: m.labels }]),
      );
      const create = METRIC_CLASSES[source];
      if (create) {
        // The class registers exactly these, and its source file names each of them.
        expect(Object.fromEntries(registeredMetrics(create))).toEqual(listed);
        // The class may register a part through a module of its own (e.g. the gateway's admission metrics): read its relative imports too.
        const own = fs.readFileSync(path.join(REPO, source), 'utf8');
        const imported = [...own.matchAll(/from '(\.[^']+)'/g)].map((m) => path.join(REPO, path.dirname(source), `${m[1]}.ts`)).filter((f) => fs.existsSync(f));
        const text = [own, ...imported.map((f) => fs.readFileSync(f, 'utf8'))].join('\n');
        expect(Object.keys(listed).filter((name) => !text.includes(`'${name}'`))).toEqual([]);
      } else {
        expect(Object.fromEntries(declaredMetrics(source))).toEqual(listed);
      }
    },
  );

  it('createMetricsRegistry exposes metrics under their declared names, with the service label', async () => {
    const registry = createMetricsRegistry('gateway');
    new Counter({ name: 'recmesh_gateway_requests_total', help: 'h', labelNames: ['method', 'code'], registers: [registry] }).inc({ method: 'Recommend', code: 'OK' });
    new Histogram({ name: 'recmesh_gateway_request_seconds', help: 'h', labelNames: ['method'], buckets: [0.25], registers: [registry] }).observe({ method: 'Recommend' }, 0.1);
    const text = await registry.metrics();
    registry.clear();
    expect(text).toMatch(/^recmesh_gateway_requests_total\{(?=[^}]*method="Recommend")(?=[^}]*code="OK")(?=[^}]*service="gateway")[^}]*\} 1$/m);
    expect(text).toMatch(/^recmesh_gateway_request_seconds_bucket\{(?=[^}]*le="0.25")(?=[^}]*service="gateway")[^}]*\} 1$/m);
    expect(text).toMatch(/^recmesh_gateway_request_seconds_count\{(?=[^}]*service="gateway")[^}]*\} 1$/m);
    expect(text).toMatch(/^recmesh_process_start_time_seconds\{service="gateway"\} \d+/m);
  });

  it('process metrics come from prom-client with the recmesh_ prefix', () => {
    for (const name of [
      'recmesh_process_cpu_seconds_total',
      'recmesh_process_resident_memory_bytes',
      'recmesh_process_start_time_seconds',
      'recmesh_nodejs_eventloop_lag_p99_seconds',
      'recmesh_nodejs_heap_size_used_bytes',
    ]) {
      expect(processMetrics.has(name)).toBe(true);
    }
  });
});

describe('prometheus.yml', () => {
  it('scrapes every service on its port, one job each', () => {
    const jobs = promConfig.scrape_configs.map((c) => c.job_name);
    expect(new Set(jobs).size).toBe(jobs.length);
    const targets = Object.fromEntries(
      promConfig.scrape_configs.map((c) => [c.job_name, (c.static_configs ?? []).flatMap((s) => s.targets)]),
    );
    expect(targets).toEqual(Object.fromEntries(Object.entries(SCRAPE_PORTS).map(([job, port]) => [job, [`127.0.0.1:${port}`]])));
    for (const c of promConfig.scrape_configs) {
      expect(c.metrics_path ?? '/metrics').toBe('/metrics');
      // A `service` target label would clash with the exposed one (renamed to exported_service).
      for (const s of c.static_configs ?? []) expect(Object.keys(s.labels ?? {})).not.toContain('service');
    }
  });

  it.each(RULE_FILES.map((f) => [f.name, f.file] as const))('loads the %s rules file through rule_files', (_name, file) => {
    const files = (promConfig.rule_files ?? []).flatMap((pattern) => globFiles(PROM_DIR, pattern));
    expect(files).toContain(file);
  });
});

describe('alerting and recording rules', () => {
  it.each(ruleFiles.map((f) => [f.name, f] as const))('the %s rules file has the expected alerts and recording rules', (_name, f) => {
    expect([...new Set(f.alerts.map((a) => a.alert))].sort()).toEqual([...f.expectedAlerts].sort());
    const recorded = f.rules.filter((r) => r.record !== undefined).map((r) => r.record);
    for (const name of f.recorded) expect(recorded).toContain(name);
  });

  it('defines each recording rule once across all rules files', () => {
    expect(recordedNames.size).toBe(recordings.length);
  });

  it.each(alerts.map((a) => [`${a.alert} (${a.labels?.severity})`, a] as const))(
    '%s has for, severity, summary, description and a runbook that exists',
    (_name, a) => {
      expect(a.for).toMatch(/^\d+[smh]$/);
      expect(SEVERITIES).toContain(a.labels?.severity);
      expect(a.annotations?.summary?.trim()).toBeTruthy();
      expect(a.annotations?.description?.trim()).toBeTruthy();
      expect(a.annotations?.runbook_url).toBe(`deploy/runbooks/${a.alert}.md`);
      expect(fs.existsSync(path.join(REPO, a.annotations!.runbook_url))).toBe(true);
    },
  );

  it('uses each (alert, severity) pair once across all rules files', () => {
    const keys = alerts.map((a) => `${a.alert}/${a.labels?.severity}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('has a runbook only for alerts that exist', () => {
    const alertNames = new Set(alerts.map((a) => a.alert));
    const runbooks = fs
      .readdirSync(RUNBOOKS_DIR)
      .filter((f) => f.endsWith('.md') && f !== 'README.md')
      .map((f) => f.replace(/\.md$/, ''));
    expect(runbooks.filter((r) => !alertNames.has(r))).toEqual([]);
  });

  it('names recording rules level:metric:operation', () => {
    for (const r of recordings) expect(r.record).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
  });

  it.each(rules.map((r) => [`${r.alert ?? r.record}${r.labels?.severity ? ` (${r.labels.severity})` : ''}`, r] as const))(
    '%s only references known metrics and labels',
    (_name, r) => {
      expect(metricNamesIn(r.expr).length).toBeGreaterThan(0);
      expect(unknownMetrics(r.expr)).toEqual([]);
      expect(unknownLabels(r.expr)).toEqual([]);
    },
  );

  it.each(ruleFiles.map((f) => [f.name, f] as const))('the %s rules file has a promtool test file', (_name, f) => {
    expect(ruleTests.filter((t) => t.ruleFiles.includes(f.file)).map((t) => t.file)).not.toEqual([]);
  });

  // Each alert, at each severity, has a test where it fires, and a test where it must stay silent.
  it.each(alerts.map((a) => [`${a.alert} (${a.labels?.severity})`, a] as const))('%s has a firing and a not-firing rule test', (_name, a) => {
    const file = ruleFiles.find((f) => f.rules.includes(a))!.file;
    const cases = ruleTests.filter((t) => t.ruleFiles.includes(file)).flatMap((t) => t.cases.filter((c) => c.alertname === a.alert));
    expect(cases.some((c) => (c.exp_alerts ?? []).some((e) => e.exp_labels?.severity === a.labels?.severity))).toBe(true);
    expect(cases.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
  });

  it('checks every rules file in prometheus/alerts/ (each is listed in RULE_FILES above)', () => {
    expect(alertRuleFilesOnDisk).toEqual(RULE_FILES.map((f) => f.file).sort());
  });

  it.each(ruleTests.map((t) => [t.file, t] as const))('%s loads rules files that exist and tests alerts', (_name, t) => {
    expect(t.ruleFiles.length).toBeGreaterThan(0);
    for (const f of t.ruleFiles) expect(alertRuleFilesOnDisk).toContain(f);
    expect(t.cases.length).toBeGreaterThan(0);
  });

  // promtool passes a silent case for an alert name that does not exist, so a
  // typo (or a renamed alert) would make a test vacuous: every alertname and
  // every expected severity must be one of the rules the test file loads.
  it.each(ruleTests.map((t) => [t.file, t] as const))('%s only tests alerts (and severities) its rules files define', (_name, t) => {
    const defined = new Map<string, Set<string | undefined>>();
    for (const r of ruleFiles.filter((f) => t.ruleFiles.includes(f.file)).flatMap((f) => f.alerts)) {
      defined.set(r.alert!, new Set([...(defined.get(r.alert!) ?? []), r.labels?.severity]));
    }
    const unknown: string[] = [];
    for (const c of t.cases) {
      const severities = defined.get(c.alertname);
      if (!severities) {
        unknown.push(`${c.alertname} at ${c.eval_time}: no such alert`);
        continue;
      }
      for (const e of c.exp_alerts ?? []) {
        if (!severities.has(e.exp_labels?.severity)) unknown.push(`${c.alertname} at ${c.eval_time}: severity ${e.exp_labels?.severity}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('aggregates histogram quantiles over le', () => {
    for (const r of rules) {
      for (const m of r.expr.matchAll(/histogram_quantile\(\s*[\d.]+\s*,\s*sum by \(([^)]*)\)\s*\(rate\(\w+_bucket\[/g)) {
        expect(m[1].split(',').map((l) => l.trim())).toContain('le');
      }
      if (r.expr.includes('histogram_quantile')) expect(r.expr).toMatch(/histogram_quantile\(\s*[\d.]+\s*,\s*sum by \(/);
    }
  });
});

describe.each(dashboards.map((d) => [d.name, d] as const))('Grafana dashboard %s', (_name, d) => {
  const { dashboard, allPanels, dataPanels } = d;

  it('is an importable dashboard with a DS_PROMETHEUS input and a service variable', () => {
    expect(dashboard.uid).toBe(d.uid);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const service = dashboard.templating.list.find((v) => v.name === 'service');
    expect(service).toMatchObject({ type: 'query', datasource: { uid: '${DS_PROMETHEUS}' } });
    // label_values(<selector>, <label>): the selector must name a known metric.
    const selector = /^label_values\(\s*(.+?)\s*,\s*service\s*\)$/.exec(service!.definition ?? '')?.[1] ?? '';
    expect(metricNamesIn(selector).length).toBe(1);
    expect(unknownMetrics(selector)).toEqual([]);
  });

  it('has unique panel ids', () => {
    const ids = allPanels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has panels for every signal SREs watch', () => {
    const titles = dataPanels.map((p) => p.title.toLowerCase()).join('\n');
    for (const word of d.signals) {
      expect(titles).toContain(word);
    }
  });

  it('lays panels out without overlaps inside the 24-column grid', () => {
    const cells = new Map<string, number>();
    for (const p of allPanels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const other = cells.get(`${i},${j}`);
          if (other !== undefined) throw new Error(`panels ${other} and ${p.id} overlap at ${i},${j}`);
          cells.set(`${i},${j}`, p.id);
        }
      }
    }
  });

  it('queries the DS_PROMETHEUS datasource from every panel and target', () => {
    for (const p of dataPanels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
    }
  });

  it.each(dataPanels.flatMap((p) => (p.targets ?? []).map((t) => [`${p.title} / ${t.refId}`, t.expr ?? ''] as const)))(
    '%s only references known metrics and labels and honours $service',
    (_name, expr) => {
      expect(metricNamesIn(expr).length).toBeGreaterThan(0);
      expect(unknownMetrics(expr)).toEqual([]);
      expect(unknownLabels(expr)).toEqual([]);
      // `up` has no service label; everything else is filtered by the variable.
      if (!metricNamesIn(expr).every((m) => m === 'up')) expect(expr).toContain('service=~"$service"');
    },
  );
});

describe('promtool', () => {
  const promtool = findPromtool();
  /** The promtool binary; throws (failing the test) with install instructions when there is none. */
  const bin = (): string => {
    if ('problem' in promtool) throw new Error(promtool.problem);
    return promtool.bin;
  };
  const run = (args: string[]) => {
    const r = spawnSync(bin(), args, { cwd: REPO, encoding: 'utf8' });
    return { status: r.status, output: `${r.error ? `${r.error.message}\n` : ''}${r.stdout ?? ''}${r.stderr ?? ''}` };
  };
  const rel = (file: string) => path.relative(REPO, file);

  it('is installed (a missing promtool fails here, with how to install it)', () => {
    expect(bin()).toBeTruthy();
    if ('version' in promtool) expect(promtool.version).toMatch(/^promtool, version \d+\.\d+/);
  });

  it('check config accepts prometheus.yml and the rules files it loads', () => {
    const r = run(['check', 'config', rel(PROM_CONFIG)]);
    expect(r.output).toContain(`SUCCESS: ${RULE_FILES.length} rule files found`);
    expect(r.output).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
    expect(r.status).toBe(0);
  });

  it.each(alertRuleFilesOnDisk.map((f) => [path.basename(f), f] as const))('check rules accepts %s', (_name, file) => {
    const rulesInFile = readYaml<{ groups: RuleGroup[] }>(file).groups.flatMap((g) => g.rules).length;
    const r = run(['check', 'rules', rel(file)]);
    expect(r.output).toContain(`SUCCESS: ${rulesInFile} rules found`);
    expect(r.status).toBe(0);
  });

  it.each(ruleTests.map((t) => [t.file, t] as const))('test rules passes %s', (_name, t) => {
    const r = run(['test', 'rules', rel(path.join(RULE_TESTS_DIR, t.file))]);
    expect(r.output).toContain('SUCCESS');
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  // A negative control: promtool really evaluates the tests (a stand-in binary,
  // or tests that cannot fail, would pass the checks above).
  it('test rules fails a test whose expectation is wrong', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-promtool-'));
    try {
      const file = path.join(dir, 'wrong.test.yml');
      fs.writeFileSync(
        file,
        [
          'rule_files:',
          `  - ${JSON.stringify(RULE_FILES.find((f) => f.alerts.includes('ServiceDown'))!.file)}`,
          'evaluation_interval: 1m',
          'tests:',
          '  - interval: 1m',
          '    input_series:',
          `      - series: 'up{job="recmesh-scorer",instance="127.0.0.1:3003"}'`,
          `        values: '0x10'`,
          '    alert_rule_test:',
          '      - eval_time: 5m',
          '        alertname: ServiceDown',
          '',
        ].join('\n'),
      );
      const r = run(['test', 'rules', file]);
      expect(r.output).toContain('FAILED');
      expect(r.output).toContain('ServiceDown');
      expect(r.status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

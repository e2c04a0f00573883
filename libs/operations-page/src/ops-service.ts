import type { ExperimentAdmin } from '@recmesh/experiments';
import type { FeedbackStore, ModelRegistry } from '@recmesh/persistence';
import type { Registry } from 'prom-client';
import { experimentView, isShown } from './experiment-view';
import { ingestHealth, MetricSnapshot } from './ingest-health';
import { metricsBySurface } from './online-metrics';
import type { OpsExperiment, OpsExperiments, OpsIngest, OpsMetrics, OpsModels } from './ops-api.types';
import { registryView } from './registry-view';

/** Stopped experiments stay on the page this long. */
export const RECENTLY_STOPPED_DAYS = 7;
/** Registry decisions shown, newest first. */
export const DECISIONS_SHOWN = 30;

export interface OpsSources {
  readonly feedback: FeedbackStore;
  readonly experiments: ExperimentAdmin;
  readonly models: ModelRegistry;
  /** The process's Prometheus registry (METRICS_REGISTRY): ingest's and feedback's counters. */
  readonly metrics: Registry;
  /** FEEDBACK_CURRENCY: the currency of attributed revenue. */
  readonly currency: string;
  readonly clock?: () => number;
}

/** A source that could not be read: the controller answers 500 naming it. */
export class OpsSourceError extends Error {
  constructor(
    readonly source: string,
    cause: unknown,
  ) {
    super(`could not read ${source}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'OpsSourceError';
  }
}

async function reading<T>(source: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new OpsSourceError(source, error);
  }
}

/** What the operations page shows, read from the process's stores and metrics registry on each call. */
export class OpsService {
  private readonly clock: () => number;

  constructor(private readonly sources: OpsSources) {
    this.clock = sources.clock ?? Date.now;
  }

  /** The feedback metric buckets of the last `hours`, per surface and model version. */
  async metrics(hours: number): Promise<OpsMetrics> {
    const toMs = this.clock();
    const fromMs = toMs - hours * 3_600_000;
    const rows = await reading('the feedback metric buckets', () => this.sources.feedback.buckets(fromMs, toMs + 1));
    return metricsBySurface(rows, { fromMs, toMs }, this.sources.currency);
  }

  /** Running experiments and those stopped lately, running first, then the newest; one whose results fail carries its error. */
  async experiments(alpha: number): Promise<OpsExperiments> {
    const now = this.clock();
    const all = await reading('the experiments', () => this.sources.experiments.list(true));
    const shown = all
      .filter((e) => isShown(e, now, RECENTLY_STOPPED_DAYS * 86_400_000))
      .sort((a, b) => a.state - b.state || Number(b.startedAtMs - a.startedAtMs) || a.name.localeCompare(b.name));
    const experiments: OpsExperiment[] = [];
    for (const experiment of shown) {
      const results = await this.sources.experiments.results(experiment.name, alpha).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
      experiments.push(experimentView(experiment, results));
    }
    return { computed_at_ms: now, recently_stopped_days: RECENTLY_STOPPED_DAYS, experiments };
  }

  async models(): Promise<OpsModels> {
    const [versions, serving, decisions] = await reading('the model registry', () =>
      Promise.all([this.sources.models.list(), this.sources.models.current(), this.sources.models.decisions(undefined, DECISIONS_SHOWN)]),
    );
    return registryView(versions, serving, decisions);
  }

  async ingest(): Promise<OpsIngest> {
    const metrics = await reading('the metrics registry', async () => (await this.sources.metrics.getMetricsAsJSON()) as unknown as MetricSnapshot[]);
    return ingestHealth(metrics);
  }
}

import { Logger } from '@nestjs/common';
import { ModelDecision, ModelRegistry, ModelStatus } from '@recmesh/persistence';
import { Gauge, Registry } from 'prom-client';

const STATUSES: readonly ModelStatus[] = ['candidate', 'active', 'retired'];
const DECISIONS: readonly ModelDecision[] = ['registered', 'promoted', 'rejected', 'pinned', 'unpinned', 'rolled_back', 'canary_started'];

/**
 * The model registry as the trainer sees it, on /metrics: versions by status,
 * the version the registry says should serve (the scorers' recmesh_scorer_model_info
 * should agree with it within SCORER_MODEL_POLL_SECONDS), and how many decisions of
 * each kind its log holds. The log is read from the store, so decisions made by an
 * operator's `npm run models` count too; these are gauges of the store's counts
 * (they do not reset when the trainer restarts): graph their changes with delta().
 */
export class RegistryMetrics {
  private readonly logger = new Logger('RegistryMetrics');
  private readonly versions: Gauge<'status'>;
  private readonly serving: Gauge<'model_version' | 'pinned'>;
  private readonly decisions: Gauge<'decision'>;

  constructor(
    private readonly registry: ModelRegistry,
    metrics: Registry,
  ) {
    this.versions = new Gauge({ name: 'recmesh_model_registry_versions', help: 'Registered model versions by status (candidate, active, retired).', labelNames: ['status'], registers: [metrics] });
    this.serving = new Gauge({ name: 'recmesh_model_registry_serving_info', help: 'The version the registry serves (value 1), and whether it is pinned.', labelNames: ['model_version', 'pinned'], registers: [metrics] });
    this.decisions = new Gauge({ name: 'recmesh_model_registry_decisions', help: "Decisions in the registry's log by kind (registered, promoted, rejected, pinned, unpinned, rolled_back, canary_started), whoever made them.", labelNames: ['decision'], registers: [metrics] });
  }

  /** Reads the registry once; a store that does not answer leaves the last values and is logged. */
  async refresh(): Promise<void> {
    try {
      const [versions, current, decisions] = await Promise.all([this.registry.list(), this.registry.current(), this.registry.decisionCounts()]);
      for (const status of STATUSES) this.versions.set({ status }, versions.filter((v) => v.status === status).length);
      this.serving.reset();
      if (current) this.serving.set({ model_version: current.modelVersion, pinned: String(current.pinned) }, 1);
      for (const decision of DECISIONS) this.decisions.set({ decision }, decisions.get(decision) ?? 0);
    } catch (error) {
      this.logger.warn(`could not read the model registry for its metrics: ${(error as Error).message}`);
    }
  }
}

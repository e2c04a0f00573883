import { Logger } from '@nestjs/common';
import { ArmStrategy } from '@recmesh/contracts';
import { ExperimentAssigner, ExperimentSource, planOf, ServedBy } from '@recmesh/serving-core';
import { Gauge, Registry } from 'prom-client';

/** Loads what an arm serves before its users are sent to it; a failure is logged, the arm goes live anyway. */
export type ArmWarmUp = (servedBy: ServedBy) => Promise<void>;

/** A warm-up that takes longer than this does not hold the experiment back any more. */
const WARM_UP_TIMEOUT_MS = 15_000;

/**
 * Keeps the gateway's assigner in step with the running experiments. A source
 * that fails keeps the last list (users stay in their arms) and is logged.
 * A model version an arm serves is loaded by the scorer on first use; it is
 * warmed up before the experiment goes live, so its first users do not pay
 * the load in their answer time (which the canary's latency guardrail reads).
 */
export class ExperimentRefresher {
  private readonly logger = new Logger('ExperimentRefresher');
  private readonly running: Gauge;
  private timer?: NodeJS.Timeout;
  private known = '';
  /** Versions warmed up for the experiments running now. */
  private warmed = new Set<string>();

  constructor(
    private readonly source: ExperimentSource,
    readonly assigner: ExperimentAssigner,
    metrics: Registry,
    private readonly warmUp?: ArmWarmUp,
  ) {
    this.running = new Gauge({ name: 'recmesh_gateway_experiments_running', help: 'Running A/B experiments the gateway assigns users to.', registers: [metrics] });
  }

  async refresh(): Promise<void> {
    try {
      const experiments = await this.source.listRunning();
      await this.warmVersions(experiments.flatMap((e) => e.arms.filter((a) => a.strategy === ArmStrategy.MODEL_VERSION).map((a) => a.modelVersion)));
      this.assigner.replace(experiments.map(planOf));
      this.running.set(this.assigner.size);
      const names = experiments.map((e) => e.name).join(', ');
      if (names !== this.known) this.logger.log(names ? `assigning users to experiments: ${names}` : 'no experiment running');
      this.known = names;
    } catch (error) {
      this.logger.warn(`could not read the running experiments, keeping the last ones: ${(error as Error).message}`);
    }
  }

  start(intervalMs: number): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
    return this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async warmVersions(versions: readonly string[]): Promise<void> {
    const wanted = new Set(versions);
    const fresh = [...wanted].filter((v) => !this.warmed.has(v));
    // Forgotten once no experiment serves them: a later experiment warms them again.
    this.warmed = new Set([...this.warmed].filter((v) => wanted.has(v)));
    if (!this.warmUp) return;
    await Promise.all(
      fresh.map(async (modelVersion) => {
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${WARM_UP_TIMEOUT_MS} ms`)), WARM_UP_TIMEOUT_MS);
        });
        try {
          await Promise.race([this.warmUp!({ modelVersion }), timeout]);
          this.logger.log(`model version ${modelVersion} warmed up for its experiment arm in ${Date.now() - started} ms`);
        } catch (error) {
          this.logger.warn(`could not warm up model version ${modelVersion} (its arm falls back to the serving version while it cannot serve): ${(error as Error).message}`);
        } finally {
          clearTimeout(timer);
          this.warmed.add(modelVersion);
        }
      }),
    );
  }
}

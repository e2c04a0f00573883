import { Logger } from '@nestjs/common';
import { ExperimentResults, Verdict } from '@recmesh/contracts';
import { Gauge, Registry } from 'prom-client';
import { ExperimentAdmin } from './experiment-admin';

/** A verdict as metrics labels and the operations page name it. */
export type VerdictLabel = 'unspecified' | 'better' | 'worse' | 'no_detectable_difference' | 'invalid_srm' | 'insufficient_data';

export const VERDICT_LABEL: Record<Verdict, VerdictLabel> = {
  [Verdict.UNSPECIFIED]: 'unspecified',
  [Verdict.BETTER]: 'better',
  [Verdict.WORSE]: 'worse',
  [Verdict.NO_DETECTABLE_DIFFERENCE]: 'no_detectable_difference',
  [Verdict.INVALID_SRM]: 'invalid_srm',
  [Verdict.INSUFFICIENT_DATA]: 'insufficient_data',
};

/**
 * The running experiments' results on /metrics, recomputed every interval
 * (the same figures GetExperimentResults answers): users per arm, the
 * sample-ratio p-value, each comparison's lift interval and its verdict.
 * Stopped experiments drop out at the next pass.
 */
export class ExperimentMetrics {
  private readonly logger = new Logger('ExperimentMetrics');
  private readonly users: Gauge<'experiment' | 'arm'>;
  private readonly srm: Gauge<'experiment'>;
  private readonly lift: Gauge<'experiment' | 'arm' | 'metric' | 'bound'>;
  private readonly verdict: Gauge<'experiment' | 'arm' | 'metric' | 'verdict'>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly admin: ExperimentAdmin,
    metrics: Registry,
  ) {
    this.users = new Gauge({ name: 'recmesh_experiment_users', help: 'Users assigned to each arm of a running experiment (served at least one list).', labelNames: ['experiment', 'arm'], registers: [metrics] });
    this.srm = new Gauge({ name: 'recmesh_experiment_sample_ratio_p_value', help: 'Chi-square p-value of the observed split against the configured shares; below 0.001 no verdict is given.', labelNames: ['experiment'], registers: [metrics] });
    this.lift = new Gauge({ name: 'recmesh_experiment_lift', help: 'Relative lift of an arm over control per user (treatment / control - 1) and its anytime-valid interval.', labelNames: ['experiment', 'arm', 'metric', 'bound'], registers: [metrics] });
    this.verdict = new Gauge({ name: 'recmesh_experiment_verdict', help: 'The current verdict of an arm against control per metric (value 1 on the verdict label).', labelNames: ['experiment', 'arm', 'metric', 'verdict'], registers: [metrics] });
  }

  async refresh(): Promise<void> {
    const all: ExperimentResults[] = [];
    for (const experiment of await this.admin.listRunning()) {
      try {
        all.push(await this.admin.results(experiment.name, 0));
      } catch (error) {
        this.logger.warn(`results of experiment ${experiment.name} could not be computed: ${(error as Error).message}`);
      }
    }
    for (const gauge of [this.users, this.srm, this.lift, this.verdict]) gauge.reset();
    for (const r of all) {
      const experiment = r.experiment?.name ?? '';
      for (const arm of r.arms) this.users.set({ experiment, arm: arm.name }, Number(arm.users));
      if (r.sampleRatio) this.srm.set({ experiment }, r.sampleRatio.pValue);
      for (const c of r.comparisons) {
        for (const m of c.metrics) {
          this.verdict.set({ experiment, arm: c.arm, metric: m.metric, verdict: VERDICT_LABEL[m.verdict] }, 1);
          if (m.lift) for (const bound of ['estimate', 'lower', 'upper'] as const) this.lift.set({ experiment, arm: c.arm, metric: m.metric, bound }, m.lift[bound]);
        }
      }
    }
  }

  start(intervalMs: number): void {
    const pass = () => this.refresh().catch((error: Error) => this.logger.warn(`experiment metrics pass failed: ${error.message}`));
    void pass();
    this.timer = setInterval(pass, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

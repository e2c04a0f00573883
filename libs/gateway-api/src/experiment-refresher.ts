import { Logger } from '@nestjs/common';
import { ExperimentAssigner, ExperimentSource, planOf } from '@recmesh/serving-core';
import { Gauge, Registry } from 'prom-client';

/**
 * Keeps the gateway's assigner in step with the running experiments. A source
 * that fails keeps the last list (users stay in their arms) and is logged.
 */
export class ExperimentRefresher {
  private readonly logger = new Logger('ExperimentRefresher');
  private readonly running: Gauge;
  private timer?: NodeJS.Timeout;
  private known = '';

  constructor(
    private readonly source: ExperimentSource,
    readonly assigner: ExperimentAssigner,
    metrics: Registry,
  ) {
    this.running = new Gauge({ name: 'recmesh_gateway_experiments_running', help: 'Running A/B experiments the gateway assigns users to.', registers: [metrics] });
  }

  async refresh(): Promise<void> {
    try {
      const experiments = await this.source.listRunning();
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
}

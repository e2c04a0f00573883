import { createGrpcClient, Experiment, ExperimentService, GrpcClient, GrpcClientSecurity } from '@recmesh/contracts';
import { internalClientArgs } from './remote-backends';
import { ExperimentSource } from '@recmesh/serving-core';

/** How long one read of the running experiments may take before the refresher keeps the last list. */
const LIST_DEADLINE_MS = 5000;

/** The running experiments from the feedback service's admin API (recmesh.experiments.v1), for a gateway of its own. */
export class ExperimentsGrpcSource implements ExperimentSource {
  private readonly client: GrpcClient<typeof ExperimentService>;

  constructor(address: string, security?: GrpcClientSecurity) {
    this.client = createGrpcClient(ExperimentService, address, ...internalClientArgs(security));
  }

  async listRunning(): Promise<readonly Experiment[]> {
    return (await this.client.listExperiments({ includeStopped: false }, { deadline: Date.now() + LIST_DEADLINE_MS })).experiments;
  }

  close(): void {
    this.client.close();
  }
}

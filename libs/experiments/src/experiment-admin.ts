import { create, fromJson, JsonValue, toJson } from '@bufbuild/protobuf';
import { Experiment, ExperimentResults, ExperimentSchema, ExperimentState } from '@recmesh/contracts';
import { ExperimentConflictError, ExperimentRecord, ExperimentStore } from '@recmesh/persistence';
import { ServingError, ServingErrorCode } from '@recmesh/serving-core';
import { InvalidExperimentError, validateExperiment } from './experiment-definition';
import { armInputs, experimentResults } from './experiment-results';

const DEFAULT_ALPHA = 0.05;

const CONFLICT_CODE: Record<ExperimentConflictError['kind'], ServingErrorCode> = {
  exists: ServingErrorCode.Conflict,
  not_found: ServingErrorCode.NotFound,
  overlap: ServingErrorCode.FailedPrecondition,
  stopped: ServingErrorCode.FailedPrecondition,
};

/** The store's and the definition's refusals in the one error vocabulary. */
function asServingError(error: unknown): never {
  if (error instanceof InvalidExperimentError) throw new ServingError(ServingErrorCode.InvalidRequest, error.message);
  if (error instanceof ExperimentConflictError) throw new ServingError(CONFLICT_CODE[error.kind], error.message);
  throw error;
}

function experimentOf(record: ExperimentRecord): Experiment {
  return fromJson(ExperimentSchema, record.definition as JsonValue);
}

/** recmesh.experiments.v1.ExperimentService over the experiment store. */
export class ExperimentAdmin {
  constructor(
    private readonly store: ExperimentStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async create(input: Experiment): Promise<Experiment> {
    try {
      const experiment = validateExperiment(input, this.clock());
      await this.store.create(experiment.name, experiment.surfaces, toJson(ExperimentSchema, experiment), Number(experiment.startedAtMs));
      return experiment;
    } catch (error) {
      return asServingError(error);
    }
  }

  async stop(name: string, reason: string): Promise<Experiment> {
    const now = this.clock();
    try {
      const record = await this.store.stop(name, now, (definition) =>
        toJson(ExperimentSchema, create(ExperimentSchema, { ...fromJson(ExperimentSchema, definition as JsonValue), state: ExperimentState.STOPPED, stoppedAtMs: BigInt(now), stopReason: reason })),
      );
      return experimentOf(record);
    } catch (error) {
      return asServingError(error);
    }
  }

  async list(includeStopped: boolean): Promise<Experiment[]> {
    return (await this.store.list(includeStopped)).map(experimentOf);
  }

  /** What gateways assign from (ExperimentSource). */
  listRunning(): Promise<Experiment[]> {
    return this.list(false);
  }

  /** The definition and its per-arm sums (what a canary decides on), or undefined for an unknown name. */
  async sums(name: string): Promise<{ experiment: Experiment; arms: Awaited<ReturnType<typeof armInputs>> } | undefined> {
    const record = await this.store.get(name);
    if (!record) return undefined;
    const experiment = experimentOf(record);
    return { experiment, arms: await armInputs(experiment, this.store.units(name, record.startedAtMs)) };
  }

  /** Gateway answer times of an arm's most recent lists. */
  recentLatencies(name: string, arm: string, limit: number): Promise<number[]> {
    return this.store.recentLatencies(name, arm, limit);
  }

  /** Served lists per arm by the version that served them. */
  servedByArm(name: string): ReturnType<ExperimentStore['servedByArm']> {
    return this.store.servedByArm(name);
  }

  async results(name: string, alpha: number): Promise<ExperimentResults> {
    if (!(alpha === 0 || (alpha > 0 && alpha < 1))) throw new ServingError(ServingErrorCode.InvalidRequest, `alpha must be in (0, 1) (0 means ${DEFAULT_ALPHA}), got ${alpha}`);
    const record = await this.store.get(name);
    if (!record) throw new ServingError(ServingErrorCode.NotFound, `no experiment ${name}`);
    return experimentResults(experimentOf(record), this.store.units(name, record.startedAtMs), alpha || DEFAULT_ALPHA, this.clock());
  }
}

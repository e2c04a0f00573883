import { createHash } from 'crypto';
import { ArmStrategy, Experiment, isServedSurface, ServedSurface } from '@recmesh/contracts';
import type { ServedBy } from './serving-queries';

/** What assignment and serving need of a running experiment (its definition was checked when it was created). */
export interface ExperimentPlan {
  readonly name: string;
  readonly salt: string;
  readonly surfaces: readonly ServedSurface[];
  readonly arms: ReadonlyArray<{ readonly name: string; readonly share: number; readonly strategy: ArmStrategy; readonly modelVersion: string }>;
  readonly controlArm: string;
}

export function planOf(experiment: Experiment): ExperimentPlan {
  return {
    name: experiment.name,
    salt: experiment.salt || experiment.name,
    surfaces: experiment.surfaces.filter(isServedSurface),
    arms: experiment.arms.map((a) => ({ name: a.name, share: a.trafficShare, strategy: a.strategy, modelVersion: a.modelVersion })),
    controlArm: experiment.controlArm,
  };
}

/** Where a gateway learns the running experiments: the admin API's store, in process or over gRPC. */
export interface ExperimentSource {
  listRunning(): Promise<readonly Experiment[]>;
}

export const EXPERIMENT_SOURCE = Symbol('EXPERIMENT_SOURCE');

export interface ArmAssignment {
  readonly experiment: string;
  readonly arm: ExperimentPlan['arms'][number];
}

/**
 * A point in [0, 1) that depends only on (salt, unit): the first 52 bits of
 * SHA-256, so every gateway (and a restarted one) puts a user in the same arm,
 * and experiments with different salts split users independently.
 */
export function unitPoint(salt: string, unit: string): number {
  const digest = createHash('sha256').update(salt).update('\u0000').update(unit).digest();
  // 52 bits: exact in a double.
  const high = digest.readUInt32BE(0) >>> 12;
  const low = digest.readUInt32BE(4);
  return (high * 2 ** 32 + low) / 2 ** 52;
}

/** The arm whose cumulative share interval holds the unit's point. */
export function assignArm(plan: ExperimentPlan, unit: string): ExperimentPlan['arms'][number] {
  const point = unitPoint(plan.salt, unit);
  let upper = 0;
  for (const arm of plan.arms) {
    upper += arm.share;
    if (point < upper) return arm;
  }
  // Shares summing to 1 - 1e-12 leave a sliver: it belongs to the last arm.
  return plan.arms[plan.arms.length - 1];
}

/**
 * The running experiments as the gateway holds them: at most one per surface
 * (creation refuses overlaps), looked up per request. The user id is the
 * unit (a storefront passes an anonymous shopper's session id as user_id, as
 * in its events); a call without one (SimilarItems or Bundle without user_id)
 * has nothing stable to assign and is served outside the experiment.
 */
export class ExperimentAssigner {
  private bySurface = new Map<ServedSurface, ExperimentPlan>();

  replace(plans: readonly ExperimentPlan[]): void {
    const next = new Map<ServedSurface, ExperimentPlan>();
    for (const plan of plans) for (const surface of plan.surfaces) next.set(surface, plan);
    this.bySurface = next;
  }

  assign(surface: ServedSurface, userId: string): ArmAssignment | undefined {
    const plan = this.bySurface.get(surface);
    if (!plan || userId === '') return undefined;
    return { experiment: plan.name, arm: assignArm(plan, userId) };
  }

  get size(): number {
    return new Set(this.bySurface.values()).size;
  }
}

/** What an arm asks the scorer for; undefined = the version the registry serves. */
export function servedByOf(arm: ExperimentPlan['arms'][number]): ServedBy | undefined {
  if (arm.strategy === ArmStrategy.MODEL_VERSION) return { modelVersion: arm.modelVersion };
  if (arm.strategy === ArmStrategy.POPULARITY) return { strategy: 'popularity' };
  return undefined;
}

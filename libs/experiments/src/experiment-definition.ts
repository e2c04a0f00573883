import { create } from '@bufbuild/protobuf';
import { ArmStrategy, Experiment, ExperimentSchema, ExperimentState, isServedSurface } from '@recmesh/contracts';

const NAME = /^[a-z0-9_-]{1,64}$/;
const ARM_NAME = /^[a-z0-9_-]{1,32}$/;
/** Shares are decimals an operator types: 0.1 + 0.2 + 0.7 must count as 1. */
const SHARE_TOLERANCE = 1e-9;
const MAX_ARMS = 10;

/** A definition that cannot run; `problems` lists every reason at once. */
export class InvalidExperimentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid experiment: ${problems.join('; ')}`);
    this.name = 'InvalidExperimentError';
  }
}

/**
 * Checks a definition as an operator sent it and returns it normalized (salt
 * defaults to the name, state running); throws InvalidExperimentError with
 * every problem found, not only the first.
 */
export function validateExperiment(input: Experiment, nowMs: number): Experiment {
  const problems: string[] = [];
  if (!NAME.test(input.name)) problems.push(`name must be 1..64 of a-z, 0-9, '-', '_' (got ${JSON.stringify(input.name)})`);
  if (input.surfaces.length === 0) problems.push('surfaces must name at least one of recommend, similar_items, bundle');
  for (const s of input.surfaces) if (!isServedSurface(s)) problems.push(`unknown surface ${JSON.stringify(s)} (recommend, similar_items or bundle)`);
  if (new Set(input.surfaces).size !== input.surfaces.length) problems.push('surfaces are listed twice');
  if (input.arms.length < 2 || input.arms.length > MAX_ARMS) problems.push(`an experiment has 2..${MAX_ARMS} arms (got ${input.arms.length})`);
  const names = new Set<string>();
  let total = 0;
  for (const [i, arm] of input.arms.entries()) {
    const label = `arm ${i + 1}${arm.name ? ` (${arm.name})` : ''}`;
    if (!ARM_NAME.test(arm.name)) problems.push(`${label}: name must be 1..32 of a-z, 0-9, '-', '_'`);
    if (names.has(arm.name)) problems.push(`${label}: name used twice`);
    names.add(arm.name);
    if (!(arm.trafficShare > 0 && arm.trafficShare <= 1)) problems.push(`${label}: traffic_share must be in (0, 1] (got ${arm.trafficShare})`);
    else total += arm.trafficShare;
    if (arm.strategy === ArmStrategy.UNSPECIFIED || ArmStrategy[arm.strategy] === undefined) problems.push(`${label}: strategy must be SERVING_MODEL, MODEL_VERSION or POPULARITY`);
    if (arm.strategy === ArmStrategy.MODEL_VERSION && arm.modelVersion === '') problems.push(`${label}: strategy MODEL_VERSION needs model_version`);
    if (arm.strategy !== ArmStrategy.MODEL_VERSION && arm.modelVersion !== '') problems.push(`${label}: model_version is only for strategy MODEL_VERSION`);
  }
  // The bundler always composes with the served version: on that surface arms could not differ.
  if (input.surfaces.includes('bundle') && input.arms.some((a) => a.strategy !== ArmStrategy.SERVING_MODEL)) problems.push('surface bundle only takes SERVING_MODEL arms (bundles are composed with the version the registry serves)');
  if (problems.every((p) => !p.includes('traffic_share')) && Math.abs(total - 1) > SHARE_TOLERANCE) problems.push(`traffic shares sum to ${total}, not 1`);
  if (!names.has(input.controlArm)) problems.push(`control_arm ${JSON.stringify(input.controlArm)} is not one of the arms`);
  if (problems.length > 0) throw new InvalidExperimentError(problems);
  return create(ExperimentSchema, {
    ...input,
    salt: input.salt || input.name,
    state: ExperimentState.RUNNING,
    startedAtMs: BigInt(nowMs),
    stoppedAtMs: 0n,
    stopReason: '',
  });
}

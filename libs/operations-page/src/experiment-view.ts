import { ArmStrategy, Experiment, ExperimentResults, ExperimentState, Interval, Verdict } from '@recmesh/contracts';
import { VERDICT_LABEL } from '@recmesh/experiments';
import type { OpsArm, OpsExperiment, OpsInterval, OpsVerdict } from './ops-api.types';

/** The experiments' own labels; the page's type must keep up with them. */
const VERDICT: Record<Verdict, OpsVerdict> = VERDICT_LABEL;

const STRATEGY: Record<ArmStrategy, string> = {
  [ArmStrategy.UNSPECIFIED]: 'unspecified',
  [ArmStrategy.SERVING_MODEL]: 'serving_model',
  [ArmStrategy.MODEL_VERSION]: 'model_version',
  [ArmStrategy.POPULARITY]: 'popularity',
};

/** JSON has no infinities: an interval not yet bounded on both sides is shown as none. */
const interval = (i: Interval | undefined): OpsInterval | null =>
  i && [i.estimate, i.lower, i.upper].every(Number.isFinite) ? { estimate: i.estimate, lower: i.lower, upper: i.upper } : null;

/** Running, or stopped within `recentMs` of `nowMs`: what an operator still looks at. */
export function isShown(experiment: Experiment, nowMs: number, recentMs: number): boolean {
  return experiment.state !== ExperimentState.STOPPED || Number(experiment.stoppedAtMs) >= nowMs - recentMs;
}

/**
 * An experiment for the page: its arms (definition order) with traffic share,
 * observed share, users and impressions from the results, and every treatment
 * arm's comparison with the control per metric. Without results (`error`) the
 * arms carry the definition's shares and zero users.
 */
export function experimentView(experiment: Experiment, results: ExperimentResults | { error: string }): OpsExperiment {
  const measured = 'error' in results ? undefined : results;
  const arms = experiment.arms.map((arm): OpsArm => {
    const r = measured?.arms.find((a) => a.name === arm.name);
    return {
      name: arm.name,
      control: arm.name === experiment.controlArm,
      strategy: STRATEGY[arm.strategy] ?? 'unspecified',
      model_version: arm.modelVersion,
      traffic_share: arm.trafficShare,
      observed_share: r?.observedShare ?? 0,
      users: Number(r?.users ?? 0n),
      impressions: Number(r?.impressions ?? 0n),
    };
  });
  return {
    name: experiment.name,
    description: experiment.description,
    state: experiment.state === ExperimentState.STOPPED ? 'stopped' : 'running',
    surfaces: [...experiment.surfaces],
    started_at_ms: Number(experiment.startedAtMs),
    stopped_at_ms: experiment.state === ExperimentState.STOPPED ? Number(experiment.stoppedAtMs) : null,
    stop_reason: experiment.stopReason,
    arms,
    comparisons: (measured?.comparisons ?? []).flatMap((c) =>
      c.metrics.map((m) => ({
        arm: c.arm,
        metric: m.metric,
        verdict: VERDICT[m.verdict] ?? 'unspecified',
        treatment_mean: m.treatmentMean,
        control_mean: m.controlMean,
        lift: interval(m.lift),
        difference: interval(m.difference),
        cuped: m.cuped,
      })),
    ),
    alpha: measured?.alpha ?? 0,
    sample_ratio: measured?.sampleRatio ? { p_value: measured.sampleRatio.pValue, mismatch: measured.sampleRatio.mismatch } : null,
    ...('error' in results ? { error: results.error } : {}),
  };
}

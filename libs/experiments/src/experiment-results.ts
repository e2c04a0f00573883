import { create } from '@bufbuild/protobuf';
import {
  ArmResultSchema,
  ArmComparisonSchema,
  Experiment,
  ExperimentResults,
  ExperimentResultsSchema,
  IntervalSchema,
  MetricComparisonSchema,
  MetricSummarySchema,
  SampleRatioCheckSchema,
  Verdict,
} from '@recmesh/contracts';
import { addUnitValue, analyzeExperiment, ArmInput, emptyMetricSums, MetricSums, MetricVerdict } from '@recmesh/experiment-stats';
import { UnitOutcomeRow } from '@recmesh/persistence';

/** Per-user outcomes compared between arms: what each unit did with the lists its arm served. */
export const EXPERIMENT_METRICS = ['clicks', 'add_to_carts', 'purchases', 'revenue'] as const;
type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

const VALUE_OF: Record<ExperimentMetric, (u: UnitOutcomeRow) => number> = {
  clicks: (u) => u.clicks,
  add_to_carts: (u) => u.addToCarts,
  purchases: (u) => u.purchases,
  revenue: (u) => u.revenue,
};

const VERDICT: Record<MetricVerdict, Verdict> = {
  better: Verdict.BETTER,
  worse: Verdict.WORSE,
  no_detectable_difference: Verdict.NO_DETECTABLE_DIFFERENCE,
  invalid_srm: Verdict.INVALID_SRM,
  insufficient_data: Verdict.INSUFFICIENT_DATA,
};

interface ArmTotals {
  units: number;
  impressions: number;
  metrics: Record<ExperimentMetric, MetricSums>;
}

/**
 * Per-user sums per arm from the units (each user's stored events before the
 * start are the CUPED covariate): the input of @recmesh/experiment-stats.
 */
export async function armInputs(experiment: Experiment, units: AsyncIterable<readonly UnitOutcomeRow[]>): Promise<Array<ArmInput & { impressions: number }>> {
  const totals = new Map<string, ArmTotals>(
    experiment.arms.map((a) => [a.name, { units: 0, impressions: 0, metrics: Object.fromEntries(EXPERIMENT_METRICS.map((m) => [m, emptyMetricSums(true)])) as ArmTotals['metrics'] }]),
  );
  for await (const page of units) {
    for (const unit of page) {
      const arm = totals.get(unit.arm);
      // A unit of an arm the definition does not have cannot come from our gateway; it is left out.
      if (!arm) continue;
      arm.units++;
      arm.impressions += unit.impressions;
      for (const m of EXPERIMENT_METRICS) addUnitValue(arm.metrics[m], VALUE_OF[m](unit), unit.eventsBefore);
    }
  }
  return experiment.arms.map((a) => {
    const t = totals.get(a.name) as ArmTotals;
    return { name: a.name, share: a.trafficShare, units: t.units, impressions: t.impressions, metrics: t.metrics };
  });
}

/** The experiment's results (anytime-valid, so reading them every minute is fine). */
export async function experimentResults(experiment: Experiment, units: AsyncIterable<readonly UnitOutcomeRow[]>, alpha: number, nowMs: number): Promise<ExperimentResults> {
  const arms = await armInputs(experiment, units);
  const analysis = analyzeExperiment({ control: experiment.controlArm, alpha, arms: arms.map(({ impressions: _impressions, ...arm }) => arm) });
  const interval = (i: { estimate: number; lower: number; upper: number } | null) => (i ? create(IntervalSchema, i) : undefined);
  return create(ExperimentResultsSchema, {
    experiment,
    alpha,
    computedAtMs: BigInt(nowMs),
    sampleRatio: create(SampleRatioCheckSchema, { chiSquare: analysis.srm.statistic, pValue: analysis.srm.pValue, mismatch: analysis.srm.mismatch }),
    arms: analysis.arms.map((a) =>
      create(ArmResultSchema, {
        name: a.name,
        trafficShare: a.share,
        observedShare: a.observedShare,
        users: BigInt(a.units),
        impressions: BigInt(arms.find((x) => x.name === a.name)?.impressions ?? 0),
        metrics: Object.fromEntries(Object.entries(a.metrics).map(([m, s]) => [m, create(MetricSummarySchema, { mean: s.mean, standardDeviation: s.standardDeviation })])),
      }),
    ),
    comparisons: analysis.comparisons.map((c) =>
      create(ArmComparisonSchema, {
        arm: c.arm,
        metrics: Object.entries(c.metrics).map(([metric, m]) =>
          create(MetricComparisonSchema, {
            metric,
            verdict: VERDICT[m.verdict],
            treatmentMean: m.treatmentMean,
            controlMean: m.controlMean,
            difference: interval(m.difference),
            lift: interval(m.lift),
            cuped: m.cuped !== null,
            varianceReduction: m.cuped?.varianceReduction ?? 0,
          }),
        ),
      }),
    ),
  });
}

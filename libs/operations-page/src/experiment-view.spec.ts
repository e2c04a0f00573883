import { create } from '@bufbuild/protobuf';
import {
  ArmComparisonSchema,
  ArmResultSchema,
  ArmSchema,
  ArmStrategy,
  ExperimentResultsSchema,
  ExperimentSchema,
  ExperimentState,
  IntervalSchema,
  MetricComparisonSchema,
  SampleRatioCheckSchema,
  Verdict,
} from '@recmesh/contracts';
import { experimentView, isShown } from './experiment-view';

const DAY = 86_400_000;
const experiment = create(ExperimentSchema, {
  name: 'canary-m2',
  surfaces: ['recommend', 'similar_items'],
  controlArm: 'control',
  state: ExperimentState.RUNNING,
  startedAtMs: 1_000n,
  arms: [
    create(ArmSchema, { name: 'control', trafficShare: 0.9, strategy: ArmStrategy.SERVING_MODEL }),
    create(ArmSchema, { name: 'canary', trafficShare: 0.1, strategy: ArmStrategy.MODEL_VERSION, modelVersion: 'm2' }),
  ],
});

describe('experiments for the operations page', () => {
  it('shows arms with shares and users, and every comparison with its lift interval and verdict', () => {
    const results = create(ExperimentResultsSchema, {
      experiment,
      alpha: 0.05,
      sampleRatio: create(SampleRatioCheckSchema, { pValue: 0.4, mismatch: false }),
      arms: [
        create(ArmResultSchema, { name: 'control', trafficShare: 0.9, observedShare: 0.88, users: 880n, impressions: 2000n }),
        create(ArmResultSchema, { name: 'canary', trafficShare: 0.1, observedShare: 0.12, users: 120n, impressions: 300n }),
      ],
      comparisons: [
        create(ArmComparisonSchema, {
          arm: 'canary',
          metrics: [
            create(MetricComparisonSchema, {
              metric: 'clicks', verdict: Verdict.BETTER, treatmentMean: 1.2, controlMean: 1, cuped: true,
              lift: create(IntervalSchema, { estimate: 0.2, lower: 0.05, upper: 0.35 }), difference: create(IntervalSchema, { estimate: 0.2, lower: 0.05, upper: 0.35 }),
            }),
            create(MetricComparisonSchema, { metric: 'purchases', verdict: Verdict.INSUFFICIENT_DATA, treatmentMean: 0, controlMean: 0 }),
            // JSON has no infinity: a half-bounded interval is shown as not bounded.
            create(MetricComparisonSchema, { metric: 'revenue', verdict: Verdict.NO_DETECTABLE_DIFFERENCE, lift: create(IntervalSchema, { estimate: 0.1, lower: -0.5, upper: Infinity }) }),
          ],
        }),
      ],
    });
    const view = experimentView(experiment, results);
    expect(view).toMatchObject({ name: 'canary-m2', state: 'running', surfaces: ['recommend', 'similar_items'], started_at_ms: 1_000, stopped_at_ms: null, alpha: 0.05, sample_ratio: { p_value: 0.4, mismatch: false } });
    expect(view.arms).toEqual([
      { name: 'control', control: true, strategy: 'serving_model', model_version: '', traffic_share: 0.9, observed_share: 0.88, users: 880, impressions: 2000 },
      { name: 'canary', control: false, strategy: 'model_version', model_version: 'm2', traffic_share: 0.1, observed_share: 0.12, users: 120, impressions: 300 },
    ]);
    expect(view.comparisons.map((c) => [c.arm, c.metric, c.verdict, c.lift])).toEqual([
      ['canary', 'clicks', 'better', { estimate: 0.2, lower: 0.05, upper: 0.35 }],
      ['canary', 'purchases', 'insufficient_data', null],
      ['canary', 'revenue', 'no_detectable_difference', null],
    ]);
    expect(view.comparisons[0].cuped).toBe(true);
    expect(view).not.toHaveProperty('error');
  });

  it('keeps an experiment whose results failed, with its definition and the error', () => {
    const view = experimentView(experiment, { error: 'store unavailable' });
    expect(view.arms.map((a) => [a.name, a.traffic_share, a.users])).toEqual([['control', 0.9, 0], ['canary', 0.1, 0]]);
    expect(view.comparisons).toEqual([]);
    expect(view.error).toBe('store unavailable');
  });

  it('shows running experiments and those stopped within the recent days', () => {
    const now = 30 * DAY;
    const stopped = (daysAgo: number) => create(ExperimentSchema, { ...experiment, state: ExperimentState.STOPPED, stoppedAtMs: BigInt(now - daysAgo * DAY), stopReason: 'done' });
    expect(isShown(experiment, now, 7 * DAY)).toBe(true);
    expect(isShown(stopped(6), now, 7 * DAY)).toBe(true);
    expect(isShown(stopped(8), now, 7 * DAY)).toBe(false);
    expect(experimentView(stopped(1), { error: 'x' })).toMatchObject({ state: 'stopped', stopped_at_ms: now - DAY, stop_reason: 'done' });
  });
});

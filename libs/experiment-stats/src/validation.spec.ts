import type { ArmInput } from './arms';
import { analyzeExperiment, type ExperimentInput } from './experiment-analysis';
import { nonInferiority } from './non-inferiority';

const arm = (name: string, overrides: Partial<ArmInput> = {}): ArmInput => ({
  name,
  share: 0.5,
  units: 1_000,
  metrics: { conversion: { sum: 50, sumSq: 50 } },
  ...overrides,
});
const valid = (): ExperimentInput => ({ arms: [arm('control'), arm('treatment')], control: 'control' });
// Casts let the tests pass what a JavaScript caller or a bad SQL row could.
const loose = (value: unknown) => value as ExperimentInput;

describe('bad input gets a clear error', () => {
  it('accepts the valid baseline', () => {
    expect(() => analyzeExperiment(valid())).not.toThrow();
  });

  it.each<[string, () => unknown, ErrorConstructor, RegExp]>([
    ['negative units', () => analyzeExperiment({ ...valid(), arms: [arm('control', { units: -5 }), arm('treatment')] }), RangeError, /arm 'control' units must not be negative/],
    ['fractional units', () => analyzeExperiment({ ...valid(), arms: [arm('control', { units: 10.5 }), arm('treatment')] }), RangeError, /whole number/],
    ['NaN units', () => analyzeExperiment({ ...valid(), arms: [arm('control', { units: NaN }), arm('treatment')] }), TypeError, /units must be a finite number, got NaN/],
    ['a NaN sum', () => analyzeExperiment({ ...valid(), arms: [arm('control', { metrics: { conversion: { sum: NaN, sumSq: 1 } } }), arm('treatment')] }), TypeError, /metric 'conversion'\.sum must be a finite number/],
    ['a negative sum of squares', () => analyzeExperiment({ ...valid(), arms: [arm('control', { metrics: { conversion: { sum: 0, sumSq: -1 } } }), arm('treatment')] }), RangeError, /sumSq must not be negative/],
    ['sums that cannot come from the unit count', () => analyzeExperiment({ ...valid(), arms: [arm('control', { metrics: { conversion: { sum: 2_000, sumSq: 2_000 } } }), arm('treatment')] }), RangeError, /do not come from 1000 units/],
    ['a covariate product past Cauchy–Schwarz', () => analyzeExperiment({ ...valid(), arms: [arm('control', { metrics: { conversion: { sum: 50, sumSq: 50, covariate: { sum: 10, sumSq: 10, sumProduct: 500 } } } }), arm('treatment')] }), RangeError, /sumProduct/],
    ['shares not summing to 1', () => analyzeExperiment({ ...valid(), arms: [arm('control', { share: 0.5 }), arm('treatment', { share: 0.4 })] }), RangeError, /shares must sum to 1, got 0\.9/],
    ['a share of 0', () => analyzeExperiment({ ...valid(), arms: [arm('control', { share: 0 }), arm('treatment', { share: 1 })] }), RangeError, /share must lie in \(0, 1\]/],
    ['an unknown control', () => analyzeExperiment({ ...valid(), control: 'baseline' }), RangeError, /unknown control arm 'baseline'; the arms are 'control', 'treatment'/],
    ['a single arm', () => analyzeExperiment({ arms: [arm('control', { share: 1 })], control: 'control' }), RangeError, /at least 2 arms/],
    ['duplicate arm names', () => analyzeExperiment({ ...valid(), arms: [arm('control'), arm('control')] }), RangeError, /appears twice/],
    ['arms with different metrics', () => analyzeExperiment({ ...valid(), arms: [arm('control'), arm('treatment', { metrics: { revenue: { sum: 1, sumSq: 1 } } })] }), RangeError, /same metrics/],
    ['arms that are not an array', () => analyzeExperiment(loose({ arms: 'control', control: 'control' })), TypeError, /arms must be an array/],
    ['a missing metric object', () => analyzeExperiment(loose({ ...valid(), arms: [{ name: 'control', share: 0.5, units: 1 }, arm('treatment')] })), TypeError, /metrics must be an object/],
    ['alpha out of (0, 1)', () => analyzeExperiment({ ...valid(), alpha: 1.5 }), RangeError, /alpha must lie strictly between 0 and 1/],
    ['a string alpha', () => analyzeExperiment(loose({ ...valid(), alpha: '0.05' })), TypeError, /alpha must be a finite number, got "0\.05"/],
    ['minUnitsPerArm below 2', () => analyzeExperiment({ ...valid(), minUnitsPerArm: 1 }), RangeError, /at least 2/],
    ['settings for an unknown metric', () => analyzeExperiment({ ...valid(), metrics: { revenue: { higherIsBetter: false } } }), RangeError, /unknown metric 'revenue'/],
    ['a margin of 0', () => nonInferiority({ baseline: arm('stable'), canary: arm('canary'), metric: 'conversion', margin: 0 }), RangeError, /margin must lie strictly between 0 and 1/],
    ['an unknown non-inferiority metric', () => nonInferiority({ baseline: arm('stable'), canary: arm('canary'), metric: 'revenue', margin: 0.02 }), RangeError, /unknown metric 'revenue'/],
  ])('%s', (_label, call, errorType, message) => {
    expect(call).toThrow(errorType);
    expect(call).toThrow(message);
  });
});

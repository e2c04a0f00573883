// The experiment verdict and the canary decision, over per-arm sufficient statistics.
export { analyzeExperiment } from './experiment-analysis';
export type {
  ArmComparison,
  ArmSummary,
  CupedSummary,
  ExperimentAnalysis,
  ExperimentInput,
  MetricComparison,
  MetricSettings,
  MetricVerdict,
} from './experiment-analysis';
export { nonInferiority } from './non-inferiority';
export type { NonInferiorityDecision, NonInferiorityInput, NonInferiorityResult } from './non-inferiority';
export type { ArmInput } from './arms';
export { DEFAULT_SETTINGS, type SequentialTestSettings } from './settings';
// Building the sums a caller stores.
export { addUnitValue, emptyMetricSums, mergeMetricSums, type CovariateSums, type MetricSums } from './metric-sums';
// The pieces, for callers that need one test on its own.
export { sampleRatioMismatch, DEFAULT_SRM_ALPHA, type SampleRatioResult } from './sample-ratio';
export { boundaryMultiplier, mixturePrecision, type EstimateInterval, type Interval } from './confidence-sequence';
export { chiSquareSurvival } from './special-functions';

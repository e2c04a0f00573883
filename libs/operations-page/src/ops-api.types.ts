/**
 * JSON answers of /ops/api/*, shared with the page (client/): snake_case
 * fields, rates as fractions (0.034 is 3.4 %), money in integer minor units,
 * times in epoch milliseconds. A rate is null where its denominator is 0.
 */

/** The online metrics of served lists (FeedbackMetrics' definitions, over the feedback metric buckets). */
export interface OnlineMetrics {
  /** Served lists (rec_ids): the denominator of the rates below. */
  readonly impressions: number;
  readonly clicks: number;
  readonly add_to_carts: number;
  readonly purchases: number;
  /** Revenue of purchases attributed by rec_id. */
  readonly revenue_minor: number;
  /** clicks / impressions. */
  readonly ctr: number | null;
  /** add-to-carts / impressions. */
  readonly add_to_cart_rate: number | null;
  /** purchases / impressions. */
  readonly conversion: number | null;
  /** revenue / impressions x 1000, rounded to a minor unit. */
  readonly revenue_per_mille_minor: number | null;
  /** Mean 1-based position of attributed clicks. */
  readonly mean_position: number | null;
  /** Share of attributed clicks on items outside the popularity head. */
  readonly long_tail_share: number | null;
}

export interface MetricPoint extends OnlineMetrics {
  readonly bucket_start_ms: number;
}

/** One model version on one surface: over the window, and per bucket (oldest first; buckets without lists are absent). */
export interface ModelSeries {
  readonly model_version: string;
  readonly totals: OnlineMetrics;
  readonly points: readonly MetricPoint[];
}

export interface SurfaceMetrics {
  readonly surface: string;
  readonly totals: OnlineMetrics;
  readonly models: readonly ModelSeries[];
}

/** GET /ops/api/metrics?hours=1..720 (24). */
export interface OpsMetrics {
  readonly from_ms: number;
  readonly to_ms: number;
  /** Of revenue_minor: FEEDBACK_CURRENCY (purchases in another currency count without revenue), or '' where every price counts (a one-currency shop). */
  readonly currency: string;
  /** The served surfaces (recommend, similar_items, bundle) first, with or without lists, then any other. */
  readonly surfaces: readonly SurfaceMetrics[];
}

export type OpsVerdict = 'better' | 'worse' | 'no_detectable_difference' | 'invalid_srm' | 'insufficient_data' | 'unspecified';

export interface OpsInterval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

export interface OpsArm {
  readonly name: string;
  readonly control: boolean;
  /** serving_model, model_version, popularity. */
  readonly strategy: string;
  /** For strategy model_version. */
  readonly model_version: string;
  readonly traffic_share: number;
  readonly observed_share: number;
  readonly users: number;
  readonly impressions: number;
}

/** A treatment arm against the control on one per-user metric (clicks, add_to_carts, purchases, revenue). */
export interface OpsComparison {
  readonly arm: string;
  readonly metric: string;
  readonly verdict: OpsVerdict;
  readonly treatment_mean: number;
  readonly control_mean: number;
  /** Relative lift (treatment / control - 1), anytime-valid at 1 - alpha; null while the control mean is 0 or there is too little data. */
  readonly lift: OpsInterval | null;
  /** Treatment mean - control mean. */
  readonly difference: OpsInterval | null;
  readonly cuped: boolean;
}

export interface OpsExperiment {
  readonly name: string;
  readonly description: string;
  readonly state: 'running' | 'stopped';
  readonly surfaces: readonly string[];
  readonly started_at_ms: number;
  readonly stopped_at_ms: number | null;
  readonly stop_reason: string;
  readonly arms: readonly OpsArm[];
  /** Empty when the results could not be computed (see error). */
  readonly comparisons: readonly OpsComparison[];
  readonly alpha: number;
  /** Sample ratio mismatch check: a mismatch invalidates the verdicts. */
  readonly sample_ratio: { readonly p_value: number; readonly mismatch: boolean } | null;
  /** Why the results are missing, if they are. */
  readonly error?: string;
}

/** GET /ops/api/experiments?alpha=(0, 1): running experiments and those stopped in the last days, newest first. */
export interface OpsExperiments {
  readonly computed_at_ms: number;
  readonly recently_stopped_days: number;
  readonly experiments: readonly OpsExperiment[];
}

export interface OpsModelVersion {
  readonly model_version: string;
  readonly status: 'candidate' | 'active' | 'retired';
  readonly serving: boolean;
  readonly pinned: boolean;
  readonly registered_at_ms: number;
  readonly promoted_at_ms: number | null;
}

export interface OpsModelDecision {
  readonly model_version: string;
  /** registered, promoted, rejected, pinned, unpinned, rolled_back, canary_started. */
  readonly decision: string;
  readonly reason: string;
  readonly decided_at_ms: number;
}

/** GET /ops/api/models: the registry's versions (newest first), which serves, and its recent decisions (newest first). */
export interface OpsModels {
  readonly serving: string | null;
  readonly versions: readonly OpsModelVersion[];
  readonly decisions: readonly OpsModelDecision[];
}

export interface OpsStream {
  /** clickstream, catalog. */
  readonly stream: string;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly batch_failures: number;
}

export interface OpsRejection {
  readonly stream: string;
  readonly reason: string;
  readonly count: number;
}

export interface OpsLag {
  readonly group: string;
  readonly topic: string;
  /** Messages behind, summed over the partitions. */
  readonly lag: number;
  readonly partitions: number;
}

/** GET /ops/api/ingest: this process's counters since it started (its Prometheus registry). */
export interface OpsIngest {
  readonly streams: readonly OpsStream[];
  /** Most first. */
  readonly rejections: readonly OpsRejection[];
  readonly lag: readonly OpsLag[];
  /** Actions waiting for their served list (feedback), as of its last sweep; null where no feedback service runs. */
  readonly feedback_pending: { readonly rec_id: number; readonly view_through: number } | null;
}

export interface OpsErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
}

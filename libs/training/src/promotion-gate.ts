import { ConfigSchema } from '@recmesh/service-config';
import { ModelRegistry } from '@recmesh/persistence';

/** Offline metrics of one model version on the shop's own time-based holdout (full ranking, EVAL-PROTOCOL). */
export interface HoldoutMetrics {
  readonly ndcgAt10: number;
  readonly tailRecallAt20: number;
  /** Share of the holdout's target items the model can score at all (0 for the demo model on a real shop). */
  readonly catalogCoverage: number;
}

export interface PromotionPolicy {
  /** The candidate's NDCG@10 must beat the current version's by this share (0.02 = +2%). */
  readonly minNdcgGain: number;
  /** ... while losing at most this share of the current version's tail recall@20. */
  readonly maxTailRecallLoss: number;
  /** Below this catalog coverage the current version cannot serve the shop: any candidate that covers more wins. */
  readonly minCurrentCoverage: number;
}

export const PromotionConfigSchema = {
  PROMOTION_MIN_NDCG_GAIN: { type: 'int', default: 2, min: 0, max: 100, description: 'percent a candidate must beat the serving version by on holdout NDCG@10' },
  PROMOTION_MAX_TAIL_RECALL_LOSS: { type: 'int', default: 5, min: 0, max: 100, description: 'percent of tail recall@20 a candidate may lose against the serving version' },
  PROMOTION_MIN_CURRENT_COVERAGE: { type: 'int', default: 50, min: 0, max: 100, description: 'percent of holdout items below which the serving version counts as unable to serve the shop' },
} as const satisfies ConfigSchema;

export function promotionPolicy(config: { PROMOTION_MIN_NDCG_GAIN: number; PROMOTION_MAX_TAIL_RECALL_LOSS: number; PROMOTION_MIN_CURRENT_COVERAGE: number }): PromotionPolicy {
  return { minNdcgGain: config.PROMOTION_MIN_NDCG_GAIN / 100, maxTailRecallLoss: config.PROMOTION_MAX_TAIL_RECALL_LOSS / 100, minCurrentCoverage: config.PROMOTION_MIN_CURRENT_COVERAGE / 100 };
}

/**
 * Which rule of the gate decided: the `rule` label of recmesh_trainer_gate_decisions_total.
 * not_finite: a metric is NaN or infinite; no_serving_version: nothing serves yet;
 * serving_cannot_serve / coverage_not_higher: the serving version covers too little of the
 * holdout (and the candidate more / no more); ndcg_gain / tail_recall: the candidate missed
 * that threshold; beats_serving: it passed both.
 */
export type PromotionRule = 'not_finite' | 'no_serving_version' | 'serving_cannot_serve' | 'coverage_not_higher' | 'ndcg_gain' | 'tail_recall' | 'beats_serving';

export interface PromotionDecision {
  readonly promote: boolean;
  readonly rule: PromotionRule;
  /** Promoted for beating a version that serves the shop: worth an online canary first (not for replacing one that cannot serve it). */
  readonly onMerit?: boolean;
  /** For the decision log: the numbers and the rule that decided. */
  readonly reason: string;
}

const f = (x: number) => x.toFixed(4);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The offline gate: both versions measured on the same holdout, the rule says which serves. */
export function decidePromotion(candidate: HoldoutMetrics, current: HoldoutMetrics | null, policy: PromotionPolicy): PromotionDecision {
  for (const [name, m] of [['candidate', candidate], ['current', current]] as const) {
    if (m && ![m.ndcgAt10, m.tailRecallAt20, m.catalogCoverage].every(Number.isFinite)) return { promote: false, rule: 'not_finite', reason: `${name} metrics are not finite numbers: ${JSON.stringify(m)}` };
  }
  if (!current) return { promote: true, rule: 'no_serving_version', reason: 'no version is serving' };
  if (current.catalogCoverage < policy.minCurrentCoverage) {
    return candidate.catalogCoverage > current.catalogCoverage
      ? { promote: true, rule: 'serving_cannot_serve', reason: `the serving version knows ${pct(current.catalogCoverage)} of the holdout's items (below ${pct(policy.minCurrentCoverage)}); the candidate knows ${pct(candidate.catalogCoverage)}` }
      : { promote: false, rule: 'coverage_not_higher', reason: `the serving version cannot serve the shop (coverage ${pct(current.catalogCoverage)}), but the candidate covers no more (${pct(candidate.catalogCoverage)})` };
  }
  const ndcgNeeded = current.ndcgAt10 * (1 + policy.minNdcgGain);
  if (candidate.ndcgAt10 < ndcgNeeded) {
    return { promote: false, rule: 'ndcg_gain', reason: `NDCG@10 ${f(candidate.ndcgAt10)} is below ${f(ndcgNeeded)} (serving ${f(current.ndcgAt10)} + ${pct(policy.minNdcgGain)})` };
  }
  const tailFloor = current.tailRecallAt20 * (1 - policy.maxTailRecallLoss);
  if (candidate.tailRecallAt20 < tailFloor) {
    return { promote: false, rule: 'tail_recall', reason: `tail recall@20 ${f(candidate.tailRecallAt20)} is below ${f(tailFloor)} (serving ${f(current.tailRecallAt20)} - ${pct(policy.maxTailRecallLoss)})` };
  }
  return { promote: true, onMerit: true, rule: 'beats_serving', reason: `NDCG@10 ${f(candidate.ndcgAt10)} vs ${f(current.ndcgAt10)} (needed ${f(ndcgNeeded)}), tail recall@20 ${f(candidate.tailRecallAt20)} vs ${f(current.tailRecallAt20)} (floor ${f(tailFloor)})` };
}

/** Sends a candidate that passed the offline gate to an online canary instead of promoting it. */
export interface CanaryStarter {
  start(candidateVersion: string, offlineReason: string): Promise<string>;
}

/**
 * Applies the gate to a registered candidate: promotes or rejects it in the
 * registry, with the reason recorded. With a canary, a candidate that beat a
 * working serving version goes to it first ('canary'); replacing a version
 * that cannot serve the shop at all does not wait.
 */
export async function gateCandidate(
  registry: ModelRegistry,
  candidateVersion: string,
  metrics: { candidate: HoldoutMetrics; current: HoldoutMetrics | null },
  policy: PromotionPolicy,
  canary?: CanaryStarter,
): Promise<PromotionDecision & { canary?: boolean }> {
  const decision = decidePromotion(metrics.candidate, metrics.current, policy);
  if (decision.promote && decision.onMerit && canary) return { ...decision, canary: true, reason: await canary.start(candidateVersion, decision.reason) };
  if (decision.promote) await registry.promote(candidateVersion, `promotion gate: ${decision.reason}`);
  else await registry.reject(candidateVersion, `promotion gate: ${decision.reason}`);
  return decision;
}

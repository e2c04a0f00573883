/**
 * Fits the weights of a linear ranking function s(x) = w·x with a listwise softmax loss and an
 * L2 penalty:
 *   L(w) = (1/G) Σ_groups [ logsumexp_j (w·x_j + o_j) − mean_{p ∈ positives} w·x_p ] + (λ/2)‖w‖²
 * where o_j is an optional per-row log-weight (the sampled-softmax correction for sampled
 * negatives standing in for many). The loss is convex, so a damped Newton method with a
 * backtracking line search finds its minimum deterministically (no randomness inside the
 * optimiser; a seed only enters through how the groups were sampled). Used by the bundle model's
 * fit (libs/bundling) and the personalized bundle ranking model (tools/bundle-eval).
 */
import { choleskySolve } from './linear-algebra';

export interface RankingGroup {
  /** nRows × nFeatures, row-major. */
  readonly features: Float32Array | Float64Array;
  readonly nRows: number;
  /** Row indices of the relevant rows (at least one). */
  readonly positives: Int32Array;
  /** Per-row additive log-weight on the logit; absent = 0. */
  readonly logWeights?: Float32Array | Float64Array;
}

export interface ListwiseFitOptions {
  /** λ of the (λ/2)‖w‖² penalty. */
  readonly l2: number;
  /** Default 50. */
  readonly maxIterations?: number;
  /**
   * Stop after a step whose Newton decrement gᵀH⁻¹g, halved, is below this (default 1e-8); no
   * step is taken when the decrement is not above min(tolerance, 1e-12).
   */
  readonly tolerance?: number;
  /** Starting point (default: all zeros); the optimum does not depend on it, only the iteration count. */
  readonly initialWeights?: Float64Array;
}

export interface ListwiseFit {
  readonly weights: Float64Array;
  /** L(weights), penalty included. */
  readonly loss: number;
  /** Newton steps taken (the step after which the decrement fell below the tolerance is not counted). */
  readonly iterations: number;
  /** False when maxIterations ran out first. */
  readonly converged: boolean;
}

interface Evaluation {
  loss: number;
  gradient?: Float64Array;
  hessian?: Float64Array;
}

/**
 * L(w), and with `withDerivatives` its gradient and Hessian; `perGroup` receives each group's
 * loss term (before averaging, without the penalty).
 */
function evaluate(groups: readonly RankingGroup[], nFeatures: number, w: Float64Array, l2: number, withDerivatives: boolean, perGroup?: Float64Array): Evaluation {
  const F = nFeatures;
  const gradient = withDerivatives ? new Float64Array(F) : undefined;
  const hessian = withDerivatives ? new Float64Array(F * F) : undefined;
  const mean = new Float64Array(F);
  let scores = new Float64Array(0);
  let target = new Float64Array(0);
  let loss = 0;
  for (let q = 0; q < groups.length; q++) {
    const { features: x, nRows, positives, logWeights: lw } = groups[q];
    if (scores.length < nRows) {
      scores = new Float64Array(nRows);
      target = new Float64Array(nRows);
    }
    let max = -Infinity;
    for (let r = 0, o = 0; r < nRows; r++, o += F) {
      let s = lw !== undefined ? lw[r] : 0;
      for (let k = 0; k < F; k++) s += w[k] * x[o + k];
      scores[r] = s;
      if (s > max) max = s;
    }
    let positive = 0;
    for (let p = 0; p < positives.length; p++) positive += scores[positives[p]] - (lw !== undefined ? lw[positives[p]] : 0);
    positive /= positives.length;
    let z = 0;
    for (let r = 0; r < nRows; r++) {
      const e = Math.exp(scores[r] - max);
      scores[r] = e;
      z += e;
    }
    const groupLoss = max + Math.log(z) - positive;
    loss += groupLoss;
    if (perGroup) perGroup[q] = groupLoss;
    if (gradient && hessian) {
      target.fill(0, 0, nRows);
      for (let p = 0; p < positives.length; p++) target[positives[p]] += 1 / positives.length;
      for (let r = 0, o = 0; r < nRows; r++, o += F) {
        const d = scores[r] / z - target[r];
        for (let k = 0; k < F; k++) gradient[k] += d * x[o + k];
      }
      mean.fill(0);
      for (let r = 0, o = 0; r < nRows; r++, o += F) {
        const p = scores[r] / z;
        for (let i = 0; i < F; i++) {
          const pxi = p * x[o + i];
          mean[i] += pxi;
          for (let j = 0; j <= i; j++) hessian[i * F + j] += pxi * x[o + j];
        }
      }
      for (let i = 0; i < F; i++) for (let j = 0; j <= i; j++) hessian[i * F + j] -= mean[i] * mean[j];
    }
  }
  const n = Math.max(1, groups.length);
  loss /= n;
  if (gradient && hessian) {
    for (let k = 0; k < F; k++) gradient[k] /= n;
    for (let i = 0; i < F; i++) {
      for (let j = 0; j <= i; j++) {
        hessian[i * F + j] /= n;
        hessian[j * F + i] = hessian[i * F + j];
      }
    }
  }
  const half = l2 / 2;
  for (let k = 0; k < F; k++) {
    loss += half * w[k] * w[k];
    if (gradient) gradient[k] += l2 * w[k];
    if (hessian) hessian[k * F + k] += l2;
  }
  return { loss, gradient, hessian };
}

/** L(w) (penalty included); `perGroup`, when given, receives each group's loss term without the penalty. */
export function listwiseSoftmaxLoss(groups: readonly RankingGroup[], nFeatures: number, weights: Float64Array, l2: number, perGroup?: Float64Array): number {
  return evaluate(groups, nFeatures, weights, l2, false, perGroup).loss;
}

/**
 * Minimises L by Newton steps with a backtracking (Armijo) line search. The Hessian of the softmax
 * loss is Σ_g (Σ_j p_j x_j x_jᵀ − μ_g μ_gᵀ) / G, positive semi-definite, plus λ·I.
 */
export function fitListwiseSoftmax(groups: readonly RankingGroup[], nFeatures: number, options: ListwiseFitOptions): ListwiseFit {
  for (const g of groups) {
    if (g.positives.length === 0) throw new Error('fitListwiseSoftmax: group without positives');
    if (g.features.length !== g.nRows * nFeatures) throw new Error('fitListwiseSoftmax: feature matrix size mismatch');
  }
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-8;
  const minDecrement = Math.min(tolerance, 1e-12);
  let w = options.initialWeights ? Float64Array.from(options.initialWeights) : new Float64Array(nFeatures);
  let current = evaluate(groups, nFeatures, w, options.l2, true);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const gradient = current.gradient as Float64Array;
    const step = choleskySolve(current.hessian as Float64Array, gradient, nFeatures);
    if (step === undefined) break;
    let decrement = 0;
    for (let k = 0; k < nFeatures; k++) decrement += gradient[k] * step[k];
    if (!(decrement > minDecrement)) break;
    // The full step is evaluated with its derivatives, so an accepted full step needs no second pass.
    let t = 1;
    let next = w;
    let trial = current;
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      next = w.map((v, k) => v - t * step[k]);
      trial = evaluate(groups, nFeatures, next, options.l2, tries === 0);
      if (trial.loss <= current.loss - 0.25 * t * decrement) break;
    }
    if (!(trial.loss < current.loss)) break;
    w = next;
    current = trial.gradient ? trial : evaluate(groups, nFeatures, w, options.l2, true);
    if (decrement / 2 < tolerance) break;
  }
  return { weights: w, loss: current.loss, iterations, converged: iterations < maxIterations };
}

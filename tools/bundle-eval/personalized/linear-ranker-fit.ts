/**
 * Fits the weights of a linear ranking function s(x) = w·x with a listwise
 * softmax loss and an L2 penalty:
 *   L(w) = (1/G) Σ_groups [ logsumexp_j (w·x_j + o_j) − mean_{p ∈ positives} w·x_p ] + (λ/2)‖w‖²
 * where o_j is an optional per-row log-weight (the sampled-softmax correction
 * for randomly sampled negatives standing in for many). The loss is convex, so
 * a damped Newton method with backtracking line search finds its minimum
 * deterministically (no randomness inside the optimiser; the seed only enters
 * through how the groups were sampled).
 */

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
  readonly l2: number;
  readonly maxIterations?: number;
  /** Stop when the Newton decrement² / 2 falls below this. */
  readonly tolerance?: number;
  /** Starting point (default: all zeros); the optimum does not depend on it, only the iteration count. */
  readonly initialWeights?: Float64Array;
}

export interface ListwiseFit {
  readonly weights: Float64Array;
  readonly loss: number;
  readonly iterations: number;
  readonly converged: boolean;
}

interface Evaluation {
  loss: number;
  gradient: Float64Array;
  hessian?: Float64Array;
}

function evaluate(groups: readonly RankingGroup[], nFeatures: number, w: Float64Array, l2: number, withHessian: boolean): Evaluation {
  const F = nFeatures;
  const gradient = new Float64Array(F);
  const hessian = withHessian ? new Float64Array(F * F) : undefined;
  const mu = new Float64Array(F);
  let loss = 0;
  let logits = new Float64Array(0);
  for (const g of groups) {
    const x = g.features;
    const lw = g.logWeights;
    const nRows = g.nRows;
    if (logits.length < nRows) logits = new Float64Array(nRows);
    let max = -Infinity;
    for (let j = 0; j < nRows; j++) {
      let s = lw !== undefined ? lw[j] : 0;
      const base = j * F;
      for (let f = 0; f < F; f++) s += w[f] * x[base + f];
      logits[j] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let j = 0; j < nRows; j++) z += Math.exp(logits[j] - max);
    const lse = max + Math.log(z);
    let posMean = 0;
    const positives = g.positives;
    for (let q = 0; q < positives.length; q++) {
      const p = positives[q];
      posMean += logits[p] - (lw !== undefined ? lw[p] : 0);
    }
    posMean /= positives.length;
    loss += lse - posMean;
    mu.fill(0);
    for (let j = 0; j < nRows; j++) {
      const pj = Math.exp(logits[j] - lse);
      if (pj < 1e-14) continue; // negligible for gradient and curvature
      const base = j * F;
      for (let f = 0; f < F; f++) mu[f] += pj * x[base + f];
      if (hessian !== undefined) {
        for (let a = 0; a < F; a++) {
          const xa = pj * x[base + a];
          const row = a * F;
          for (let b = a; b < F; b++) hessian[row + b] += xa * x[base + b];
        }
      }
    }
    for (let f = 0; f < F; f++) gradient[f] += mu[f];
    for (let q = 0; q < positives.length; q++) {
      const base = positives[q] * F;
      for (let f = 0; f < F; f++) gradient[f] -= x[base + f] / positives.length;
    }
    if (hessian !== undefined) for (let a = 0; a < F; a++) for (let b = a; b < F; b++) hessian[a * F + b] -= mu[a] * mu[b];
  }
  const n = Math.max(groups.length, 1);
  loss /= n;
  let penalty = 0;
  for (let f = 0; f < F; f++) {
    gradient[f] = gradient[f] / n + l2 * w[f];
    penalty += w[f] * w[f];
  }
  loss += 0.5 * l2 * penalty;
  if (hessian !== undefined) {
    for (let a = 0; a < F; a++) {
      for (let b = a; b < F; b++) {
        const v = hessian[a * F + b] / n + (a === b ? l2 : 0);
        hessian[a * F + b] = v;
        hessian[b * F + a] = v;
      }
    }
  }
  return { loss, gradient, hessian };
}

/** Solves A x = b for symmetric positive (semi-)definite A by Cholesky with a small ridge if needed. */
export function solveSymmetric(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let ridge = 0; ridge < 1e3; ridge = ridge === 0 ? 1e-10 : ridge * 100) {
    const l = new Float64Array(n * n);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * n + j] + (i === j ? ridge : 0);
        for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
        if (i === j) {
          if (s <= 0) {
            ok = false;
            break;
          }
          l[i * n + i] = Math.sqrt(s);
        } else {
          l[i * n + j] = s / l[j * n + j];
        }
      }
    }
    if (!ok) continue;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
      y[i] = s / l[i * n + i];
    }
    const x = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
      x[i] = s / l[i * n + i];
    }
    return x;
  }
  throw new Error('solveSymmetric: matrix is not positive definite');
}

export function listwiseSoftmaxLoss(groups: readonly RankingGroup[], nFeatures: number, weights: Float64Array, l2: number): number {
  return evaluate(groups, nFeatures, weights, l2, false).loss;
}

export function fitListwiseSoftmax(groups: readonly RankingGroup[], nFeatures: number, options: ListwiseFitOptions): ListwiseFit {
  for (const g of groups) {
    if (g.positives.length === 0) throw new Error('fitListwiseSoftmax: group without positives');
    if (g.features.length !== g.nRows * nFeatures) throw new Error('fitListwiseSoftmax: feature matrix size mismatch');
  }
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-8;
  let w: Float64Array = options.initialWeights ? Float64Array.from(options.initialWeights) : new Float64Array(nFeatures);
  let current = evaluate(groups, nFeatures, w, options.l2, true);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const step = solveSymmetric(current.hessian as Float64Array, current.gradient, nFeatures);
    let decrement = 0;
    for (let f = 0; f < nFeatures; f++) decrement += step[f] * current.gradient[f];
    if (decrement / 2 < tolerance) {
      converged = true;
      break;
    }
    // Backtracking (Armijo); the full step is evaluated with curvature so an
    // accepted full step needs no second pass over the data.
    let t = 1;
    let accepted: { w: Float64Array; ev: Evaluation } | null = null;
    for (let ls = 0; ls < 40; ls++) {
      const candidate = new Float64Array(nFeatures);
      for (let f = 0; f < nFeatures; f++) candidate[f] = w[f] - t * step[f];
      const ev = evaluate(groups, nFeatures, candidate, options.l2, ls === 0);
      if (ev.loss <= current.loss - 0.25 * t * decrement) {
        accepted = { w: candidate, ev };
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      converged = true; // no further decrease representable
      break;
    }
    w = accepted.w;
    current = accepted.ev.hessian ? accepted.ev : evaluate(groups, nFeatures, w, options.l2, true);
  }
  return { weights: w, loss: current.loss, iterations, converged };
}

export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** Per-feature mean / standard deviation over all rows of all groups (std 1 for constant features). */
export function fitStandardizer(groups: readonly RankingGroup[], nFeatures: number): Standardizer {
  const mean = new Float64Array(nFeatures);
  const sq = new Float64Array(nFeatures);
  let n = 0;
  for (const g of groups) {
    for (let j = 0; j < g.nRows; j++) {
      for (let f = 0; f < nFeatures; f++) {
        const x = g.features[j * nFeatures + f];
        mean[f] += x;
        sq[f] += x * x;
      }
      n++;
    }
  }
  const std = new Float64Array(nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    mean[f] /= Math.max(n, 1);
    const variance = sq[f] / Math.max(n, 1) - mean[f] * mean[f];
    std[f] = variance > 1e-24 ? Math.sqrt(variance) : 1;
  }
  return { mean, std };
}

export function standardizeGroup(g: RankingGroup, s: Standardizer): RankingGroup {
  const F = s.mean.length;
  const features = new Float32Array(g.features.length);
  for (let j = 0; j < g.nRows; j++) {
    for (let f = 0; f < F; f++) features[j * F + f] = (g.features[j * F + f] - s.mean[f]) / s.std[f];
  }
  return { features, nRows: g.nRows, positives: g.positives, logWeights: g.logWeights };
}

/** Weights on standardized features → weights on raw features (the shift is a per-user constant, irrelevant to ranking). */
export function rawWeights(standardizedWeights: Float64Array, s: Standardizer): Float64Array {
  return Float64Array.from(standardizedWeights, (w, f) => w / s.std[f]);
}

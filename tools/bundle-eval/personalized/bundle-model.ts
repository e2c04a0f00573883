/**
 * recmesh's personalized bundle ranking model: score(u, b) = Σ_f w_f · x_f(u, b)
 * over the features of `bundle-features.ts`, with weights fitted on the TUNE
 * split by a listwise softmax (sampled softmax with an importance-weight
 * correction) and L2, via a deterministic Newton optimiser.
 *
 * Honesty of the numbers:
 *  - the L2 strength is chosen by k-fold cross-validation over tune USERS
 *    (fit on k−1 folds, full-ranking recall@20 on the held-out fold), and the
 *    reported "tune" numbers of this model are those out-of-fold numbers;
 *  - the final weights are refitted on all tune users and applied to test once.
 *
 * Per tune user the fitting list holds: all tune bundles (positives), the
 * top-`candidatesPerFeature` bundles of each single feature, and
 * `randomNegatives` bundles drawn uniformly (seeded) from the remaining
 * unmasked ones, each carrying log(#remaining / #drawn) on its logit so the
 * partition function is estimated without bias. Training bundles are excluded,
 * as they are masked at evaluation.
 */
import {
  CsrMatrix,
  fitListwiseSoftmax,
  fitStandardizer,
  mulberry32,
  RankingGroup,
  RankingMetricsAccumulator,
  rawWeights,
  rowIndices,
  shuffleInPlace,
  Standardizer,
  standardizeGroup,
  topIndices,
} from '@recmesh/numerics';
import { BundleFeatureExtractor } from './bundle-features';

export interface BundleModelOptions {
  readonly seed: number;
  readonly l2Grid: readonly number[];
  readonly candidatesPerFeature: number;
  readonly randomNegatives: number;
  readonly ks: readonly number[];
  /**
   * Folds for the L2 cross-validation; with folds <= 1 there is no CV and
   * l2Grid must hold the one value to use.
   */
  readonly folds: number;
  /** Metric used to pick the L2 strength (ties: ndcg at the same K). */
  readonly selectionK: number;
  /** Also measure each feature alone on tune (default true). */
  readonly singleFeatureDiagnostics?: boolean;
}

export const DEFAULT_BUNDLE_MODEL_OPTIONS: Omit<BundleModelOptions, 'seed' | 'ks'> = {
  folds: 5,
  l2Grid: [1e-3, 1e-2, 1e-1, 1],
  candidatesPerFeature: 30,
  randomNegatives: 100,
  selectionK: 20,
};

export interface TrainedBundleModel {
  readonly featureNames: readonly string[];
  readonly l2: number;
  readonly standardizer: Standardizer;
  /** Weights on standardized features (comparable across features). */
  readonly standardizedWeights: Float64Array;
  /** Weights on the raw features (what scoring uses). */
  readonly weights: Float64Array;
  /** Out-of-fold tune metrics per L2 value. */
  readonly cvMetrics: Record<string, Record<string, number>>;
  /** Tune metrics of each feature used alone as the score. */
  readonly singleFeatureTuneMetrics: Record<string, Record<string, number>>;
  readonly fit: { loss: number; iterations: number; converged: boolean };
  readonly fittingRows: number;
  readonly fittingUsers: number;
}

/** out[b] = Σ_f w_f · features[f][b]. */
export function linearScores(features: readonly Float64Array[], weights: ArrayLike<number>, out: Float64Array): Float64Array {
  out.fill(0);
  for (let f = 0; f < features.length; f++) {
    const w = weights[f];
    if (w === 0) continue;
    const x = features[f];
    for (let b = 0; b < out.length; b++) out[b] += w * x[b];
  }
  return out;
}

function betterMetrics(a: Record<string, number>, b: Record<string, number> | undefined, k: number): boolean {
  if (!b) return true;
  const ra = a[`recall@${k}`];
  const rb = b[`recall@${k}`];
  if (ra !== rb) return ra > rb;
  return a[`ndcg@${k}`] > b[`ndcg@${k}`];
}

export function trainBundleModel(
  extractor: BundleFeatureExtractor,
  train: CsrMatrix,
  tune: CsrMatrix,
  tuneUsers: Int32Array,
  options: BundleModelOptions,
  log: (msg: string) => void = () => undefined,
): TrainedBundleModel {
  const F = extractor.nFeatures;
  const nBundles = train.nCols;
  const features = extractor.allocate();
  const skip = new Uint8Array(nBundles);
  const inList = new Uint8Array(nBundles);
  const rng = mulberry32(options.seed);
  const clock = () => performance.now() / 1000;
  let phaseStart = clock();
  const groups: RankingGroup[] = [];
  const single = extractor.names.map(() => new RankingMetricsAccumulator(nBundles, options.ks));
  let fittingRows = 0;

  // Pass A: fitting lists and single-feature diagnostics.
  for (let t = 0; t < tuneUsers.length; t++) {
    const u = tuneUsers[t];
    const positives = rowIndices(tune, u);
    const masked = rowIndices(train, u);
    extractor.compute(u, features);
    if (options.singleFeatureDiagnostics !== false) for (let f = 0; f < F; f++) single[f].addUser(features[f], positives, masked);

    for (const b of masked) skip[b] = 1;
    const rows: number[] = [];
    for (const b of positives) {
      if (skip[b] || inList[b]) continue;
      inList[b] = 1;
      rows.push(b);
    }
    const nPos = rows.length;
    for (let f = 0; f < F; f++) {
      for (const b of topIndices(features[f], options.candidatesPerFeature, skip)) {
        if (inList[b]) continue;
        inList[b] = 1;
        rows.push(b);
      }
    }
    const nCandidates = rows.length;
    let remaining = 0;
    for (let b = 0; b < nBundles; b++) if (!skip[b] && !inList[b]) remaining++;
    const draws = Math.min(options.randomNegatives, remaining);
    if (draws === remaining) {
      for (let b = 0; b < nBundles; b++) if (!skip[b] && !inList[b]) rows.push(b);
    } else {
      let drawn = 0;
      while (drawn < draws) {
        const b = Math.floor(rng() * nBundles);
        if (skip[b] || inList[b]) continue;
        inList[b] = 1;
        rows.push(b);
        drawn++;
      }
    }
    const logWeights = new Float32Array(rows.length);
    const correction = draws > 0 ? Math.log(remaining / draws) : 0;
    for (let j = nCandidates; j < rows.length; j++) logWeights[j] = correction;
    const x = new Float32Array(rows.length * F);
    rows.forEach((b, j) => {
      for (let f = 0; f < F; f++) x[j * F + f] = features[f][b];
    });
    for (const b of rows) inList[b] = 0;
    for (const b of masked) skip[b] = 0;
    if (nPos > 0) {
      groups.push({ features: x, nRows: rows.length, positives: Int32Array.from({ length: nPos }, (_, i) => i), logWeights });
      fittingRows += rows.length;
    } else {
      groups.push({ features: new Float32Array(0), nRows: 0, positives: new Int32Array(0) });
    }
  }
  log(`bundle_model: ${tuneUsers.length} tune users, ${fittingRows} fitting rows (${(clock() - phaseStart).toFixed(1)}s)`);
  phaseStart = clock();

  const usable = (t: number) => groups[t].nRows > 0;
  const cvMetrics: Record<string, Record<string, number>> = {};
  let bestIndex = 0;
  if (options.folds > 1 && options.l2Grid.length > 1) {
    // Folds over tune users.
    const order = Int32Array.from({ length: tuneUsers.length }, (_, i) => i);
    shuffleInPlace(order, mulberry32(options.seed + 1));
    const foldOf = new Int32Array(tuneUsers.length);
    order.forEach((t, pos) => (foldOf[t] = pos % options.folds));

    const foldWeights: Float64Array[][] = []; // [fold][l2 index] raw weights
    for (let fold = 0; fold < options.folds; fold++) {
      const trainGroups = groups.filter((_, t) => foldOf[t] !== fold && usable(t));
      const standardizer = fitStandardizer(trainGroups, F);
      const standardized = trainGroups.map((g) => standardizeGroup(g, standardizer));
      // Strongest penalty first, each fit warm-started from the previous one.
      const byL2: Float64Array[] = new Array(options.l2Grid.length);
      let start: Float64Array | undefined;
      const descending = options.l2Grid.map((l2, li) => ({ l2, li })).sort((a, b) => b.l2 - a.l2);
      for (const { l2, li } of descending) {
        const fit = fitListwiseSoftmax(standardized, F, { l2, initialWeights: start });
        start = fit.weights;
        byL2[li] = rawWeights(fit.weights, standardizer);
      }
      foldWeights.push(byL2);
    }

    log(`bundle_model: ${options.folds}-fold fits done (${(clock() - phaseStart).toFixed(1)}s)`);
    phaseStart = clock();
    // Pass B: out-of-fold full-ranking metrics per L2 value.
    const cvAcc = options.l2Grid.map(() => new RankingMetricsAccumulator(nBundles, options.ks));
    const scores = new Float64Array(nBundles);
    for (let t = 0; t < tuneUsers.length; t++) {
      const u = tuneUsers[t];
      const positives = rowIndices(tune, u);
      if (positives.length === 0) continue;
      const masked = rowIndices(train, u);
      extractor.compute(u, features);
      options.l2Grid.forEach((_, li) => {
        linearScores(features, foldWeights[foldOf[t]][li], scores);
        cvAcc[li].addUser(scores, positives, masked);
      });
    }
    log(`bundle_model: out-of-fold evaluation done (${(clock() - phaseStart).toFixed(1)}s)`);
    let best: Record<string, number> | undefined;
    options.l2Grid.forEach((l2, li) => {
      const m = cvAcc[li].result();
      cvMetrics[String(l2)] = m;
      log(`bundle_model: l2=${l2} out-of-fold tune recall@20=${m['recall@20'].toFixed(4)} ndcg@20=${m['ndcg@20'].toFixed(4)}`);
      if (betterMetrics(m, best, options.selectionK)) {
        best = m;
        bestIndex = li;
      }
    });
  } else if (options.l2Grid.length !== 1) {
    throw new Error('trainBundleModel: without cross-validation (folds <= 1) give exactly one l2 value');
  }

  // Final fit on all tune users.
  const all = groups.filter((_, t) => usable(t));
  const standardizer = fitStandardizer(all, F);
  const l2 = options.l2Grid[bestIndex];
  const fit = fitListwiseSoftmax(
    all.map((g) => standardizeGroup(g, standardizer)),
    F,
    { l2 },
  );
  const singleFeatureTuneMetrics: Record<string, Record<string, number>> = {};
  if (options.singleFeatureDiagnostics !== false) extractor.names.forEach((name, f) => (singleFeatureTuneMetrics[name] = single[f].result()));
  return {
    featureNames: [...extractor.names],
    l2,
    standardizer,
    standardizedWeights: fit.weights,
    weights: rawWeights(fit.weights, standardizer),
    cvMetrics,
    singleFeatureTuneMetrics,
    fit: { loss: fit.loss, iterations: fit.iterations, converged: fit.converged },
    fittingRows,
    fittingUsers: all.length,
  };
}

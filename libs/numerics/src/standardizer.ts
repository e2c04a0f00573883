/** Per-feature standardisation of ranking lists, so that an L2 penalty weighs every feature alike. */
import { RankingGroup } from './listwise-softmax';

export interface Standardizer {
  readonly mean: Float64Array;
  /** Standard deviation; 1 for a constant feature. */
  readonly std: Float64Array;
  /** Features whose standard deviation is at most 1e-12 over every row (no signal to fit). */
  readonly constant: readonly boolean[];
}

/** Per-feature mean / standard deviation over all rows of all groups, in order (std 1 for constant features). */
export function fitStandardizer(groups: readonly Pick<RankingGroup, 'features' | 'nRows'>[], nFeatures: number): Standardizer {
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
  const constant: boolean[] = [];
  for (let f = 0; f < nFeatures; f++) {
    mean[f] /= Math.max(n, 1);
    const sd = Math.sqrt(Math.max(0, sq[f] / Math.max(n, 1) - mean[f] * mean[f]));
    constant.push(!(sd > 1e-12));
    std[f] = constant[f] ? 1 : sd;
  }
  return { mean, std, constant };
}

/** (x − mean) / std per feature, as float32. */
export function standardizeGroup(g: RankingGroup, s: Standardizer): RankingGroup {
  const F = s.mean.length;
  const features = new Float32Array(g.features.length);
  for (let j = 0; j < g.nRows; j++) {
    for (let f = 0; f < F; f++) features[j * F + f] = (g.features[j * F + f] - s.mean[f]) / s.std[f];
  }
  return { features, nRows: g.nRows, positives: g.positives, logWeights: g.logWeights };
}

/** Weights on standardized features → weights on raw features (the shift is the same for every row of a list, so it does not change the ranking). */
export function rawWeights(standardizedWeights: Float64Array, s: Standardizer): Float64Array {
  return Float64Array.from(standardizedWeights, (w, f) => w / s.std[f]);
}

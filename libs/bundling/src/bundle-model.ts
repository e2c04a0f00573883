import { readFile } from 'fs/promises';
import {
  isItemFeatureName,
  isPairFeatureName,
  ITEM_FEATURE_INDEX,
  ITEM_FEATURE_NAMES,
  itemFeatures,
  ItemFeatureName,
  PAIR_FEATURE_INDEX,
  PAIR_FEATURE_NAMES,
  pairFeatures,
  PairFeatureName,
} from './complementarity-features';
import { ComplementaritySources } from './complementarity-sources';

export const BUNDLE_MODEL_FORMAT = 'recmesh-bundle-model/1';
/** The weights fitted for one sequential model version sit in its folder under this name. */
export const BUNDLE_MODEL_FILE_NAME = 'bundle-model.json';

/**
 * The fitted bundle model as JSON. Features not listed have weight 0; a listed name must be one of
 * PAIR_FEATURE_NAMES / ITEM_FEATURE_NAMES, at most once.
 */
export interface BundleModelWeights {
  format: typeof BUNDLE_MODEL_FORMAT;
  /** Identifies the fit (served in responses and metrics). */
  version: string;
  pairFeatures: string[];
  pairWeights: number[];
  itemFeatures: string[];
  itemWeights: number[];
  /** Where and how the weights were fitted (data set, orders, seed, loss, ...). */
  fittedOn: Record<string, unknown>;
}

/** Why a pair goes together, for the shopper-readable reason. */
export type BundleSignal = 'co_purchased' | 'category_complement' | 'behaviour' | 'text' | 'none';

/** Pair features grouped by the reason they stand for (same_leaf_category counts with the category). */
export const SIGNAL_GROUPS: Readonly<Record<Exclude<BundleSignal, 'none'>, readonly PairFeatureName[]>> = {
  co_purchased: ['log_lift', 'co_purchased'],
  category_complement: ['category_lift', 'same_leaf_category'],
  behaviour: ['behaviour_cosine'],
  text: ['text_cosine'],
};

export class BundleModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleModelError';
  }
}

/**
 * Complementarity of items, linear in the features of complementarity-features.ts:
 * completionScore(anchors, c) = Σ_a pairScore(a, c) + itemScore(c). Summing over anchors reads as
 * naive Bayes: each anchor adds its own evidence for the candidate, and the item score is the prior.
 */
export class BundleModel {
  readonly version: string;
  /** Weight per feature in the canonical feature order (0 for features the model does not use). */
  private readonly pairW = new Float64Array(PAIR_FEATURE_NAMES.length);
  private readonly itemW = new Float64Array(ITEM_FEATURE_NAMES.length);
  private readonly scratch = new Float64Array(PAIR_FEATURE_NAMES.length);
  private readonly itemScratch = new Float64Array(ITEM_FEATURE_NAMES.length);

  private constructor(private readonly weights: BundleModelWeights) {
    this.version = weights.version;
    weights.pairFeatures.forEach((name, i) => (this.pairW[PAIR_FEATURE_INDEX[name as PairFeatureName]] = weights.pairWeights[i]));
    weights.itemFeatures.forEach((name, i) => (this.itemW[ITEM_FEATURE_INDEX[name as ItemFeatureName]] = weights.itemWeights[i]));
  }

  /** Validates the JSON; every problem is a BundleModelError naming it. */
  static fromJson(json: unknown): BundleModel {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BundleModelError('bundle model must be a JSON object');
    const o = json as Record<string, unknown>;
    if (o.format !== BUNDLE_MODEL_FORMAT) {
      throw new BundleModelError(`bundle model format must be "${BUNDLE_MODEL_FORMAT}", got ${JSON.stringify(o.format)}`);
    }
    if (typeof o.version !== 'string' || o.version.trim() === '') throw new BundleModelError('bundle model "version" must be a non-empty string');
    const pairNames = names(o, 'pairFeatures', isPairFeatureName, PAIR_FEATURE_NAMES);
    const pairWeights = weights(o, 'pairWeights', pairNames.length, 'pairFeatures');
    const itemNames = names(o, 'itemFeatures', isItemFeatureName, ITEM_FEATURE_NAMES);
    const itemWeights = weights(o, 'itemWeights', itemNames.length, 'itemFeatures');
    const fittedOn = o.fittedOn ?? {};
    if (typeof fittedOn !== 'object' || fittedOn === null || Array.isArray(fittedOn)) throw new BundleModelError('bundle model "fittedOn" must be an object');
    return new BundleModel({
      format: BUNDLE_MODEL_FORMAT,
      version: o.version,
      pairFeatures: pairNames,
      pairWeights,
      itemFeatures: itemNames,
      itemWeights,
      fittedOn: { ...(fittedOn as Record<string, unknown>) },
    });
  }

  /** Reads and validates a weights file; a missing file or bad JSON is a BundleModelError naming the file. */
  static async load(file: string): Promise<BundleModel> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new BundleModelError(
        code === 'ENOENT' ? `bundle model file not found: ${file}` : `cannot read bundle model file ${file}: ${(e as Error).message}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new BundleModelError(`bundle model file ${file} is not valid JSON: ${(e as Error).message}`);
    }
    try {
      return BundleModel.fromJson(json);
    } catch (e) {
      throw e instanceof BundleModelError ? new BundleModelError(`${file}: ${e.message}`) : e;
    }
  }

  toJson(): BundleModelWeights {
    return {
      ...this.weights,
      pairFeatures: [...this.weights.pairFeatures],
      pairWeights: [...this.weights.pairWeights],
      itemFeatures: [...this.weights.itemFeatures],
      itemWeights: [...this.weights.itemWeights],
      fittedOn: { ...this.weights.fittedOn },
    };
  }

  /** Weight of a feature (0 when the model does not use it). */
  pairWeight(name: PairFeatureName): number {
    return this.pairW[PAIR_FEATURE_INDEX[name]];
  }

  itemWeight(name: ItemFeatureName): number {
    return this.itemW[ITEM_FEATURE_INDEX[name]];
  }

  /** Weights in PAIR_FEATURE_NAMES order (0 for unused features). */
  pairWeightVector(): Float64Array {
    return Float64Array.from(this.pairW);
  }

  /** Weights in ITEM_FEATURE_NAMES order (0 for unused features). */
  itemWeightVector(): Float64Array {
    return Float64Array.from(this.itemW);
  }

  /** How well b goes with a (symmetric in practice: every feature is). */
  pairScore(a: string, b: string, sources: ComplementaritySources): number {
    const f = pairFeatures(a, b, sources, this.scratch);
    let s = 0;
    for (let k = 0; k < f.length; k++) s += this.pairW[k] * f[k];
    return s;
  }

  /** The candidate's own score: popularity prior plus the shopper's affinity (computed by the caller). */
  itemScore(itemId: string, sources: ComplementaritySources, personalAffinity = 0): number {
    const f = itemFeatures(itemId, sources, personalAffinity, this.itemScratch);
    let s = 0;
    for (let k = 0; k < f.length; k++) s += this.itemW[k] * f[k];
    return s;
  }

  /** Σ over anchors of pairScore(anchor, candidate) + itemScore(candidate). */
  completionScore(anchors: readonly string[], candidate: string, sources: ComplementaritySources, personalAffinity = 0): number {
    let s = this.itemScore(candidate, sources, personalAffinity);
    for (const a of anchors) s += this.pairScore(a, candidate, sources);
    return s;
  }

  /** The pair-feature group that adds most to pairScore(a, b); 'none' when no group adds anything positive. */
  strongestSignal(a: string, b: string, sources: ComplementaritySources): BundleSignal {
    const f = pairFeatures(a, b, sources, this.scratch);
    let best: BundleSignal = 'none';
    let bestValue = 0;
    for (const [signal, group] of Object.entries(SIGNAL_GROUPS) as [Exclude<BundleSignal, 'none'>, readonly PairFeatureName[]][]) {
      let value = 0;
      for (const name of group) value += this.pairW[PAIR_FEATURE_INDEX[name]] * f[PAIR_FEATURE_INDEX[name]];
      if (value > bestValue) {
        best = signal;
        bestValue = value;
      }
    }
    return best;
  }
}

function names<T extends string>(o: Record<string, unknown>, field: string, known: (n: string) => n is T, all: readonly string[]): T[] {
  const value = o[field];
  if (!Array.isArray(value)) throw new BundleModelError(`bundle model "${field}" must be an array of feature names`);
  const seen = new Set<string>();
  return value.map((name, i) => {
    if (typeof name !== 'string') throw new BundleModelError(`bundle model "${field}"[${i}] must be a string, got ${JSON.stringify(name)}`);
    if (!known(name)) throw new BundleModelError(`bundle model "${field}"[${i}]: unknown feature "${name}" (known: ${all.join(', ')})`);
    if (seen.has(name)) throw new BundleModelError(`bundle model "${field}" lists "${name}" twice`);
    seen.add(name);
    return name;
  });
}

function weights(o: Record<string, unknown>, field: string, expected: number, namesField: string): number[] {
  const value = o[field];
  if (!Array.isArray(value)) throw new BundleModelError(`bundle model "${field}" must be an array of numbers`);
  if (value.length !== expected) {
    throw new BundleModelError(`bundle model "${field}" has ${value.length} weights but "${namesField}" names ${expected} features`);
  }
  return value.map((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new BundleModelError(`bundle model "${field}"[${i}] must be a finite number, got ${typeof w === 'number' ? String(w) : JSON.stringify(w)}`);
    return w;
  });
}

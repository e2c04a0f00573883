import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BUNDLE_MODEL_FORMAT, BundleModel, BundleModelError, BundleModelWeights } from './bundle-model';
import { CoPurchaseGraph, InMemoryComplementaritySources } from './co-purchase-graph';
import { pairFeatures, PAIR_FEATURE_INDEX } from './complementarity-features';

const weights = (): BundleModelWeights => ({
  format: BUNDLE_MODEL_FORMAT,
  version: 'test-1',
  pairFeatures: ['log_lift', 'co_purchased', 'category_lift', 'behaviour_cosine', 'text_cosine', 'same_leaf_category'],
  pairWeights: [0.5, 0.25, 2, 1, 0.75, -3],
  itemFeatures: ['log_popularity', 'personal_affinity'],
  itemWeights: [0.1, 2],
  fittedOn: { dataset: 'unit' },
});

const leaf = new Map([
  ['phone1', 'phones'],
  ['phone2', 'phones'],
  ['case1', 'cases'],
  ['case2', 'cases'],
  ['newcase', 'cases'],
]);
const graph = new CoPurchaseGraph(
  [
    ['phone1', 'case1'],
    ['phone1', 'case1'],
    ['phone2', 'case2'],
  ],
  { leafCategories: leaf },
);
const sources = new InMemoryComplementaritySources(graph, {
  behaviour: new Map([
    ['phone1', Float32Array.of(1, 0)],
    ['case1', Float32Array.of(3, 4)],
    ['case2', Float32Array.of(0, 1)],
  ]),
  text: new Map([
    ['phone1', Float32Array.of(1, 1)],
    ['newcase', Float32Array.of(1, 0)],
  ]),
});

describe('BundleModel.fromJson', () => {
  it('accepts valid weights and round-trips them', () => {
    const model = BundleModel.fromJson(weights());
    expect(model.version).toBe('test-1');
    expect(model.toJson()).toEqual(weights());
    expect(model.pairWeight('same_leaf_category')).toBe(-3);
    expect(model.itemWeight('personal_affinity')).toBe(2);
  });

  it('accepts a subset of features, the rest weigh 0', () => {
    const model = BundleModel.fromJson({ ...weights(), pairFeatures: ['co_purchased'], pairWeights: [1], itemFeatures: [], itemWeights: [] });
    expect(model.pairWeight('text_cosine')).toBe(0);
    expect(model.pairScore('phone1', 'case1', sources)).toBeCloseTo(Math.log(3), 12);
  });

  it.each([
    ['not an object', 'x', /must be a JSON object/],
    ['an array', [], /must be a JSON object/],
    ['wrong format', { ...weights(), format: 'recmesh-bundle-model/2' }, /format must be "recmesh-bundle-model\/1", got "recmesh-bundle-model\/2"/],
    ['missing version', { ...weights(), version: '' }, /"version" must be a non-empty string/],
    ['unknown pair feature', { ...weights(), pairFeatures: ['log_lift', 'co_purchased', 'category_lift', 'behaviour_cosine', 'text_cosine', 'colour'] }, /unknown feature "colour"/],
    ['unknown item feature', { ...weights(), itemFeatures: ['log_popularity', 'price'] }, /"itemFeatures"\[1\]: unknown feature "price"/],
    ['duplicate feature', { ...weights(), itemFeatures: ['log_popularity', 'log_popularity'] }, /lists "log_popularity" twice/],
    ['length mismatch', { ...weights(), pairWeights: [1, 2, 3] }, /"pairWeights" has 3 weights but "pairFeatures" names 6 features/],
    ['NaN weight', { ...weights(), itemWeights: [0.1, Number.NaN] }, /"itemWeights"\[1\] must be a finite number, got NaN/],
    ['infinite weight', { ...weights(), pairWeights: [1, 1, 1, Infinity, 1, 1] }, /"pairWeights"\[3\] must be a finite number, got Infinity/],
    ['string weight', { ...weights(), itemWeights: [0.1, '2'] }, /must be a finite number, got "2"/],
    ['features not an array', { ...weights(), pairFeatures: 'log_lift' }, /"pairFeatures" must be an array/],
    ['fittedOn not an object', { ...weights(), fittedOn: 3 }, /"fittedOn" must be an object/],
  ])('rejects %s with a clear BundleModelError', (_, json, message) => {
    expect(() => BundleModel.fromJson(json)).toThrow(BundleModelError);
    expect(() => BundleModel.fromJson(json)).toThrow(message);
  });
});

describe('BundleModel.load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-model-'));

  it('loads a valid file', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(weights()));
    expect((await BundleModel.load(file)).version).toBe('test-1');
  });

  it('names a missing file', async () => {
    const file = join(dir, 'missing.json');
    await expect(BundleModel.load(file)).rejects.toThrow(new BundleModelError(`bundle model file not found: ${file}`));
  });

  it('names a file with bad JSON', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"format": ');
    await expect(BundleModel.load(file)).rejects.toThrow(/bundle model file .*bad\.json is not valid JSON/);
  });

  it('names the file when the weights are invalid', async () => {
    const file = join(dir, 'nan.json');
    writeFileSync(file, JSON.stringify({ ...weights(), pairWeights: [1] }));
    await expect(BundleModel.load(file)).rejects.toThrow(/nan\.json: bundle model "pairWeights" has 1 weights/);
  });
});

describe('BundleModel scores', () => {
  const model = BundleModel.fromJson(weights());

  it('pairScore matches the hand computation', () => {
    // degrees phone1 2, case1 2, total 6; categories phones×cases 3 each way: degrees 3, 3, total 6
    const logLift = Math.log(3 / (1 + (2 * 2) / 6));
    const catLift = Math.log(4 / (1 + (3 * 3) / 6));
    const expected = 0.5 * logLift + 0.25 * Math.log(3) + 2 * catLift + 1 * 0.6 + 0.75 * 0 - 3 * 0;
    expect(model.pairScore('phone1', 'case1', sources)).toBeCloseTo(expected, 10);
  });

  it('penalises same-leaf pairs with a negative weight', () => {
    const f = pairFeatures('case1', 'case2', sources);
    expect(f[PAIR_FEATURE_INDEX.same_leaf_category]).toBe(1);
    const catLift = Math.log(1 / (1 + (3 * 3) / 6));
    expect(model.pairScore('case1', 'case2', sources)).toBeCloseTo(2 * catLift + 1 * 0.8 - 3, 10);
  });

  it('itemScore and completionScore add up', () => {
    expect(model.itemScore('case1', sources)).toBeCloseTo(0.1 * Math.log(3), 12);
    expect(model.itemScore('case1', sources, 0.5)).toBeCloseTo(0.1 * Math.log(3) + 1, 12);
    const anchors = ['phone1', 'phone2'];
    const expected = model.pairScore('phone1', 'case1', sources) + model.pairScore('phone2', 'case1', sources) + model.itemScore('case1', sources, 0.5);
    expect(model.completionScore(anchors, 'case1', sources, 0.5)).toBeCloseTo(expected, 12);
    expect(model.completionScore([], 'case1', sources)).toBeCloseTo(model.itemScore('case1', sources), 12);
  });

  it('strongestSignal names the group that adds most', () => {
    // phone1–case1: category (2·log 1.6 = 0.940) beats behaviour (0.6) and co-purchase (0.5·0.5878 + 0.25·1.0986 = 0.569).
    expect(model.strongestSignal('phone1', 'case1', sources)).toBe('category_complement');
    const textOnly = BundleModel.fromJson({ ...weights(), pairFeatures: ['text_cosine', 'co_purchased'], pairWeights: [1, 0.1], itemFeatures: [], itemWeights: [] });
    expect(textOnly.strongestSignal('phone1', 'newcase', sources)).toBe('text');
    expect(textOnly.strongestSignal('phone1', 'case1', sources)).toBe('co_purchased');
    const behaviourOnly = BundleModel.fromJson({ ...weights(), pairFeatures: ['behaviour_cosine'], pairWeights: [1], itemFeatures: [], itemWeights: [] });
    expect(behaviourOnly.strongestSignal('phone1', 'case1', sources)).toBe('behaviour');
    expect(behaviourOnly.strongestSignal('phone1', 'newcase', sources)).toBe('none');
    // same-leaf penalty outweighs the category lift: nothing positive from the category group
    const penalised = BundleModel.fromJson({ ...weights(), pairFeatures: ['category_lift', 'same_leaf_category'], pairWeights: [1, -3], itemFeatures: [], itemWeights: [] });
    expect(penalised.strongestSignal('case1', 'case2', sources)).toBe('none');
  });
});

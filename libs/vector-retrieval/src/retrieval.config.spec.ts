import { ConfigError, loadConfig } from '@recmesh/service-config';
import { retrievalSettings, usesAnn, VectorRetrievalConfigSchema } from './retrieval.config';

describe('VectorRetrievalConfigSchema', () => {
  it('defaults to exact below 200k items and HNSW (M 16, efConstruction 100, efSearch 100) from there', () => {
    const settings = retrievalSettings(loadConfig(VectorRetrievalConfigSchema, {}));
    expect(settings).toEqual({ mode: 'auto', annMinItems: 200_000, hnsw: { m: 16, efConstruction: 100, efSearch: 100 } });
    expect(usesAnn(settings, 199_999)).toBe(false);
    expect(usesAnn(settings, 200_000)).toBe(true);
    expect(usesAnn({ ...settings, mode: 'exact' }, 10_000_000)).toBe(false);
    expect(usesAnn({ ...settings, mode: 'ann' }, 10)).toBe(true);
  });

  it('reads every setting from the environment', () => {
    const env = { SCORER_RETRIEVAL: 'ann', SCORER_ANN_MIN_ITEMS: '5000', SCORER_ANN_M: '32', SCORER_ANN_EF_CONSTRUCTION: '400', SCORER_ANN_EF_SEARCH: '256' };
    expect(retrievalSettings(loadConfig(VectorRetrievalConfigSchema, env))).toEqual({ mode: 'ann', annMinItems: 5000, hnsw: { m: 32, efConstruction: 400, efSearch: 256 } });
  });

  it('rejects bad values at start-up, every one in the same error', () => {
    const env = { SCORER_RETRIEVAL: 'fast', SCORER_ANN_MIN_ITEMS: '0', SCORER_ANN_M: '2', SCORER_ANN_EF_CONSTRUCTION: 'lots', SCORER_ANN_EF_SEARCH: '100000' };
    let error: unknown;
    try {
      loadConfig(VectorRetrievalConfigSchema, env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'SCORER_RETRIEVAL="fast" must be one of exact, ann, auto',
      'SCORER_ANN_MIN_ITEMS=0 is below the minimum 1',
      'SCORER_ANN_M=2 is below the minimum 4',
      'SCORER_ANN_EF_CONSTRUCTION="lots" is not an integer (HNSW candidate list while inserting (build time and recall grow with it))',
      'SCORER_ANN_EF_SEARCH=100000 is above the maximum 5000',
    ]);
  });
});

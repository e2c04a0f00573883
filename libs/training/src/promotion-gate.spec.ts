import { openStore, ModelRegistry } from '@recmesh/persistence';
import { decidePromotion, gateCandidate, HoldoutMetrics, promotionPolicy } from './promotion-gate';

const policy = promotionPolicy({ PROMOTION_MIN_NDCG_GAIN: 2, PROMOTION_MAX_TAIL_RECALL_LOSS: 5, PROMOTION_MIN_CURRENT_COVERAGE: 50 });
const m = (ndcgAt10: number, tailRecallAt20: number, catalogCoverage = 1): HoldoutMetrics => ({ ndcgAt10, tailRecallAt20, catalogCoverage });

describe('promotion gate', () => {
  it('promotes a candidate that beats the serving version by the margin without losing tail recall beyond the allowance', () => {
    expect(decidePromotion(m(0.0520, 0.096), m(0.0500, 0.100), policy)).toMatchObject({ promote: true, onMerit: true, rule: 'beats_serving' });
    expect(decidePromotion(m(0.0505, 0.100), m(0.0500, 0.100), policy)).toEqual({ promote: false, rule: 'ndcg_gain', reason: 'NDCG@10 0.0505 is below 0.0510 (serving 0.0500 + 2.0%)' });
    expect(decidePromotion(m(0.0600, 0.094), m(0.0500, 0.100), policy)).toEqual({ promote: false, rule: 'tail_recall', reason: 'tail recall@20 0.0940 is below 0.0950 (serving 0.1000 - 5.0%)' });
  });

  it('replaces a serving version that cannot score the shop (the demo model on a real catalog) by any candidate that covers more', () => {
    expect(decidePromotion(m(0.01, 0.0, 0.9), m(0, 0, 0), policy)).toEqual({ promote: true, rule: 'serving_cannot_serve', reason: "the serving version knows 0.0% of the holdout's items (below 50.0%); the candidate knows 90.0%" });
    expect(decidePromotion(m(0.01, 0.0, 0), m(0, 0, 0), policy)).toMatchObject({ promote: false, rule: 'coverage_not_higher' });
    expect(decidePromotion(m(0.01, 0.0, 0.9), null, policy)).toEqual({ promote: true, rule: 'no_serving_version', reason: 'no version is serving' });
  });

  it('refuses metrics that are not numbers instead of comparing NaN', () => {
    expect(decidePromotion(m(Number.NaN, 0.1), m(0.05, 0.1), policy)).toMatchObject({ promote: false, rule: 'not_finite', reason: expect.stringContaining('candidate metrics are not finite') });
  });

  it('promotes or rejects the candidate in the registry and records why', async () => {
    const ds = await openStore({ kind: 'embedded' });
    try {
      const registry = new ModelRegistry(ds);
      await registry.register('demo', '/m/demo');
      await registry.registerCandidate('shop-1', '/m/shop-1');
      expect((await gateCandidate(registry, 'shop-1', { candidate: m(0.04, 0.05, 0.95), current: m(0, 0, 0) }, policy)).promote).toBe(true);
      expect((await registry.current())?.modelVersion).toBe('shop-1');
      await registry.registerCandidate('shop-2', '/m/shop-2');
      expect((await gateCandidate(registry, 'shop-2', { candidate: m(0.039, 0.05), current: m(0.04, 0.05) }, policy)).promote).toBe(false);
      expect((await registry.current())?.modelVersion).toBe('shop-1');
      expect((await registry.decisions('shop-2'))[0]).toMatchObject({ decision: 'rejected', reason: 'promotion gate: NDCG@10 0.0390 is below 0.0408 (serving 0.0400 + 2.0%)' });
    } finally {
      await ds.destroy();
    }
  });
});

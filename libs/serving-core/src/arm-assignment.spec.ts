import { ArmStrategy } from '@recmesh/contracts';
import { assignArm, ExperimentAssigner, ExperimentPlan, servedByOf, unitPoint } from './arm-assignment';

const plan = (name: string, shares: number[], surfaces: ExperimentPlan['surfaces'] = ['recommend']): ExperimentPlan => ({
  name, salt: name, surfaces, controlArm: 'a0',
  arms: shares.map((share, i) => ({ name: `a${i}`, share, strategy: ArmStrategy.SERVING_MODEL, modelVersion: '' })),
});

describe('arm assignment', () => {
  it('is a pure function of salt and unit', () => {
    expect(unitPoint('exp', 'user-1')).toBe(unitPoint('exp', 'user-1'));
    expect(unitPoint('exp', 'user-1')).not.toBe(unitPoint('other', 'user-1'));
    expect(assignArm(plan('exp', [0.5, 0.5]), 'user-1')).toEqual(assignArm(plan('exp', [0.5, 0.5]), 'user-1'));
  });

  it('splits users by the configured shares (chi-square over 20,000 users)', () => {
    const shares = [0.2, 0.3, 0.5];
    const p = plan('split', shares);
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let u = 0; u < n; u++) {
      const arm = assignArm(p, `user-${u}`).name;
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
    }
    const chiSquare = shares.reduce((s, share, i) => s + ((counts.get(`a${i}`) ?? 0) - n * share) ** 2 / (n * share), 0);
    expect(chiSquare).toBeLessThan(13.8); // 2 degrees of freedom, p = 0.001
  });

  it('splits independently across experiments with different salts', () => {
    const [first, second] = [plan('first', [0.5, 0.5]), plan('second', [0.5, 0.5])];
    const together = [0, 0, 0, 0];
    for (let u = 0; u < 8_000; u++) together[2 * Number(assignArm(first, `u${u}`).name === 'a1') + Number(assignArm(second, `u${u}`).name === 'a1')]++;
    for (const cell of together) expect(Math.abs(cell - 2_000)).toBeLessThan(200); // ±4.6 standard deviations
  });

  it('assigns by user id, and leaves calls without one (or surfaces without experiment) alone', () => {
    const assigner = new ExperimentAssigner();
    assigner.replace([plan('recs', [0.5, 0.5], ['recommend', 'bundle'])]);
    expect(assigner.size).toBe(1);
    expect(assigner.assign('recommend', 'u1')).toEqual({ experiment: 'recs', arm: assignArm(plan('recs', [0.5, 0.5]), 'u1') });
    expect(assigner.assign('bundle', 's9')?.arm).toEqual(assignArm(plan('recs', [0.5, 0.5]), 's9'));
    expect(assigner.assign('recommend', '')).toBeUndefined();
    expect(assigner.assign('similar_items', 'u1')).toBeUndefined();
    assigner.replace([]);
    expect(assigner.assign('recommend', 'u1')).toBeUndefined();
  });
});

describe('servedByOf', () => {
  it('asks the scorer for the arm\'s version or strategy, nothing for the serving model', () => {
    const arm = (strategy: ArmStrategy, modelVersion = '') => ({ name: 'a', share: 1, strategy, modelVersion });
    expect(servedByOf(arm(ArmStrategy.SERVING_MODEL))).toBeUndefined();
    expect(servedByOf(arm(ArmStrategy.MODEL_VERSION, 'shop-2'))).toEqual({ modelVersion: 'shop-2' });
    expect(servedByOf(arm(ArmStrategy.POPULARITY))).toEqual({ strategy: 'popularity' });
  });
});

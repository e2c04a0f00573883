import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { ArmSchema, ArmStrategy, ExperimentSchema, ExperimentState, Verdict } from '@recmesh/contracts';
import { mulberry32 } from '@recmesh/numerics';
import { ExperimentStore, openStore, UnitOutcome } from '@recmesh/persistence';
import { assignArm, grpcStatusOf, planOf, ServingError } from '@recmesh/serving-core';
import { DataSource } from 'typeorm';
import { Registry } from 'prom-client';
import { ExperimentAdmin } from './experiment-admin';
import { ExperimentMetrics } from './experiment-metrics';


const definition = (name: string, surfaces = ['recommend'], shares = [0.5, 0.5]) =>
  create(ExperimentSchema, {
    name,
    surfaces,
    controlArm: 'control',
    arms: [create(ArmSchema, { name: 'control', trafficShare: shares[0], strategy: ArmStrategy.SERVING_MODEL }), create(ArmSchema, { name: 'popular', trafficShare: shares[1], strategy: ArmStrategy.POPULARITY })],
  });

async function statusOf(call: Promise<unknown>): Promise<status> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return grpcStatusOf(error.code);
}

describe('ExperimentAdmin', () => {
  let ds: DataSource;
  let store: ExperimentStore;
  let admin: ExperimentAdmin;
  let now: number;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    store = new ExperimentStore(ds);
    now = 1_000_000;
    admin = new ExperimentAdmin(store, () => now);
  });
  afterEach(() => ds.destroy());

  it('creates, lists and stops experiments, refusing what cannot run with the matching status', async () => {
    const created = await admin.create(definition('ranker'));
    expect(created).toMatchObject({ name: 'ranker', salt: 'ranker', state: ExperimentState.RUNNING, startedAtMs: 1_000_000n });
    expect(await statusOf(admin.create(definition('ranker', ['similar_items'])))).toBe(status.ALREADY_EXISTS);
    expect(await statusOf(admin.create(definition('other', ['recommend'])))).toBe(status.FAILED_PRECONDITION);
    expect(await statusOf(admin.create(definition('Bad!', [], [0.5, 0.6])))).toBe(status.INVALID_ARGUMENT);
    expect((await admin.list(false)).map((e) => e.name)).toEqual(['ranker']);
    now += 60_000;
    expect(await admin.stop('ranker', 'enough data')).toMatchObject({ state: ExperimentState.STOPPED, stoppedAtMs: 1_060_000n, stopReason: 'enough data' });
    expect(await statusOf(admin.stop('ranker', 'again'))).toBe(status.FAILED_PRECONDITION);
    expect(await statusOf(admin.stop('missing', ''))).toBe(status.NOT_FOUND);
    expect(await admin.list(false)).toEqual([]);
    expect((await admin.list(true))[0]).toMatchObject({ name: 'ranker', state: ExperimentState.STOPPED });
    expect(await statusOf(admin.results('missing', 0))).toBe(status.NOT_FOUND);
    expect(await statusOf(admin.results('ranker', 2))).toBe(status.INVALID_ARGUMENT);
  });

  it('reads a known lift from the units with the right sign, and blocks the verdict on a broken split', async () => {
    const experiment = await admin.create(definition('lift'));
    const plan = planOf(experiment);
    const random = mulberry32(7);
    const outcomes: UnitOutcome[] = [];
    // 4,000 shoppers assigned as the gateway would; the popular arm converts at 9%, control at 5%.
    for (let u = 0; u < 4000; u++) {
      const unitId = `shopper-${u}`;
      const arm = assignArm(plan, unitId).name;
      const bought = random() < (arm === 'popular' ? 0.09 : 0.05) ? 1 : 0;
      outcomes.push({ experiment: 'lift', unitId, arm, tsMs: now + u, impressions: 3, clicks: bought + (random() < 0.2 ? 1 : 0), purchases: bought, revenue: bought * 25 });
    }
    await ds.transaction((m) => store.addOutcomes(m, outcomes));
    const results = await admin.results('lift', 0);
    expect(results.alpha).toBe(0.05);
    expect(results.sampleRatio?.mismatch).toBe(false);
    expect(results.arms.map((a) => [a.name, Number(a.users)])).toEqual([['control', expect.any(Number)], ['popular', expect.any(Number)]]);
    expect(results.arms.reduce((n, a) => n + Number(a.users), 0)).toBe(4000);
    const purchases = results.comparisons[0].metrics.find((m) => m.metric === 'purchases')!;
    expect(purchases.verdict).toBe(Verdict.BETTER);
    expect(purchases.lift!.lower).toBeGreaterThan(0);
    expect(purchases.lift!.lower).toBeLessThan(0.8); // the true lift (0.09 / 0.05 - 1) is inside
    expect(purchases.lift!.upper).toBeGreaterThan(0.8);

    // The same figures on /metrics.
    const registry = new Registry();
    await new ExperimentMetrics(admin, registry).refresh();
    const page = await registry.metrics();
    expect(page).toContain(`recmesh_experiment_users{experiment="lift",arm="popular"} ${Number(results.arms[1].users)}`);
    expect(page).toContain('recmesh_experiment_verdict{experiment="lift",arm="popular",metric="purchases",verdict="better"} 1');
    expect(page).toContain(`recmesh_experiment_lift{experiment="lift",arm="popular",metric="purchases",bound="lower"} ${purchases.lift!.lower}`);

    // The same shoppers, but 55% of them logged in one arm: sample-ratio mismatch, no verdict.
    const skewed = await admin.create(definition('skewed', ['similar_items']));
    const skewedUnits = Array.from({ length: 4000 }, (_, u): UnitOutcome => ({ experiment: 'skewed', unitId: `s${u}`, arm: u % 100 < 55 ? 'control' : 'popular', tsMs: now, impressions: 1, purchases: u % 10 === 0 ? 1 : 0 }));
    await ds.transaction((m) => store.addOutcomes(m, skewedUnits));
    const broken = await admin.results(skewed.name, 0);
    expect(broken.sampleRatio?.mismatch).toBe(true);
    expect(broken.comparisons[0].metrics.every((m) => m.verdict === Verdict.INVALID_SRM)).toBe(true);
  });
});

import { create } from '@bufbuild/protobuf';
import { ArmSchema, ArmStrategy, ExperimentSchema } from '@recmesh/contracts';
import { ExperimentAdmin } from '@recmesh/experiments';
import { IngestMetrics } from '@recmesh/ingestion';
import { ExperimentStore, FeedbackStore, ModelRegistry, openStore } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { OpsService, OpsSourceError } from './ops-service';

const HOUR = 3_600_000;

describe('OpsService over the embedded store and a metrics registry', () => {
  let ds: DataSource;
  let now: number;
  let service: OpsService;
  let admin: ExperimentAdmin;
  let registry: Registry;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    now = 100 * HOUR;
    const clock = () => now;
    admin = new ExperimentAdmin(new ExperimentStore(ds), clock);
    registry = new Registry();
    service = new OpsService({ feedback: new FeedbackStore(ds), experiments: admin, models: new ModelRegistry(ds, clock), metrics: registry, currency: 'EUR', clock });
  });
  afterEach(() => ds.destroy());

  it('reads the metric buckets of the window', async () => {
    const store = new FeedbackStore(ds);
    await store.transaction((m) =>
      store.addToBuckets(m, [
        { bucketStartMs: now - 2 * HOUR, surface: 'recommend', modelVersion: 'm1', arm: 'none', impressions: 10, clicks: 2, purchases: 1, revenueMinor: 2500, positionSum: 3 },
        { bucketStartMs: now - 30 * HOUR, surface: 'recommend', modelVersion: 'm1', arm: 'none', impressions: 99 },
      ]),
    );
    const metrics = await service.metrics(24);
    expect(metrics).toMatchObject({ from_ms: now - 24 * HOUR, to_ms: now, currency: 'EUR' });
    expect(metrics.surfaces[0].models).toEqual([expect.objectContaining({ model_version: 'm1', totals: expect.objectContaining({ impressions: 10, ctr: 0.2, conversion: 0.1, revenue_per_mille_minor: 250_000 }) })]);
    expect((await service.metrics(48)).surfaces[0].totals.impressions).toBe(109);
  });

  it('lists running and recently stopped experiments with their arms, running first', async () => {
    const definition = (name: string) =>
      create(ExperimentSchema, {
        name,
        surfaces: ['similar_items'],
        controlArm: 'a',
        arms: [create(ArmSchema, { name: 'a', trafficShare: 0.5, strategy: ArmStrategy.SERVING_MODEL }), create(ArmSchema, { name: 'b', trafficShare: 0.5, strategy: ArmStrategy.POPULARITY })],
      });
    await admin.create(definition('old'));
    now += HOUR;
    await admin.stop('old', 'done');
    await admin.create(definition('long-ago'));
    await admin.stop('long-ago', 'done');
    now += 8 * 24 * HOUR;
    await admin.create(definition('stopped-lately'));
    await admin.stop('stopped-lately', 'enough');
    await admin.create(definition('live'));
    const answer = await service.experiments(0);
    expect(answer.experiments.map((e) => [e.name, e.state])).toEqual([['live', 'running'], ['stopped-lately', 'stopped']]);
    expect(answer.experiments[0].arms.map((a) => [a.name, a.traffic_share, a.users, a.strategy])).toEqual([['a', 0.5, 0, 'serving_model'], ['b', 0.5, 0, 'popularity']]);
    expect(answer.experiments[0].comparisons.map((c) => [c.metric, c.verdict])).toEqual([
      ['clicks', 'insufficient_data'], ['add_to_carts', 'insufficient_data'], ['purchases', 'insufficient_data'], ['revenue', 'insufficient_data'],
    ]);
  });

  it('shows the registry: which version serves, and the decisions with their reasons', async () => {
    const models = new ModelRegistry(ds, () => now);
    await models.register('m1', '/models/m1');
    now += 1000;
    await models.registerCandidate('m2', '/models/m2');
    await models.canary('m2', 'offline gate passed: ndcg@10 +4 %');
    await models.reject('m2', 'canary worse on purchases');
    const answer = await service.models();
    expect(answer.serving).toBe('m1');
    expect(answer.versions.map((v) => [v.model_version, v.status, v.serving])).toEqual([['m2', 'retired', false], ['m1', 'active', true]]);
    expect(answer.decisions.map((d) => [d.model_version, d.decision, d.reason])).toEqual([
      ['m2', 'rejected', 'canary worse on purchases'],
      ['m2', 'canary_started', 'offline gate passed: ndcg@10 +4 %'],
      ['m2', 'registered', 'candidate waiting for the promotion gate'],
      ['m1', 'promoted', 'registered for serving directly'],
    ]);
  });

  it('reads ingest health from the registry', async () => {
    new IngestMetrics(registry).rejected.inc({ stream: 'clickstream', reason: 'INVALID_FIELD' }, 2);
    expect((await service.ingest()).rejections).toEqual([{ stream: 'clickstream', reason: 'INVALID_FIELD', count: 2 }]);
  });

  it('names the source that could not be read', async () => {
    await ds.destroy();
    await expect(service.metrics(24)).rejects.toThrow(OpsSourceError);
    await expect(service.models()).rejects.toThrow(/^could not read the model registry: /);
    ds = await openStore({ kind: 'embedded' });
  });
});

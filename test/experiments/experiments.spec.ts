import { create } from '@bufbuild/protobuf';
import { ArmSchema, ArmStrategy, createGrpcClient, ExperimentSchema, ExperimentService, ExperimentState, Verdict } from '@recmesh/contracts';
import { ExperimentAdmin } from '@recmesh/experiments';
import { ExperimentStore, ModelRegistry, openStore } from '@recmesh/persistence';
import { assignArm, planOf } from '@recmesh/serving-core';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { CanaryController } from '@recmesh/training';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from '../support/kafka-io';
import { gatewayClient, publishCatalog, RecommendationStack } from '../support/recommendation-stack';
import { freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';

const DEMO_MODEL = path.resolve(__dirname, '../../tools/model/demo-model');
const USERS = 40;

/**
 * An A/B experiment end to end, each service its own process on Kafka + MariaDB: the operator
 * creates it on the feedback service's admin API, the gateway assigns shoppers and serves each arm
 * (the registry's model, or the popularity baseline from the scorer), the served lists and the
 * shoppers' clicks and purchases (through ingest) are attributed, and GetExperimentResults counts
 * them exactly, per arm.
 */
describe('A/B experiments on a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  let gateway: RecommendationStack | undefined;
  let admin: ReturnType<typeof createGrpcClient<typeof ExperimentService>> | undefined;
  let gatewayHttp: ServiceProcess;
  let store: DataSource | undefined;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-canary-'));
  afterAll(async () => {
    gateway?.close();
    admin?.close();
    await store?.destroy();
    await scenario?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });
  const gatewayMetrics = async () => (await fetch(`http://127.0.0.1:${gatewayHttp.port}/metrics`)).text();

  it('assigns, serves each arm, and counts what each arm\'s shoppers did', async () => {
    scenario = await IngestScenario.create();
    const shop = generateSyntheticShop({ seed: 42, items: 300, users: 60 });
    const now = Date.now();
    await publishCatalog(scenario, shop.items, [], now - 60_000);
    // Some history so the popularity baseline has something to rank.
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, shop.events.slice(0, 400).map((e, n) => ({ key: e.userId, value: Buffer.from(JSON.stringify({ event_id: `seed-${n}`, user_id: e.userId, item_id: e.itemId, action: e.action, ts_ms: now - 50_000 + n })) })));
    await scenario.startIngest();
    await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT');
    const [scorerGrpc, gatewayGrpc, experimentsGrpc] = await Promise.all([freePort(), freePort(), freePort()]);
    await scenario.startService('scorer', 'SCORER_PORT', { SCORER_GRPC_PORT: String(scorerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, SCORER_PREFER_CUDA: 'false' });
    const feedback: ServiceProcess = await scenario.startService('feedback', 'FEEDBACK_PORT', { EXPERIMENTS_GRPC_PORT: String(experimentsGrpc), FEEDBACK_SWEEP_SECONDS: '1' });
    gatewayHttp = await scenario.startService('gateway', 'GATEWAY_HTTP_PORT', {
      GATEWAY_GRPC_PORT: String(gatewayGrpc), SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: '', EXPERIMENTS_ADDRESS: `127.0.0.1:${experimentsGrpc}`, GATEWAY_EXPERIMENTS_REFRESH_SECONDS: '1',
    });
    gateway = gatewayClient(`127.0.0.1:${gatewayGrpc}`);
    admin = createGrpcClient(ExperimentService, `127.0.0.1:${experimentsGrpc}`);
    // Before the experiment, so the probe is nobody's unit.
    await until('popular items ranked', async () => ((await gateway!.call('recommend', { userId: 'probe', k: 5 })).items.length > 0 ? true : undefined), 60_000);

    const experiment = await admin.createExperiment({
      experiment: create(ExperimentSchema, {
        name: 'popularity-baseline',
        surfaces: ['recommend'],
        controlArm: 'control',
        arms: [create(ArmSchema, { name: 'control', trafficShare: 0.5, strategy: ArmStrategy.SERVING_MODEL }), create(ArmSchema, { name: 'popular', trafficShare: 0.5, strategy: ArmStrategy.POPULARITY })],
      }),
    });
    expect(experiment.state).toBe(ExperimentState.RUNNING);
    await until('gateway assigning', async () => (/recmesh_gateway_experiments_running\{[^}]*\} 1/.test(await gatewayMetrics()) ? true : undefined), 30_000);

    // Every shopper once; every third clicks the first item, every fifth also buys it (at 10.00).
    const plan = planOf(experiment);
    const shoppers = Array.from({ length: USERS }, (_, i) => `exp-shopper-${i}`);
    const expected = { control: { users: 0, clicks: 0, purchases: 0 }, popular: { users: 0, clicks: 0, purchases: 0 } };
    const actions: Array<{ key: string; value: Buffer }> = [];
    for (const [i, userId] of shoppers.entries()) {
      const answer = await gateway.call('recommend', { userId, k: 5 });
      const arm = assignArm(plan, userId).name as keyof typeof expected;
      expect(answer.modelVersion === 'popularity').toBe(arm === 'popular');
      expected[arm].users++;
      const item = answer.items[0].itemId;
      const event = (kind: string, n: number) => ({ key: userId, value: Buffer.from(JSON.stringify({ event_id: `exp-${i}-${kind}`, user_id: userId, item_id: item, action: kind, ts_ms: Date.now() + n, rec_id: answer.recId, price: 10, quantity: 1, currency: 'EUR' })) });
      if (i % 3 === 0) {
        actions.push(event('click', 1));
        expected[arm].clicks++;
      }
      if (i % 5 === 0) {
        actions.push(event('purchase', 2));
        expected[arm].purchases++;
      }
    }
    expect(expected.control.users).toBeGreaterThan(0);
    expect(expected.popular.users).toBeGreaterThan(0);
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, actions);

    let last = '';
    const results = await until('every action counted', async () => {
      const r = await admin!.getExperimentResults({ name: 'popularity-baseline' });
      const got = Object.fromEntries(r.arms.map((a) => [a.name, { users: Number(a.users), clicks: Math.round(a.metrics.clicks.mean * Number(a.users)), purchases: Math.round(a.metrics.purchases.mean * Number(a.users)) }]));
      last = JSON.stringify(got);
      return last === JSON.stringify(expected) ? r : undefined;
    }, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: expected ${JSON.stringify(expected)}, last ${last}`);
    });
    expect(results.arms.map((a) => Number(a.impressions))).toEqual([expected.control.users, expected.popular.users]);
    expect(results.arms.find((a) => a.name === 'popular')!.metrics.revenue.mean * expected.popular.users).toBeCloseTo(10 * expected.popular.purchases, 6);
    // Forty shoppers decide nothing: the statistics say so instead of guessing.
    expect(results.comparisons[0].metrics.every((m) => m.verdict === Verdict.INSUFFICIENT_DATA)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${feedback.port}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`recmesh_feedback_impressions_total\\{[^}]*arm="popular"[^}]*\\} ${expected.popular.users}\\b`));

    // Stopped: the gateway stops assigning, and nobody's list carries the experiment any more.
    await admin.stopExperiment({ name: 'popularity-baseline', reason: 'test over' });
    await until('gateway stopped assigning', async () => (/recmesh_gateway_experiments_running\{[^}]*\} 0/.test(await gatewayMetrics()) ? true : undefined), 30_000);
    const popularUser = shoppers.find((u) => assignArm(plan, u).name === 'popular')!;
    expect((await gateway.call('recommend', { userId: popularUser, k: 5 })).modelVersion).not.toBe('popularity');
  }, 240_000);

  /**
   * The canary on the same stack: the controller (the trainer's, here in the test process) starts a
   * candidate on half the users; the gateway sends that arm to the scorer, which loads the version
   * from the registry. A candidate whose model file is garbage cannot load, the gateway answers its
   * arm with the serving version, and the guardrail rolls it back; a copy of the serving model serves
   * its arm itself and trips nothing.
   */
  it('rolls back a canary whose model file is broken; a canary with an equal model serves its arm and trips no guardrail', async () => {
    store = await openStore({ kind: 'mysql', url: scenario.db.url });
    const registry = new ModelRegistry(store);
    const controller = new CanaryController(registry, new ExperimentAdmin(new ExperimentStore(store)), { share: 0.5, margin: 0.05, maxFallbackShare: 0.01, maxP99Increase: 10, minGuardrailLists: 10 }, new Registry());
    const candidate = (version: string, broken: boolean): string => {
      const dir = path.join(scratch, version);
      fs.cpSync(DEMO_MODEL, dir, { recursive: true });
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { model_version?: string; modelVersion?: string };
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, ...('model_version' in manifest ? { model_version: version } : { modelVersion: version }) }));
      if (broken) for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.onnx'))) fs.writeFileSync(path.join(dir, f), 'not an onnx model');
      return dir;
    };
    const experiments = new ExperimentAdmin(new ExperimentStore(store));
    const serveCanary = async (version: string, shoppers: readonly string[]) => {
      await registry.registerCandidate(version, candidate(version, version.includes('broken')));
      await controller.start(version, 'test');
      const plan = planOf((await experiments.list(false)).find((e) => e.name === `canary-${version}`)!);
      await until(`gateway assigning the ${version} canary`, async () => (/recmesh_gateway_experiments_running\{[^}]*\} 1/.test(await gatewayMetrics()) ? true : undefined), 30_000);
      const canaryAnswers = [];
      for (const userId of shoppers) {
        const answer = await gateway!.call('recommend', { userId, k: 5 });
        if (assignArm(plan, userId).name === 'canary') canaryAnswers.push(answer);
      }
      expect(canaryAnswers.length).toBeGreaterThanOrEqual(10);
      // The feedback service has stored every list of the arm before the controller looks.
      await until(`${version}: canary lists stored`, async () => {
        const byArm = await experiments.servedByArm(`canary-${version}`);
        return byArm.filter((s) => s.arm === 'canary').reduce((n, s) => n + s.lists, 0) === canaryAnswers.length ? byArm : undefined;
      }, 30_000);
      return { canaryAnswers, decisions: await controller.check() };
    };

    const broken = await serveCanary('cand-broken', Array.from({ length: 40 }, (_, i) => `canary-a-${i}`));
    // Every canary answer came from the serving version; nobody got an error.
    expect(broken.canaryAnswers.every((a) => a.modelVersion !== 'cand-broken' && a.items.length === 5)).toBe(true);
    expect(await gatewayMetrics()).toMatch(/recmesh_gateway_arm_fallbacks_total\{[^}]*\} [1-9]/);
    expect(broken.decisions).toEqual([expect.objectContaining({ modelVersion: 'cand-broken', verdict: 'rolled_back', reason: expect.stringMatching(/^guardrail: \d+ of \d+ canary lists .* could not serve/) })]);
    expect((await registry.get('cand-broken'))?.status).toBe('retired');
    expect((await registry.decisions('cand-broken')).map((d) => d.reason).join('\n')).toMatch(/canary: guardrail/);
    await until('gateway stopped the broken canary', async () => (/recmesh_gateway_experiments_running\{[^}]*\} 0/.test(await gatewayMetrics()) ? true : undefined), 30_000);

    const equal = await serveCanary('cand-equal', Array.from({ length: 40 }, (_, i) => `canary-b-${i}`));
    expect(equal.canaryAnswers.every((a) => a.modelVersion === 'cand-equal')).toBe(true);
    // Forty users prove nothing about conversion: it keeps running, no guardrail fired.
    expect(equal.decisions).toEqual([expect.objectContaining({ modelVersion: 'cand-equal', verdict: 'continue' })]);
    expect((await registry.get('cand-equal'))?.status).toBe('candidate');
  }, 180_000);
});

/**
 * @jest-environment <rootDir>/../libs/model-runtime/onnx-jest-environment.js
 */
// (The reason audit loads the promoted model in this process: onnxruntime-node's typed arrays must pass the test realm's instanceof checks.)
import { existsSync } from 'fs';
import * as path from 'path';
import { builtTextEncoderDir } from '@recmesh/model-runtime';
import { mulberry32 } from '@recmesh/numerics';
import { readDatasetDir } from '@recmesh/training';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from '../support/kafka-io';
import { gatewayClient, RecommendationStack } from '../support/recommendation-stack';
import { freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';
import { auditServedReasons, ShopCatalogView } from './served-reasons';

// A real shop's own data through the whole learning loop: Amazon Industrial & Scientific (titles,
// categories, brands) replayed as a shop's catalog and clickstream, the trainer retraining on it
// with tools/model, the gate replacing the demo model, and the scorer serving the new version.
const ROOT = path.resolve(__dirname, '../..');
const DATASET = path.resolve(ROOT, '../shared/datasets/amazon_scientific_unisrec/normalized');
const PYTHON = path.join(ROOT, 'tools/model/.venv/bin/python');
const DAY = 86_400_000;
// A short training keeps CI in budget; bench:learning runs the full-size one.
const TRAINER_ENV = {
  TRAINER_PYTHON: PYTHON,
  TRAINER_ARGS: '--epochs 4 --patience 2 --max-minutes 4 --valid-users 2000',
  TRAINER_MIN_NEW_EVENTS: '1000',
  TRAINER_BUDGET_MINUTES: '10',
  TRAINER_TEXT_ENCODER_DIR: builtTextEncoderDir(),
  // Reviews carry no baskets: a shopper's reviews an hour apart (see shopData) count as one order,
  // so the bundle refit runs on the shop's real items and co-occurrences.
  TRAINER_BUNDLE_ORDER_GAP_MINUTES: '60',
};

interface ShopData {
  readonly catalog: Array<{ key: string; value: Buffer }>;
  readonly clickstream: Array<{ key: string; value: Buffer }>;
  readonly users: string[];
  /** An item with its title, and a new item titled like it, published after training. */
  readonly probe: { itemId: string; newItem: Record<string, unknown> };
  readonly view: ShopCatalogView;
}

/** The dataset as a shop would send it: catalog upserts, then events spread over the last three weeks. */
async function shopData(): Promise<ShopData> {
  const { items, events } = await readDatasetDir(DATASET);
  const now = Date.now();
  const catalog = items.map((i, n) => ({
    key: i.itemId,
    value: Buffer.from(JSON.stringify({ event_id: `cat-${n}`, ts_ms: now - 25 * DAY, upsert: { item_id: i.itemId, title: i.title ?? '', category_path: i.category ? [i.category] : [], brand: i.brand ?? '', in_stock: true } })),
  }));
  // Scientific's ts is each user's position; positions become hours, users are spread over a day.
  const userIndex = new Map<string, number>();
  const histories = new Map<string, string[]>();
  for (const e of [...events].sort((a, b) => a.ts - b.ts)) histories.set(e.userId, [...(histories.get(e.userId) ?? []), e.itemId]);
  const clickstream = events.map((e, n) => {
    const u = userIndex.get(e.userId) ?? userIndex.set(e.userId, userIndex.size).get(e.userId)!;
    const tsMs = now - 21 * DAY + Math.min(e.ts, 400) * 3_600_000 + (u % 1440) * 60_000;
    return { key: e.userId, value: Buffer.from(JSON.stringify({ event_id: `ev-${n}`, user_id: e.userId, item_id: e.itemId, action: 'purchase', ts_ms: tsMs })) };
  });
  const titled = items.find((i) => i.title && i.title.length > 20)!;
  const newItem = { item_id: 'brand-new-titled-item', title: `${titled.title} (new edition)`, category_path: titled.category ? [titled.category] : [], brand: titled.brand ?? '', in_stock: true };
  const view = { title: new Map(items.map((i) => [i.itemId, i.title ?? ''])), category: new Map(items.map((i) => [i.itemId, i.category])), histories };
  return { catalog, clickstream, users: [...userIndex.keys()], probe: { itemId: titled.itemId, newItem }, view };
}

/** Mean Jaccard overlap of the top-10 lists of random pairs of users: near 1 when everyone gets the same list. */
async function meanPairOverlap(gateway: RecommendationStack, users: readonly string[], pairs = 30): Promise<number> {
  const random = mulberry32(3);
  let total = 0;
  for (let p = 0; p < pairs; p++) {
    const [a, b] = [users[Math.floor(random() * users.length)], users[Math.floor(random() * users.length)]];
    const [x, y] = await Promise.all([a, b].map(async (u) => new Set((await gateway.call('recommend', { userId: u, k: 10 })).items.map((i) => i.itemId))));
    const union = new Set([...x, ...y]).size;
    total += union === 0 ? 1 : [...x].filter((i) => y.has(i)).length / union;
  }
  return total / pairs;
}

interface TrainingRun {
  status: string;
  reason: string;
  candidateVersion: string | null;
  details: {
    candidate?: { ndcgAt10: number; catalogCoverage: number };
    current?: { ndcgAt10: number; catalogCoverage: number };
    bundles?: { status: string; version?: string; orders?: number; weights?: Record<string, number> };
  };
}

/** Asks the trainer to retrain now and waits for the run to end. */
async function retrain(adminUrl: string): Promise<TrainingRun> {
  expect((await fetch(`${adminUrl}/v1/admin/retrain`, { method: 'POST' })).status).toBe(202);
  return until('training run finished', async () => {
    const [run] = (await (await fetch(`${adminUrl}/v1/admin/training-runs`)).json()) as TrainingRun[];
    return run && run.status !== 'running' ? run : undefined;
  }, 15 * 60_000);
}

/** The loop's checks, whichever profile carries the shop. */
async function checkLearningLoop(gateway: RecommendationStack, adminUrl: string, modelsDir: string, data: ShopData, publishCatalog: (records: ShopData['catalog']) => Promise<void>): Promise<TrainingRun> {
  const demoOverlap = await meanPairOverlap(gateway, data.users);
  const run = await retrain(adminUrl);
  console.info(`real shop: run ${JSON.stringify({ status: run.status, reason: run.reason, candidate: run.details.candidate, current: run.details.current, bundles: run.details.bundles })}`);
  expect(run).toMatchObject({ status: 'promoted', candidateVersion: expect.stringMatching(/^shop-/) });
  expect(run.details.current?.catalogCoverage).toBe(0);
  expect(run.details.candidate!.catalogCoverage).toBeGreaterThan(0.5);
  expect(run.details.candidate!.ndcgAt10).toBeGreaterThan(0);
  // The bundle weights were refit from the shop's orders in the same run.
  expect(run.details.bundles).toMatchObject({ status: 'fitted', version: `bundles-${run.candidateVersion}` });

  // The scorer hot-loads the promoted version; answers become personal.
  await until('scorer serving the candidate', async () => ((await gateway.call('recommend', { userId: data.users[0], k: 5 })).modelVersion === run.candidateVersion ? true : undefined), 60_000);
  const shopOverlap = await meanPairOverlap(gateway, data.users);
  console.info(`real shop: mean top-10 Jaccard overlap of random user pairs: demo model ${demoOverlap.toFixed(3)}, shop model ${shopOverlap.toFixed(3)}`);
  expect(shopOverlap).toBeLessThan(0.2);
  expect(shopOverlap).toBeLessThan(demoOverlap);

  // Reasons true for each item on the shop's own data (issue 14): most name a history item related to
  // the recommended one, and more of them than the old rule's "Because you viewed <last item>" would.
  const { audit, oldRule } = await auditServedReasons(gateway, path.join(modelsDir, run.candidateVersion!), data.view, 60);
  const share = (a: number, b: number) => a / Math.max(1, b);
  console.info(`real shop: reasons ${JSON.stringify(audit)}; named ${share(audit.named, audit.personalItems).toFixed(3)} of personal items, related ${share(audit.related, audit.named).toFixed(3)} of named (old rule ${share(oldRule.related, oldRule.named).toFixed(3)}), answers mostly related ${share(audit.answersMostlyRelated, audit.answersNaming).toFixed(3)}`);
  expect(audit.answers).toBeGreaterThanOrEqual(50);
  expect(share(audit.named, audit.personalItems)).toBeGreaterThan(0.5);
  expect(share(audit.answersMostlyRelated, audit.answersNaming)).toBeGreaterThan(0.5);
  expect(share(audit.related, audit.named)).toBeGreaterThan(share(oldRule.related, oldRule.named));
  expect(audit.diverseAnswersOneReason).toBeLessThan(oldRule.diverseAnswersOneReason);

  // A brand-new titled item is answerable from its text alone, next to the item it resembles, without retraining.
  await publishCatalog([{ key: String(data.probe.newItem.item_id), value: Buffer.from(JSON.stringify({ event_id: 'cat-new', ts_ms: Date.now(), upsert: data.probe.newItem })) }]);
  const similar = await until('new item answerable', async () => {
    const answer = await gateway.call('similarItems', { itemId: String(data.probe.newItem.item_id), k: 100 });
    return answer.items.length > 0 ? answer : undefined;
  }, 30_000);
  const rank = similar.items.findIndex((i) => i.itemId === data.probe.itemId) + 1;
  console.info(`real shop: the item the new one resembles ranks ${rank || '>100'} of ${similar.items.length} among its similar items (${similar.items[0].reasonCode})`);
  expect(similar.items.every((i) => i.reason.length > 0)).toBe(true);
  expect(rank).toBeGreaterThan(0);
  expect(similar.modelVersion).toBe(run.candidateVersion);
  return run;
}

describe('a real shop learns its own model (Amazon Industrial & Scientific)', () => {
  beforeAll(() => {
    // CI's model step builds the venv first; without it this test cannot train and says so.
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run tools/model/setup-venv.sh (CI's model step does)`);
  });

  it('on Kafka + MariaDB: ingest, feature-builder, scorer, gateway and trainer as separate processes', async () => {
    const data = await shopData();
    const scenario = await IngestScenario.create();
    let gateway: RecommendationStack | undefined;
    try {
      await produce(scenario.kafka, scenario.topics.catalogRaw, data.catalog);
      await produce(scenario.kafka, scenario.topics.clickstreamRaw, data.clickstream);
      await scenario.startIngest();
      await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT');
      await scenario.waitForStored(data.clickstream.length, 300_000);
      const scorerGrpc = await freePort();
      const gatewayGrpc = await freePort();
      const scorer = await scenario.startService('scorer', 'SCORER_PORT', { SCORER_GRPC_PORT: String(scorerGrpc), SCORER_PREFER_CUDA: 'false', SCORER_MODEL_POLL_SECONDS: '1' });
      // On the demo model the whole real catalog is new: wait for its text pass, so the demo's figures are its own, not a busy scorer's.
      await until('cold catalog scored', async () => (/scored from their text and category at start/.test(scorer.logs) ? true : undefined), 600_000);
      await scenario.startService('gateway', 'GATEWAY_HTTP_PORT', { GATEWAY_GRPC_PORT: String(gatewayGrpc), SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: '' });
      const modelsDir = path.join(ROOT, 'tmp', `models-${gatewayGrpc}`);
      const trainer = await scenario.startService('trainer', 'TRAINER_PORT', { ...TRAINER_ENV, TRAINER_WORK_DIR: path.join(ROOT, 'tmp', `trainer-${gatewayGrpc}`), TRAINER_MODELS_DIR: modelsDir });
      gateway = gatewayClient(`127.0.0.1:${gatewayGrpc}`);
      await checkLearningLoop(gateway, `http://127.0.0.1:${trainer.port}`, modelsDir, data, (records) => produce(scenario.kafka, scenario.topics.catalogRaw, records));
    } finally {
      gateway?.close();
      await scenario.close();
    }
  }, 20 * 60_000);

  it('on the embedded default: everything in the one process npm start runs', async () => {
    const data = await shopData();
    const port = await freePort();
    const grpcPort = await freePort();
    const modelsDir = path.join(ROOT, 'tmp', `models-${port}`);
    const app = ServiceProcess.start('standalone', port, {
      ...TRAINER_ENV, PORT: String(port), GATEWAY_GRPC_PORT: String(grpcPort), RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false',
      SCORER_PREFER_CUDA: 'false', SCORER_MODEL_POLL_SECONDS: '1', BUNDLER_REFRESH_SECONDS: '1', TRAINER_WORK_DIR: path.join(ROOT, 'tmp', `trainer-${port}`), TRAINER_MODELS_DIR: modelsDir,
    });
    const gateway = gatewayClient(`127.0.0.1:${grpcPort}`);
    try {
      await app.waitReady(120_000);
      const post = async (kind: 'catalog' | 'clickstream', records: ReadonlyArray<{ value: Buffer }>) => {
        for (let i = 0; i < records.length; i += 64) {
          await Promise.all(records.slice(i, i + 64).map(async (r) => {
            const res = await fetch(`http://127.0.0.1:${port}/v1/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: r.value });
            if (res.status !== 202) throw new Error(`POST /v1/${kind} answered ${res.status}`);
          }));
        }
      };
      // The clickstream as a shop's server-side forwarder sends it: NDJSON batches of the shop's own events and ids.
      const postBatches = async (records: ReadonlyArray<{ value: Buffer }>) => {
        for (let i = 0; i < records.length; i += 500) {
          const res = await fetch(`http://127.0.0.1:${port}/v1/clickstream`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: records.slice(i, i + 500).map((r) => r.value.toString()).join('\n') });
          if (res.status !== 202) throw new Error(`POST /v1/clickstream (NDJSON) answered ${res.status}: ${await res.text()}`);
        }
      };
      await post('catalog', data.catalog);
      await postBatches(data.clickstream);
      // Every event stored (a few catalog items with over-long fields are dead-lettered, as ingest should).
      const accepted = async () => Number(/recmesh_ingest_events_accepted_total\{stream="clickstream"[^}]*\} (\d+)/.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1] ?? 0);
      await until('shop taken in', async () => ((await accepted()) >= data.clickstream.length ? true : undefined), 300_000);
      await until('cold catalog scored', async () => (/scored from their text and category/.test(app.logs) ? true : undefined), 600_000);
      const run = await checkLearningLoop(gateway, `http://127.0.0.1:${port}`, modelsDir, data, (records) => post('catalog', records));
      // The bundler follows the promoted version's own bundle weights, and bundles the shop's items with them.
      const refit = new RegExp(`recmesh_bundler_model_info\\{bundle_model_version="bundles-${run.candidateVersion}"[^}]*\\} 1`);
      await until('bundler on the refit weights', async () => (refit.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()) ? true : undefined), 30_000);
      const bundle = await gateway.bundle({ userId: data.users[0], anchorItemIds: [data.probe.itemId], size: 3, count: 3 });
      expect(bundle.bundles.length).toBeGreaterThan(0);
      expect(bundle.bundles.every((b) => b.items.some((i) => i.role === 'anchor' && i.item.itemId === data.probe.itemId) && b.reason.length > 0)).toBe(true);
    } finally {
      gateway.close();
      await app.stop();
    }
  }, 20 * 60_000);
});

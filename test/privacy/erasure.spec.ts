import { create } from '@bufbuild/protobuf';
import { ArmSchema, ArmStrategy, createGrpcClient, ExperimentSchema, ExperimentService, PrivacyService } from '@recmesh/contracts';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { randomUUID } from 'crypto';
import * as path from 'path';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from '../support/kafka-io';
import { gatewayClient, publishCatalog, RecommendationStack } from '../support/recommendation-stack';
import { freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';

const DEMO_MODEL = path.resolve(__dirname, '../../tools/model/demo-model');
const USER_TABLES = ['clickstream_events', 'user_sequences', 'feedback_served_lists', 'feedback_served_items', 'feedback_attributed_actions', 'feedback_pending_actions', 'experiment_units'] as const;

/**
 * Erasure end to end, each service its own process on Kafka + MariaDB: a shopper reaches every
 * table through the real paths (events through ingest, features, a served list in an experiment,
 * an attributed click, a click still waiting for its list), EraseUser on the feedback service's
 * admin API removes them, and a scan of every text column of every table finds the id nowhere.
 */
describe('EraseUser on a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  let gateway: RecommendationStack | undefined;
  let privacy: ReturnType<typeof createGrpcClient<typeof PrivacyService>> | undefined;
  let experiments: ReturnType<typeof createGrpcClient<typeof ExperimentService>> | undefined;
  afterAll(async () => {
    gateway?.close();
    privacy?.close();
    experiments?.close();
    await scenario?.close();
  });

  /** Rows naming `needle` in any text column of any table of the scenario's database. */
  async function scanEveryTable(needle: string): Promise<string[]> {
    const columns = await scenario.db.query<{ table_name: string; column_name: string }>(
      "SELECT table_name AS table_name, column_name AS column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND data_type IN ('char', 'varchar', 'text', 'mediumtext', 'longtext', 'json')",
    );
    const hits: string[] = [];
    for (const { table_name, column_name } of columns) {
      const [row] = await scenario.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${table_name}\` WHERE \`${column_name}\` LIKE ?`, [`%${needle}%`]);
      if (Number(row.n) > 0) hits.push(`${table_name}.${column_name}: ${row.n}`);
    }
    return hits;
  }

  const rowsOf = async (userId: string) => {
    const out: Record<string, number> = {};
    for (const table of USER_TABLES) {
      const column = table === 'experiment_units' ? 'unit_id' : 'user_id';
      out[table] = Number((await scenario.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [userId]))[0].n);
    }
    return out;
  };

  it('removes a shopper seeded through every path from every table; later events start a fresh shopper', async () => {
    scenario = await IngestScenario.create();
    const shop = generateSyntheticShop({ seed: 7, items: 200, users: 30 });
    const now = Date.now();
    await publishCatalog(scenario, shop.items, [], now - 60_000);
    // Other shoppers' history, so both arms (the model, the popularity baseline) have items to rank.
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, shop.events.slice(0, 300).map((e) => ({ key: e.userId, value: Buffer.from(JSON.stringify({ event_id: randomUUID(), user_id: e.userId, item_id: e.itemId, action: e.action, ts_ms: now - 50_000 })) })));
    await scenario.startIngest();
    await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT');
    const [scorerGrpc, gatewayGrpc, experimentsGrpc, privacyGrpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    await scenario.startService('scorer', 'SCORER_PORT', { SCORER_GRPC_PORT: String(scorerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, SCORER_PREFER_CUDA: 'false' });
    const feedback: ServiceProcess = await scenario.startService('feedback', 'FEEDBACK_PORT', { EXPERIMENTS_GRPC_PORT: String(experimentsGrpc), PRIVACY_GRPC_PORT: String(privacyGrpc), FEEDBACK_SWEEP_SECONDS: '1' });
    await scenario.startService('gateway', 'GATEWAY_HTTP_PORT', {
      GATEWAY_GRPC_PORT: String(gatewayGrpc), SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: '', EXPERIMENTS_ADDRESS: `127.0.0.1:${experimentsGrpc}`, GATEWAY_EXPERIMENTS_REFRESH_SECONDS: '1',
    });
    gateway = gatewayClient(`127.0.0.1:${gatewayGrpc}`);
    privacy = createGrpcClient(PrivacyService, `127.0.0.1:${privacyGrpc}`);
    experiments = createGrpcClient(ExperimentService, `127.0.0.1:${experimentsGrpc}`);
    await experiments.createExperiment({
      experiment: create(ExperimentSchema, {
        name: 'erasure-check', surfaces: ['recommend'], controlArm: 'control',
        arms: [create(ArmSchema, { name: 'control', trafficShare: 0.5, strategy: ArmStrategy.SERVING_MODEL }), create(ArmSchema, { name: 'popular', trafficShare: 0.5, strategy: ArmStrategy.POPULARITY })],
      }),
    });

    const shopper = `erase-me-${randomUUID().slice(0, 8)}`;
    const other = `keep-me-${randomUUID().slice(0, 8)}`;
    // Event ids are the shop's opaque ids: the claims of applied events keep them (README, Security and privacy).
    const event = (userId: string, fields: Record<string, unknown>) => ({ key: userId, value: Buffer.from(JSON.stringify({ event_id: randomUUID(), user_id: userId, ts_ms: Date.now(), ...fields })) });
    const history = shop.items.slice(0, 3).map((item) => item.itemId);
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, [shopper, other].flatMap((u) => history.map((itemId) => event(u, { item_id: itemId, action: 'view' }))));
    await until('both shoppers have a sequence', async () => (Number((await scenario.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM user_sequences WHERE user_id IN (?, ?)', [shopper, other]))[0].n) === 2 ? true : undefined), 60_000);
    await until('the gateway assigns experiment users', async () => (/recmesh_gateway_experiments_running\{[^}]*\} 1/.test(await (await fetch(`http://127.0.0.1:${scenario.services.at(-1)!.port}/metrics`)).text()) ? true : undefined), 30_000);

    for (const userId of [shopper, other]) {
      const answer = await gateway.call('recommend', { userId, k: 5 });
      await produce(scenario.kafka, scenario.topics.clickstreamRaw, [
        event(userId, { item_id: answer.items[0].itemId, action: 'click', rec_id: answer.recId }),
        // Its list never comes: it waits in the pending table.
        event(userId, { item_id: answer.items[1].itemId, action: 'click', rec_id: `rec-never-${randomUUID()}` }),
      ]);
    }
    // Three views and two clicks; one list of five items in the experiment; one click attributed, one waiting.
    const seeded = { clickstream_events: 5, user_sequences: 1, feedback_served_lists: 1, feedback_served_items: 5, feedback_attributed_actions: 1, feedback_pending_actions: 1, experiment_units: 1 };
    let last = {};
    await until('the shopper is in every table', async () => {
      last = await rowsOf(shopper);
      return JSON.stringify(last) === JSON.stringify(seeded) ? true : undefined;
    }, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: last ${JSON.stringify(last)}`);
    });
    expect(await scanEveryTable(shopper)).not.toEqual([]);

    const answer = await privacy.eraseUser({ userId: shopper });
    const erased = Object.fromEntries(answer.tables.map((t) => [t.table, Number(t.rows)]));
    expect(erased).toEqual(seeded);
    expect(Number(answer.rowsErased)).toBe(Object.values(seeded).reduce((a, b) => a + b, 0));
    expect(await scanEveryTable(shopper)).toEqual([]);
    expect(Object.values(await rowsOf(other)).every((n) => n > 0)).toBe(true);
    // The command went round: the privacy worker read it (a second, idempotent pass).
    await until('the erasure command carried out', async () => (/recmesh_privacy_erasures_total\{[^}]*source="command"[^}]*\} 1\b/.test(await (await fetch(`http://127.0.0.1:${feedback.port}/metrics`)).text()) ? true : undefined), 30_000);
    expect(await scanEveryTable(shopper)).toEqual([]);
    expect(Number((await privacy.eraseUser({ userId: shopper })).rowsErased)).toBe(0);

    // A later event for the id starts a fresh shopper.
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, [event(shopper, { item_id: shop.items[9].itemId, action: 'view' })]);
    const steps = await until('a fresh sequence', async () => {
      const [row] = await scenario.db.query<{ steps: string }>('SELECT steps FROM user_sequences WHERE user_id = ?', [shopper]);
      return row ? (JSON.parse(row.steps) as Array<{ i: string }>) : undefined;
    }, 60_000);
    expect(steps.map((s) => s.i)).toEqual([shop.items[9].itemId]);

    await expect(privacy.eraseUser({ userId: '' })).rejects.toMatchObject({ code: 3 });
  }, 240_000);
});

import { status } from '@grpc/grpc-js';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import * as path from 'path';
import { IngestScenario } from '../ingest/ingest-scenario';
import { gatewayClient, publishCatalog, RecommendationStack } from '../support/recommendation-stack';
import { freePort, ServiceProcess } from '../support/service-process';
import { FAULT_CODES, StorefrontCalls } from '../support/storefront-calls';
import { until } from '../support/until';

const DEMO_MODEL = path.resolve(__dirname, '../../tools/model/demo-model');

/**
 * SIGKILL of the scorer, then of the bundler, then of the gateway, under a steady stream of
 * storefront calls, each service its own process on Kafka + MariaDB. While one is down the calls
 * that need it fail with UNAVAILABLE or DEADLINE_EXCEEDED (nothing else, no crash of the others);
 * once it is started again (what an orchestrator does), the gateway reconnects by itself and every
 * call succeeds again.
 */
describe('SIGKILL of serving processes under load', () => {
  let scenario: IngestScenario;
  let client: RecommendationStack | undefined;
  let calls: StorefrontCalls | undefined;
  afterAll(async () => {
    await calls?.stop();
    client?.close();
    await scenario?.close();
  });

  it('answers UNAVAILABLE or DEADLINE_EXCEEDED while a process is down, and recovers when it is back', async () => {
    scenario = await IngestScenario.create();
    const shop = generateSyntheticShop({ seed: 5, items: 150, users: 20 });
    await publishCatalog(scenario, shop.items, [], Date.now() - 60_000);
    await scenario.startIngest();
    await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT');
    const [scorerGrpc, bundlerGrpc, gatewayGrpc] = await Promise.all([freePort(), freePort(), freePort()]);
    const scorerEnv = { SCORER_GRPC_PORT: String(scorerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, SCORER_PREFER_CUDA: 'false' };
    const bundlerEnv = { BUNDLER_GRPC_PORT: String(bundlerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, BUNDLER_MODEL_FILE: path.join(DEMO_MODEL, 'bundle-model.json'), SCORER_PREFER_CUDA: 'false' };
    const gatewayEnv = { GATEWAY_GRPC_PORT: String(gatewayGrpc), SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: `127.0.0.1:${bundlerGrpc}`, GATEWAY_DEFAULT_DEADLINE_MS: '1500' };
    const start = (app: 'scorer' | 'bundler' | 'gateway') =>
      app === 'scorer' ? scenario.startService('scorer', 'SCORER_PORT', scorerEnv) : app === 'bundler' ? scenario.startService('bundler', 'BUNDLER_PORT', bundlerEnv) : scenario.startService('gateway', 'GATEWAY_HTTP_PORT', gatewayEnv);
    const running: Record<string, ServiceProcess> = { scorer: await start('scorer'), bundler: await start('bundler'), gateway: await start('gateway') };
    client = gatewayClient(`127.0.0.1:${gatewayGrpc}`);
    const anchor = shop.items.find((i) => i.categoryPath.join('/').toLowerCase().includes('phone'))?.itemId ?? shop.items[0].itemId;

    // A storefront's steady calls: recommendations and bundles, one every 50 ms.
    calls = new StorefrontCalls(client, anchor);
    calls.start();
    const log = (since: number) => calls!.since(since).map((o) => `${o.method}:${status[o.code] ?? o.code}`).slice(-12).join(' ');
    await until('both kinds of call succeed', async () => (calls!.succeedingSince(0, 5) ? true : undefined), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${log(0)}`);
    });

    for (const victim of ['scorer', 'bundler', 'gateway'] as const) {
      const killedAt = Date.now();
      running[victim].kill('SIGKILL');
      await running[victim].exited;
      await new Promise((r) => setTimeout(r, 3000));
      const during = calls.since(killedAt).filter((o) => victim === 'gateway' || (victim === 'scorer' ? o.method === 'recommend' : o.method === 'bundle'));
      expect(during.length).toBeGreaterThan(0);
      // While it is down, its calls fail as an outage, never as a bug (INTERNAL) and never by hanging.
      expect(during.filter((o) => o.code !== status.OK && !FAULT_CODES.has(o.code)).map((o) => `${o.method} ${status[o.code] ?? o.code}`)).toEqual([]);
      expect(during.some((o) => FAULT_CODES.has(o.code))).toBe(true);
      // The rest of the stack stayed up.
      for (const [name, s] of Object.entries(running)) if (name !== victim) expect(s.alive).toBe(true);
      running[victim] = await start(victim);
      const back = Date.now();
      await until(`${victim} back: every kind of call succeeds again`, async () => (calls!.succeedingSince(back) ? true : undefined), 60_000).catch((error: Error) => {
        throw new Error(`${error.message}: since restart ${log(back)}`);
      });
    }
    await calls.stop();
  }, 420_000);
});

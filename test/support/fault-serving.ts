import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import * as path from 'path';
import { FaultPipeline, FaultSteps } from './fault-pipeline';
import { gatewayClient, publishCatalog, RecommendationStack } from './recommendation-stack';
import { freePort } from './service-process';
import { StorefrontCalls } from './storefront-calls';
import { until } from './until';

const DEMO_MODEL = path.resolve(__dirname, '../../tools/model/demo-model');

export type ServingApp = 'scorer' | 'bundler' | 'gateway';

/** Scorer (demo model), bundler and gateway on a fault pipeline's topics and database, with a storefront calling the gateway. */
export class FaultServing {
  private constructor(
    private readonly pipeline: FaultPipeline,
    private readonly client: RecommendationStack,
    readonly calls: StorefrontCalls,
    private readonly envs: Record<ServingApp, Record<string, string>>,
  ) {}

  static async attach(pipeline: FaultPipeline): Promise<FaultServing> {
    const shop = generateSyntheticShop({ seed: 5, items: 150, users: 20 });
    await publishCatalog(pipeline, shop.items, [], Date.now() - 60_000);
    const [scorerGrpc, bundlerGrpc, gatewayGrpc] = await Promise.all([freePort(), freePort(), freePort()]);
    const envs: Record<ServingApp, Record<string, string>> = {
      scorer: { SCORER_GRPC_PORT: String(scorerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, SCORER_PREFER_CUDA: 'false' },
      bundler: { BUNDLER_GRPC_PORT: String(bundlerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, BUNDLER_MODEL_FILE: path.join(DEMO_MODEL, 'bundle-model.json'), SCORER_PREFER_CUDA: 'false' },
      gateway: { GATEWAY_GRPC_PORT: String(gatewayGrpc), SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: `127.0.0.1:${bundlerGrpc}`, GATEWAY_DEFAULT_DEADLINE_MS: '1500' },
    };
    const client = gatewayClient(`127.0.0.1:${gatewayGrpc}`);
    const anchor = shop.items.find((i) => i.categoryPath.join('/').toLowerCase().includes('phone'))?.itemId ?? shop.items[0].itemId;
    const serving = new FaultServing(pipeline, client, new StorefrontCalls(client, anchor), envs);
    for (const app of ['scorer', 'bundler', 'gateway'] as const) await serving.start(app);
    serving.calls.start();
    await until('both kinds of call succeed', async () => (serving.calls.succeedingSince(0, 5) ? true : undefined), 120_000);
    return serving;
  }

  async start(app: ServingApp): Promise<void> {
    const portVariable = { scorer: 'SCORER_PORT', bundler: 'BUNDLER_PORT', gateway: 'GATEWAY_HTTP_PORT' }[app];
    await this.pipeline.startService(app, portVariable, this.envs[app]);
  }

  /** SIGKILL of `app` and a new process; recovered once both kinds of call succeed again. */
  killAndRestart(app: ServingApp, minAwayMs: number): FaultSteps {
    return { ...this.pipeline.killAndRun([app], () => this.start(app)), minAwayMs, recovered: (since) => this.calls.succeedingSince(since) };
  }

  async close(): Promise<void> {
    await this.calls.stop();
    this.client.close();
  }
}

import * as net from 'net';
import * as grpc from '@grpc/grpc-js';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createGrpcClient, RecommendationService, ScorerService } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { createMetricsRegistry } from '@recmesh/observability';
import { ConfigError, loadConfig } from '@recmesh/service-config';
import { InternalGrpcServer } from '@recmesh/serving-core';
import { serviceRootModule } from '@recmesh/service-runtime';
import { GatewayAddressesConfigSchema, remoteServingBackends } from './gateway-backends';
import { GatewayConfigSchema } from './gateway.config';
import { GatewayLifecycle, GatewayModule } from './gateway.module';

const schema = { ...GatewayConfigSchema, ...GatewayAddressesConfigSchema };

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface ReadyAnswer {
  readonly status: number;
  readonly body: { ready: boolean; checks: Record<string, { ok: boolean }> };
}

async function readyWithin(url: string, ms: number): Promise<ReadyAnswer> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await fetch(url);
    const answer: ReadyAnswer = { status: res.status, body: (await res.json()) as ReadyAnswer['body'] };
    if (answer.status === 200 || Date.now() > until) return answer;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a gateway of its own, with and without a bundler', () => {
  it('reads BUNDLER_ADDRESS= (empty, or blank) as "no bundler", unset as the default, and refuses a malformed address', () => {
    expect(loadConfig(schema, { BUNDLER_ADDRESS: '' }).BUNDLER_ADDRESS).toBe('');
    expect(loadConfig(schema, { BUNDLER_ADDRESS: '  ' }).BUNDLER_ADDRESS).toBe('');
    expect(loadConfig(schema, {}).BUNDLER_ADDRESS).toBe('127.0.0.1:50053');
    expect(() => loadConfig(schema, { BUNDLER_ADDRESS: 'bundler' })).toThrow(ConfigError);
  });

  let scorer: InternalGrpcServer;
  let scorerAddress: string;
  beforeAll(async () => {
    scorer = new InternalGrpcServer('scorer').add(ScorerService, { score: async () => ({ modelVersion: 'm-1' }), scoreSimilar: async () => ({ modelVersion: 'm-1' }) });
    scorerAddress = `127.0.0.1:${await scorer.start(0, '127.0.0.1')}`;
  });
  afterAll(() => scorer.stop(100));

  async function startGateway(env: Record<string, string>): Promise<{ app: INestApplication; http: string; port: number }> {
    const config = loadConfig(schema, { GATEWAY_GRPC_PORT: '0', SCORER_ADDRESS: scorerAddress, ...env });
    const bus = new InMemoryMessageBus();
    const root = serviceRootModule(
      { infra: { profile: 'embedded', bus, close: () => bus.close() }, registry: createMetricsRegistry('gateway') },
      remoteServingBackends(config),
      GatewayModule.register(config, { grpcHost: '127.0.0.1', shutdownGraceMs: 100 }),
    );
    const app = await NestFactory.create(root, { logger: false });
    await app.listen(0, '127.0.0.1');
    return { app, http: await app.getUrl(), port: app.get(GatewayLifecycle).server.port! };
  }

  it('with BUNDLER_ADDRESS= is ready without a bundler, and Bundle answers UNIMPLEMENTED naming the setting', async () => {
    const { app, http, port } = await startGateway({ BUNDLER_ADDRESS: '' });
    const client = createGrpcClient(RecommendationService, `127.0.0.1:${port}`);
    try {
      const ready = await readyWithin(`${http}/ready`, 5000);
      expect(ready).toEqual({ status: 200, body: { ready: true, checks: { grpc: { ok: true }, backend: { ok: true }, bus: { ok: true } } } });
      await expect(client.bundle({ userId: 'u-1', anchorItemIds: ['sku-1'], size: 2, count: 1 })).rejects.toMatchObject({
        code: grpc.status.UNIMPLEMENTED,
        details: 'this gateway has no bundler configured (BUNDLER_ADDRESS)',
      });
      expect((await client.recommend({ userId: 'u-1', k: 1 })).modelVersion).toBe('m-1');
    } finally {
      client.close();
      await app.close();
    }
  });

  it('with a bundler address that does not answer, waits for it: /ready names the bundler check', async () => {
    const { app, http } = await startGateway({ BUNDLER_ADDRESS: `127.0.0.1:${await deadPort()}` });
    try {
      const ready = await readyWithin(`${http}/ready`, 1000);
      expect(ready.status).toBe(503);
      expect(ready.body.checks['bundler']).toEqual({ ok: false });
    } finally {
      await app.close();
    }
  });
});

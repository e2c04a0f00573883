import * as grpc from '@grpc/grpc-js';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { resolveTopicNames } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { loadConfig } from '@recmesh/service-config';
import { GatewayConfigSchema } from './gateway.config';
import { loadGatewayPackageDefinition } from '@recmesh/contracts/testing';
import { GatewayLifecycle, GatewayModule } from './gateway.module';
import { RecommendationBackend, ServingBackendsModule } from '@recmesh/serving-core';
import { createMetricsRegistry } from '@recmesh/observability';
import { serviceRootModule } from '@recmesh/service-runtime';

describe('GatewayModule', () => {
  it('reads its configuration with defaults and refuses bad values', () => {
    expect(loadConfig(GatewayConfigSchema, {})).toMatchObject({ GATEWAY_GRPC_PORT: 50051, GATEWAY_HTTP_PORT: 3006, GATEWAY_MAX_IN_FLIGHT: 256, GATEWAY_DEFAULT_DEADLINE_MS: 2000 });
    expect(() => loadConfig(GatewayConfigSchema, { GATEWAY_MAX_IN_FLIGHT: '0', GATEWAY_GRPC_PORT: 'x' })).toThrow(/GATEWAY_GRPC_PORT="x" is not an integer[\s\S]*GATEWAY_MAX_IN_FLIGHT=0 is below the minimum 1/);
  });

  it('serves gRPC and /ready /metrics for the life of the Nest app, and closes owned infrastructure on shutdown', async () => {
    const config = loadConfig(GatewayConfigSchema, { GATEWAY_GRPC_PORT: '0', RECMESH_TOPIC_PREFIX: 'mod.' });
    const bus = new InMemoryMessageBus();
    const closed = jest.fn(async () => bus.close());
    let ready = true;
    const backend: RecommendationBackend = {
      recommend: async () => ({ modelVersion: 'm-1', items: [{ itemId: 'sku-1', score: 1, reason: 'Trending now', reasonCode: 'trending' }] }),
      similarItems: async () => ({ modelVersion: 'm-1', items: [] }),
      isReady: () => ready,
    };
    const root = serviceRootModule(
      { infra: { profile: 'embedded', bus, close: closed }, registry: createMetricsRegistry('gateway') },
      ServingBackendsModule.forRoot({ recommendation: { useValue: backend } }),
      GatewayModule.register(config, { grpcHost: '127.0.0.1' }),
    );
    const app: INestApplication = await NestFactory.create(root, { logger: false });
    await app.listen(0, '127.0.0.1');
    const http = await app.getUrl();
    const port = app.get(GatewayLifecycle).server.port!;
    const loaded = grpc.loadPackageDefinition(loadGatewayPackageDefinition()) as unknown as { recmesh: { gateway: { v1: { RecommendationService: grpc.ServiceClientConstructor } } } };
    const client = new loaded.recmesh.gateway.v1.RecommendationService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const ok = await fetch(`${http}/ready`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ready: true, checks: { grpc: { ok: true }, backend: { ok: true }, bus: { ok: true } } });
      ready = false;
      expect((await fetch(`${http}/ready`)).status).toBe(503);
      ready = true;

      const response = await new Promise<{ recId: string }>((resolve, reject) =>
        (client as unknown as { Recommend: (r: object, cb: (e: Error | null, r: { recId: string }) => void) => void }).Recommend({ userId: 'u-1' }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      await app.get(GatewayLifecycle).server.flushPublishes();
      // The module created the served topic (with the configured prefix) before serving.
      expect(bus.read(resolveTopicNames('mod.').recommendationsServed).length).toBe(1);
      expect(response.recId).toBeTruthy();
      expect(await (await fetch(`${http}/metrics`)).text()).toContain('recmesh_gateway_requests_total{method="Recommend",code="OK",service="gateway"} 1');
    } finally {
      client.close();
      await app.close();
    }
    expect(closed).toHaveBeenCalledTimes(1);
    expect(app.get(GatewayLifecycle).server.healthStatus()).toBe('NOT_SERVING');
  });
});

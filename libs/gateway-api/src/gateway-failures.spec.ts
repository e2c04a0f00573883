import * as net from 'net';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { createGrpcClient, RecommendationService, resolveTopicNames } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { DeadlineExceededError, RecommendationBackend } from '@recmesh/serving-core';
import { Registry } from 'prom-client';
import { GatewayGrpcServer } from './gateway-grpc-server';
import { GatewayMetrics } from './gateway-metrics';
import { BundlerGrpcBackend, ScorerGrpcBackend } from './remote-backends';

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startGateway(backend: RecommendationBackend, bundles?: BundlerGrpcBackend, defaultDeadlineMs = 2000) {
  const bus = new InMemoryMessageBus();
  const topics = resolveTopicNames('spec.');
  await bus.ensureTopics([{ name: topics.recommendationsServed, partitions: 1 }]);
  const server = new GatewayGrpcServer({ backend, bundles, bus, servedTopic: topics.recommendationsServed, metrics: new GatewayMetrics(new Registry()), maxInFlight: 8, defaultDeadlineMs });
  const port = await server.start(0, '127.0.0.1');
  const client = createGrpcClient(RecommendationService, `127.0.0.1:${port}`);
  return { client, stop: async () => (client.close(), await server.stop(100), await bus.close()) };
}

describe('gateway failure statuses', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers DEADLINE_EXCEEDED when the deadline passes in the scoring queue, without logging an error', async () => {
    const backend: RecommendationBackend = {
      recommend: async () => {
        throw new DeadlineExceededError();
      },
      similarItems: async () => ({ items: [], modelVersion: 'm' }),
      isReady: () => true,
    };
    const g = await startGateway(backend);
    try {
      await expect(g.client.recommend({ userId: 'u-1' })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: 'deadline passed before the request was scored' });
      expect(errors).not.toHaveBeenCalled();
    } finally {
      await g.stop();
    }
  });

  it('answers the retriable UNAVAILABLE while the scorer or bundler is down, with one warning line and no stack trace', async () => {
    const scorer = new ScorerGrpcBackend(`127.0.0.1:${await deadPort()}`);
    const bundler = new BundlerGrpcBackend(`127.0.0.1:${await deadPort()}`);
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const g = await startGateway(scorer, bundler);
    try {
      await expect(g.client.recommend({ userId: 'u-1' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringContaining('retry with backoff') });
      await expect(g.client.similarItems({ itemId: 'sku-1' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      await expect(g.client.bundle({ anchorItemIds: ['sku-1'] })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      expect(errors).not.toHaveBeenCalled();
      expect(warnings).toHaveBeenCalledTimes(3);
      expect(warnings.mock.calls.map(([m]) => String(m))).toEqual(expect.arrayContaining([expect.stringMatching(/^Recommend: scorer: UNAVAILABLE /)]));
      expect(warnings.mock.calls.every(([m]) => !String(m).includes('\n    at '))).toBe(true);
    } finally {
      await g.stop();
      scorer.close();
      bundler.close();
    }
  });
  it('answers DEADLINE_EXCEEDED, never INTERNAL, when a downstream runs past the deadline and then fails', async () => {
    // Busy past the deadline, then the store's own timeout: the rejection is handled before the deadline timer can fire.
    const slowThenFailing = async (q: { deadlineMs?: number }): Promise<never> => {
      while (Date.now() < q.deadlineMs! + 20) {
        // a synchronous stretch of work, as a large scoring batch is
      }
      throw new Error('Query inactivity timeout');
    };
    const backend: RecommendationBackend = { recommend: slowThenFailing, similarItems: slowThenFailing, isReady: () => true };
    const g = await startGateway(backend, undefined, 100);
    try {
      await expect(g.client.recommend({ userId: 'u-1' })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      await expect(g.client.similarItems({ itemId: 'sku-1' })).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      expect(errors).not.toHaveBeenCalled();
    } finally {
      await g.stop();
    }
  });

  it('answers UNAVAILABLE, never INTERNAL, when an in-process backend loses its store connection', async () => {
    const lost = async (): Promise<never> => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
    };
    const g = await startGateway({ recommend: lost, similarItems: lost, isReady: () => true });
    try {
      await expect(g.client.recommend({ userId: 'u-1' })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringContaining('ECONNREFUSED') });
      expect(errors).not.toHaveBeenCalled();
    } finally {
      await g.stop();
    }
  });
});

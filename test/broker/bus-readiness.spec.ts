import * as net from 'net';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaMessageBus } from '@recmesh/messaging';
import { createMetricsRegistry } from '@recmesh/observability';
import { serviceRootModule } from '@recmesh/service-runtime';
import { infraEnv } from '../support/infra-env';

interface ReadyAnswer {
  readonly status: number;
  readonly body: { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> };
}

/** A service's runtime (its /ready) on a Kafka bus; the shared broker is never stopped, an unreachable one is an address nobody listens on. */
async function runtimeOn(brokers: string[]): Promise<{ app: INestApplication; ready: () => Promise<ReadyAnswer> }> {
  const bus = new KafkaMessageBus({ brokers, clientId: 'bus-readiness' });
  const app = await NestFactory.create(serviceRootModule({ infra: { profile: 'kafka-mysql', bus, close: () => bus.close() }, registry: createMetricsRegistry('spec') }), { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = `${await app.getUrl()}/ready`;
  const ready = async (): Promise<ReadyAnswer> => {
    const res = await fetch(url);
    return { status: res.status, body: (await res.json()) as ReadyAnswer['body'] };
  };
  return { app, ready };
}

async function unreachableAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

describe('/ready follows the broker', () => {
  it('is 200 with the bus check ok on the real broker', async () => {
    const { app, ready } = await runtimeOn(infraEnv().kafkaBrokers);
    try {
      expect(await ready()).toEqual({ status: 200, body: { ready: true, checks: { bus: { ok: true } } } });
    } finally {
      await app.close();
    }
  });

  it('is 503 with the bus check failing, and why, when the broker cannot be reached', async () => {
    const { app, ready } = await runtimeOn([await unreachableAddress()]);
    try {
      const answer = await ready();
      expect(answer.status).toBe(503);
      expect(answer.body.checks['bus']).toEqual({ ok: false, error: expect.stringMatching(/^broker unreachable: /) });
    } finally {
      await app.close();
    }
  });
});

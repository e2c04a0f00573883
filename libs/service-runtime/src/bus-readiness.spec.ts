import { NestFactory } from '@nestjs/core';
import { BusHealth, InMemoryMessageBus } from '@recmesh/messaging';
import { createMetricsRegistry } from '@recmesh/observability';
import { serviceRootModule } from './service-runtime.module';

describe('/ready and the bus', () => {
  it('answers 503 naming the failed bus check while the broker is unreachable, and 200 once it is back', async () => {
    const bus = new InMemoryMessageBus();
    let health: BusHealth = { ok: true };
    bus.health = async () => health;
    const app = await NestFactory.create(serviceRootModule({ infra: { profile: 'kafka-mysql', bus, close: () => bus.close() }, registry: createMetricsRegistry('spec') }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const ready = async () => {
      const res = await fetch(`${await app.getUrl()}/ready`);
      return { status: res.status, body: await res.json() };
    };
    try {
      expect(await ready()).toEqual({ status: 200, body: { ready: true, checks: { bus: { ok: true } } } });
      health = { ok: false, reason: 'broker unreachable: connect ECONNREFUSED 10.0.0.7:9092' };
      expect(await ready()).toEqual({ status: 503, body: { ready: false, checks: { bus: { ok: false, error: 'broker unreachable: connect ECONNREFUSED 10.0.0.7:9092' } } } });
      health = { ok: true };
      expect((await ready()).status).toBe(200);
    } finally {
      await app.close();
    }
  });
  it('leaves the bus out of /ready for a service that answers without it (serving, the trainer)', async () => {
    const bus = new InMemoryMessageBus();
    bus.health = async () => ({ ok: false, reason: 'broker unreachable' });
    const app = await NestFactory.create(serviceRootModule({ infra: { profile: 'kafka-mysql', bus, close: () => bus.close() }, registry: createMetricsRegistry('spec'), readyWithoutBus: true }), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const res = await fetch(`${await app.getUrl()}/ready`);
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { ready: true, checks: {} } });
    } finally {
      await app.close();
    }
  });
});

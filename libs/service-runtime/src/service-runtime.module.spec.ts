import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConsumerWorker } from '@recmesh/messaging';
import { createMetricsRegistry } from '@recmesh/observability';
import { Counter } from 'prom-client';
import { consumerServiceProviders } from './consumer-service';
import { Infrastructure, openInfrastructure } from './infrastructure';
import { serviceRootModule } from './service-runtime.module';

const EMBEDDED = { RECMESH_PROFILE: 'embedded', KAFKA_BROKERS: [], MYSQL_URL: 'mysql://unused', EMBEDDED_DB_FILE: '' } as const;

@Module({})
class EchoModule {
  /** A consumer service like ingest: one worker on the process's bus, counting into the process's registry. */
  static register(name: string, events: string[]): DynamicModule {
    return {
      module: EchoModule,
      providers: consumerServiceProviders(name, (infra, registry) => {
        const handled = new Counter({ name: `spec_${name}_handled_total`, help: 'batches', registers: [registry] });
        const worker = new ConsumerWorker({
          name, bus: infra.bus, groupId: name, declare: [{ name: `${name}.in`, partitions: 1 }], consume: [`${name}.in`],
          handler: async () => handled.inc(), maxBatchMessages: 10, partitionsConcurrently: 1,
        });
        const stop = worker.stop.bind(worker);
        worker.stop = async () => {
          await stop();
          events.push(`${name} drained`);
        };
        return [worker];
      }),
    };
  }
}

describe('ServiceRuntimeModule', () => {
  let infra: Infrastructure;
  const events: string[] = [];

  beforeEach(async () => {
    events.length = 0;
    const opened = await openInfrastructure(EMBEDDED, 'spec');
    infra = { ...opened, close: async () => (await opened.close(), void events.push('infrastructure closed')) };
  });

  it('serves /ready with the store check once and the consumers, and closes the infrastructure once, after every service drained', async () => {
    const root = serviceRootModule({ infra, registry: createMetricsRegistry('spec') }, EchoModule.register('a', events), EchoModule.register('b', events));
    const app = await NestFactory.create(root, { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const ready = await fetch(`${await app.getUrl()}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, checks: { bus: { ok: true }, store: { ok: true }, 'consumer:a': { ok: true }, 'consumer:b': { ok: true } } });
      await infra.bus.publish('a.in', [{ key: 'k', value: Buffer.from('x') }]);
      const metrics = async () => (await fetch(`${await app.getUrl()}/metrics`)).text();
      for (let i = 0; i < 100 && !(await metrics()).includes('spec_a_handled_total{service="spec"} 1'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await metrics()).toContain('spec_a_handled_total{service="spec"} 1');
    } finally {
      await app.close();
    }
    expect(events.slice(0, 2).sort()).toEqual(['a drained', 'b drained']);
    expect(events.slice(2)).toEqual(['infrastructure closed']);
    expect(infra.dataSource.isInitialized).toBe(false);
  });
});

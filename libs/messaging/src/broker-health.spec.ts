import * as net from 'net';
import { BrokerHealth } from './broker-health';
import { KafkaMessageBus } from './kafka-message-bus';

describe('BrokerHealth', () => {
  let now = 0;
  const clock = () => now;

  it('follows a broker that goes away and comes back, probing at most once per cache period', async () => {
    let reachable = true;
    const probe = jest.fn(async () => {
      if (!reachable) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
    });
    const health = new BrokerHealth({ probe, cacheMs: 3000, clock });
    expect(await health.check()).toEqual({ ok: true });
    reachable = false;
    now += 1000;
    expect(await health.check()).toEqual({ ok: true }); // cached
    expect(probe).toHaveBeenCalledTimes(1);
    now += 2000;
    expect(await health.check()).toEqual({ ok: false, reason: 'broker unreachable: connect ECONNREFUSED 127.0.0.1:9092' });
    reachable = true;
    now += 3000;
    expect(await health.check()).toEqual({ ok: true });
    expect(probe).toHaveBeenCalledTimes(3);
  });

  it('gives up on a probe that hangs, and shares one probe between concurrent checks', async () => {
    const probe = jest.fn(() => new Promise<void>(() => undefined));
    const health = new BrokerHealth({ probe, timeoutMs: 50, clock });
    const answers = await Promise.all([health.check(), health.check(), health.check()]);
    expect(answers).toEqual(Array(3).fill({ ok: false, reason: 'broker unreachable: no answer within 50 ms' }));
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it('is not ready while a consumer group reports a crash, until it joins its group again', async () => {
    const health = new BrokerHealth({ probe: async () => undefined, clock });
    health.consumerFailed('recmesh-ingest', 'crashed (restarting): Connection timeout');
    health.consumerFailed('recmesh-ingest', 'disconnected');
    expect(await health.check()).toEqual({ ok: false, reason: 'consumer group recmesh-ingest crashed (restarting): Connection timeout' });
    health.consumerRecovered('recmesh-ingest');
    expect(await health.check()).toEqual({ ok: true });
  });
});

describe('KafkaMessageBus health', () => {
  it('is not healthy while its broker cannot be reached, and says so quickly', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const bus = new KafkaMessageBus({ brokers: [`127.0.0.1:${port}`], clientId: 'spec' });
    try {
      const started = Date.now();
      const health = await bus.health();
      expect(health.ok).toBe(false);
      expect(health.ok === false && health.reason).toMatch(/^broker unreachable: /);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await bus.close();
    }
  });
});

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { resolveTopicNames, UserErasureCommandSchema } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import {
  ClickstreamEventEntity,
  ExperimentStore,
  FeedbackStore,
  openStore,
  UserErasureStore,
  UserSequenceEntity,
  UserTables,
} from '@recmesh/persistence';
import { pseudonymizer } from '@recmesh/service-config';
import { ServingError, ServingErrorCode } from '@recmesh/serving-core';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ErasureCommandWorker } from './erasure-command-worker';
import { PrivacyMetrics } from './privacy-metrics';
import { UserEraser } from './user-eraser';

const topics = resolveTopicNames('');
const T0 = 1_765_000_000_000;

/** One user's rows in every table that holds users, as the services write them. */
async function seedUser(ds: DataSource, userId: string, tag: string): Promise<void> {
  await ds.getRepository(ClickstreamEventEntity).insert({
    eventId: `ev-${tag}-1`, userId, sessionId: 's', itemId: 'sku-1', action: 1, quantity: 1, price: null, currency: '', rating: null, tsMs: T0, recId: '', context: null, ingestedAtMs: T0,
  });
  await ds.getRepository(UserSequenceEntity).insert({ userId, steps: [{ i: 'sku-1', a: 1, t: T0 }] as never, updatedTsMs: T0 });
  const feedback = new FeedbackStore(ds);
  await feedback.transaction(async (m) => {
    await feedback.insertServedLists(m, [{ recId: `rec-${tag}`, userId, surface: 'recommend', modelVersion: 'm1', arm: 'A', experiment: 'exp', tsMs: T0, items: [{ itemId: 'sku-2', position: 1 }] }], T0);
    await feedback.insertAttributed(m, [{
      eventId: `ev-${tag}-2`, recId: `rec-${tag}`, action: 2, position: 1, itemId: 'sku-2', userId, quantity: 1, revenueMinor: 0, viewThrough: 0, tail: 0, tsMs: T0, servedTsMs: T0, attributedAtMs: T0, onceKey: `once-${tag}`,
    }]);
    await feedback.insertPending(m, [{ eventId: `ev-${tag}-3`, recId: 'rec-unknown', userId, itemId: 'sku-3', action: 2, quantity: 1, revenueMinor: 0, tsMs: T0, receivedAtMs: T0 }]);
    await new ExperimentStore(ds).addOutcomes(m, [{ experiment: 'exp', unitId: userId, arm: 'A', tsMs: T0, impressions: 1 }]);
  });
}

describe('UserEraser on the embedded store', () => {
  let ds: DataSource;
  let bus: InMemoryMessageBus;
  let registry: Registry;
  let metrics: PrivacyMetrics;
  let eraser: UserEraser;

  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    bus = new InMemoryMessageBus();
    await bus.ensureTopics([{ name: topics.erasureCommands, partitions: 1 }]);
    registry = new Registry();
    metrics = new PrivacyMetrics(registry);
    eraser = new UserEraser({ bus, topics, store: new UserErasureStore(ds), metrics, clock: () => T0 });
  });
  afterEach(async () => {
    await bus.close();
    await ds.destroy();
  });

  const remaining = async (userId: string) => Object.fromEntries((await new UserErasureStore(ds).remaining(userId)).map((r) => [r.table, r.rows]));
  const everyTableOnce = Object.fromEntries(UserTables.map((t) => [t.table, 1]));
  const everyTableNone = Object.fromEntries(UserTables.map((t) => [t.table, 0]));

  it('removes the user from every table that holds users, leaves everybody else, and publishes the command for the other services', async () => {
    await seedUser(ds, 'u-erase', 'a');
    await seedUser(ds, 'u-keep', 'b');
    expect(await remaining('u-erase')).toEqual(everyTableOnce);

    const answer = await eraser.erase('u-erase');
    expect(Number(answer.rowsErased)).toBe(UserTables.length);
    expect(Object.fromEntries(answer.tables.map((t) => [t.table, Number(t.rows)]))).toEqual(everyTableOnce);
    expect(await remaining('u-erase')).toEqual(everyTableNone);
    expect(await remaining('u-keep')).toEqual(everyTableOnce);

    const published = bus.read(topics.erasureCommands);
    expect(published).toHaveLength(1);
    expect(published[0].key?.toString()).toBe('u-erase');
    expect(fromBinary(UserErasureCommandSchema, published[0].value!)).toMatchObject({ userId: 'u-erase', requestId: answer.requestId, requestedAtMs: BigInt(T0) });
    expect(await registry.getSingleMetricAsString('recmesh_privacy_erased_rows_total')).toContain('recmesh_privacy_erased_rows_total{table="clickstream_events"} 1');
  });

  it('is idempotent: erasing again (or a user never seen) erases nothing and succeeds', async () => {
    await seedUser(ds, 'u-erase', 'a');
    await eraser.erase('u-erase');
    expect(Number((await eraser.erase('u-erase')).rowsErased)).toBe(0);
    expect(Number((await eraser.erase('nobody')).rowsErased)).toBe(0);
  });

  it('refuses an empty, overlong or control-character user id with InvalidRequest, publishing nothing', async () => {
    for (const bad of ['', '   ', 'x'.repeat(129), 'a\nb']) {
      const error = await eraser.erase(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServingError);
      expect((error as ServingError).code).toBe(ServingErrorCode.InvalidRequest);
    }
    expect(bus.read(topics.erasureCommands)).toEqual([]);
  });

  it('fails an erasure cut short without publishing (the caller retries), and carries out commands shops publish, skipping records that are none', async () => {
    await seedUser(ds, 'u-erase', 'a');
    // The database went away in the middle: the call fails and says so; nothing is announced.
    const failing = new UserEraser({ bus, topics, store: { erase: async () => Promise.reject(new Error('connection lost')) } as unknown as UserErasureStore, metrics });
    await expect(failing.erase('u-erase')).rejects.toThrow('connection lost');
    expect(bus.read(topics.erasureCommands)).toEqual([]);
    // The retry finishes it.
    expect(Number((await eraser.erase('u-erase')).rowsErased)).toBe(UserTables.length);
    expect(await remaining('u-erase')).toEqual(everyTableNone);
    // A shop's own command and garbage on the same topic.
    await seedUser(ds, 'u-shop', 'c');
    await bus.publish(topics.erasureCommands, [
      { key: 'u-shop', value: Buffer.from(toBinary(UserErasureCommandSchema, create(UserErasureCommandSchema, { requestId: 'shop-1', userId: 'u-shop' }))) },
      { key: 'x', value: Buffer.from('not a command') },
      { key: 'x', value: Buffer.from(toBinary(UserErasureCommandSchema, create(UserErasureCommandSchema, { requestId: 'no-user' }))) },
    ]);

    const worker = new ErasureCommandWorker({ bus, topics, groupId: 'privacy', eraser, metrics });
    await worker.start();
    try {
      for (let i = 0; i < 100 && !bus.isDrained(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(bus.isDrained()).toBe(true);
    } finally {
      await worker.stop();
    }
    expect(await remaining('u-erase')).toEqual(everyTableNone);
    expect(await remaining('u-shop')).toEqual(everyTableNone);
    expect(await registry.getSingleMetricAsString('recmesh_privacy_invalid_commands_total')).toContain('recmesh_privacy_invalid_commands_total 2');
    expect(await registry.getSingleMetricAsString('recmesh_privacy_erasures_total')).toContain('recmesh_privacy_erasures_total{source="command"} 2');
  });

  it('with RECMESH_PSEUDONYM_KEY, erases the pseudonym of the id it is given and publishes only the pseudonym; a shop command with its own id is hashed first', async () => {
    const pseudonymize = pseudonymizer('a-key-of-at-least-thirty-two-characters');
    const keyed = new UserEraser({ bus, topics, store: new UserErasureStore(ds), metrics, pseudonymize });
    await seedUser(ds, pseudonymize('alice@example.com'), 'a');
    await seedUser(ds, pseudonymize('bob'), 'b');
    expect(Number((await keyed.erase('alice@example.com')).rowsErased)).toBe(UserTables.length);
    expect(await remaining(pseudonymize('alice@example.com'))).toEqual(everyTableNone);
    const [published] = bus.read(topics.erasureCommands);
    expect(published.value!.toString('latin1')).not.toContain('alice');
    expect(fromBinary(UserErasureCommandSchema, published.value!)).toMatchObject({ userId: pseudonymize('alice@example.com'), pseudonymized: true });

    const shopCommand = create(UserErasureCommandSchema, { requestId: 'shop-2', userId: 'bob' });
    await keyed.eraseStored(shopCommand, 'command');
    expect(await remaining(pseudonymize('bob'))).toEqual(everyTableNone);
  });
});

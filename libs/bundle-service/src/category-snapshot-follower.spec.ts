import { create, toBinary } from '@bufbuild/protobuf';
import { EntityType, FeatureUpdatedSchema, resolveTopicNames } from '@recmesh/contracts';
import { InMemoryMessageBus } from '@recmesh/messaging';
import { CategorySnapshotFollower, reloadDelayMs } from './category-snapshot-follower';
import { CategoryCoPurchaseSnapshot } from './store-complementarity-sources';

describe('reloadDelayMs', () => {
  it('waits a second after a quick reload', () => {
    expect(reloadDelayMs({ startedMs: 10_000, tookMs: 20 }, 10_020)).toBe(980);
  });

  it('keeps a slow reload to a tenth of the time: 0.4 s of scan, then 3.6 s of rest', () => {
    expect(reloadDelayMs({ startedMs: 10_000, tookMs: 400 }, 10_400)).toBe(3_600);
  });

  it('does not wait once the gap has passed', () => {
    expect(reloadDelayMs({ startedMs: 10_000, tookMs: 400 }, 20_000)).toBe(0);
  });
});

describe('CategorySnapshotFollower', () => {
  const topics = resolveTopicNames();
  const update = (features: string[]) => ({
    key: 'item-1',
    value: Buffer.from(toBinary(FeatureUpdatedSchema, create(FeatureUpdatedSchema, { entityType: EntityType.ITEM, entityId: 'item-1', features, tsMs: 1n }))),
  });

  it('reloads on changed co-occurrences, not on other feature changes, and never runs two reloads at once', async () => {
    const bus = new InMemoryMessageBus();
    let reloads = 0;
    let running = 0;
    let overlapped = false;
    const snapshot = {
      reload: async () => {
        overlapped ||= running > 0;
        running++;
        reloads++;
        await new Promise((r) => setTimeout(r, 30));
        running--;
      },
    } as unknown as CategoryCoPurchaseSnapshot;
    const follower = new CategorySnapshotFollower(snapshot, bus, topics);
    try {
      await follower.start();
      expect(reloads).toBe(1);
      await bus.publish(topics.featuresUpdated, [update(['popularity'])]);
      await new Promise((r) => setTimeout(r, 1_300));
      expect(reloads).toBe(1);
      for (let i = 0; i < 5; i++) await bus.publish(topics.featuresUpdated, [update(['co_occurrence', 'popularity'])]);
      await new Promise((r) => setTimeout(r, 1_300));
      expect(reloads).toBe(2);
      expect(overlapped).toBe(false);
    } finally {
      await follower.stop();
      await bus.close();
    }
  });
});

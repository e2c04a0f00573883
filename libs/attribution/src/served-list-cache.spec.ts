import { create, toBinary } from '@bufbuild/protobuf';
import { resolveTopicNames, UserErasureCommandSchema } from '@recmesh/contracts';
import { FeedbackStore, openStore, ServedListRecord } from '@recmesh/persistence';
import { Registry } from 'prom-client';
import { FeedbackMetrics } from './feedback-metrics';
import { FeedbackPipeline } from './feedback-pipeline';
import { PopularityHead } from './popularity-head';
import { ServedListCache } from './served-list-cache';

const list = (recId: string, userId: string): ServedListRecord => ({ recId, userId, surface: 'recommend', modelVersion: 'm1', arm: 'A', experiment: '', tsMs: 0, items: [{ itemId: 'sku-1', position: 1 }] });

describe('ServedListCache', () => {
  it('keeps the most recently used lists up to its capacity', () => {
    const cache = new ServedListCache(2);
    cache.set(list('r1', 'u1'));
    cache.set(list('r2', 'u1'));
    cache.get('r1');
    cache.set(list('r3', 'u2'));
    expect([cache.get('r1')?.recId, cache.get('r2')?.recId, cache.get('r3')?.recId]).toEqual(['r1', undefined, 'r3']);
  });

  it('forgets an erased user\'s lists, when the pipeline reads the erasure command', async () => {
    const cache = new ServedListCache(10);
    cache.set(list('r1', 'u-erase'));
    cache.set(list('r2', 'u-keep'));
    cache.set(list('r3', 'u-erase'));
    const topics = resolveTopicNames('');
    const ds = await openStore({ kind: 'embedded' });
    try {
      const store = new FeedbackStore(ds);
      const pipeline = new FeedbackPipeline({
        store, metrics: new FeedbackMetrics(new Registry()), topics, window: { windowMs: 60_000, skewMs: 1000 }, bucketMs: 60_000, cache, currency: '',
        head: new PopularityHead(async () => new Set(), 60_000),
      });
      const command = Buffer.from(toBinary(UserErasureCommandSchema, create(UserErasureCommandSchema, { requestId: 'q1', userId: 'u-erase' })));
      await pipeline.handle({ topic: topics.erasureCommands, partition: 0, messages: [{ topic: topics.erasureCommands, partition: 0, offset: '0', key: null, value: command, headers: {}, timestampMs: 0 }] });
    } finally {
      await ds.destroy();
    }
    expect(cache.size).toBe(1);
    expect(cache.get('r2')?.userId).toBe('u-keep');
  });
});

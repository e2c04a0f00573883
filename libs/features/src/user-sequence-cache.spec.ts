import { UserSequenceCache } from './user-sequence-cache';

describe('UserSequenceCache', () => {
  it('evicts the least recently used user beyond its bound', () => {
    const cache = new UserSequenceCache(2);
    cache.set('a', []);
    cache.set('b', []);
    cache.get('a');
    cache.set('c', []);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual([]);
    expect(cache.stats()).toEqual({ size: 2, hits: 1 + 1, misses: 1 });
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new UserSequenceCache(0)).toThrow('positive integer');
  });
});

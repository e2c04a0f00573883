import { isTail, PopularityHead } from './popularity-head';

/** A load the test answers by hand, to see who waits for it. */
function manualLoad() {
  const calls: Array<{ resolve: (head: Set<string>) => void; reject: (error: Error) => void }> = [];
  const load = (): Promise<Set<string>> => new Promise((resolve, reject) => calls.push({ resolve, reject }));
  return { load, calls };
}

describe('PopularityHead', () => {
  it('waits for the first load only; later refreshes run behind the current head', async () => {
    let now = 0;
    const { load, calls } = manualLoad();
    const head = new PopularityHead(load, 1000, () => now);

    const first = head.current();
    expect(calls).toHaveLength(1);
    calls[0].resolve(new Set(['a']));
    expect([...(await first)]).toEqual(['a']);

    now = 1500;
    // Stale: a refresh starts, the caller gets the previous head at once.
    expect([...(await head.current())]).toEqual(['a']);
    expect(calls).toHaveLength(2);
    // A second caller meanwhile does not start another load.
    expect([...(await head.current())]).toEqual(['a']);
    expect(calls).toHaveLength(2);

    calls[1].resolve(new Set(['b']));
    await new Promise((r) => setImmediate(r));
    expect([...(await head.current())]).toEqual(['b']);
    expect(calls).toHaveLength(2);
  });

  it('keeps the previous head when a refresh fails, and tries again after refreshMs', async () => {
    let now = 0;
    const { load, calls } = manualLoad();
    const head = new PopularityHead(load, 1000, () => now);
    const first = head.current();
    calls[0].resolve(new Set(['a']));
    await first;

    now = 1000;
    await head.current();
    calls[1].reject(new Error('database gone'));
    await new Promise((r) => setImmediate(r));
    expect([...(await head.current())]).toEqual(['a']);
    expect(calls).toHaveLength(2);

    now = 2000;
    await head.current();
    expect(calls).toHaveLength(3);
  });

  it('calls nothing tail while no popularity is known', () => {
    expect(isTail(new Set(), 'x')).toBe(false);
    expect(isTail(new Set(['a']), 'x')).toBe(true);
    expect(isTail(new Set(['a']), 'a')).toBe(false);
  });
});

import { Action } from '@recmesh/contracts';
import { appendStep, mergePairs, scoreAt, sessionPairs, sumDecayed } from './feature-rules';

const H = 3_600_000;

describe('sumDecayed', () => {
  it('halves an add one half-life older than the newest', () => {
    expect(sumDecayed([{ weight: 4, tsMs: 0 }, { weight: 1, tsMs: H }], H)).toEqual({ score: 3, referenceTsMs: H });
    expect(scoreAt({ score: 4, referenceTsMs: 0 }, H, H)).toBeCloseTo(2, 10);
  });

  it('gives the same result whatever the delivery order', () => {
    const events = [{ weight: 1, tsMs: 0 }, { weight: 5, tsMs: 2 * H }, { weight: 3, tsMs: H }];
    const inOrder = sumDecayed([...events].sort((a, b) => a.tsMs - b.tsMs), H);
    const shuffled = sumDecayed(events, H);
    expect(shuffled.referenceTsMs).toBe(inOrder.referenceTsMs);
    expect(shuffled.score).toBeCloseTo(inOrder.score, 10);
    expect(inOrder.score).toBeCloseTo(1 / 4 + 3 / 2 + 5, 10);
  });

  it('keeps a batch of cart removals negative, for the store to take from the stored score', () => {
    expect(sumDecayed([{ weight: 1, tsMs: 0 }, { weight: -5, tsMs: 0 }], H).score).toBe(-4);
  });
});

describe('appendStep', () => {
  it('keeps time order and the most recent maxLength steps', () => {
    let steps = [1, 2, 4].map((t) => ({ i: `i${t}`, a: Action.VIEW, t, s: 's' }));
    steps = appendStep(steps, { i: 'late', a: Action.VIEW, t: 3, s: 's' }, 3);
    expect(steps.map((s) => s.i)).toEqual(['i2', 'late', 'i4']);
  });
});

describe('sessionPairs', () => {
  const step = (i: string, a: Action, s = 'S') => ({ i, a, t: 0, s });

  it('pairs a new item with the other items of its session, both ways, once', () => {
    const earlier = [step('phone', Action.VIEW), step('phone', Action.CLICK), step('other', Action.VIEW, 'T')];
    expect(sessionPairs(earlier, step('case', Action.VIEW))).toEqual([
      { itemA: 'phone', itemB: 'case', session: 1, order: 0 },
      { itemA: 'case', itemB: 'phone', session: 1, order: 0 },
    ]);
    expect(sessionPairs([...earlier, step('case', Action.VIEW)], step('case', Action.CLICK))).toEqual([]);
  });

  it('counts items bought in one session as an order', () => {
    const earlier = [step('phone', Action.VIEW), step('phone', Action.PURCHASE), step('case', Action.VIEW)];
    const pairs = sessionPairs(earlier, step('case', Action.PURCHASE));
    expect(pairs).toEqual([
      { itemA: 'phone', itemB: 'case', session: 0, order: 1 },
      { itemA: 'case', itemB: 'phone', session: 0, order: 1 },
    ]);
  });

  it('ignores events without a session', () => {
    expect(sessionPairs([step('a', Action.VIEW, '')], step('b', Action.VIEW, ''))).toEqual([]);
  });
});

describe('mergePairs', () => {
  it('sums increments per ordered pair', () => {
    expect(mergePairs([
      { itemA: 'a', itemB: 'b', session: 1, order: 0 },
      { itemA: 'a', itemB: 'b', session: 0, order: 1 },
      { itemA: 'b', itemB: 'a', session: 1, order: 0 },
    ])).toEqual([
      { itemA: 'a', itemB: 'b', session: 1, order: 1 },
      { itemA: 'b', itemB: 'a', session: 1, order: 0 },
    ]);
  });
});

import { Action } from '@recmesh/contracts';
import { addDecayed, appendStep, mergePairs, scoreAt, sessionPairs } from './feature-rules';

const H = 3_600_000;

describe('addDecayed', () => {
  it('halves a score after one half-life', () => {
    const s = addDecayed(undefined, 4, 0, H);
    expect(scoreAt(s, H, H)).toBeCloseTo(2, 10);
    expect(addDecayed(s, 1, H, H)).toEqual({ score: 3, referenceTsMs: H });
  });

  it('gives the same result whatever the delivery order', () => {
    const events = [{ w: 1, t: 0 }, { w: 5, t: 2 * H }, { w: 3, t: H }];
    const inOrder = [...events].sort((a, b) => a.t - b.t).reduce<ReturnType<typeof addDecayed> | undefined>((s, e) => addDecayed(s, e.w, e.t, H), undefined)!;
    const shuffled = events.reduce<ReturnType<typeof addDecayed> | undefined>((s, e) => addDecayed(s, e.w, e.t, H), undefined)!;
    expect(shuffled.referenceTsMs).toBe(inOrder.referenceTsMs);
    expect(shuffled.score).toBeCloseTo(inOrder.score, 10);
    expect(inOrder.score).toBeCloseTo(1 / 4 + 3 / 2 + 5, 10);
  });

  it('never goes negative on cart removals', () => {
    expect(addDecayed(addDecayed(undefined, 1, 0, H), -5, 0, H).score).toBe(0);
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

import { Action } from '@recmesh/contracts';
import { SequenceStep } from '@recmesh/persistence';
import { historyItems, HistoryItem, personalReason, relatedCosine, supportOf, unit } from './reason-attribution';

const step = (i: string, a: Action, t: number): SequenceStep => ({ i, a, t, s: 'S' });
const v = (...xs: number[]) => new Float32Array(xs);
const h = (itemId: string, vector: Float32Array, did: HistoryItem['did'] = 'viewed') => ({ item: { itemId, did }, unit: unit(vector) });

describe('historyItems', () => {
  it('lists the distinct items of the encoded window, most recent first, with the strongest action that still holds', () => {
    const steps = [
      step('phone', Action.VIEW, 1), step('phone', Action.ADD_TO_CART, 2), step('phone', Action.PURCHASE, 3),
      step('case', Action.ADD_TO_CART, 4), step('case', Action.REMOVE_FROM_CART, 5),
      step('charger', Action.CLICK, 6), step('charger', Action.ADD_TO_CART, 7),
      step('book', Action.RATE, 8), step('phone', Action.VIEW, 9),
    ];
    expect(historyItems(steps, 50, () => true)).toEqual([
      { itemId: 'phone', did: 'bought' },
      { itemId: 'book', did: 'rated' },
      { itemId: 'charger', did: 'added_to_cart' },
      { itemId: 'case', did: 'viewed' },
    ]);
  });

  it('keeps only the last `window` steps of items the model knows, and still says a purchase before the window', () => {
    const steps = [step('phone', Action.PURCHASE, 1), step('unknown', Action.VIEW, 2), step('old', Action.VIEW, 3), step('case', Action.VIEW, 4), step('phone', Action.VIEW, 5)];
    expect(historyItems(steps, 2, (id) => id !== 'unknown')).toEqual([{ itemId: 'phone', did: 'bought' }, { itemId: 'case', did: 'viewed' }]);
  });
});

describe('supportOf and personalReason', () => {
  const history = [h('shoe', v(1, 0, 0)), h('phone', v(0, 1, 0), 'bought'), h('espresso', v(0, 0, 1))];

  it('names the history item nearest to each item, so a diverse list gets diverse reasons', () => {
    expect(supportOf(v(0.9, 0.1, 0), history, 0.5)?.item.itemId).toBe('shoe');
    expect(supportOf(v(0.1, 2, 0.1), history, 0.5)).toMatchObject({ item: { itemId: 'phone', did: 'bought' } });
    expect(supportOf(v(0, 0.2, 0.8), history, 0.5)?.item.itemId).toBe('espresso');
  });

  it('names no item below the bar, and the more recent one on a tie', () => {
    expect(supportOf(v(1, 1, 1), history, 0.7)).toBeUndefined();
    expect(supportOf(v(1, 1, 0), history, 0.7)?.item.itemId).toBe('shoe');
    expect(supportOf(v(1, 0, 0), [], -1)).toBeUndefined();
  });

  it('falls back to a history item bought in the same orders, then to none', () => {
    const caseVector = v(1, 1, 1);
    expect(personalReason(caseVector, history, 0.7, new Map([['phone', 3], ['espresso', 1]]))).toEqual({ kind: 'bought_with', item: { itemId: 'phone', did: 'bought' }, orders: 3 });
    expect(personalReason(caseVector, history, 0.7, new Map([['not-in-history', 9]]))).toEqual({ kind: 'none' });
    expect(personalReason(undefined, history, 0.7)).toEqual({ kind: 'none' });
    // Similarity in the model's space comes first: it is the signal that ranked the item.
    expect(personalReason(v(0, 1, 0), history, 0.7, new Map([['shoe', 5]]))).toMatchObject({ kind: 'similar', item: { itemId: 'phone' } });
  });

  it('prefers a related history item of the same leaf category to a nearer one of another category', () => {
    const bought = [h('earbuds', v(1, 0.2, 0)), h('charger', v(0.8, 0.6, 0), 'bought')];
    const otherCharger = v(1, 0.3, 0);
    expect(supportOf(otherCharger, bought, 0.7)?.item.itemId).toBe('earbuds');
    expect(personalReason(otherCharger, bought, 0.7, new Map(), new Set(['charger']))).toMatchObject({ kind: 'similar', item: { itemId: 'charger', did: 'bought' } });
    // ...but only when it is related enough itself: below the bar the nearer item is named.
    expect(personalReason(otherCharger, bought, 0.99, new Map(), new Set(['charger']))).toMatchObject({ kind: 'similar', item: { itemId: 'earbuds' } });
  });

  it('names the nearest history item of the same leaf category when nothing clears the bar and no orders link them', () => {
    const shoes = [h('shoe', v(1, 0, 0)), h('phone', v(0, 1, 0)), h('boot', v(0.6, 0, 0.8))];
    expect(personalReason(v(0.5, 0.5, 0.5), shoes, 0.9, new Map(), new Set(['shoe', 'boot']))).toEqual({ kind: 'same_category', item: { itemId: 'boot', did: 'viewed' } });
    expect(personalReason(v(0.5, 0.5, 0.5), shoes, 0.9, new Map([['phone', 1]]), new Set(['shoe']))).toMatchObject({ kind: 'bought_with', item: { itemId: 'phone' } });
    expect(personalReason(v(0.5, 0.5, 0.5), shoes, 0.9, new Map(), new Set())).toEqual({ kind: 'none' });
  });
});

describe('relatedCosine', () => {
  it('is the quantile of cosines of random pairs of rows, the padding row left out, and deterministic', () => {
    // Rows 1..4 point in four directions at 0 and 90 degrees; row 0 (padding) would add cosines of 0.
    const hidden = 2;
    const matrix = v(0, 0, 1, 0, 1, 0, 0, 1, 0, 1);
    expect(relatedCosine(matrix, 5, hidden, 0.2)).toBeCloseTo(0, 6);
    expect(relatedCosine(matrix, 5, hidden, 0.9)).toBeCloseTo(1, 6);
    expect(relatedCosine(matrix, 5, hidden, 0.5)).toBe(relatedCosine(matrix, 5, hidden, 0.5));
    expect(relatedCosine(v(0, 0, 1, 0), 2, hidden)).toBe(1);
  });
});

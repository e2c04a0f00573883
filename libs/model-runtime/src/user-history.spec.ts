import { ActionVocabulary, buildSequenceBatch } from './user-history';

const actions = new ActionVocabulary(['view', 'click', 'purchase']);
const rowOf = (id: string) => (id.startsWith('i') ? Number(id.slice(1)) : undefined);

describe('buildSequenceBatch', () => {
  it('left-pads, keeps the most recent events last, and skips unknown items/actions', () => {
    const batch = buildSequenceBatch(
      [
        [
          { itemId: 'i1', action: 'view' },
          { itemId: 'i2', action: 'click' },
        ],
        [
          { itemId: 'i1', action: 'view' },
          { itemId: 'x', action: 'view' },
          { itemId: 'i2', action: 'bogus' },
          { itemId: 'i3', action: 3 },
          { itemId: 'i4', action: 0 },
          { itemId: 'i5', action: 'purchase' },
          { itemId: 'i6', action: 'view' },
        ],
        [],
      ],
      3,
      rowOf,
      actions,
    );
    expect(Array.from(batch.itemSeq, Number)).toEqual([0, 1, 2, 3, 5, 6, 0, 0, 0]);
    expect(Array.from(batch.actionSeq, Number)).toEqual([0, 1, 2, 3, 3, 1, 0, 0, 0]);
    expect(batch.batchSize).toBe(3);
    expect(batch.skippedEvents).toBe(1); // only 'i4' (action 0) is met before the window of user 2 is full
  });

  it('maps action names and 1-based ids, nothing else', () => {
    expect(actions.idOf('click')).toBe(2);
    expect(actions.idOf(3)).toBe(3);
    expect(actions.idOf(0)).toBeUndefined();
    expect(actions.idOf(4)).toBeUndefined();
    expect(actions.idOf(1.5)).toBeUndefined();
    expect(actions.idOf('CLICK')).toBeUndefined();
  });
});

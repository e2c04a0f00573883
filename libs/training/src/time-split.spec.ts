import type { DatasetEvent } from './dataset-files';
import { headItems, leaveOneOutSplit } from './time-split';

const ev = (userId: string, itemId: string, ts: number): DatasetEvent => ({ userId, itemId, ts, action: 'view' });

describe('leave-one-out split (EVAL-PROTOCOL, sequential task)', () => {
  // File order is not time order, and u1's B and C share a timestamp.
  const events: DatasetEvent[] = [
    ev('u1', 'A', 3),
    ev('u1', 'B', 1),
    ev('u2', 'A', 0),
    ev('u1', 'C', 1),
    ev('u1', 'D', 5),
    ev('u2', 'B', 2),
    ev('u3', 'E', 0),
    ev('u2', 'C', 2),
    ev('u4', 'F', 7),
    ev('u4', 'G', 8),
  ];

  it('tests each user with 3+ events on their last, with everything before it (validation item included) as history', () => {
    const split = leaveOneOutSplit(events);
    // u1 by time: B, C (file order breaks the tie), A, D; u2: A, B, C; u3 and u4 have too few events.
    expect(split.cases).toEqual([
      { userId: 'u1', history: [events[1], events[3], events[0]], target: 'D' },
      { userId: 'u2', history: [events[2], events[5]], target: 'C' },
    ]);
    expect(Number.isNaN(split.cutoffTs)).toBe(true);
  });

  it('counts only the training part: all but the last two events of tested users, everything of the others', () => {
    const split = leaveOneOutSplit(events);
    // u1 trains on B, C; u2 on A; u3 on E; u4 on F, G. D is only a test target, so it counts 0.
    expect(Object.fromEntries(split.trainCounts)).toEqual({ A: 1, B: 1, C: 1, D: 0, E: 1, F: 1, G: 1 });
    expect(split.trainEvents).toBe(6);
  });

  it('orders items as Python indexes them (catalog, then new items in event file order), so head ties break the same way', () => {
    const split = leaveOneOutSplit(events, ['G', 'Z', 'A']);
    expect([...split.trainCounts.keys()]).toEqual(['G', 'Z', 'A', 'B', 'C', 'D', 'E', 'F']);
    expect(split.trainCounts.get('Z')).toBe(0);
    // Six training interactions, all items at 1: the head needs two of them (>= 20%), the first two in that order.
    expect([...headItems(split.trainCounts)]).toEqual(['G', 'A']);
    expect([...headItems(leaveOneOutSplit(events).trainCounts)]).toEqual(['A', 'B']);
  });
});

import type { DatasetEvent } from './dataset-files';

export interface HoldoutCase {
  readonly userId: string;
  /** The user's events before the cutoff, oldest first. */
  readonly history: readonly DatasetEvent[];
  /** The user's first interaction after the cutoff. */
  readonly target: string;
}

export interface TimeSplit {
  readonly cutoffTs: number;
  readonly trainEvents: number;
  readonly cases: readonly HoldoutCase[];
  /** Interactions per item before the cutoff (popularity for the tail definition). */
  readonly trainCounts: ReadonlyMap<string, number>;
}

/**
 * The time split of EVAL-PROTOCOL ("A shop's own data"): the cutoff is the
 * timestamp below which `trainShare` of the events fall; each user with an
 * event before it is tested on their first interaction at or after it.
 * Per-user order is the stable sort by ts (ties keep file order).
 */
export function timeSplit(events: readonly DatasetEvent[], trainShare = 0.9): TimeSplit {
  if (!(trainShare > 0 && trainShare < 1)) throw new RangeError(`trainShare must be in (0, 1), got ${trainShare}`);
  const sortedTs = events.map((e) => e.ts).sort((a, b) => a - b);
  const cutoffTs = sortedTs[Math.min(sortedTs.length - 1, Math.floor(trainShare * sortedTs.length))];
  const byUser = new Map<string, DatasetEvent[]>();
  for (const e of events) {
    const list = byUser.get(e.userId);
    if (list) list.push(e);
    else byUser.set(e.userId, [e]);
  }
  const trainCounts = new Map<string, number>();
  const cases: HoldoutCase[] = [];
  let trainEvents = 0;
  for (const [userId, list] of byUser) {
    const ordered = list.map((e, i) => ({ e, i })).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i).map((x) => x.e);
    const firstAfter = ordered.findIndex((e) => e.ts >= cutoffTs);
    const history = firstAfter < 0 ? ordered : ordered.slice(0, firstAfter);
    for (const e of history) trainCounts.set(e.itemId, (trainCounts.get(e.itemId) ?? 0) + 1);
    trainEvents += history.length;
    if (firstAfter > 0) cases.push({ userId, history, target: ordered[firstAfter].itemId });
  }
  return { cutoffTs, trainEvents, cases, trainCounts };
}

/** Tail items: all but the smallest set of most popular items holding 20% of training interactions. */
export function headItems(trainCounts: ReadonlyMap<string, number>, headShare = 0.2): Set<string> {
  const total = [...trainCounts.values()].reduce((a, b) => a + b, 0);
  const head = new Set<string>();
  let covered = 0;
  for (const [item, count] of [...trainCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    if (covered >= headShare * total) break;
    head.add(item);
    covered += count;
  }
  return head;
}

import type { DatasetEvent } from './dataset-files';

export interface HoldoutCase {
  readonly userId: string;
  /** The user's events before the cutoff, oldest first. */
  readonly history: readonly DatasetEvent[];
  /** The user's first interaction after the cutoff. */
  readonly target: string;
}

export interface TimeSplit {
  /** The time split's cutoff; NaN for the leave-one-out split, which has none. */
  readonly cutoffTs: number;
  readonly trainEvents: number;
  readonly cases: readonly HoldoutCase[];
  /** Interactions per item in the training part (popularity for the tail and cold definitions). */
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

/**
 * The leave-one-out split of EVAL-PROTOCOL's sequential task, as tools/model computes it
 * (recmesh_model.data.leave_one_out), so a served model's figures compare with the Python reports.
 * Each user's events are stably sorted by ts; a user with at least 3 is tested on the last one with
 * every earlier event as history (the validation item included, as the Python test stage does); the
 * training part, which trainCounts counts, is all but the last two (everything for shorter users).
 * `catalog` lists item ids in items.jsonl order: trainCounts then holds every item in Python's row
 * order (catalog, then items first named by the events in file order), which is how Python breaks
 * popularity ties at the head/tail boundary.
 */
export function leaveOneOutSplit(events: readonly DatasetEvent[], catalog: readonly string[] = []): TimeSplit {
  const trainCounts = new Map<string, number>();
  for (const id of catalog) trainCounts.set(id, 0);
  const byUser = new Map<string, DatasetEvent[]>();
  for (const e of events) {
    if (!trainCounts.has(e.itemId)) trainCounts.set(e.itemId, 0);
    const list = byUser.get(e.userId);
    if (list) list.push(e);
    else byUser.set(e.userId, [e]);
  }
  const cases: HoldoutCase[] = [];
  let trainEvents = 0;
  for (const [userId, list] of byUser) {
    const ordered = list.map((e, i) => ({ e, i })).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i).map((x) => x.e);
    const trainLength = ordered.length >= 3 ? ordered.length - 2 : ordered.length;
    for (const e of ordered.slice(0, trainLength)) trainCounts.set(e.itemId, (trainCounts.get(e.itemId) ?? 0) + 1);
    trainEvents += trainLength;
    if (ordered.length >= 3) cases.push({ userId, history: ordered.slice(0, -1), target: ordered[ordered.length - 1].itemId });
  }
  // No cutoff: the split is per user, by position.
  return { cutoffTs: Number.NaN, trainEvents, cases, trainCounts };
}

/**
 * Tail items: all but the smallest set of most popular items holding 20% of training interactions.
 * Equal counts keep the map's order (a stable sort, as Python's), so the caller's order decides ties.
 */
export function headItems(trainCounts: ReadonlyMap<string, number>, headShare = 0.2): Set<string> {
  const total = [...trainCounts.values()].reduce((a, b) => a + b, 0);
  const head = new Set<string>();
  let covered = 0;
  for (const [item, count] of [...trainCounts].sort((a, b) => b[1] - a[1])) {
    if (covered >= headShare * total) break;
    head.add(item);
    covered += count;
  }
  return head;
}

import { Action } from '@recmesh/contracts';
import { PairIncrement, SequenceStep } from '@recmesh/persistence';

/** Strength of each action as popularity signal; a cart removal takes back part of the add. */
export const ActionWeight: Record<Action, number> = {
  [Action.UNSPECIFIED]: 0,
  [Action.VIEW]: 1,
  [Action.CLICK]: 1,
  [Action.ADD_TO_CART]: 3,
  [Action.REMOVE_FROM_CART]: -1,
  [Action.PURCHASE]: 5,
  [Action.RATE]: 2,
};

export interface DecayedScore {
  readonly score: number;
  readonly referenceTsMs: number;
}

/**
 * A batch's adds to one item's popularity as one decayed sum, kept at the newest
 * time seen, so late events count less, never more, and the result does not
 * depend on delivery order. Not clamped: a batch of cart removals is a negative
 * change, and the store adds it to the stored score and clamps at zero there
 * (FeatureStore.addPopularity), in one atomic statement.
 */
export function sumDecayed(adds: ReadonlyArray<{ weight: number; tsMs: number }>, halfLifeMs: number): DecayedScore {
  const referenceTsMs = Math.max(...adds.map((a) => a.tsMs));
  let score = 0;
  for (const add of adds) score += add.weight * Math.pow(0.5, (referenceTsMs - add.tsMs) / halfLifeMs);
  return { score, referenceTsMs };
}

/** Score as seen at `atMs` (for ranking items updated at different times). */
export function scoreAt(current: DecayedScore, atMs: number, halfLifeMs: number): number {
  return current.score * Math.pow(0.5, Math.max(0, atMs - current.referenceTsMs) / halfLifeMs);
}

/** Inserts a step keeping time order (late events go where they belong) and the length bound. */
export function appendStep(steps: readonly SequenceStep[], step: SequenceStep, maxLength: number): SequenceStep[] {
  const next = [...steps];
  let at = next.length;
  while (at > 0 && next[at - 1].t > step.t) at--;
  next.splice(at, 0, step);
  return next.length > maxLength ? next.slice(next.length - maxLength) : next;
}

/**
 * Pairs a new step forms with the earlier steps of the same session: every
 * distinct other item seen in the session (both directions), and for a
 * purchase, every item bought earlier in the session (an order).
 */
export function sessionPairs(earlier: readonly SequenceStep[], step: SequenceStep): PairIncrement[] {
  if (!step.s) return [];
  const inSession = earlier.filter((e) => e.s === step.s && e.i !== step.i);
  const seenBefore = earlier.some((e) => e.s === step.s && e.i === step.i);
  const out: PairIncrement[] = [];
  if (!seenBefore) {
    for (const item of new Set(inSession.map((e) => e.i))) {
      out.push({ itemA: item, itemB: step.i, session: 1, order: 0 }, { itemA: step.i, itemB: item, session: 1, order: 0 });
    }
  }
  if (step.a === Action.PURCHASE) {
    const boughtBefore = earlier.some((e) => e.s === step.s && e.i === step.i && e.a === Action.PURCHASE);
    if (!boughtBefore) {
      for (const item of new Set(inSession.filter((e) => e.a === Action.PURCHASE).map((e) => e.i))) {
        out.push({ itemA: item, itemB: step.i, session: 0, order: 1 }, { itemA: step.i, itemB: item, session: 0, order: 1 });
      }
    }
  }
  return out;
}

/** Sums increments of the same ordered pair so each pair is written once per batch. */
export function mergePairs(increments: readonly PairIncrement[]): PairIncrement[] {
  const merged = new Map<string, { itemA: string; itemB: string; session: number; order: number }>();
  for (const p of increments) {
    const key = `${p.itemA}\u0000${p.itemB}`;
    const m = merged.get(key);
    if (m) {
      m.session += p.session;
      m.order += p.order;
    } else merged.set(key, { ...p });
  }
  return [...merged.values()].sort((x, y) => (x.itemA === y.itemA ? x.itemB.localeCompare(y.itemB) : x.itemA.localeCompare(y.itemA)));
}

import { HistoryAction, OFTEN_BOUGHT_ORDERS, Reasons, RecommendedItem } from '@recmesh/serving-core';
import { unit } from './reason-attribution';

/** One answer to audit: the shopper's history items (with their titles) and the items served. */
export interface AuditedAnswer {
  readonly history: ReadonlyArray<{ readonly itemId: string; readonly title: string }>;
  readonly items: ReadonlyArray<Pick<RecommendedItem, 'itemId' | 'reason' | 'reasonCode'>>;
}

/** How two items are related, as the audit judges it independently of the rule that named one. */
export interface Relatedness {
  /** Same leaf category. */
  readonly sameCategory: boolean;
  /** The history item is among the recommended item's nearest neighbours in the model's item space. */
  readonly neighbour: boolean;
  /** Orders hold both. */
  readonly coPurchased: boolean;
}

export interface ReasonAudit {
  readonly answers: number;
  /** Items ranked by the sequence model: reason code `sequence`, or a reason that names a history item. */
  readonly personalItems: number;
  /** Of those, items whose reason names a history item ("Because you ... X", "Often bought with X"). */
  readonly named: number;
  /** Named reasons whose history item is related to the item: same category, a neighbour, or bought with it. */
  readonly related: number;
  readonly sameCategory: number;
  readonly neighbour: number;
  readonly coPurchased: number;
  /** Named "bought with" reasons (the item is not near the history item, orders hold both). */
  readonly namedBoughtWith: number;
  /** Answers with at least one named reason. */
  readonly answersNaming: number;
  /** Of those, answers where most (over half) of the named reasons are related. */
  readonly answersMostlyRelated: number;
  /** Answers whose history and whose items each span several categories. */
  readonly diverseAnswers: number;
  /** Of those, answers with at least two items where every item names the same history item. */
  readonly diverseAnswersOneReason: number;
}

const ACTIONS: readonly HistoryAction[] = ['bought', 'rated', 'added_to_cart', 'viewed'];

/**
 * Checks that the reasons of personal answers name history items related to
 * the recommended items: which history item a reason names is read back from
 * its text (every "Because you ..." text a history item can have), and
 * `related` judges the pair by category and by the model's neighbours, not by
 * the cosine bar the rule used.
 */
export function auditReasons(answers: readonly AuditedAnswer[], related: (historyItemId: string, itemId: string) => Relatedness, categoryOf: (itemId: string) => string | undefined): ReasonAudit {
  let personalItems = 0, named = 0, relatedCount = 0, sameCategory = 0, neighbour = 0, coPurchased = 0, namedBoughtWith = 0;
  let answersNaming = 0, answersMostlyRelated = 0, diverseAnswers = 0, diverseAnswersOneReason = 0;
  for (const answer of answers) {
    const byText = new Map<string, string>();
    const boughtWith = new Map<string, string>();
    for (const h of answer.history) {
      for (const action of ACTIONS) byText.set(Reasons.becauseYou(action, h.title), h.itemId);
      for (const orders of [1, OFTEN_BOUGHT_ORDERS]) boughtWith.set(Reasons.boughtTogether(h.title, orders), h.itemId);
    }
    let namedHere = 0, relatedHere = 0;
    for (const item of answer.items) {
      const historyItem = byText.get(item.reason) ?? boughtWith.get(item.reason);
      if (item.reasonCode !== 'sequence' && historyItem === undefined) continue;
      personalItems++;
      if (historyItem === undefined) continue;
      namedHere++;
      if (boughtWith.has(item.reason)) namedBoughtWith++;
      const r = related(historyItem, item.itemId);
      if (r.sameCategory) sameCategory++;
      if (r.neighbour) neighbour++;
      if (r.coPurchased) coPurchased++;
      if (r.sameCategory || r.neighbour || r.coPurchased) relatedHere++;
    }
    named += namedHere;
    relatedCount += relatedHere;
    if (namedHere > 0) {
      answersNaming++;
      if (relatedHere * 2 > namedHere) answersMostlyRelated++;
    }
    // Two items of one kind (two hair dryers) may rightly carry the whole list: the history must span kinds.
    const historyCategories = new Set(answer.history.map((h) => categoryOf(h.itemId)));
    const categories = new Set(answer.items.map((i) => categoryOf(i.itemId)));
    if (historyCategories.size >= 2 && categories.size >= 2 && answer.items.length >= 2) {
      diverseAnswers++;
      const reason = answer.items[0].reason;
      if (answer.items.every((i) => i.reason === reason) && (byText.has(reason) || boughtWith.has(reason))) diverseAnswersOneReason++;
    }
  }
  return { answers: answers.length, personalItems, named, related: relatedCount, sameCategory, neighbour, coPurchased, namedBoughtWith, answersNaming, answersMostlyRelated, diverseAnswers, diverseAnswersOneReason };
}

/**
 * `neighbours(itemId)`: the `n` items nearest to an item by cosine in a
 * row-major [rowCount, hidden] item matrix with padding row 0 (the model's
 * item matrix), the item itself left out; cached per item.
 */
export function itemNeighbours(matrix: Float32Array, rowCount: number, hidden: number, rowOf: (itemId: string) => number | undefined, n: number): (itemId: string) => ReadonlySet<number> {
  const units: Float32Array[] = [];
  for (let row = 0; row < rowCount; row++) units.push(unit(matrix.subarray(row * hidden, (row + 1) * hidden)));
  const cache = new Map<string, ReadonlySet<number>>();
  return (itemId) => {
    const cached = cache.get(itemId);
    if (cached) return cached;
    const own = rowOf(itemId);
    const out = new Set<number>();
    if (own !== undefined) {
      const cosines: Array<[number, number]> = [];
      for (let row = 1; row < rowCount; row++) {
        if (row === own) continue;
        let s = 0;
        for (let d = 0; d < hidden; d++) s += units[own][d] * units[row][d];
        cosines.push([s, row]);
      }
      cosines.sort((a, b) => b[0] - a[0]);
      for (const [, row] of cosines.slice(0, n)) out.add(row);
    }
    cache.set(itemId, out);
    return out;
  };
}

import type { BundleProblem, ComposedBundle } from './bundle-problem';

/** A problem that no search can answer (as opposed to one with no feasible bundle, which answers []). */
export class BundleProblemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleProblemError';
  }
}

export interface BundleOptimizerOptions {
  /** Partial bundles kept per depth. Raised to `constraints.count` when that is larger. */
  readonly beamWidth?: number;
}

/**
 * Measured on the bench's realistic instances (reports/bench-bundles.json,
 * beamWidthSweep, 200 candidates): 32 finds the exhaustive best bundle on all
 * 300 size-3 and 60 size-4 instances, where 16 misses 5% at size 4. Wider
 * only helps size 5 (top-1 equal to a width-1024 beam: 91% at 32, 95% at 64,
 * mean gap 0.16% vs 0.04%) for ~1.3x the latency; pass beamWidth for that.
 */
export const DEFAULT_BEAM_WIDTH = 32;

/** Beyond this many usable candidates a dense pair-score table would cost more memory (8 MiB) than it saves. */
const MAX_TABLED_CANDIDATES = 1024;

/**
 * Returns up to `constraints.count` distinct feasible bundles, best first, by
 * beam search over sets of added candidates.
 *
 * Sets grow only towards later positions of one fixed order, so each set is
 * generated at most once and needs no de-duplication. A set is found only if
 * its prefixes in that order survive the beam, so the order puts the most
 * promising candidates first: by "potential" (unary score plus the best
 * positive pair scores the candidate could collect) when pair scores are
 * tabled, by unary score otherwise. Partial sets are ranked by their score
 * plus the potential of the best candidates still reachable, so a set whose
 * remaining room holds only weak candidates stops crowding out better ones.
 * With a pair table potentials are true bounds, so a position loop also stops
 * as soon as no later candidate could get into the beam or the answer.
 *
 * Bundles come back by totalScore descending, equal scores by members
 * lexicographically ascending; solveExhaustively orders them the same way.
 */
export class BundleOptimizer {
  private readonly beamWidth: number;

  constructor(options: BundleOptimizerOptions = {}) {
    const beamWidth = options.beamWidth ?? DEFAULT_BEAM_WIDTH;
    if (!Number.isInteger(beamWidth) || beamWidth < 1) {
      throw new RangeError(`beamWidth must be a positive integer, got ${beamWidth}`);
    }
    this.beamWidth = beamWidth;
  }

  solve(problem: BundleProblem): ComposedBundle[] {
    const search = prepareSearch(problem, 'mostPromisingFirst');
    if (!search) return [];
    const { slots, usableCount, unary, price, budget, suffixMinPrice, potential, potentialPrefix, potentialIsBound, candidateIndex, itemKey, categoryKey, pairTable } = search;
    const width = Math.min(Math.max(this.beamWidth, problem.constraints.count), maxPartialSets(usableCount, slots));
    const best = new BestBundles(problem.constraints.count);
    const frontier = new Frontier(width);
    let members = new Int32Array(width * slots);
    let nextMembers = new Int32Array(width * slots);
    let scores = new Float64Array(width);
    let nextScores = new Float64Array(width);
    let prices = new Float64Array(width);
    let nextPrices = new Float64Array(width);
    const sortedMembers = new Int32Array(slots);
    let beamSize = 1; // the empty partial set: score 0, the anchors' price
    prices[0] = search.anchorPrice;

    for (let depth = 0; depth < slots; depth++) {
      const complete = depth === slots - 1;
      const stillToAdd = slots - depth - 1;
      const lastPosition = usableCount - 1 - stillToAdd; // later positions leave too few to complete the set
      frontier.reset();
      for (let partial = 0; partial < beamSize; partial++) {
        const base = partial * slots;
        const partialScore = scores[partial];
        const partialPrice = prices[partial];
        const first = depth === 0 ? 0 : members[base + depth - 1] + 1;
        for (let position = first; position <= lastPosition; position++) {
          const lookahead = potentialPrefix[position + 1 + stillToAdd] - potentialPrefix[position + 1];
          // Potentials only fall along the order, so once a bound loses, every later position loses too.
          if (potentialIsBound) {
            const bound = partialScore + potential[position];
            if (complete ? best.cannotTake(bound) : frontier.cannotTake(bound + lookahead)) break;
          }
          const total = partialPrice + price[position];
          if (total > budget) continue;
          if (stillToAdd > 0 && total + stillToAdd * suffixMinPrice[position + 1] > budget) continue;
          // The clash test and pair lookups are inlined: this is the loop every request spends its time in.
          const item = itemKey[position];
          const category = categoryKey[position];
          let gain = unary[position];
          let clash = false;
          for (let m = base; m < base + depth; m++) {
            const other = members[m];
            if (itemKey[other] === item || categoryKey[other] === category) {
              clash = true;
              break;
            }
            if (pairTable !== undefined) {
              const known = pairTable[other * usableCount + position];
              gain += known === known ? known : search.pairScore(other, position);
            } else {
              gain += askPairScore(problem, candidateIndex[other], candidateIndex[position]);
            }
          }
          if (clash) continue;
          const score = partialScore + gain;
          if (!complete) {
            frontier.offer(score + lookahead, score, partial, position);
          } else if (best.mightTake(score)) {
            for (let m = 0; m < depth; m++) sortedMembers[m] = candidateIndex[members[base + m]];
            sortedMembers[depth] = candidateIndex[position];
            sortAscending(sortedMembers);
            best.offer(score, sortedMembers);
          }
        }
      }
      if (complete) break;

      beamSize = frontier.size;
      for (let slot = 0; slot < beamSize; slot++) {
        const parent = frontier.parent[slot];
        const position = frontier.position[slot];
        nextMembers.set(members.subarray(parent * slots, parent * slots + depth), slot * slots);
        nextMembers[slot * slots + depth] = position;
        nextScores[slot] = frontier.partialScore[slot];
        nextPrices[slot] = prices[parent] + price[position];
      }
      [members, nextMembers] = [nextMembers, members];
      [scores, nextScores] = [nextScores, scores];
      [prices, nextPrices] = [nextPrices, prices];
    }
    return best.compose(search);
  }
}

/**
 * Every feasible combination, by depth-first enumeration in candidate index
 * order with the same constraint pruning as the beam and no score-based
 * pruning: the ground truth the beam is measured against. Cost grows as
 * (usable candidates)^(items to add).
 */
export function solveExhaustively(problem: BundleProblem): ComposedBundle[] {
  const search = prepareSearch(problem, 'candidateIndex');
  if (!search) return [];
  const { slots, usableCount, unary, price, budget, candidateIndex } = search;
  const best = new BestBundles(problem.constraints.count);
  const chosen = new Int32Array(slots);
  const chosenIndices = new Int32Array(slots);
  const scoreAt = new Float64Array(slots + 1);
  const priceAt = new Float64Array(slots + 1);
  priceAt[0] = search.anchorPrice;

  const extend = (depth: number, first: number): void => {
    for (let position = first; position <= usableCount - (slots - depth); position++) {
      const total = priceAt[depth] + price[position];
      if (total > budget) continue;
      if (search.conflicts(chosen, 0, depth, position)) continue;
      let gain = unary[position];
      for (let m = 0; m < depth; m++) gain += search.pairScore(chosen[m], position);
      const score = scoreAt[depth] + gain;
      chosen[depth] = position;
      if (depth + 1 === slots) {
        if (best.mightTake(score)) {
          for (let m = 0; m < slots; m++) chosenIndices[m] = candidateIndex[chosen[m]];
          best.offer(score, chosenIndices);
        }
      } else {
        scoreAt[depth + 1] = score;
        priceAt[depth + 1] = total;
        extend(depth + 1, position + 1);
      }
    }
  };
  extend(0, 0);
  return best.compose(search);
}

type SearchOrder = 'mostPromisingFirst' | 'candidateIndex';

/**
 * The candidates that can join at least one bundle, in search order, as flat
 * arrays; a "position" is an index into that order. Everything that does not
 * depend on the other members is settled here, once per request.
 */
class PreparedSearch {
  readonly usableCount: number;
  readonly unary: Float64Array;
  readonly price: Float64Array;
  /** Cheapest price at or after each position: a partial set that cannot be completed within budget is dropped. */
  readonly suffixMinPrice: Float64Array;
  readonly potential: Float64Array;
  /** potentialPrefix[p] = sum of potential[0..p-1]; potentials are in descending order in the beam's order. */
  readonly potentialPrefix: Float64Array;
  readonly itemKey: Int32Array;
  readonly categoryKey: Int32Array;
  private readonly positionOf: Int32Array;

  constructor(
    private readonly problem: BundleProblem,
    /** Candidate index at each position. */
    readonly candidateIndex: Int32Array,
    readonly slots: number,
    readonly anchorPrice: number,
    readonly budget: number,
    itemKey: Int32Array,
    categoryKey: Int32Array,
    potential: Float64Array,
    /** Whether a candidate's potential bounds what it can add to any set; true only with a full pair table. */
    readonly potentialIsBound: boolean,
    /** Pair scores by position, NaN where not yet asked; undefined when not worth keeping. */
    readonly pairTable: Float64Array | undefined,
  ) {
    const usableCount = candidateIndex.length;
    this.usableCount = usableCount;
    this.itemKey = itemKey;
    this.categoryKey = categoryKey;
    this.potential = potential;
    this.unary = new Float64Array(usableCount);
    this.price = new Float64Array(usableCount);
    this.positionOf = new Int32Array(problem.candidates.length).fill(-1);
    for (let position = 0; position < usableCount; position++) {
      const candidate = problem.candidates[candidateIndex[position]];
      this.positionOf[candidateIndex[position]] = position;
      this.unary[position] = candidate.unaryScore;
      this.price[position] = candidate.price ?? 0; // unpriced candidates are only usable without a budget
    }
    this.suffixMinPrice = new Float64Array(usableCount + 1);
    this.suffixMinPrice[usableCount] = Infinity;
    for (let position = usableCount - 1; position >= 0; position--) {
      this.suffixMinPrice[position] = Math.min(this.price[position], this.suffixMinPrice[position + 1]);
    }
    this.potentialPrefix = new Float64Array(usableCount + 1);
    for (let position = 0; position < usableCount; position++) {
      this.potentialPrefix[position + 1] = this.potentialPrefix[position] + potential[position];
    }
  }

  /** Whether the candidate at `position` clashes (same item or, when required, same leaf category) with a member. */
  conflicts(members: Int32Array, base: number, count: number, position: number): boolean {
    const item = this.itemKey[position];
    const category = this.categoryKey[position];
    for (let m = base; m < base + count; m++) {
      const other = members[m];
      if (this.itemKey[other] === item || this.categoryKey[other] === category) return true;
    }
    return false;
  }

  pairScore(a: number, b: number): number {
    const table = this.pairTable;
    if (table) {
      const known = table[a * this.usableCount + b];
      if (known === known) return known; // not NaN: asked before
    }
    const score = askPairScore(this.problem, this.candidateIndex[a], this.candidateIndex[b]);
    if (table) table[a * this.usableCount + b] = table[b * this.usableCount + a] = score;
    return score;
  }

  /** Score and price of a set summed in one fixed order, so beam and exhaustive report identical figures. */
  measure(sortedCandidateIndices: Int32Array): { totalScore: number; totalPrice: number } {
    let totalScore = 0;
    let totalPrice = this.anchorPrice;
    for (let t = 0; t < sortedCandidateIndices.length; t++) {
      const position = this.positionOf[sortedCandidateIndices[t]];
      let gain = this.unary[position];
      for (let s = 0; s < t; s++) gain += this.pairScore(this.positionOf[sortedCandidateIndices[s]], position);
      totalScore += gain;
      totalPrice += this.price[position];
    }
    return { totalScore, totalPrice };
  }
}

function askPairScore(problem: BundleProblem, i: number, j: number): number {
  const score = problem.pairScore(i, j);
  if (!Number.isFinite(score)) {
    throw new BundleProblemError(`pairScore(${i}, ${j}) returned ${score}; pair scores must be finite numbers`);
  }
  return score;
}

/** Validates, then filters and orders candidates; undefined when no bundle can be feasible (an empty answer, not an error). */
function prepareSearch(problem: BundleProblem, order: SearchOrder): PreparedSearch | undefined {
  validateProblem(problem);
  const { anchors, candidates, constraints } = problem;
  const slots = constraints.size - anchors.length;
  const budget = constraints.budget ?? Infinity;
  const anchorPrice = anchors.reduce((sum, anchor) => sum + (anchor.price ?? 0), 0);
  if (anchorPrice > budget) return undefined;
  const anchorIds = new Set(anchors.map((anchor) => anchor.itemId));
  const anchorCategories = new Set(anchors.map((anchor) => anchor.leafCategory));
  const diversity = constraints.requireCategoryDiversity;
  if (diversity && anchorCategories.size < anchors.length) return undefined;

  const usable = new Int32Array(candidates.length);
  let usableCount = 0;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index];
    if (!candidate.inStock) continue;
    if (constraints.excludeItemIds.has(candidate.itemId) || anchorIds.has(candidate.itemId)) continue;
    if (constraints.budget !== undefined && (candidate.price === null || anchorPrice + candidate.price > budget)) continue;
    if (diversity && anchorCategories.has(candidate.leafCategory)) continue;
    usable[usableCount++] = index;
  }
  if (usableCount < slots) return undefined;

  // Small integer keys make the per-expansion clash test two array reads per member.
  const itemKey = new Int32Array(usableCount);
  const categoryKey = new Int32Array(usableCount);
  const itemKeys = new Map<string, number>();
  const categoryKeys = new Map<string, number>();
  for (let ordinal = 0; ordinal < usableCount; ordinal++) {
    const candidate = candidates[usable[ordinal]];
    itemKey[ordinal] = keyOf(itemKeys, candidate.itemId);
    categoryKey[ordinal] = diversity ? keyOf(categoryKeys, candidate.leafCategory) : -1 - ordinal;
  }
  const candidateIndex = usable.subarray(0, usableCount);
  const potential = new Float64Array(usableCount);
  for (let ordinal = 0; ordinal < usableCount; ordinal++) potential[ordinal] = candidates[usable[ordinal]].unaryScore;
  // Sets of two added items meet each pair once, so only larger sets repay a table.
  const tabled = slots >= 3 && usableCount <= MAX_TABLED_CANDIDATES;
  if (order === 'candidateIndex') {
    const pairTable = tabled ? new Float64Array(usableCount * usableCount).fill(NaN) : undefined;
    return new PreparedSearch(problem, candidateIndex, slots, anchorPrice, budget, itemKey, categoryKey, potential, false, pairTable);
  }

  let pairTable: Float64Array | undefined;
  if (tabled) {
    const price = new Float64Array(usableCount);
    for (let ordinal = 0; ordinal < usableCount; ordinal++) price[ordinal] = candidates[usable[ordinal]].price ?? 0;
    pairTable = compatiblePairTable(problem, candidateIndex, itemKey, categoryKey, price, budget - anchorPrice);
    addBestPairs(potential, pairTable, slots - 1);
  }
  const byPosition = orderDescending(potential);
  return new PreparedSearch(
    problem,
    permute(candidateIndex, byPosition),
    slots,
    anchorPrice,
    budget,
    permute(itemKey, byPosition),
    permute(categoryKey, byPosition),
    permute(potential, byPosition),
    tabled,
    pairTable && permuteTable(pairTable, byPosition),
  );
}

function keyOf(keys: Map<string, number>, value: string): number {
  let key = keys.get(value);
  if (key === undefined) {
    key = keys.size;
    keys.set(value, key);
  }
  return key;
}

/**
 * Every pair of usable candidates that may share a bundle, asked once. Pairs
 * that never can (same item, same category under diversity, together over
 * budget) stay NaN: not asked, and asked lazily should a search ever read one.
 */
function compatiblePairTable(
  problem: BundleProblem,
  candidateIndex: Int32Array,
  itemKey: Int32Array,
  categoryKey: Int32Array,
  price: Float64Array,
  budgetLeft: number,
): Float64Array {
  const count = candidateIndex.length;
  const table = new Float64Array(count * count).fill(NaN);
  for (let a = 0; a < count; a++) {
    for (let b = a + 1; b < count; b++) {
      if (itemKey[a] === itemKey[b] || categoryKey[a] === categoryKey[b] || price[a] + price[b] > budgetLeft) continue;
      table[a * count + b] = table[b * count + a] = askPairScore(problem, candidateIndex[a], candidateIndex[b]);
    }
  }
  return table;
}

/**
 * Raises each unary score to a bound on what the candidate can add to any
 * set: its `partners` best positive pair scores with candidates it may share
 * a bundle with (a set holds at most that many others).
 */
function addBestPairs(potential: Float64Array, table: Float64Array, partners: number): void {
  const count = potential.length;
  const best = new Float64Array(partners); // descending; 0 stands for "no positive partner"
  for (let a = 0; a < count; a++) {
    best.fill(0);
    for (let b = 0; b < count; b++) {
      const score = table[a * count + b];
      if (!(score > best[partners - 1])) continue; // also skips NaN: the pair can never meet
      let slot = partners - 1;
      for (; slot > 0 && best[slot - 1] < score; slot--) best[slot] = best[slot - 1];
      best[slot] = score;
    }
    for (let slot = 0; slot < partners; slot++) potential[a] += best[slot];
  }
}

/**
 * Ordinals sorted by descending key, equal keys in ordinal (so candidate
 * index) order. A stable merge sort by hand: Array#sort's comparator calls
 * were a third of a 200-candidate solve.
 */
function orderDescending(key: Float64Array): Int32Array {
  const length = key.length;
  let from = new Int32Array(length);
  for (let i = 0; i < length; i++) from[i] = i;
  let to = new Int32Array(length);
  for (let run = 1; run < length; run *= 2) {
    for (let start = 0; start < length; start += 2 * run) {
      const middle = Math.min(start + run, length);
      const end = Math.min(start + 2 * run, length);
      let left = start;
      let right = middle;
      let out = start;
      while (left < middle && right < end) to[out++] = key[from[right]] > key[from[left]] ? from[right++] : from[left++];
      while (left < middle) to[out++] = from[left++];
      while (right < end) to[out++] = from[right++];
    }
    [from, to] = [to, from];
  }
  return from;
}

function permute<T extends Int32Array | Float64Array>(values: T, order: Int32Array): T {
  const out = values.slice() as T;
  for (let i = 0; i < order.length; i++) out[i] = values[order[i]];
  return out;
}

function permuteTable(table: Float64Array, order: Int32Array): Float64Array {
  const count = order.length;
  const out = new Float64Array(count * count);
  for (let a = 0; a < count; a++) {
    const row = order[a] * count;
    for (let b = 0; b < count; b++) out[a * count + b] = table[row + order[b]];
  }
  return out;
}

function validateProblem(problem: BundleProblem): void {
  const { size, count, budget } = problem.constraints;
  if (!Number.isInteger(size) || size < 2 || size > 5) {
    throw new BundleProblemError(`constraints.size must be an integer from 2 to 5 (items per bundle, anchors included), got ${size}`);
  }
  if (size <= problem.anchors.length) {
    throw new BundleProblemError(
      `constraints.size (${size}) must exceed the number of anchors (${problem.anchors.length}): a bundle needs at least one added candidate`,
    );
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new BundleProblemError(`constraints.count must be a positive integer, got ${count}`);
  }
  if (budget !== undefined && !(budget >= 0)) {
    throw new BundleProblemError(`constraints.budget must be a non-negative number when set, got ${budget}`);
  }
  problem.anchors.forEach((anchor, index) => checkPrice(anchor.price, `anchors[${index}].price`));
  problem.candidates.forEach((candidate, index) => {
    if (!Number.isFinite(candidate.unaryScore)) {
      throw new BundleProblemError(`candidates[${index}].unaryScore must be a finite number, got ${candidate.unaryScore}`);
    }
    checkPrice(candidate.price, `candidates[${index}].price`);
  });
}

// Budget pruning gives up on a set at its first over-budget prefix, which is only final when no price is negative.
function checkPrice(price: number | null, field: string): void {
  if (price !== null && !(Number.isFinite(price) && price >= 0)) {
    throw new BundleProblemError(`${field} must be null or a non-negative finite number, got ${price}`);
  }
}

/** The most partial sets (fewer than `slots` members) any depth can hold: the beam never needs more room. */
function maxPartialSets(usableCount: number, slots: number): number {
  let most = 1;
  let combinations = 1;
  for (let depth = 1; depth < slots; depth++) {
    combinations = (combinations * (usableCount - depth + 1)) / depth;
    most = Math.max(most, combinations);
  }
  return Math.max(1, Math.round(most));
}

function sortAscending(values: Int32Array): void {
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    let j = i - 1;
    for (; j >= 0 && values[j] > value; j--) values[j + 1] = values[j];
    values[j + 1] = value;
  }
}

/** Lexicographic order of equal-length ascending index lists: the deterministic tie-break between equal scores. */
function compareMembers(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/** Equal ranks: the partial set offered later ranks below, so the beam is deterministic. */
function ranksBelow(rank: number, order: number, otherRank: number, otherOrder: number): boolean {
  return rank < otherRank || (rank === otherRank && order > otherOrder);
}

/**
 * The partial sets kept for the next depth: a bounded min-heap (worst at the
 * root) in flat arrays, so that expanding allocates nothing.
 */
class Frontier {
  /** What the beam ranks by: score plus the reachable potential. */
  readonly rank: Float64Array;
  readonly partialScore: Float64Array;
  readonly parent: Int32Array;
  readonly position: Int32Array;
  private readonly order: Float64Array;
  size = 0;
  private offered = 0;

  constructor(private readonly capacity: number) {
    this.rank = new Float64Array(capacity);
    this.partialScore = new Float64Array(capacity);
    this.parent = new Int32Array(capacity);
    this.position = new Int32Array(capacity);
    this.order = new Float64Array(capacity);
  }

  reset(): void {
    this.size = 0;
    this.offered = 0;
  }

  /** True when a child ranked at most `bound` would be turned away. */
  cannotTake(bound: number): boolean {
    return this.size === this.capacity && bound <= this.rank[0];
  }

  offer(rank: number, partialScore: number, parent: number, position: number): void {
    const order = this.offered++;
    if (this.size < this.capacity) {
      let slot = this.size++;
      while (slot > 0) {
        const up = (slot - 1) >> 1;
        if (!ranksBelow(rank, order, this.rank[up], this.order[up])) break;
        this.move(up, slot);
        slot = up;
      }
      this.put(slot, rank, partialScore, parent, position, order);
    } else if (rank > this.rank[0]) {
      let slot = 0;
      for (;;) {
        const left = 2 * slot + 1;
        if (left >= this.size) break;
        const right = left + 1;
        const worse = right < this.size && ranksBelow(this.rank[right], this.order[right], this.rank[left], this.order[left]) ? right : left;
        if (!ranksBelow(this.rank[worse], this.order[worse], rank, order)) break;
        this.move(worse, slot);
        slot = worse;
      }
      this.put(slot, rank, partialScore, parent, position, order);
    }
  }

  private move(from: number, to: number): void {
    this.put(to, this.rank[from], this.partialScore[from], this.parent[from], this.position[from], this.order[from]);
  }

  private put(slot: number, rank: number, partialScore: number, parent: number, position: number, order: number): void {
    this.rank[slot] = rank;
    this.partialScore[slot] = partialScore;
    this.parent[slot] = parent;
    this.position[slot] = position;
    this.order[slot] = order;
  }
}

interface KeptBundle {
  score: number;
  members: Int32Array;
}

/** The `count` best complete sets seen so far: a bounded min-heap that allocates only for sets it keeps. */
class BestBundles {
  private readonly heap: KeptBundle[] = [];

  constructor(private readonly capacity: number) {}

  /** Cheap pre-check before building a set's sorted member list. */
  mightTake(score: number): boolean {
    return this.heap.length < this.capacity || score >= this.heap[0].score;
  }

  /**
   * True when no set scoring at most `bound` can get in. The margin covers
   * rounding between a bound and the score summed another way, so pruning
   * never drops a set that belongs in the answer.
   */
  cannotTake(bound: number): boolean {
    if (this.heap.length < this.capacity) return false;
    const worst = this.heap[0].score;
    return bound < worst - 1e-9 * (1 + Math.abs(worst));
  }

  offer(score: number, sortedMembers: Int32Array): void {
    const heap = this.heap;
    if (heap.length < this.capacity) {
      heap.push({ score, members: sortedMembers.slice() });
      let slot = heap.length - 1;
      while (slot > 0) {
        const up = (slot - 1) >> 1;
        if (!bundleRanksBelow(heap[slot], heap[up])) break;
        [heap[slot], heap[up]] = [heap[up], heap[slot]];
        slot = up;
      }
      return;
    }
    if (!bundleRanksBelow(heap[0], { score, members: sortedMembers })) return;
    heap[0] = { score, members: sortedMembers.slice() };
    let slot = 0;
    for (;;) {
      const left = 2 * slot + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const worse = right < heap.length && bundleRanksBelow(heap[right], heap[left]) ? right : left;
      if (!bundleRanksBelow(heap[worse], heap[slot])) break;
      [heap[slot], heap[worse]] = [heap[worse], heap[slot]];
      slot = worse;
    }
  }

  compose(search: PreparedSearch): ComposedBundle[] {
    const bundles = this.heap.map((kept) => ({ members: Array.from(kept.members), ...search.measure(kept.members) }));
    return bundles.sort((a, b) => b.totalScore - a.totalScore || compareMembers(a.members, b.members));
  }
}

function bundleRanksBelow(a: KeptBundle, b: KeptBundle): boolean {
  return a.score < b.score || (a.score === b.score && compareMembers(a.members, b.members) > 0);
}

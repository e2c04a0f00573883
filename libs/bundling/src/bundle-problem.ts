/**
 * What the BundleOptimizer solves. The bundle objective is pairwise: a
 * candidate's own score (its complementarity with every anchor plus the
 * shopper's affinity for it) plus, for each pair of added items, how well they
 * go together. Anchors are fixed members and are never returned as additions.
 */

export interface BundleAnchor {
  readonly itemId: string;
  /** Unknown price counts as 0 towards the budget (the anchor is already chosen). */
  readonly price: number | null;
  readonly leafCategory: string;
}

export interface BundleCandidate {
  readonly itemId: string;
  /** An item without a price can never join a bundle that has a budget. */
  readonly price: number | null;
  readonly inStock: boolean;
  readonly leafCategory: string;
  /** Complementarity with all anchors plus personal affinity; higher is better. */
  readonly unaryScore: number;
}

export interface BundleConstraints {
  /** Items per bundle, anchors included: 2..5. */
  readonly size: number;
  /** Distinct bundles wanted, best first. */
  readonly count: number;
  /** The most the whole bundle may cost, anchors included. */
  readonly budget?: number;
  /** At most one item per leaf category in a bundle, anchors included. */
  readonly requireCategoryDiversity: boolean;
  readonly excludeItemIds: ReadonlySet<string>;
}

export interface BundleProblem {
  readonly anchors: readonly BundleAnchor[];
  readonly candidates: readonly BundleCandidate[];
  /** Symmetric score of candidates i and j together (indices into `candidates`). */
  readonly pairScore: (i: number, j: number) => number;
  readonly constraints: BundleConstraints;
}

export interface ComposedBundle {
  /** Indices into `candidates` of the added items, ascending. */
  readonly members: readonly number[];
  readonly totalScore: number;
  /** Anchors included. */
  readonly totalPrice: number;
}

import { Filters, FiltersSchema } from '@recmesh/contracts';
import type { ReasonCode } from './reasons';

/**
 * Request filters every answer must respect: the fields of the proto message
 * recmesh.gateway.v1.Filters, so a filter added to the proto is a field here,
 * travels to the scorer and bundler unchanged, and needs only its validation
 * at the edge and its rule in CatalogIndex.accepts.
 */
export type ItemFilters = Readonly<Partial<Omit<Filters, '$typeName' | '$unknown'>>>;

const FILTER_FIELDS = FiltersSchema.fields.map((f) => f.localName) as ReadonlyArray<keyof ItemFilters>;

/** The filter fields of a query (which carries them next to its own fields). */
export function filtersOf(query: ItemFilters): ItemFilters {
  const out: Record<string, unknown> = {};
  for (const field of FILTER_FIELDS) if (query[field] !== undefined) out[field] = query[field];
  return out as unknown as ItemFilters;
}

/** Epoch ms after which an answer is useless; absent = no deadline. */
interface Deadline {
  readonly deadlineMs?: number;
}

/** The model_version of answers served by the popularity baseline. */
export const POPULARITY_MODEL_VERSION = 'popularity';

/**
 * What answers a query, as an experiment arm chooses it (recmesh.experiments.v1.ArmStrategy):
 * a registered model version (loaded on first use, a few at once), or the decayed
 * most-popular items (answers carry model_version "popularity"). Absent on a query:
 * the version the model registry serves, as without experiments.
 */
export type ServedBy = { readonly modelVersion: string } | { readonly strategy: 'popularity' };

interface Served {
  readonly servedBy?: ServedBy;
}

export interface RecommendQuery extends ItemFilters, Deadline, Served {
  readonly userId: string;
  readonly k: number;
  readonly currentItemId?: string;
  readonly cartItemIds: readonly string[];
  readonly page?: string;
}

export interface SimilarQuery extends ItemFilters, Deadline, Served {
  readonly itemId: string;
  readonly k: number;
  readonly userId?: string;
}

export interface RecommendedItem {
  readonly itemId: string;
  readonly score: number;
  readonly reason: string;
  readonly reasonCode: ReasonCode;
  readonly title?: string;
  readonly price?: number;
}

export interface Recommendations {
  readonly items: RecommendedItem[];
  readonly modelVersion: string;
}

export const BundleLimits = { minSize: 2, maxSize: 5, defaultSize: 3, maxCount: 20, defaultCount: 3, maxAnchors: 10 } as const;

/** Filters apply to the added items; anchors are the shopper's choice. */
export interface BundleQuery extends ItemFilters, Deadline {
  readonly userId?: string;
  readonly anchorItemIds: readonly string[];
  readonly size: number;
  readonly count: number;
  readonly budget?: number;
  readonly requireCategoryDiversity: boolean;
}

export interface BundledItem extends RecommendedItem {
  /** 'anchor', or the leaf category the item fills. */
  readonly role: string;
}

export interface RecommendedBundle {
  readonly items: readonly BundledItem[];
  readonly totalScore: number;
  readonly totalPrice: number;
  readonly reason: string;
}

export interface BundleAnswer {
  readonly bundles: readonly RecommendedBundle[];
  readonly modelVersion: string;
}

/**
 * What the gateway needs from the scorer, in process or over gRPC. Failures
 * are ServingErrors; the gateway validates, enforces deadlines and load limits,
 * attributes and publishes, the backend decides what to recommend.
 */
export interface RecommendationBackend {
  recommend(query: RecommendQuery): Promise<Recommendations>;
  similarItems(query: SimilarQuery): Promise<Recommendations>;
  isReady(): boolean;
}

/** What the gateway needs from the bundler, in process or over gRPC. */
export interface BundleBackend {
  bundles(query: BundleQuery): Promise<BundleAnswer>;
  isReady(): boolean;
}

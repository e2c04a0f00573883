import type { BundleAnswer, BundleQuery } from '@recmesh/bundle-service';

/**
 * What the gateway needs from the recommendation logic (the scorer and the
 * bundler). The gateway validates, enforces deadlines and load limits,
 * attributes and publishes; the backend decides what to recommend.
 */
export interface RecommendQuery { userId: string; k: number; currentItemId?: string; cartItemIds: string[]; page?: string; categories: string[]; minPrice?: number; maxPrice?: number; excludeItemIds: string[]; deadlineMs: number }
export interface SimilarQuery { itemId: string; k: number; userId?: string; categories: string[]; minPrice?: number; maxPrice?: number; excludeItemIds: string[]; deadlineMs: number }
export interface BackendItem { itemId: string; score: number; reason: string; reasonCode: 'sequence'|'viewed_similar'|'bought_together'|'text_similar'|'trending'|'complements_anchor'; title?: string; price?: number }
export interface BackendAnswer { items: BackendItem[]; modelVersion: string }
export interface RecommendationBackend { recommend(q: RecommendQuery): Promise<BackendAnswer>; similarItems(q: SimilarQuery): Promise<BackendAnswer>; isReady(): boolean }
export class UnknownItemError extends Error {}   // SimilarItems for an item the backend does not know -> NOT_FOUND
export class BackendOverloadedError extends Error {} // -> RESOURCE_EXHAUSTED

/** Bundles from the bundler, in process or over gRPC. */
export type BundleBackendQuery = BundleQuery & { readonly deadlineMs: number };
export interface BundleBackend { bundles(q: BundleBackendQuery): Promise<BundleAnswer>; isReady(): boolean }
export type { BundleAnswer };

import type { Config, ConfigSchema } from '@recmesh/service-config';
import type { HnswParams } from './hnsw-item-retriever';

/** How the scorer finds each user's top items: scan every item, or search an HNSW graph. */
export const VectorRetrievalConfigSchema = {
  SCORER_RETRIEVAL: {
    type: 'enum',
    values: ['exact', 'ann', 'auto'],
    default: 'auto',
    description: 'exact = score every item; ann = HNSW candidates re-scored exactly; auto = ann from SCORER_ANN_MIN_ITEMS items on',
  },
  SCORER_ANN_MIN_ITEMS: { type: 'int', default: 200_000, min: 1, description: 'catalog size from which SCORER_RETRIEVAL=auto searches the HNSW graph' },
  SCORER_ANN_M: { type: 'int', default: 16, min: 4, max: 64, description: 'HNSW links per node (memory and recall grow with it)' },
  SCORER_ANN_EF_CONSTRUCTION: { type: 'int', default: 100, min: 16, max: 1000, description: 'HNSW candidate list while inserting (build time and recall grow with it)' },
  SCORER_ANN_EF_SEARCH: { type: 'int', default: 100, min: 10, max: 5000, description: 'HNSW candidate list per query, at least the rows fetched (latency and recall grow with it)' },
} as const satisfies ConfigSchema;

export type VectorRetrievalConfig = Config<typeof VectorRetrievalConfigSchema>;

export type RetrievalMode = VectorRetrievalConfig['SCORER_RETRIEVAL'];

export interface RetrievalSettings {
  mode: RetrievalMode;
  /** auto: the graph from this many items on. */
  annMinItems: number;
  hnsw: HnswParams;
}

export function retrievalSettings(config: VectorRetrievalConfig): RetrievalSettings {
  return {
    mode: config.SCORER_RETRIEVAL,
    annMinItems: config.SCORER_ANN_MIN_ITEMS,
    hnsw: { m: config.SCORER_ANN_M, efConstruction: config.SCORER_ANN_EF_CONSTRUCTION, efSearch: config.SCORER_ANN_EF_SEARCH },
  };
}

/** Does a catalog of `items` items search the graph under these settings? */
export function usesAnn(settings: Pick<RetrievalSettings, 'mode' | 'annMinItems'>, items: number): boolean {
  return settings.mode === 'ann' || (settings.mode === 'auto' && items >= settings.annMinItems);
}

import { CatalogItemRecord, CatalogStore } from '@recmesh/persistence';
import type { ItemFilters } from './serving-queries';

export interface CatalogEntry {
  readonly itemId: string;
  readonly title: string;
  readonly categoryPath: readonly string[];
  readonly leafCategory: string;
  readonly brand: string;
  readonly price: number | null;
  readonly inStock: boolean;
  /** Shop-defined attributes, e.g. `fits` = the item id a case or charger is made for. */
  readonly attributes: Readonly<Record<string, string>>;
}

function entryOf(r: CatalogItemRecord): CatalogEntry {
  return { itemId: r.itemId, title: r.title, categoryPath: r.categoryPath, leafCategory: r.leafCategory, brand: r.brand, price: r.price, inStock: r.inStock === 1, attributes: r.attributes ?? {} };
}

/**
 * The live catalog in memory (titles for reasons, stock, categories, prices):
 * loaded once from the store, then kept current item by item as catalog
 * changes arrive (CatalogFollower). Deleted and out-of-stock items never
 * reach an answer.
 */
export class CatalogIndex {
  private items = new Map<string, CatalogEntry>();
  private loaded = false;

  constructor(private readonly store: CatalogStore) {}

  /** Replaces the whole index with the store's live items. */
  async reload(): Promise<number> {
    this.items = new Map((await this.store.liveItems()).map((r) => [r.itemId, entryOf(r)]));
    this.loaded = true;
    return this.items.size;
  }

  /**
   * Re-reads these items from the store (which ingest wrote before forwarding
   * the change), so redelivered or out-of-order changes converge to the
   * store's newest-wins state. Returns the entries that are new or changed.
   */
  async refreshItems(itemIds: readonly string[]): Promise<CatalogEntry[]> {
    const rows = await this.store.findItems([...new Set(itemIds)]);
    const changed: CatalogEntry[] = [];
    for (const row of rows) {
      if (row.deleted === 1) {
        this.items.delete(row.itemId);
        continue;
      }
      const entry = entryOf(row);
      this.items.set(row.itemId, entry);
      changed.push(entry);
    }
    return changed;
  }

  /** True once the first full load finished. */
  get isLoaded(): boolean {
    return this.loaded;
  }

  entries(): IterableIterator<CatalogEntry> {
    return this.items.values();
  }

  get(itemId: string): CatalogEntry | undefined {
    return this.items.get(itemId);
  }

  get size(): number {
    return this.items.size;
  }

  /** Sellable and inside the filters; unknown ids (not in the catalog) are never recommended. */
  accepts(itemId: string, filters: ItemFilters, excluded: ReadonlySet<string>): boolean {
    const item = this.items.get(itemId);
    if (!item || !item.inStock || excluded.has(itemId)) return false;
    if (filters.categories?.length && !filters.categories.some((c) => item.categoryPath.includes(c))) return false;
    if (filters.minPrice !== undefined && (item.price === null || item.price < filters.minPrice)) return false;
    if (filters.maxPrice !== undefined && (item.price === null || item.price > filters.maxPrice)) return false;
    return true;
  }
}

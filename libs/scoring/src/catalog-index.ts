import { CatalogItemEntity } from '@recmesh/persistence';
import { DataSource } from 'typeorm';

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

/** Request filters every answer must respect. */
export interface ItemFilters {
  readonly categories: readonly string[];
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly excludeItemIds: readonly string[];
}

/**
 * The live catalog in memory (titles for reasons, stock, categories, prices),
 * reloaded from catalog_items in the background. Deleted and out-of-stock
 * items never reach an answer.
 */
export class CatalogIndex {
  private items = new Map<string, CatalogEntry>();

  constructor(private readonly dataSource: DataSource) {}

  async reload(): Promise<number> {
    const rows = await this.dataSource.getRepository(CatalogItemEntity).find({ where: { deleted: 0 } });
    this.items = new Map(
      rows.map((r) => [r.itemId, { itemId: r.itemId, title: r.title, categoryPath: r.categoryPath, leafCategory: r.leafCategory, brand: r.brand, price: r.price, inStock: r.inStock === 1, attributes: r.attributes ?? {} }]),
    );
    return this.items.size;
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
    if (filters.categories.length > 0 && !filters.categories.some((c) => item.categoryPath.includes(c))) return false;
    if (filters.minPrice !== undefined && (item.price === null || item.price < filters.minPrice)) return false;
    if (filters.maxPrice !== undefined && (item.price === null || item.price > filters.maxPrice)) return false;
    return true;
  }
}

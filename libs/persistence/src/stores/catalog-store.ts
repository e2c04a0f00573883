import { DataSource, EntityManager, In, MoreThan } from 'typeorm';
import { CatalogEventEntity } from '../entities/catalog-event.entity';
import { CatalogItemEntity } from '../entities/catalog-item.entity';
import { IdempotentInsertResult, SourcePosition, storeIdempotently, withSourcePosition } from './idempotent-insert';

/** A change to log; without a raw-topic position a copy arriving again is a duplicate. */
export type CatalogEventRow = Omit<CatalogEventEntity, keyof SourcePosition> & Partial<SourcePosition>;

/** An item as the store holds it (read-only to callers; changes go through applyBatch). */
export type CatalogItemRecord = Readonly<CatalogItemEntity>;

export type CatalogChange =
  | { readonly kind: 'upsert'; readonly eventId: string; readonly tsMs: number; readonly item: Omit<CatalogItemEntity, 'deleted' | 'updatedTsMs' | 'leafCategory'> }
  | { readonly kind: 'delete'; readonly eventId: string; readonly tsMs: number; readonly itemId: string };

/** Catalog change log plus the current item table derived from it. */
export class CatalogStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Logs the changes and applies the new ones to catalog_items in one
   * transaction. Older changes never overwrite newer state (ts_ms ordering),
   * so replays and out-of-order delivery converge to the same table.
   */
  applyBatch(events: readonly CatalogEventRow[], changes: readonly CatalogChange[]): Promise<IdempotentInsertResult> {
    if (events.length === 0) return Promise.resolve({ inserted: [], toForward: new Set(), duplicates: [] });
    return storeIdempotently(
      this.dataSource,
      CatalogEventEntity,
      events.map(withSourcePosition),
      (manager, inserted) => this.applyChanges(manager, changes.filter((c) => inserted.has(c.eventId))),
    );
  }

  private async applyChanges(manager: EntityManager, changes: readonly CatalogChange[]): Promise<void> {
    if (changes.length === 0) return;
    const repo = manager.getRepository(CatalogItemEntity);
    const itemIdOf = (c: CatalogChange) => (c.kind === 'upsert' ? c.item.itemId : c.itemId);
    const ids = [...new Set(changes.map(itemIdOf))];
    const current = new Map((await repo.find({ where: { itemId: In(ids) } })).map((i) => [i.itemId, i]));
    const next = new Map<string, CatalogItemEntity>();
    for (const change of [...changes].sort((a, b) => a.tsMs - b.tsMs)) {
      const id = itemIdOf(change);
      const existing = next.get(id) ?? current.get(id);
      if (existing && existing.updatedTsMs > change.tsMs) continue;
      if (change.kind === 'upsert') {
        next.set(id, {
          ...change.item,
          leafCategory: change.item.categoryPath[change.item.categoryPath.length - 1] ?? '',
          deleted: 0,
          updatedTsMs: change.tsMs,
        });
      } else if (existing) {
        next.set(id, { ...existing, deleted: 1, updatedTsMs: change.tsMs });
      }
    }
    if (next.size > 0) await repo.save([...next.values()], { chunk: 200 });
  }

  /**
   * Inserts items that are not in the table yet, many rows per statement and
   * without the change log: for loading a catalog snapshot into an empty store
   * (benchmarks, fixtures). Live changes go through applyBatch.
   */
  async insertItems(items: ReadonlyArray<Omit<CatalogItemEntity, 'deleted' | 'leafCategory'>>, rowsPerStatement = 500): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (let i = 0; i < items.length; i += rowsPerStatement) {
        const rows = items.slice(i, i + rowsPerStatement).map((item) => ({ ...item, leafCategory: item.categoryPath[item.categoryPath.length - 1] ?? '', deleted: 0 }));
        await manager.createQueryBuilder().insert().into(CatalogItemEntity).values(rows).execute();
      }
    });
  }

  /** Every item that is not deleted (what serving loads at start). */
  liveItems(): Promise<CatalogItemRecord[]> {
    return this.dataSource.getRepository(CatalogItemEntity).find({ where: { deleted: 0 } });
  }

  /** One page of the live items in item_id order, strictly after `afterItemId` (keyset pagination, read-only). */
  liveItemsPage(afterItemId: string | null, limit: number): Promise<CatalogItemRecord[]> {
    return this.dataSource.getRepository(CatalogItemEntity).find({
      where: afterItemId === null ? { deleted: 0 } : { deleted: 0, itemId: MoreThan(afterItemId) },
      order: { itemId: 'ASC' },
      take: limit,
    });
  }

  /** The current rows of these items, deleted ones included (serving applies a change from them). */
  findItems(itemIds: readonly string[]): Promise<CatalogItemRecord[]> {
    if (itemIds.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(CatalogItemEntity).find({ where: { itemId: In([...itemIds]) } });
  }

  findItem(itemId: string): Promise<CatalogItemEntity | null> {
    return this.dataSource.getRepository(CatalogItemEntity).findOne({ where: { itemId } });
  }

  /** Leaf category of each known item (for per-category popularity). */
  async leafCategories(itemIds: readonly string[]): Promise<Map<string, string>> {
    if (itemIds.length === 0) return new Map();
    const rows = await this.dataSource.getRepository(CatalogItemEntity).find({ select: { itemId: true, leafCategory: true }, where: { itemId: In([...itemIds]) } });
    return new Map(rows.map((r) => [r.itemId, r.leafCategory]));
  }

  countEvents(): Promise<number> {
    return this.dataSource.getRepository(CatalogEventEntity).count();
  }
}

import { DataSource, In } from 'typeorm';
import { ItemPopularityEntity } from '../entities/feature-entities';
import { FeatureStore, PopularityChange } from '../stores/feature-store';

const H = 3_600_000;

/**
 * Popularity changes in the order a feature-builder could apply them (on items a, b and c: a first add, a newer one, a late
 * one, a loss larger than the score, a loss on a new item, a mixed batch), and the rows they must leave.
 * Run on both dialects: FeatureStore.addPopularity's SQL is written once for MySQL and SQLite.
 */
export async function applyPopularityCases(ds: DataSource): Promise<{ actual: PopularityRowView[]; expected: PopularityRowView[] }> {
  const features = new FeatureStore(ds);
  const change = (itemId: string, score: number, referenceTsMs: number, leafCategory = ''): PopularityChange => ({ itemId, score, referenceTsMs, interactions: 1, leafCategory });
  const steps: PopularityChange[][] = [
    [change('a', 4, 0, 'Phones')],
    [change('a', 1, H)], // 4 halved once, plus 1: 3 at H; the category stays
    [change('a', 2, 0)], // late: 3 plus 2 halved once: 4 at H
    [change('a', -10, H)], // a loss past zero stops at zero
    [change('b', -1, H)], // a loss on a new item starts it at zero
    [change('c', 2, H, 'Cases'), change('a', 1, 2 * H), change('b', 0.5, H)],
  ];
  for (const batch of steps) await ds.transaction((m) => features.addPopularity(m, batch, H));
  const rows = await ds.getRepository(ItemPopularityEntity).find({ where: { itemId: In(['a', 'b', 'c']) }, order: { itemId: 'ASC' } });
  return {
    actual: rows.map(view),
    expected: [
      { itemId: 'a', score: 1, referenceTsMs: 2 * H, interactions: 5, leafCategory: 'Phones' },
      { itemId: 'b', score: 0.5, referenceTsMs: H, interactions: 2, leafCategory: '' },
      { itemId: 'c', score: 2, referenceTsMs: H, interactions: 1, leafCategory: 'Cases' },
    ],
  };
}

export interface PopularityRowView {
  readonly itemId: string;
  readonly score: number;
  readonly referenceTsMs: number;
  readonly interactions: number;
  readonly leafCategory: string;
}

/** A row with its score to 9 decimals (the SQL and the expectation round differently in the last bits). */
function view(row: ItemPopularityEntity): PopularityRowView {
  return { itemId: row.itemId, score: Math.round(row.score * 1e9) / 1e9, referenceTsMs: Number(row.referenceTsMs), interactions: Number(row.interactions), leafCategory: row.leafCategory };
}

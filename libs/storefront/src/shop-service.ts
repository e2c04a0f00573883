import { create } from '@bufbuild/protobuf';
import { BundleRequestSchema, RecommendRequestSchema, RequestContextSchema, ScoredItem, SimilarItemsRequestSchema } from '@recmesh/contracts';
import { GatewayCallError, GatewayCalls } from '@recmesh/gateway-api';
import { CatalogItemRecord, SequenceStep } from '@recmesh/persistence';
import { reasonCodeFromWire } from '@recmesh/serving-core';
import { categoryArtPath } from './category-art';
import { formatMinor, toMinor } from './money';
import type { RecommendedShopItem, ShopBundleItem, ShopBundles, Shopper, ShopItem, ShopItemDetail, ShopList, ShopShoppers } from './shop-api.types';
import { HTTP_STATUS_OF_GRPC, shopHttpError } from './shop-http-status';
import { BundleParams, RecommendParams, SimilarParams } from './shop-query';

/** The gateway's storefront methods, called in process (GatewayGrpcServer.invoke): rec_ids, served lists and experiment arms as for gRPC. */
export interface ShopGateway {
  invoke<M extends keyof GatewayCalls>(method: M, request: GatewayCalls[M]['request']): Promise<GatewayCalls[M]['response']>;
}

/** Titles, prices and categories: the catalog store (CatalogStore). */
export interface ShopCatalogReader {
  findItems(itemIds: readonly string[]): Promise<readonly CatalogItemRecord[]>;
}

/** A shopper's recent history: feature-builder's user sequences (FeatureStore). */
export interface ShopHistoryReader {
  sequence(userId: string): Promise<readonly SequenceStep[] | undefined>;
}

export interface ShopServiceOptions {
  readonly gateway: ShopGateway;
  readonly catalog: ShopCatalogReader;
  readonly history: ShopHistoryReader;
  readonly shoppers: readonly string[];
  /** Currency of items the catalog names none for. */
  readonly defaultCurrency?: string;
}

const INTERESTS = 2;

/** The storefront's JSON API over the gateway and the catalog store. */
export class ShopService {
  constructor(private readonly options: ShopServiceOptions) {}

  async recommend(params: RecommendParams): Promise<ShopList> {
    const answer = await this.call('Recommend', create(RecommendRequestSchema, { userId: params.user, k: params.k, context: create(RequestContextSchema, { cartItemIds: [...params.cart], page: 'home' }) }));
    return { rec_id: answer.recId, model_version: answer.modelVersion, items: await this.recommended(answer.items) };
  }

  async similar(params: SimilarParams): Promise<ShopList> {
    const answer = await this.call('SimilarItems', create(SimilarItemsRequestSchema, { itemId: params.item, userId: params.user ?? '', k: params.k }));
    return { rec_id: answer.recId, model_version: answer.modelVersion, items: await this.recommended(answer.items) };
  }

  async bundle(params: BundleParams): Promise<ShopBundles> {
    const answer = await this.call(
      'Bundle',
      create(BundleRequestSchema, {
        userId: params.user ?? '', anchorItemIds: [params.item], size: params.size, count: params.count, budget: params.budget,
        requireCategoryDiversity: true,
      }),
    );
    const rows = await this.rows(answer.bundles.flatMap((b) => b.items.map((i) => i.item?.itemId ?? '')));
    return {
      rec_id: answer.recId,
      model_version: answer.modelVersion,
      bundles: answer.bundles.map((b) => {
        const items: ShopBundleItem[] = b.items.map((i) => ({ ...this.recommendedItem(i.item, rows), role: i.role }));
        const totalMinor = items.reduce((sum, i) => sum + (i.price_minor ?? 0), 0);
        return { items, total_price: formatMinor(totalMinor), total_price_minor: totalMinor, reason: b.reason };
      }),
    };
  }

  async item(itemId: string): Promise<ShopItemDetail> {
    const [row] = await this.options.catalog.findItems([itemId]);
    if (!row || row.deleted === 1) throw shopHttpError(404, `item ${JSON.stringify(itemId.slice(0, 128))} is not in the catalog`);
    return { ...this.shopItem(row), description: row.description };
  }

  /** The switcher's shoppers, each with the leaf categories of their recent history. */
  async shoppers(): Promise<ShopShoppers> {
    const histories = await Promise.all(this.options.shoppers.map(async (userId) => ({ userId, steps: (await this.options.history.sequence(userId)) ?? [] })));
    const rows = await this.rows(histories.flatMap((h) => h.steps.map((s) => s.i)));
    const shoppers: Shopper[] = histories.map(({ userId, steps }) => {
      const counts = new Map<string, number>();
      for (const step of steps) {
        const leaf = rows.get(step.i)?.leafCategory;
        if (leaf) counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
      }
      const interests = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, INTERESTS).map(([leaf]) => leaf);
      return { user_id: userId, interests };
    });
    return { shoppers };
  }

  private async call<M extends keyof GatewayCalls>(method: M, request: GatewayCalls[M]['request']): Promise<GatewayCalls[M]['response']> {
    try {
      return await this.options.gateway.invoke(method, request);
    } catch (error) {
      if (error instanceof GatewayCallError) throw shopHttpError(HTTP_STATUS_OF_GRPC[error.code] ?? 500, error.details);
      throw error;
    }
  }

  private async rows(itemIds: readonly string[]): Promise<Map<string, CatalogItemRecord>> {
    const ids = [...new Set(itemIds.filter(Boolean))];
    return new Map((await this.options.catalog.findItems(ids)).map((r) => [r.itemId, r]));
  }

  private async recommended(items: readonly ScoredItem[]): Promise<RecommendedShopItem[]> {
    const rows = await this.rows(items.map((i) => i.itemId));
    return items.map((i) => this.recommendedItem(i, rows));
  }

  /** The catalog's view of the item (brand, category, currency), the answer's reason and score. */
  private recommendedItem(item: ScoredItem | undefined, rows: ReadonlyMap<string, CatalogItemRecord>): RecommendedShopItem {
    const itemId = item?.itemId ?? '';
    const row = rows.get(itemId);
    const base: ShopItem = row
      ? this.shopItem(row)
      : { item_id: itemId, title: item?.title || itemId, brand: '', category: '', category_path: [], ...this.money(item?.price ?? null), currency: this.currency(''), in_stock: true, image: categoryArtPath('') };
    return { ...base, reason: item?.reason ?? '', reason_code: reasonCodeFromWire(item?.reasonCode ?? 0), score: item?.score ?? 0 };
  }

  private shopItem(row: CatalogItemRecord): ShopItem {
    const category = row.leafCategory || row.categoryPath[row.categoryPath.length - 1] || '';
    return {
      item_id: row.itemId, title: row.title, brand: row.brand, category, category_path: row.categoryPath,
      ...this.money(row.price), currency: this.currency(row.currency), in_stock: row.inStock === 1, image: categoryArtPath(category),
    };
  }

  private money(price: number | null | undefined): Pick<ShopItem, 'price' | 'price_minor'> {
    if (price === null || price === undefined) return { price: null, price_minor: null };
    const minor = toMinor(price);
    return { price: formatMinor(minor), price_minor: minor };
  }

  private currency(currency: string): string {
    return currency || this.options.defaultCurrency || 'EUR';
  }
}

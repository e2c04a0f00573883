/**
 * The storefront's JSON API (`/shop/api/*`), shared by the server and the page.
 * Money is a decimal string and integer minor units (hundredths), never a float.
 */

export interface ShopItem {
  readonly item_id: string;
  readonly title: string;
  readonly brand: string;
  /** The leaf category, e.g. "Running Shoes". */
  readonly category: string;
  readonly category_path: readonly string[];
  /** "19.90"; null when the catalog has no price. */
  readonly price: string | null;
  /** 1990 for 19.90. */
  readonly price_minor: number | null;
  readonly currency: string;
  readonly in_stock: boolean;
  /** The category's generated picture (SVG). */
  readonly image: string;
}

export interface ShopItemDetail extends ShopItem {
  readonly description: string;
}

export interface RecommendedShopItem extends ShopItem {
  /** Shopper-readable, e.g. "Because you viewed Nova Phone Pro 3". */
  readonly reason: string;
  /** e.g. "sequence", "bought_together", "trending". */
  readonly reason_code: string;
  readonly score: number;
}

/** A served list: send its rec_id back with the clicks, carts and purchases that follow from it. */
export interface ShopList {
  readonly rec_id: string;
  readonly model_version: string;
  readonly items: readonly RecommendedShopItem[];
}

export interface ShopBundleItem extends RecommendedShopItem {
  /** "anchor", or the leaf category the item fills. */
  readonly role: string;
}

export interface ShopBundle {
  readonly items: readonly ShopBundleItem[];
  readonly total_price: string;
  readonly total_price_minor: number;
  readonly reason: string;
}

export interface ShopBundles {
  readonly rec_id: string;
  readonly model_version: string;
  readonly bundles: readonly ShopBundle[];
}

export interface Shopper {
  readonly user_id: string;
  /** Leaf categories of the shopper's recent history, most frequent first (empty for a new shopper). */
  readonly interests: readonly string[];
}

export interface ShopShoppers {
  readonly shoppers: readonly Shopper[];
}

/** Every 4xx/5xx of the API. */
export interface ShopErrorBody {
  readonly statusCode: number;
  readonly error: string;
  readonly message: string;
}

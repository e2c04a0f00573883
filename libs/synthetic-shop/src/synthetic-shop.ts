import { SeededRandom } from './random';
import { Adjectives, Colors, LeafCategory, ShopTaxonomy } from './shop-taxonomy';

export interface ShopItem {
  readonly itemId: string;
  readonly title: string;
  readonly description: string;
  readonly categoryPath: readonly string[];
  readonly brand: string;
  readonly price: number;
  readonly currency: 'EUR';
  readonly inStock: boolean;
  readonly attributes: Readonly<Record<string, string>>;
  /** Relative popularity (power law): a few bestsellers, a long tail. */
  readonly popularity: number;
}

export type ShopAction = 'view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'purchase' | 'rate';

export interface ShopEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly itemId: string;
  readonly action: ShopAction;
  readonly quantity: number;
  readonly price: number;
  readonly rating?: number;
  readonly tsMs: number;
}

export interface SyntheticShopOptions {
  readonly seed?: number;
  readonly items?: number;
  readonly users?: number;
  readonly sessionsPerUser?: number;
  /** Zipf exponent of item popularity within a category. */
  readonly popularityExponent?: number;
  /** Time of the first event. */
  readonly startMs?: number;
}

export interface SyntheticShop {
  readonly items: readonly ShopItem[];
  readonly events: readonly ShopEvent[];
}

interface CategoryPool {
  readonly leaf: LeafCategory;
  readonly items: ShopItem[];
  cumulative: number[];
}

/**
 * A deterministic shop: categories, brands, log-normal prices, power-law
 * popularity, and shoppers whose sessions browse a category, buy, then go on
 * to complements (phone → case that fits it → charger). Training, demos and
 * tests all use it, so its structure is what the models must rediscover.
 */
export function generateSyntheticShop(options: SyntheticShopOptions = {}): SyntheticShop {
  const rng = new SeededRandom(options.seed ?? 42);
  const itemCount = options.items ?? 2000;
  const exponent = options.popularityExponent ?? 1.1;
  const pools = new Map<string, CategoryPool>();
  const items: ShopItem[] = [];
  for (let i = 0; i < itemCount; i++) {
    const leaf = ShopTaxonomy[i % ShopTaxonomy.length];
    const pool = pools.get(leaf.path[1]) ?? { leaf, items: [], cumulative: [] };
    pools.set(leaf.path[1], pool);
    const rank = pool.items.length + 1;
    const brand = rng.pick(leaf.brands);
    const model = `${rng.pick(Adjectives)} ${rank}`;
    const color = rng.pick(Colors);
    const price = Math.max(1, Math.round(leaf.basePrice * Math.exp(0.35 * rng.normal()) * 100) / 100);
    const attributes: Record<string, string> = { color };
    if (leaf.fitsAnchor) {
      const phones = pools.get('Smartphones')?.items ?? [];
      if (phones.length > 0) attributes['fits'] = rng.pick(phones).itemId;
    }
    const item: ShopItem = {
      itemId: `sku-${String(i).padStart(6, '0')}`,
      title: `${brand} ${leaf.noun} ${model}`,
      description: `${color} ${leaf.noun.toLowerCase()} by ${brand}, ${leaf.path[1].toLowerCase()} for everyday use.`,
      categoryPath: leaf.path,
      brand,
      price,
      currency: 'EUR',
      inStock: rng.chance(0.95),
      attributes,
      popularity: 1 / Math.pow(rank, exponent),
    };
    pool.items.push(item);
    items.push(item);
  }
  for (const pool of pools.values()) {
    let sum = 0;
    pool.cumulative = pool.items.map((it) => (sum += it.popularity));
  }
  const events = generateSessions(rng, pools, options);
  return { items, events };
}

function generateSessions(rng: SeededRandom, pools: Map<string, CategoryPool>, options: SyntheticShopOptions): ShopEvent[] {
  const users = options.users ?? 500;
  const sessionsPerUser = options.sessionsPerUser ?? 4;
  const leaves = [...pools.values()];
  const anchors = leaves.filter((p) => p.leaf.complements.length > 0);
  const events: ShopEvent[] = [];
  let clock = options.startMs ?? Date.UTC(2026, 9, 1);
  let seq = 0;
  const emit = (userId: string, sessionId: string, item: ShopItem, action: ShopAction, extra: Partial<ShopEvent> = {}) => {
    clock += 1000 + rng.int(30_000);
    events.push({ eventId: `evt-${++seq}`, userId, sessionId, itemId: item.itemId, action, quantity: 1, price: item.price, tsMs: clock, ...extra });
  };
  for (let u = 0; u < users; u++) {
    const userId = `user-${String(u).padStart(5, '0')}`;
    // Each shopper cares about one or two anchor categories.
    const interests = [rng.pick(anchors), rng.pick(anchors)];
    const sessions = 1 + rng.int(sessionsPerUser * 2 - 1);
    for (let s = 0; s < sessions; s++) {
      const sessionId = `${userId}-s${s}`;
      const pool = rng.chance(0.85) ? rng.pick(interests) : rng.pick(leaves);
      const browsed: ShopItem[] = [];
      for (let v = 0, n = 1 + rng.int(4); v < n; v++) {
        const item = pool.items[rng.weighted(pool.cumulative)];
        browsed.push(item);
        emit(userId, sessionId, item, rng.chance(0.8) ? 'view' : 'click');
      }
      const chosen = browsed[browsed.length - 1];
      // Shoppers look at what goes with an item before deciding (cases for the phone they consider).
      if (pool.leaf.complements.length > 0 && rng.chance(0.4)) {
        const complement = pools.get(rng.pick(pool.leaf.complements));
        if (complement) {
          const fitting = complement.items.filter((it) => it.attributes['fits'] === chosen.itemId);
          emit(userId, sessionId, fitting.length > 0 && rng.chance(0.5) ? rng.pick(fitting) : complement.items[rng.weighted(complement.cumulative)], 'view');
        }
      }
      if (!rng.chance(0.55)) continue;
      emit(userId, sessionId, chosen, 'add_to_cart');
      if (rng.chance(0.1)) {
        emit(userId, sessionId, chosen, 'remove_from_cart');
        continue;
      }
      if (!rng.chance(0.7)) continue;
      emit(userId, sessionId, chosen, 'purchase');
      if (rng.chance(0.2)) emit(userId, sessionId, chosen, 'rate', { rating: 3 + rng.int(3) });
      for (const complementName of pool.leaf.complements) {
        if (!rng.chance(0.6)) continue;
        const complement = pools.get(complementName);
        if (!complement) continue;
        const fitting = complement.items.filter((it) => it.attributes['fits'] === chosen.itemId);
        const item = fitting.length > 0 && rng.chance(0.7) ? rng.pick(fitting) : complement.items[rng.weighted(complement.cumulative)];
        emit(userId, sessionId, item, 'view');
        if (rng.chance(0.6)) {
          emit(userId, sessionId, item, 'add_to_cart');
          emit(userId, sessionId, item, 'purchase');
        }
      }
    }
  }
  return events.sort((a, b) => a.tsMs - b.tsMs);
}

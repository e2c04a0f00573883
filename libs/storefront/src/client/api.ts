import type { ShopBundles, ShopErrorBody, ShopItemDetail, ShopList, ShopShoppers } from '../shop-api.types';

/** A 4xx/5xx of /shop/api, with the server's message. */
export class ShopApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(name, String(value));
  const res = await fetch(`/shop/api/${path}${query.size > 0 ? `?${query}` : ''}`, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as Partial<ShopErrorBody> | undefined;
    throw new ShopApiError(res.status, body?.message ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

export const shopApi = {
  shoppers: () => get<ShopShoppers>('shoppers'),
  recommend: (user: string, cart: readonly string[], k = 12) => get<ShopList>('recommend', { user, k, cart: cart.join(',') }),
  similar: (item: string, user: string, k = 6) => get<ShopList>('similar', { item, user, k }),
  bundle: (item: string, user: string, budget: string) => get<ShopBundles>('bundle', { item, user, budget, size: 3, count: 3 }),
  item: (item: string) => get<ShopItemDetail>(`items/${encodeURIComponent(item)}`),
};

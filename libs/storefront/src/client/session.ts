import type { ShopItem } from '../shop-api.types';

/** Who is shopping, their session and their cart: kept in the browser (localStorage, sessionStorage). */

export interface CartLine {
  readonly item: ShopItem;
  readonly quantity: number;
  /** The list the item was added from, sent again with its purchase. */
  readonly recId?: string;
}

const SHOPPER_KEY = 'recmesh.shop.shopper';

export function newVisitorId(): string {
  return `visitor-${crypto.randomUUID().slice(0, 8)}`;
}

export function storedShopper(): string | undefined {
  return localStorage.getItem(SHOPPER_KEY) ?? undefined;
}

export function storeShopper(userId: string): void {
  localStorage.setItem(SHOPPER_KEY, userId);
}

/** One session per shopper and browser tab. */
export function sessionIdOf(userId: string): string {
  const key = `recmesh.shop.session.${userId}`;
  let id = sessionStorage.getItem(key);
  if (!id) {
    id = `${userId}-web-${crypto.randomUUID().slice(0, 8)}`;
    sessionStorage.setItem(key, id);
  }
  return id;
}

export function loadCart(userId: string): CartLine[] {
  try {
    const lines = JSON.parse(localStorage.getItem(`recmesh.shop.cart.${userId}`) ?? '[]') as unknown;
    return Array.isArray(lines) ? (lines as CartLine[]) : [];
  } catch {
    return [];
  }
}

export function saveCart(userId: string, lines: readonly CartLine[]): void {
  localStorage.setItem(`recmesh.shop.cart.${userId}`, JSON.stringify(lines));
}

export function cartTotalMinor(lines: readonly CartLine[]): number {
  return lines.reduce((sum, line) => sum + (line.item.price_minor ?? 0) * line.quantity, 0);
}

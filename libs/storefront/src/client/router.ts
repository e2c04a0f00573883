/** The storefront's three kinds of page, from the path: /shop, /shop/item/:id, /shop/cart. */
export type Route =
  | { readonly page: 'home' }
  | { readonly page: 'product'; readonly itemId: string; readonly recId?: string }
  | { readonly page: 'cart' };

export function routeOf(location: Location): Route {
  const item = /^\/shop\/item\/([^/]+)\/?$/.exec(location.pathname);
  if (item) return { page: 'product', itemId: decodeURIComponent(item[1]), recId: new URLSearchParams(location.search).get('rec_id') ?? undefined };
  if (/^\/shop\/cart\/?$/.test(location.pathname)) return { page: 'cart' };
  return { page: 'home' };
}

export function productPath(itemId: string, recId?: string): string {
  return `/shop/item/${encodeURIComponent(itemId)}${recId ? `?rec_id=${encodeURIComponent(recId)}` : ''}`;
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  history.pushState(null, '', path);
  window.scrollTo(0, 0);
  listeners.forEach((listener) => listener());
}

export function onNavigate(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

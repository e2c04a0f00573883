import type { ComponentChildren } from 'preact';
import type { RecommendedShopItem, ShopItem } from '../shop-api.types';
import { navigate, productPath } from './router';

export function formatPrice(minor: number | null, currency: string): string {
  if (minor === null) return '';
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: currency || 'EUR' }).format(minor / 100);
}

export function Price({ item }: { item: Pick<ShopItem, 'price_minor' | 'currency'> }) {
  return <span class="price">{formatPrice(item.price_minor, item.currency)}</span>;
}

export function Picture({ item, size = 'card' }: { item: ShopItem; size?: 'card' | 'large' | 'thumb' }) {
  return <img class={`picture picture-${size}`} src={item.image} alt={item.category} loading="lazy" />;
}

/** A recommended item: picture, title, price and why it is shown; a click goes back with the list's rec_id. */
export function ItemCard({ item, recId, onOpen }: { item: RecommendedShopItem; recId: string; onOpen: (item: RecommendedShopItem, recId: string) => void }) {
  const open = (e: Event) => {
    e.preventDefault();
    onOpen(item, recId);
  };
  return (
    <a class="card" href={productPath(item.item_id, recId)} onClick={open} data-item-id={item.item_id}>
      <Picture item={item} />
      <span class="title">{item.title}</span>
      <span class="meta">
        <Price item={item} /> <span class="category">{item.category}</span>
      </span>
      <span class="reason" title={item.reason_code}>
        {item.reason}
      </span>
    </a>
  );
}

/** Where a list came from: what the feedback loop joins on. */
export function ListCaption({ recId, modelVersion }: { recId: string; modelVersion: string }) {
  return (
    <p class="caption">
      rec_id <code>{recId.slice(0, 8)}</code> · model <code>{modelVersion}</code>
    </p>
  );
}

export function Section({ title, children, id, recId }: { title: string; children: ComponentChildren; id: string; recId?: string }) {
  return (
    <section class="shelf" id={id} data-rec-id={recId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  return <p class="error">{error instanceof Error ? error.message : String(error)}</p>;
}

export function Link({ href, children, class: className }: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={href}
      class={className}
      onClick={(e) => {
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

import { useEffect, useState } from 'preact/hooks';
import type { ShopBundle, ShopBundles, ShopItem, ShopItemDetail, ShopList } from '../shop-api.types';
import { shopApi } from './api';
import { ErrorNote, formatPrice, ItemCard, Link, ListCaption, Picture, Price, Section } from './components';
import type { ShopEventInput } from './events';
import { navigate, productPath } from './router';
import { CartLine, cartTotalMinor } from './session';

/** What every page can do: who shops, their cart, and sending what they do back. */
export interface ShopContext {
  readonly userId: string;
  readonly isNewVisitor: boolean;
  readonly cart: readonly CartLine[];
  track(input: ShopEventInput): void;
  /** Adds the items not in the cart yet, each with the list it came from (add_to_cart events). */
  addToCart(lines: ReadonlyArray<{ item: ShopItem; recId?: string }>, page: ShopEventInput['page']): void;
  removeFromCart(itemId: string): void;
  /** Purchase events for every line, then an empty cart. */
  checkout(): void;
}

/** A fetch that follows its inputs and drops answers for inputs that changed meanwhile. */
function useAnswer<T>(load: () => Promise<T>, inputs: readonly unknown[]): { value?: T; error?: unknown } {
  const [state, setState] = useState<{ value?: T; error?: unknown }>({});
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (value) => live && setState({ value }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, inputs);
  return state;
}

function openFrom(shop: ShopContext, page: ShopEventInput['page']) {
  return (item: ShopItem, recId: string) => {
    shop.track({ action: 'click', itemId: item.item_id, recId, page });
    navigate(productPath(item.item_id, recId));
  };
}

function Recommended({ shop, page, title = 'Recommended for you' }: { shop: ShopContext; page: ShopEventInput['page']; title?: string }) {
  const [refreshes, setRefreshes] = useState(0);
  const cartIds = shop.cart.map((l) => l.item.item_id);
  const list = useAnswer(() => shopApi.recommend(shop.userId, cartIds), [shop.userId, cartIds.join(','), refreshes]);
  return (
    <Section title={title} id="recommended" recId={list.value?.rec_id}>
      <button class="link" id="refresh-recommended" onClick={() => setRefreshes((n) => n + 1)}>
        Refresh
      </button>
      {list.error !== undefined && <ErrorNote error={list.error} />}
      {list.value && <Shelf list={list.value} onOpen={openFrom(shop, page)} />}
    </Section>
  );
}

function Shelf({ list, onOpen }: { list: ShopList; onOpen: (item: ShopItem, recId: string) => void }) {
  return (
    <>
      <div class="grid">
        {list.items.map((item) => (
          <ItemCard key={item.item_id} item={item} recId={list.rec_id} onOpen={onOpen} />
        ))}
      </div>
      {list.items.length === 0 && <p class="empty">Nothing to recommend yet.</p>}
      <ListCaption recId={list.rec_id} modelVersion={list.model_version} />
    </>
  );
}

export function Home({ shop }: { shop: ShopContext }) {
  return (
    <>
      {shop.isNewVisitor && (
        <p class="hint">
          You are a new visitor: the shop knows nothing about you yet, so these are trending items. Open a few products and add one to the cart, then come back: the
          list follows what you did.
        </p>
      )}
      <Recommended shop={shop} page="home" />
    </>
  );
}

function defaultBudget(item: ShopItemDetail): string {
  return item.price_minor === null ? '' : String(Math.ceil((item.price_minor * 1.5) / 1000) * 10);
}

export function Product({ shop, itemId, recId }: { shop: ShopContext; itemId: string; recId?: string }) {
  const item = useAnswer(() => shopApi.item(itemId), [itemId]);
  const similar = useAnswer(() => shopApi.similar(itemId, shop.userId), [itemId, shop.userId]);
  const [budget, setBudget] = useState<string | undefined>(undefined);
  const [budgetInput, setBudgetInput] = useState('');
  const detail = item.value;

  useEffect(() => {
    shop.track({ action: 'view', itemId, recId, page: 'product' });
    setBudget(undefined);
  }, [itemId, shop.userId]);
  useEffect(() => {
    if (detail && budget === undefined) {
      setBudget(defaultBudget(detail));
      setBudgetInput(defaultBudget(detail));
    }
  }, [detail, budget]);

  const inCart = shop.cart.some((l) => l.item.item_id === itemId);
  if (item.error !== undefined) return <ErrorNote error={item.error} />;
  if (!detail) return <p class="loading">Loading…</p>;
  return (
    <>
      <article class="product" data-item-id={detail.item_id}>
        <Picture item={detail} size="large" />
        <div>
          <p class="breadcrumb">{detail.category_path.join(' › ')}</p>
          <h1>{detail.title}</h1>
          <p class="brand">by {detail.brand}</p>
          <p class="big-price">
            <Price item={detail} />
          </p>
          <p>{detail.description}</p>
          {!detail.in_stock && <p class="error">Out of stock</p>}
          <button id="add-to-cart" disabled={inCart || !detail.in_stock} onClick={() => shop.addToCart([{ item: detail, recId }], 'product')}>
            {inCart ? 'In your cart' : 'Add to cart'}
          </button>
        </div>
      </article>
      <Section title="Complete the bundle" id="bundles">
        <form
          class="budget"
          onSubmit={(e) => {
            e.preventDefault();
            setBudget(budgetInput.trim());
          }}
        >
          <label>
            Budget for the whole bundle ({detail.currency}){' '}
            <input id="budget" type="text" inputMode="decimal" value={budgetInput} placeholder="no limit" onInput={(e) => setBudgetInput((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Update</button>
        </form>
        {budget !== undefined && <Bundles shop={shop} anchor={detail} anchorRecId={recId} budget={budget} />}
      </Section>
      <Section title="Similar items" id="similar" recId={similar.value?.rec_id}>
        {similar.error !== undefined && <ErrorNote error={similar.error} />}
        {similar.value && <Shelf list={similar.value} onOpen={openFrom(shop, 'product')} />}
      </Section>
    </>
  );
}

function Bundles({ shop, anchor, anchorRecId, budget }: { shop: ShopContext; anchor: ShopItem; anchorRecId?: string; budget: string }) {
  const answer = useAnswer<ShopBundles>(() => shopApi.bundle(anchor.item_id, shop.userId, budget), [anchor.item_id, shop.userId, budget]);
  if (answer.error !== undefined) return <ErrorNote error={answer.error} />;
  if (!answer.value) return <p class="loading">Finding bundles…</p>;
  const { rec_id: recId, bundles, model_version: modelVersion } = answer.value;
  if (bundles.length === 0) return <p class="empty">No bundle fits this budget.</p>;
  const add = (bundle: ShopBundle) =>
    // The anchor came from wherever the shopper found it; the rest from this bundle list.
    shop.addToCart(
      bundle.items.map((i) => ({ item: i, recId: i.role === 'anchor' ? anchorRecId : recId })),
      'product',
    );
  return (
    <div class="bundles" data-rec-id={recId}>
      {bundles.map((bundle, n) => (
        <div class="bundle" key={n}>
          <p class="bundle-reason">{bundle.reason}</p>
          <ul>
            {bundle.items.map((i) => (
              <li key={i.item_id} data-item-id={i.item_id}>
                <Picture item={i} size="thumb" />
                <span>
                  <Link href={productPath(i.item_id, i.role === 'anchor' ? anchorRecId : recId)} class="title">
                    {i.title}
                  </Link>{' '}
                  <Price item={i} /> <span class="role">{i.role}</span>
                  <br />
                  <span class="reason">{i.reason}</span>
                </span>
              </li>
            ))}
          </ul>
          <p class="bundle-total">
            Together {formatPrice(bundle.total_price_minor, anchor.currency)}{' '}
            <button class="add-bundle" onClick={() => add(bundle)}>
              Add bundle to cart
            </button>
          </p>
        </div>
      ))}
      <ListCaption recId={recId} modelVersion={modelVersion} />
    </div>
  );
}

export function Cart({ shop }: { shop: ShopContext }) {
  const [ordered, setOrdered] = useState<{ items: number; totalMinor: number; currency: string } | undefined>(undefined);
  const currency = shop.cart[0]?.item.currency ?? 'EUR';
  const buy = () => {
    setOrdered({ items: shop.cart.reduce((n, l) => n + l.quantity, 0), totalMinor: cartTotalMinor(shop.cart), currency });
    shop.checkout();
  };
  return (
    <>
      <Section title="Your cart" id="cart">
        {ordered && (
          <p class="ordered" id="order-confirmation">
            Thank you! {ordered.items} item(s) ordered for {formatPrice(ordered.totalMinor, ordered.currency)}.
          </p>
        )}
        {shop.cart.length === 0 && !ordered && <p class="empty">Your cart is empty.</p>}
        {shop.cart.length > 0 && (
          <>
            <ul class="cart-lines">
              {shop.cart.map((line) => (
                <li key={line.item.item_id} data-item-id={line.item.item_id}>
                  <Picture item={line.item} size="thumb" />
                  <Link href={productPath(line.item.item_id, line.recId)} class="title">
                    {line.item.title}
                  </Link>
                  <span>× {line.quantity}</span>
                  <Price item={line.item} />
                  <span class="from">{line.recId ? `from list ${line.recId.slice(0, 8)}` : 'found by the shopper'}</span>
                  <button class="link" onClick={() => shop.removeFromCart(line.item.item_id)}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
            <p class="cart-total">
              Total {formatPrice(cartTotalMinor(shop.cart), currency)}{' '}
              <button id="buy" onClick={buy}>
                Buy now
              </button>
            </p>
          </>
        )}
      </Section>
      <Recommended shop={shop} page="cart" title={ordered ? 'Recommended for you now' : 'Recommended for you'} />
    </>
  );
}

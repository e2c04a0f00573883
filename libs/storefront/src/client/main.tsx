import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Shopper } from '../shop-api.types';
import { shopApi } from './api';
import { Link } from './components';
import { SentEvent, sendEvent, ShopEventInput } from './events';
import { Cart, Home, Product, ShopContext } from './pages';
import { onNavigate, Route, routeOf } from './router';
import { CartLine, loadCart, newVisitorId, saveCart, sessionIdOf, storedShopper, storeShopper } from './session';
import './shop.css';

const NEW_VISITOR = '__new__';
const ACTIVITY_LINES = 12;

function ShopperSwitcher({ shoppers, userId, onChange }: { shoppers: readonly Shopper[]; userId: string; onChange: (userId: string) => void }) {
  const known = shoppers.some((s) => s.user_id === userId);
  return (
    <label class="switcher">
      Shopping as{' '}
      <select id="shopper" value={userId} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {shoppers.map((s) => (
          <option key={s.user_id} value={s.user_id}>
            {s.user_id}
            {s.interests.length > 0 ? ` (likes ${s.interests.join(', ')})` : ''}
          </option>
        ))}
        {!known && <option value={userId}>{userId} (new visitor)</option>}
        <option value={NEW_VISITOR}>New visitor…</option>
      </select>
    </label>
  );
}

function Activity({ events }: { events: readonly SentEvent[] }) {
  return (
    <aside class="activity" id="activity">
      <h3>Sent to /v1/clickstream</h3>
      {events.length === 0 && <p class="empty">Nothing yet: views, clicks, carts and purchases appear here.</p>}
      <ol>
        {events.map((e) => (
          <li key={e.eventId} class={e.status === 202 ? 'ok' : 'failed'} data-action={e.action} data-rec-id={e.recId ?? ''}>
            <code>{e.action}</code> {e.itemId} {e.recId ? <>rec_id {e.recId.slice(0, 8)}</> : <>no rec_id</>} · {e.status || 'failed'}
          </li>
        ))}
      </ol>
    </aside>
  );
}

function App() {
  const [route, setRoute] = useState<Route>(routeOf(window.location));
  const [shoppers, setShoppers] = useState<readonly Shopper[]>([]);
  const [userId, setUserId] = useState<string>(() => storedShopper() ?? newVisitorId());
  const [cart, setCart] = useState<CartLine[]>(() => loadCart(userId));
  const [activity, setActivity] = useState<readonly SentEvent[]>([]);

  useEffect(() => onNavigate(() => setRoute(routeOf(window.location))), []);
  useEffect(() => {
    shopApi.shoppers().then(
      (answer) => {
        setShoppers(answer.shoppers);
        // A first visit shops as the first synthetic shopper: a history to personalize from.
        if (!storedShopper() && answer.shoppers[0]) switchTo(answer.shoppers[0].user_id);
      },
      () => setShoppers([]),
    );
  }, []);

  const switchTo = (next: string) => {
    const id = next === NEW_VISITOR ? newVisitorId() : next;
    storeShopper(id);
    setUserId(id);
    setCart(loadCart(id));
    setActivity([]);
  };

  const shop = useMemo<ShopContext>(() => {
    const sessionId = sessionIdOf(userId);
    const track = (input: ShopEventInput) => {
      void sendEvent(userId, sessionId, input).then((sent) => setActivity((lines) => [sent, ...lines].slice(0, ACTIVITY_LINES)));
    };
    const update = (lines: CartLine[]) => {
      saveCart(userId, lines);
      setCart(lines);
    };
    return {
      userId,
      isNewVisitor: !shoppers.some((s) => s.user_id === userId),
      cart,
      track,
      addToCart: (added, page) => {
        const fresh = added.filter((a) => !cart.some((l) => l.item.item_id === a.item.item_id));
        for (const a of fresh) track({ action: 'add_to_cart', itemId: a.item.item_id, recId: a.recId, quantity: 1, priceMinor: a.item.price_minor, currency: a.item.currency, page });
        update([...cart, ...fresh.map((a) => ({ item: a.item, quantity: 1, recId: a.recId }))]);
      },
      removeFromCart: (itemId) => {
        const line = cart.find((l) => l.item.item_id === itemId);
        if (line) track({ action: 'remove_from_cart', itemId, recId: line.recId, quantity: line.quantity, page: 'cart' });
        update(cart.filter((l) => l.item.item_id !== itemId));
      },
      checkout: () => {
        for (const line of cart) {
          track({ action: 'purchase', itemId: line.item.item_id, recId: line.recId, quantity: line.quantity, priceMinor: line.item.price_minor, currency: line.item.currency, page: 'cart' });
        }
        update([]);
      },
    };
  }, [userId, cart, shoppers]);

  const count = cart.reduce((n, l) => n + l.quantity, 0);
  return (
    <>
      <header data-user={userId}>
        <Link href="/shop" class="logo">
          recmesh <span>demo shop</span>
        </Link>
        <ShopperSwitcher shoppers={shoppers} userId={userId} onChange={switchTo} />
        <Link href="/shop/cart" class="cart-link">
          Cart <span id="cart-count">{count}</span>
        </Link>
      </header>
      <main>
        {route.page === 'home' && <Home shop={shop} />}
        {route.page === 'product' && <Product key={`${route.itemId}/${userId}`} shop={shop} itemId={route.itemId} recId={route.recId} />}
        {route.page === 'cart' && <Cart shop={shop} />}
      </main>
      <Activity events={activity} />
      <footer>
        Every list is served by the gateway in process (<code>/shop/api</code>) with a <code>rec_id</code>; every view, click, add-to-cart and purchase goes back to{' '}
        <code>POST /v1/clickstream</code> with the <code>rec_id</code> of the list it came from. <a href="/ops">Operations</a>
      </footer>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}

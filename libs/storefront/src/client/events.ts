/**
 * Clickstream events back through the HTTP intake (POST /v1/clickstream, the
 * JSON of recmesh.events.v1.ClickstreamEvent), each with the rec_id of the
 * list it came from: how the page drives the feedback loop.
 */

export type ShopAction = 'view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'purchase';

export interface ShopEventInput {
  readonly action: ShopAction;
  readonly itemId: string;
  readonly recId?: string;
  readonly quantity?: number;
  readonly priceMinor?: number | null;
  readonly currency?: string;
  readonly page: 'home' | 'product' | 'cart';
}

export interface SentEvent {
  readonly eventId: string;
  readonly action: ShopAction;
  readonly itemId: string;
  readonly recId?: string;
  /** The intake's HTTP status (202), or 0 when the request failed. */
  readonly status: number;
  readonly tsMs: number;
}

interface ClickstreamJson {
  event_id: string;
  user_id: string;
  session_id: string;
  item_id: string;
  action: ShopAction;
  ts_ms: number;
  rec_id?: string;
  quantity?: number;
  price?: number;
  currency?: string;
  context: { page: string; device: string };
}

export async function sendEvent(userId: string, sessionId: string, input: ShopEventInput): Promise<SentEvent> {
  const event: ClickstreamJson = {
    event_id: `web-${crypto.randomUUID()}`,
    user_id: userId,
    session_id: sessionId,
    item_id: input.itemId,
    action: input.action,
    ts_ms: Date.now(),
    context: { page: input.page, device: 'desktop' },
  };
  if (input.recId) event.rec_id = input.recId;
  if (input.quantity !== undefined) event.quantity = input.quantity;
  // The wire's unit price is a double in currency units; the page keeps integer minor units.
  if (input.priceMinor !== undefined && input.priceMinor !== null) event.price = input.priceMinor / 100;
  if (input.currency) event.currency = input.currency;
  let status = 0;
  try {
    status = (await fetch('/v1/clickstream', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), keepalive: true })).status;
  } catch {
    status = 0;
  }
  return { eventId: event.event_id, action: input.action, itemId: input.itemId, recId: input.recId, status, tsMs: event.ts_ms };
}

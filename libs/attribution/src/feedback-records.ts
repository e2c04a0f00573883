import { fromBinary } from '@bufbuild/protobuf';
import { Action, ClickstreamEventSchema, isServedSurface, RecommendationServedSchema } from '@recmesh/contracts';
import { ServedListRecord } from '@recmesh/persistence';
import { AttributableAction, cleanLabel, isAttributable, revenueMinor } from './attribution-rules';

/** Column widths of the feedback tables. */
const MAX_ID = 128;
export const MAX_MODEL_VERSION = 128;
export const MAX_ARM = 64;

/** A record the service cannot use, and why (counted and logged; never stops the consumer). */
export interface Invalid {
  readonly invalid: string;
}

export const isInvalid = (value: object): value is Invalid => 'invalid' in value;

/** A clickstream action that may be attributed to a served list. */
export interface ActionRecord {
  readonly eventId: string;
  /** Empty: a purchase without rec_id, a view-through candidate. */
  readonly recId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly action: AttributableAction;
  readonly quantity: number;
  /** quantity x price, hundredths of the currency unit; 0 when not counted as revenue. */
  readonly revenueMinor: number;
  readonly tsMs: number;
  /** The purchase had a price in another currency than the configured one: no revenue counted. */
  readonly foreignCurrency: boolean;
}

const idProblem = (field: string, value: string, required: boolean): string | undefined =>
  required && value === '' ? `no ${field}` : value.length > MAX_ID ? `${field} longer than ${MAX_ID} characters` : undefined;

/** Decodes and checks one recmesh.events.v1.RecommendationServed record. */
export function parseServedList(value: Buffer | null): ServedListRecord | Invalid {
  let served;
  try {
    served = fromBinary(RecommendationServedSchema, value ?? new Uint8Array());
  } catch (error) {
    return { invalid: `undecodable RecommendationServed: ${(error as Error).message}` };
  }
  const problem =
    idProblem('rec_id', served.recId, true) ??
    idProblem('user_id', served.userId, false) ??
    (isServedSurface(served.surface) ? undefined : `unknown surface ${JSON.stringify(served.surface.slice(0, 40))}`) ??
    (served.tsMs > 0n ? undefined : `ts_ms ${served.tsMs} is not a time`);
  if (problem) return { invalid: `served list ${JSON.stringify(served.recId.slice(0, MAX_ID))}: ${problem}` };
  const positions = new Set<number>();
  for (const item of served.items) {
    const itemProblem =
      idProblem('item_id', item.itemId, true) ??
      (item.position < 1 ? `position ${item.position} (positions start at 1)` : undefined) ??
      (positions.has(item.position) ? `position ${item.position} twice` : undefined);
    if (itemProblem) return { invalid: `served list ${JSON.stringify(served.recId)}: ${itemProblem}` };
    positions.add(item.position);
  }
  return {
    recId: served.recId,
    userId: served.userId,
    surface: served.surface,
    modelVersion: cleanLabel(served.modelVersion, 'unknown', MAX_MODEL_VERSION),
    arm: cleanLabel(served.arm, 'none', MAX_ARM),
    // Names as the experiments API allows them; anything else cannot come from our gateway and counts as none.
    experiment: /^[a-z0-9_-]{1,64}$/.test(served.experiment) ? served.experiment : '',
    tsMs: Number(served.tsMs),
    latencyMs: served.latencyMs,
    items: served.items.map((i) => ({ itemId: i.itemId, position: i.position })),
  };
}

/**
 * Decodes one normalized clickstream record. Only clicks, carts and purchases
 * with a rec_id, and purchases without one (view-through), matter; the rest
 * is 'ignored'. `currency` empty = every price counts as revenue.
 */
export function parseAction(value: Buffer | null, currency: string): ActionRecord | Invalid | 'ignored' {
  let e;
  try {
    e = fromBinary(ClickstreamEventSchema, value ?? new Uint8Array());
  } catch (error) {
    return { invalid: `undecodable ClickstreamEvent: ${(error as Error).message}` };
  }
  if (!isAttributable(e.action) || (e.recId === '' && e.action !== Action.PURCHASE)) return 'ignored';
  const problem =
    idProblem('event_id', e.eventId, true) ??
    idProblem('item_id', e.itemId, true) ??
    idProblem('rec_id', e.recId, false) ??
    // A view-through purchase is matched on the user.
    idProblem('user_id', e.userId, e.recId === '') ??
    (e.tsMs > 0n ? undefined : `ts_ms ${e.tsMs} is not a time`) ??
    (e.price !== undefined && !(Number.isFinite(e.price) && e.price >= 0) ? `price ${e.price}` : undefined);
  if (problem) return { invalid: `event ${JSON.stringify(e.eventId.slice(0, MAX_ID))}: ${problem}` };
  const quantity = Math.max(1, e.quantity);
  const foreignCurrency = e.action === Action.PURCHASE && currency !== '' && e.currency !== '' && e.currency !== currency && e.price !== undefined;
  return {
    eventId: e.eventId,
    recId: e.recId,
    userId: e.userId,
    itemId: e.itemId,
    action: e.action,
    quantity,
    revenueMinor: e.action === Action.PURCHASE && !foreignCurrency ? revenueMinor(e.price, quantity) : 0,
    tsMs: Number(e.tsMs),
    foreignCurrency,
  };
}

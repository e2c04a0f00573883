import { Action, actionName } from '@recmesh/contracts';
import { BucketCounter, ServedListMeta, ServedListRecord } from '@recmesh/persistence';

/** The actions the feedback service attributes to served lists. */
export type AttributableAction = Action.CLICK | Action.ADD_TO_CART | Action.PURCHASE;

export interface ActionRule {
  /** The metric bucket column an attributed action adds 1 to. */
  readonly counter: BucketCounter;
  /**
   * Counted once per shown item (rec_id + position): a second click on the same
   * recommendation is the same interest, not a new one. Purchases count every time.
   */
  readonly oncePerShownItem: boolean;
}

export const ActionRules: Record<AttributableAction, ActionRule> = {
  [Action.CLICK]: { counter: 'clicks', oncePerShownItem: true },
  [Action.ADD_TO_CART]: { counter: 'addToCarts', oncePerShownItem: true },
  [Action.PURCHASE]: { counter: 'purchases', oncePerShownItem: false },
};

export function isAttributable(action: Action): action is AttributableAction {
  return action in ActionRules;
}

export interface AttributionWindow {
  /** How long after a list was served an action on it still counts. */
  readonly windowMs: number;
  /** How long before the list's time an action still counts (storefront and gateway clocks differ). */
  readonly skewMs: number;
}

/** listTs - skew <= actionTs <= listTs + window. */
export function withinWindow(actionTsMs: number, listTsMs: number, window: AttributionWindow): boolean {
  return actionTsMs >= listTsMs - window.skewMs && actionTsMs <= listTsMs + window.windowMs;
}

export type Decision =
  | { readonly kind: 'attributed'; readonly position: number }
  | { readonly kind: 'not_in_list' | 'outside_window' };

/** Joins an action carrying a rec_id to that list: the item's (first) position, within the window. */
export function decide(list: Pick<ServedListRecord, 'tsMs' | 'items'>, action: { readonly itemId: string; readonly tsMs: number }, window: AttributionWindow): Decision {
  let position: number | undefined;
  for (const item of list.items) if (item.itemId === action.itemId && (position === undefined || item.position < position)) position = item.position;
  if (position === undefined) return { kind: 'not_in_list' };
  if (!withinWindow(action.tsMs, list.tsMs, window)) return { kind: 'outside_window' };
  return { kind: 'attributed', position };
}

/** The uniqueness key of an action counted once per shown item; null for those counted every time. */
export function onceKey(recId: string, position: number, action: AttributableAction): string | null {
  return ActionRules[action].oncePerShownItem ? `${recId}|${position}|${actionName(action)}` : null;
}

/** quantity x unit price in integer hundredths of the currency unit (0 without a price). */
export function revenueMinor(price: number | undefined, quantity: number): number {
  if (price === undefined || !Number.isFinite(price) || price <= 0) return 0;
  return Math.round(price * 100) * Math.max(1, quantity);
}

/** Start of the time bucket holding `tsMs` (buckets are aligned to the Unix epoch). */
export function bucketStart(tsMs: number, bucketMs: number): number {
  return Math.floor(tsMs / bucketMs) * bucketMs;
}

/** Model version and arm strings come from our gateway; still, they become label values and key columns. */
export function cleanLabel(value: string, fallback: string, maxLength: number): string {
  const cleaned = value.trim().replace(/[^A-Za-z0-9._:@+-]/g, '_').slice(0, maxLength);
  return cleaned === '' ? fallback : cleaned;
}

/** The list's key in metrics: surface x model version x arm. */
export function listLabels(list: Pick<ServedListMeta, 'surface' | 'modelVersion' | 'arm'>): { surface: string; model_version: string; arm: string } {
  return { surface: list.surface, model_version: list.modelVersion, arm: list.arm };
}

import { ReasonCode as WireReasonCode } from '@recmesh/contracts';

/**
 * Which signal ranked an item: the proto enum recmesh.gateway.v1.ReasonCode by
 * its lower-case name ('sequence', 'bought_together', ...). Derived from the
 * generated enum, so a value added to the proto is a new code here too.
 */
export type ReasonCode = Exclude<Lowercase<keyof typeof WireReasonCode>, 'unspecified'>;

/** The proto enum value of a reason code (for gRPC answers). */
export function reasonCodeToWire(code: ReasonCode): WireReasonCode {
  return WireReasonCode[code.toUpperCase() as Uppercase<ReasonCode>] ?? WireReasonCode.UNSPECIFIED;
}

/** The proto enum value back to the reason code. */
export function reasonCodeFromWire(value: WireReasonCode): ReasonCode {
  return (WireReasonCode[value] ?? 'UNSPECIFIED').toLowerCase() as ReasonCode;
}

/**
 * What a shopper did with an item of their history, as a reason may say it:
 * the strongest action that still holds (a purchase over a rating over an
 * item still in the cart over a view; a cart removal leaves "viewed").
 */
export type HistoryAction = 'bought' | 'rated' | 'added_to_cart' | 'viewed';

/** Orders holding both items from which a reason says "often bought with" (one order is one shopper's basket). */
export const OFTEN_BOUGHT_ORDERS = 2;

const DID: Record<HistoryAction, (title: string) => string> = {
  bought: (title) => `Because you bought ${title}`,
  rated: (title) => `Because you rated ${title}`,
  added_to_cart: (title) => `Because you added ${title} to your cart`,
  viewed: (title) => `Because you viewed ${title}`,
};

/**
 * Shopper-readable reasons; the code says which signal ranked the item. Each
 * text must be true of the item it is on: a named item is the one that
 * supports it (libs/scoring/src/reason-attribution.ts), "often bought" needs
 * orders with both items.
 */
export const Reasons = {
  /** A model-ranked item told against the history item that supports it most. */
  becauseYou: (action: HistoryAction, title: string) => DID[action](title),
  /** A model-ranked item no history item is related enough to name. */
  forYou: () => 'Popular with shoppers like you',
  /** Bought in the same orders as the anchor: "often" from two orders on, one order says only that it was. */
  boughtTogether: (anchorTitle: string, orders = OFTEN_BOUGHT_ORDERS) => (orders >= OFTEN_BOUGHT_ORDERS ? `Often bought with ${anchorTitle}` : `Bought together with ${anchorTitle}`),
  viewedTogether: (anchorTitle: string) => `Shoppers who viewed ${anchorTitle} also viewed this`,
  similarTo: (title: string) => `Similar to ${title}`,
  trending: (category: string | undefined) => (category ? `Trending in ${category}` : 'Trending now'),
} as const;

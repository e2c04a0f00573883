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

/** Shopper-readable reasons; the code says which signal ranked the item. */
export const Reasons = {
  sequence: (lastTitle: string | undefined) => (lastTitle ? `Because you viewed ${lastTitle}` : 'Picked for you from your recent activity'),
  boughtTogether: (anchorTitle: string) => `Often bought with ${anchorTitle}`,
  similarTo: (title: string) => `Similar to ${title}`,
  trending: (category: string | undefined) => (category ? `Trending in ${category}` : 'Trending now'),
} as const;

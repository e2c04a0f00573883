import { ReasonCode, ReasonCodeEnumNames } from './reason-text';

/** recmesh.gateway.v1.ScoredItem as @grpc/proto-loader takes and gives it (camelCase, enum names). */
export interface WireScoredItem {
  itemId: string;
  score: number;
  reason: string;
  reasonCode: string;
  modelVersion: string;
  title: string;
  price?: number;
}

/** One scored item on the wire; every gRPC face (scorer, bundler, gateway) answers with this shape. */
export function scoredItemToWire(
  item: { itemId: string; score: number; reason: string; reasonCode: ReasonCode; title?: string; price?: number },
  modelVersion: string,
): WireScoredItem {
  return {
    itemId: item.itemId,
    score: item.score,
    reason: item.reason,
    reasonCode: ReasonCodeEnumNames[item.reasonCode] ?? 'REASON_CODE_UNSPECIFIED',
    modelVersion,
    title: item.title ?? '',
    ...(item.price !== undefined ? { price: item.price } : {}),
  };
}

/** The enum name on the wire back to the reason code ('REASON_CODE_BOUGHT_TOGETHER' -> 'bought_together'). */
export function reasonCodeFromWire(name: string): ReasonCode {
  return name.replace(/^REASON_CODE_/, '').toLowerCase() as ReasonCode;
}

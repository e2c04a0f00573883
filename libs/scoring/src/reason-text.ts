/** Shopper-readable reasons; the code says which signal ranked the item. */
export type ReasonCode = 'sequence' | 'viewed_similar' | 'bought_together' | 'text_similar' | 'trending' | 'complements_anchor';

/** Proto enum names of recmesh.gateway.v1.ReasonCode, for the wire. */
export const ReasonCodeEnumNames: Record<ReasonCode, string> = {
  sequence: 'REASON_CODE_SEQUENCE',
  viewed_similar: 'REASON_CODE_VIEWED_SIMILAR',
  bought_together: 'REASON_CODE_BOUGHT_TOGETHER',
  text_similar: 'REASON_CODE_TEXT_SIMILAR',
  trending: 'REASON_CODE_TRENDING',
  complements_anchor: 'REASON_CODE_COMPLEMENTS_ANCHOR',
};

export const Reasons = {
  sequence: (lastTitle: string | undefined) => (lastTitle ? `Because you viewed ${lastTitle}` : 'Picked for you from your recent activity'),
  boughtTogether: (anchorTitle: string) => `Often bought with ${anchorTitle}`,
  similarTo: (title: string) => `Similar to ${title}`,
  trending: (category: string | undefined) => (category ? `Trending in ${category}` : 'Trending now'),
} as const;

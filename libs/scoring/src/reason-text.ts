/** Shopper-readable reasons; the code says which signal ranked the item. */
export type ReasonCode = 'sequence' | 'viewed_similar' | 'bought_together' | 'text_similar' | 'trending' | 'complements_anchor';

export const Reasons = {
  sequence: (lastTitle: string | undefined) => (lastTitle ? `Because you viewed ${lastTitle}` : 'Picked for you from your recent activity'),
  boughtTogether: (anchorTitle: string) => `Often bought with ${anchorTitle}`,
  similarTo: (title: string) => `Similar to ${title}`,
  trending: (category: string | undefined) => (category ? `Trending in ${category}` : 'Trending now'),
} as const;

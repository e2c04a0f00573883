/**
 * Where a served list was shown: the gateway method that answered. The value of
 * RecommendationServed.surface on recmesh.recommendations.served.v1.
 */
export const ServedSurfaces = ['recommend', 'similar_items', 'bundle'] as const;

export type ServedSurface = (typeof ServedSurfaces)[number];

export function isServedSurface(value: string): value is ServedSurface {
  return (ServedSurfaces as readonly string[]).includes(value);
}

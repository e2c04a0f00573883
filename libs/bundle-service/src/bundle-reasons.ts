import type { BundleModel } from '@recmesh/bundling';
import type { CatalogEntry, ReasonCode } from '@recmesh/serving-core';

export type ComplementSignal = ReturnType<BundleModel['strongestSignal']>;

/** Why an added item is in the bundle, told against the anchor it goes with best. */
export function itemReason(item: CatalogEntry, anchor: CatalogEntry, signal: ComplementSignal): { reason: string; reasonCode: ReasonCode } {
  // A compatibility attribute from the shop beats any statistic: the case is made for this phone.
  if (item.attributes['fits'] === anchor.itemId) return { reason: `Fits your ${anchor.title}`, reasonCode: 'complements_anchor' };
  switch (signal) {
    case 'co_purchased':
      return { reason: `Often bought together with ${anchor.title}`, reasonCode: 'bought_together' };
    case 'category_complement':
      return { reason: `Goes with your ${anchor.title}`, reasonCode: 'complements_anchor' };
    case 'behaviour':
      return { reason: `Shoppers who chose ${anchor.title} also chose this`, reasonCode: 'complements_anchor' };
    case 'text':
      return { reason: `Matches your ${anchor.title}`, reasonCode: 'text_similar' };
    default:
      return { reason: `Picked to complete your ${anchor.title}`, reasonCode: 'complements_anchor' };
  }
}

/** One line for the whole bundle, e.g. "Completes your Nova Phone 3 with Phone Cases and Chargers". */
export function bundleReason(anchors: readonly CatalogEntry[], added: ReadonlyArray<{ role: string; reasonCode: ReasonCode }>): string {
  if (added.length > 0 && added.every((a) => a.reasonCode === 'bought_together')) return `Often bought together with ${anchors[0].title}`;
  const roles = [...new Set(added.map((a) => a.role))];
  const list = roles.length <= 1 ? roles.join('') : `${roles.slice(0, -1).join(', ')} and ${roles[roles.length - 1]}`;
  const anchorText = anchors.length === 1 ? `your ${anchors[0].title}` : 'your cart';
  return `Completes ${anchorText} with ${list}`;
}

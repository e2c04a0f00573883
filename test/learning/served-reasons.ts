import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { auditReasons, AuditedAnswer, itemNeighbours, ReasonAudit } from '@recmesh/scoring';
import { ReasonCode, Reasons } from '@recmesh/serving-core';
import { GatewayAnswer, RecommendationStack } from '../support/recommendation-stack';

export interface ShopCatalogView {
  readonly title: ReadonlyMap<string, string>;
  readonly category: ReadonlyMap<string, string | undefined>;
  /** Each shopper's items, oldest first, as the shop sent them. */
  readonly histories: ReadonlyMap<string, readonly string[]>;
}

export interface ServedReasonsAudit {
  readonly audit: ReasonAudit;
  /** The same answers told the old way: every personal item "Because you viewed <last item>". */
  readonly oldRule: ReasonAudit;
}

/** gRPC's enum name (REASON_CODE_SEQUENCE) as the reason code the audit reads. */
const fromWire = (i: GatewayAnswer['items'][number]) => ({ itemId: i.itemId, reason: i.reason, reasonCode: i.reasonCode.replace(/^REASON_CODE_/, '').toLowerCase() as ReasonCode });

/**
 * Audits the reasons the gateway serves on a real shop: for shoppers with
 * several items, Recommend(k=10) through gRPC, each reason's history item read
 * back from its text and judged by leaf category and by the recommended item's
 * nearest neighbours (1% of the catalog) in the served model's item space, as
 * bench:reasons does in-process.
 */
export async function auditServedReasons(gateway: RecommendationStack, modelDir: string, shop: ShopCatalogView, users: number): Promise<ServedReasonsAudit> {
  const model = await SequentialRecommenderModel.load(modelDir, { preferCuda: false });
  try {
    const eligible = [...shop.histories].filter(([, items]) => new Set(items.filter((i) => model.rowOf(i) !== undefined)).size >= 2);
    const step = Math.max(1, Math.floor(eligible.length / users));
    const sampled = eligible.filter((_, n) => n % step === 0).slice(0, users);
    const answers: AuditedAnswer[] = [];
    const oldRule: AuditedAnswer[] = [];
    for (const [userId, items] of sampled) {
      const served = (await gateway.call('recommend', { userId, k: 10 })).items.map(fromWire);
      const history = [...new Set(items)].filter((id) => shop.title.get(id)).map((itemId) => ({ itemId, title: shop.title.get(itemId)! }));
      answers.push({ history, items: served });
      const lastTitle = shop.title.get([...items].reverse().find((i) => shop.title.get(i)) ?? '');
      oldRule.push({ history, items: served.map((i) => (i.reasonCode !== 'trending' && lastTitle ? { ...i, reasonCode: 'sequence', reason: Reasons.becauseYou('viewed', lastTitle) } : i)) });
    }
    const neighbours = itemNeighbours(model.itemMatrix, model.rowCount, model.hidden, (id) => model.rowOf(id), Math.max(10, Math.round(model.itemIds.length / 100)));
    const categoryOf = (id: string) => shop.category.get(id);
    const related = (h: string, i: string) => ({ sameCategory: categoryOf(h) !== undefined && categoryOf(h) === categoryOf(i), neighbour: neighbours(i).has(model.rowOf(h) ?? -1), coPurchased: false });
    return { audit: auditReasons(answers, related, categoryOf), oldRule: auditReasons(oldRule, related, categoryOf) };
  } finally {
    await model.release();
  }
}

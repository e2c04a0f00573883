import * as grpc from '@grpc/grpc-js';
import { fromBinary } from '@bufbuild/protobuf';
import { RecommendationServedSchema } from '@recmesh/contracts';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';
import { IngestScenario } from '../ingest/ingest-scenario';
import { consumeUntil, produce } from '../support/kafka-io';
import { GatewayAnswer as Answer, publishCatalog, RecommendationStack, startRecommendationStack } from '../support/recommendation-stack';
import { until } from '../support/until';


describe('event to answer: ingest, feature-builder, scorer and gateway on a real Kafka broker and MariaDB', () => {
  let scenario: IngestScenario;
  let stack: RecommendationStack | undefined;
  afterAll(async () => {
    stack?.close();
    if (scenario) await scenario.close();
  });

  it('serves answers that follow the shopper, with reasons, rec_ids, cold items and clear errors', async () => {
    scenario = await IngestScenario.create();
    const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 1 });
    const byId = new Map(shop.items.map((i) => [i.itemId, i]));
    const leaf = (id: string) => byId.get(id)?.categoryPath[1] ?? 'new';
    const now = Date.now();
    const newItem = { item_id: 'brand-new-case', title: 'Shieldy Case Max 9999', category_path: ['Electronics', 'Phone Cases'], brand: 'Shieldy', price: 24.5, in_stock: true };
    await publishCatalog(scenario, shop.items, [newItem], now - 60_000);
    stack = await startRecommendationStack(scenario);
    const call = stack.call;

    // The brand-new item (no interactions, not in the model) is answerable once the catalog arrives.
    const similarToNew = await until('catalog loaded', async () => (await call('similarItems', { itemId: newItem.item_id, k: 10 })).items.length > 0 ? call('similarItems', { itemId: newItem.item_id, k: 10 }) : undefined);
    expect(similarToNew.items.every((i) => /^Similar to Shieldy Case Max 9999|^Often bought with/.test(i.reason))).toBe(true);
    const phoneCaseNeighbours = await call('similarItems', { itemId: 'sku-000001', k: 200, filters: { categories: ['Phone Cases'] } });
    expect(phoneCaseNeighbours.items.map((i) => i.itemId)).toContain(newItem.item_id);

    const user = `e2e-${Date.now()}`;
    const accessories = (a: Answer) => a.items.filter((i) => ['Phone Cases', 'Chargers', 'Earbuds'].includes(leaf(i.itemId))).length;
    const before = await call('recommend', { userId: user, k: 10 });

    const phones = shop.items.filter((i) => leaf(i.itemId) === 'Smartphones' && i.inStock).slice(0, 4);
    const sent = Date.now();
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, phones.map((p, n) => ({
      key: user,
      value: Buffer.from(JSON.stringify({ event_id: `${user}-view-${n}`, user_id: user, session_id: `${user}-s1`, item_id: p.itemId, action: 'view', ts_ms: sent + n })),
    })));
    const after = await until('personal answer', async () => {
      const a = await call('recommend', { userId: user, k: 10 });
      return a.items.some((i) => i.reasonCode === 'REASON_CODE_SEQUENCE') ? a : undefined;
    });
    const freshnessMs = Date.now() - sent;
    console.info(`event produced -> changed answer at the gateway: ${freshnessMs} ms`);
    // Accessories rise against the same user before, and against a shopper who browsed running shoes.
    const control = `${user}-control`;
    const shoes = shop.items.filter((i) => leaf(i.itemId) === 'Running Shoes' && i.inStock).slice(0, 4);
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, shoes.map((p, n) => ({
      key: control,
      value: Buffer.from(JSON.stringify({ event_id: `${control}-view-${n}`, user_id: control, session_id: `${control}-s1`, item_id: p.itemId, action: 'view', ts_ms: Date.now() + n })),
    })));
    const controlAnswer = await until('control answer', async () => {
      const a = await call('recommend', { userId: control, k: 10 });
      return a.items.some((i) => i.reasonCode === 'REASON_CODE_SEQUENCE') ? a : undefined;
    });
    expect(accessories(after)).toBeGreaterThan(accessories(before));
    expect(accessories(after)).toBeGreaterThan(accessories(controlAnswer));
    expect(after.recId).toMatch(/^[0-9a-f-]{36}$/);
    expect(after.recId).not.toBe(before.recId);
    for (const item of after.items) {
      expect(item.reason.length).toBeGreaterThan(0);
      expect(item.modelVersion).toBe(after.modelVersion);
    }
    // Each model-ranked item is told against the viewed phone that supports it, or names none.
    const viewed = phones.map((p) => `Because you viewed ${p.title}`);
    for (const i of after.items.filter((x) => x.reasonCode === 'REASON_CODE_SEQUENCE')) expect([...viewed, 'Popular with shoppers like you']).toContain(i.reason);

    // Buying the top item removes it from the list.
    const bought = after.items[0].itemId;
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, [{
      key: user,
      value: Buffer.from(JSON.stringify({ event_id: `${user}-buy`, user_id: user, session_id: `${user}-s1`, item_id: bought, action: 'purchase', quantity: 1, ts_ms: Date.now() })),
    }]);
    await until('purchased item gone', async () => ((await call('recommend', { userId: user, k: 10 })).items.some((i) => i.itemId === bought) ? undefined : true));

    // Every served list is on the feedback topic with its rec_id.
    const served = await consumeUntil(scenario.kafka, scenario.topics.recommendationsServed, (rs) => rs.some((r) => fromBinary(RecommendationServedSchema, r.value).recId === after.recId), 30_000);
    const record = served.map((r) => fromBinary(RecommendationServedSchema, r.value)).find((r) => r.recId === after.recId)!;
    expect(record.items.map((i) => i.itemId)).toEqual(after.items.map((i) => i.itemId));

    // Malformed requests are refused with INVALID_ARGUMENT and a message.
    await expect(call('recommend', { userId: '', k: 10 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('user_id') });
    await expect(call('recommend', { userId: user, k: 1000 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call('similarItems', { itemId: 'no-such-item', k: 5 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('composes bundles from the shop\'s complementary groups, under budget, with reasons and rec_ids', async () => {
    expect(stack).toBeDefined();
    const bundle = stack!.bundle;
    // The shop's shoppers buy phones with cases, chargers and earbuds; their purchases build the co-purchase statistics.
    const shop = generateSyntheticShop({ seed: 42, items: 2000, users: 600 });
    const byId = new Map(shop.items.map((i) => [i.itemId, i]));
    const leaf = (id: string) => byId.get(id)?.categoryPath[1] ?? 'new';
    const first = shop.events[0].tsMs;
    const base = Date.now() - 3_600_000;
    await produce(scenario.kafka, scenario.topics.clickstreamRaw, shop.events.map((e, n) => ({
      key: e.userId,
      value: Buffer.from(JSON.stringify({
        event_id: `bundle-shop-${n}`, user_id: `bundle-${e.userId}`, session_id: `bundle-${e.sessionId}`, item_id: e.itemId, action: e.action,
        quantity: e.quantity, price: e.price, rating: e.rating, ts_ms: base + Math.min(3_000_000, Math.floor((e.tsMs - first) / 1000)),
      })),
    })));
    // Wait until feature-builder has applied every purchase, then for the bundler's next statistics reload (every second here).
    const applied = async () => Number((await scenario.db.query<{ n: number }>("SELECT COUNT(*) AS n FROM feature_applied_events WHERE event_id LIKE 'bundle-shop-%'"))[0].n);
    const deadline = Date.now() + 90_000;
    while ((await applied()) < shop.events.length) {
      if (Date.now() > deadline) throw new Error(`feature-builder applied ${await applied()} of ${shop.events.length} events in 90 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 2500));
    const phone = shop.items.find((i) => leaf(i.itemId) === 'Smartphones' && i.inStock && shop.items.some((c) => c.attributes['fits'] === i.itemId && c.inStock))!;
    const complements = ['Phone Cases', 'Chargers', 'Earbuds'];
    const answer = await bundle({ userId: 'bundle-shopper', anchorItemIds: [phone.itemId], size: 3, count: 5 });
    expect(answer.bundles.length).toBe(5);
    expect(answer.recId).toMatch(/^[0-9a-f-]{36}$/);
    const added = answer.bundles.flatMap((b) => b.items.filter((i) => i.role !== 'anchor'));
    for (const b of answer.bundles) {
      expect(b.items).toHaveLength(3);
      expect(b.items[0]).toMatchObject({ role: 'anchor', item: { itemId: phone.itemId } });
      expect(b.reason).toMatch(/Completes your|Often bought together/);
      for (const i of b.items) expect(i.item.reason.length).toBeGreaterThan(0);
    }
    // The phone's complementary group comes back: most added items are cases, chargers or earbuds, none is another phone.
    expect(added.filter((i) => complements.includes(leaf(i.item.itemId))).length / added.length).toBeGreaterThanOrEqual(0.8);
    expect(added.some((i) => leaf(i.item.itemId) === 'Smartphones')).toBe(false);
    expect(new Set(answer.bundles.map((b) => b.items.map((i) => i.item.itemId).sort().join(','))).size).toBe(5);

    // Budget, diversity and exclusions hold.
    const budget = (phone.price ?? 0) + 40;
    const cheap = await bundle({ anchorItemIds: [phone.itemId], size: 3, count: 3, budget, requireCategoryDiversity: true, filters: { excludeItemIds: [added[0].item.itemId] } });
    for (const b of cheap.bundles) {
      expect(b.totalPrice).toBeLessThanOrEqual(budget + 1e-9);
      expect(b.items.reduce((sum, i) => sum + (i.item.price ?? 0), 0)).toBeCloseTo(b.totalPrice, 6);
      expect(new Set(b.items.map((i) => leaf(i.item.itemId))).size).toBe(b.items.length);
      expect(b.items.some((i) => i.item.itemId === added[0].item.itemId)).toBe(false);
    }

    // The served bundle items reach the feedback topic under the bundle's rec_id.
    const served = await consumeUntil(scenario.kafka, scenario.topics.recommendationsServed, (rs) => rs.some((r) => fromBinary(RecommendationServedSchema, r.value).recId === answer.recId), 30_000);
    const record = served.map((r) => fromBinary(RecommendationServedSchema, r.value)).find((r) => r.recId === answer.recId)!;
    expect(record.surface).toBe('bundle');
    expect(record.items.map((i) => i.itemId)).toEqual(added.map((i) => i.item.itemId));

    // Bad requests: INVALID_ARGUMENT with the field named; unknown anchors: NOT_FOUND.
    await expect(bundle({ anchorItemIds: [], size: 3 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('anchor_item_ids') });
    await expect(bundle({ anchorItemIds: [phone.itemId], size: 9 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('size') });
    await expect(bundle({ anchorItemIds: [phone.itemId], size: 3, budget: -5 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('budget') });
    await expect(bundle({ anchorItemIds: ['no-such-item'], size: 3 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});

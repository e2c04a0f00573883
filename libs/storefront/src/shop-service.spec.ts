import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { HttpException } from '@nestjs/common';
import { BundleItemSchema, BundleResponseSchema, ProductBundleSchema, ReasonCode, RecommendResponseSchema, ScoredItemSchema } from '@recmesh/contracts';
import { GatewayCallError, GatewayCalls } from '@recmesh/gateway-api';
import { CatalogItemRecord } from '@recmesh/persistence';
import { ShopGateway, ShopService } from './shop-service';

function row(itemId: string, leaf: string, price: number | null, extra: Partial<CatalogItemRecord> = {}): CatalogItemRecord {
  return {
    itemId, title: `Title ${itemId}`, description: `About ${itemId}`, categoryPath: ['Dept', leaf], leafCategory: leaf, brand: 'Brand',
    price, currency: 'EUR', inStock: 1, attributes: {}, deleted: 0, updatedTsMs: 0, ...extra,
  };
}

const catalog = [row('sku-phone', 'Smartphones', 520), row('sku-case', 'Phone Cases', 19.9), row('sku-gone', 'Mugs', 11, { deleted: 1 }), row('sku-free', 'Mugs', null)];

class FakeGateway implements ShopGateway {
  calls: Array<{ method: keyof GatewayCalls; request: unknown }> = [];
  failWith?: GatewayCallError;
  async invoke<M extends keyof GatewayCalls>(method: M, request: GatewayCalls[M]['request']): Promise<GatewayCalls[M]['response']> {
    this.calls.push({ method, request });
    if (this.failWith) throw this.failWith;
    const item = (itemId: string, reason: string) => create(ScoredItemSchema, { itemId, score: 0.5, reason, reasonCode: ReasonCode.BOUGHT_TOGETHER, title: itemId, price: 1 });
    if (method === 'Bundle') {
      return create(BundleResponseSchema, {
        recId: 'rec-b', modelVersion: 'bundle-1',
        bundles: [create(ProductBundleSchema, { reason: 'Completes your phone', items: [create(BundleItemSchema, { item: item('sku-phone', 'Your choice'), role: 'anchor' }), create(BundleItemSchema, { item: item('sku-case', 'Fits your phone'), role: 'Phone Cases' })] })],
      }) as GatewayCalls[M]['response'];
    }
    return create(RecommendResponseSchema, { recId: 'rec-1', modelVersion: 'm-7', items: [item('sku-case', 'Often bought with Title sku-phone'), item('sku-unknown', 'Trending')] }) as GatewayCalls[M]['response'];
  }
}

function service(gateway = new FakeGateway()) {
  return new ShopService({
    gateway,
    catalog: { findItems: async (ids) => catalog.filter((r) => ids.includes(r.itemId)) },
    history: { sequence: async (userId) => (userId === 'u-phones' ? [{ i: 'sku-phone', a: 1, t: 1, s: 's' }, { i: 'sku-case', a: 1, t: 2, s: 's' }, { i: 'sku-phone', a: 3, t: 3, s: 's' }] : undefined) },
    shoppers: ['u-phones', 'u-new'],
  });
}

describe('ShopService', () => {
  it('answers a list with its rec_id, the reasons and the catalog view of each item, money in exact units', async () => {
    const gateway = new FakeGateway();
    const list = await service(gateway).recommend({ user: 'u-1', k: 2, cart: ['sku-phone'] });
    expect(gateway.calls[0]).toMatchObject({ method: 'Recommend', request: { userId: 'u-1', k: 2, context: { cartItemIds: ['sku-phone'] } } });
    expect(list.rec_id).toBe('rec-1');
    expect(list.model_version).toBe('m-7');
    expect(list.items[0]).toEqual({
      item_id: 'sku-case', title: 'Title sku-case', brand: 'Brand', category: 'Phone Cases', category_path: ['Dept', 'Phone Cases'], price: '19.90', price_minor: 1990,
      currency: 'EUR', in_stock: true, image: '/shop/art/Phone%20Cases.svg', reason: 'Often bought with Title sku-phone', reason_code: 'bought_together', score: 0.5,
    });
    // An item the catalog no longer has keeps what the answer said of it.
    expect(list.items[1]).toMatchObject({ item_id: 'sku-unknown', title: 'sku-unknown', price: '1.00', reason: 'Trending' });
  });

  it('answers bundles with roles and an exact total', async () => {
    const answer = await service().bundle({ item: 'sku-phone', user: 'u-1', budget: 700, size: 3, count: 2 });
    expect(answer.rec_id).toBe('rec-b');
    expect(answer.bundles[0]).toMatchObject({ reason: 'Completes your phone', total_price: '539.90', total_price_minor: 53990 });
    expect(answer.bundles[0].items.map((i) => [i.item_id, i.role, i.reason])).toEqual([['sku-phone', 'anchor', 'Your choice'], ['sku-case', 'Phone Cases', 'Fits your phone']]);
  });

  it("turns the gateway's status into the HTTP status with its message", async () => {
    const gateway = new FakeGateway();
    const statusOf = async (code: grpc.status) => {
      gateway.failWith = new GatewayCallError(code, `details of ${code}`);
      const error = await service(gateway).similar({ item: 'sku-x', k: 3 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpException);
      expect((error as HttpException).getResponse()).toMatchObject({ message: `details of ${code}` });
      return (error as HttpException).getStatus();
    };
    expect(await statusOf(grpc.status.INVALID_ARGUMENT)).toBe(400);
    expect(await statusOf(grpc.status.NOT_FOUND)).toBe(404);
    expect(await statusOf(grpc.status.RESOURCE_EXHAUSTED)).toBe(429);
    expect(await statusOf(grpc.status.UNAVAILABLE)).toBe(503);
    expect(await statusOf(grpc.status.DEADLINE_EXCEEDED)).toBe(504);
  });

  it('answers an item of the catalog, 404 for one that is unknown or deleted', async () => {
    expect(await service().item('sku-free')).toMatchObject({ item_id: 'sku-free', description: 'About sku-free', price: null, price_minor: null });
    for (const id of ['sku-nope', 'sku-gone']) await expect(service().item(id)).rejects.toMatchObject({ status: 404 });
  });

  it("describes each shopper by the categories of their history", async () => {
    expect(await service().shoppers()).toEqual({ shoppers: [{ user_id: 'u-phones', interests: ['Smartphones', 'Phone Cases'] }, { user_id: 'u-new', interests: [] }] });
  });
});

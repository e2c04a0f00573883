import { gatewayClient, RecommendationStack } from '../support/recommendation-stack';
import { freePort, ServiceProcess } from '../support/service-process';

jest.setTimeout(180_000);

/** Posts a raw catalog event to the all-in-one process, as a shop without Kafka does. */
async function postCatalog(port: number, event: object): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/catalog`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  expect(res.status).toBe(202);
}

/** Milliseconds until `gone` holds for a fresh answer, polling every 20 ms for up to `limitMs`; Infinity if it never does. */
async function msUntil(gone: () => Promise<boolean>, limitMs = 5000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await gone()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Number.POSITIVE_INFINITY;
}

describe('catalog changes reach answers as events (embedded default, demo shop)', () => {
  let app: ServiceProcess;
  let gateway: RecommendationStack;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const grpcPort = await freePort();
    app = ServiceProcess.start('standalone', port, { PORT: String(port), GATEWAY_GRPC_PORT: String(grpcPort), RECMESH_PROFILE: 'embedded', SCORER_PREFER_CUDA: 'false' });
    // Ready means the demo shop went through ingest, feature-builder and serving.
    await app.waitReady(120_000);
    gateway = gatewayClient(`127.0.0.1:${grpcPort}`);
  });
  afterAll(async () => {
    gateway?.close();
    await app?.stop();
  });

  const recommended = async () => (await gateway.call('recommend', { userId: 'user-00001', k: 20 })).items.map((i) => i.itemId);
  const bundled = async () => (await gateway.bundle({ userId: 'user-00001', anchorItemIds: ['sku-000000'], size: 3, count: 5, budget: 2000 })).bundles.flatMap((b) => b.items.filter((i) => i.role !== 'anchor').map((i) => i.item.itemId));

  it('answers the README examples as soon as it says ready', async () => {
    expect((await recommended()).length).toBe(20);
    expect((await bundled()).length).toBeGreaterThan(0);
  });

  it('drops a deleted item from Recommend and Bundle within a second', async () => {
    const victim = (await recommended())[0];
    await postCatalog(port, { event_id: `spec-delete-${victim}`, ts_ms: Date.now(), delete: { item_id: victim } });
    const ms = await msUntil(async () => !(await recommended()).includes(victim));
    expect(ms).toBeLessThan(1000);
    expect(await bundled()).not.toContain(victim);
    await expect(gateway.bundle({ anchorItemIds: [victim], size: 3 })).rejects.toMatchObject({ code: 5 }); // NOT_FOUND: no longer in the catalog
  });

  it('drops an item that went out of stock from Bundle and Recommend within a second', async () => {
    const victim = (await bundled())[0];
    await postCatalog(port, { event_id: `spec-stock-${victim}`, ts_ms: Date.now(), upsert: { item_id: victim, title: 'Sold out', category_path: ['Electronics'], in_stock: false } });
    const ms = await msUntil(async () => !(await bundled()).includes(victim));
    expect(ms).toBeLessThan(1000);
    expect(await recommended()).not.toContain(victim);
  });
});

import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { loadGatewayPackageDefinition } from '@recmesh/contracts/testing';
import { ShopItem } from '@recmesh/synthetic-shop';
import { IngestScenario } from '../ingest/ingest-scenario';
import { produce } from './kafka-io';
import { freePort } from './service-process';

export type GatewayAnswer = {
  recId: string;
  items: Array<{ itemId: string; reason: string; reasonCode: string; modelVersion: string; score: number }>;
  modelVersion: string;
};

export type BundleAnswer = {
  recId: string;
  bundles: Array<{ items: Array<{ role: string; item: GatewayAnswer['items'][number] & { title: string; price?: number } }>; totalScore: number; totalPrice: number; reason: string }>;
  modelVersion: string;
};

export interface RecommendationStack {
  /** Calls the gateway with camelCase request fields; 5 s deadline. */
  call(method: 'recommend' | 'similarItems', request: object): Promise<GatewayAnswer>;
  bundle(request: object): Promise<BundleAnswer>;
  close(): void;
}

const DEMO_MODEL = path.resolve(__dirname, '../../tools/model/demo-model');

/** Catalog upserts for the shop's items (plus extra raw upserts) on the raw catalog topic. */
export async function publishCatalog(scenario: Pick<IngestScenario, 'kafka' | 'topics'>, items: readonly ShopItem[], extra: ReadonlyArray<{ item_id: string }>, tsMs: number): Promise<void> {
  await produce(scenario.kafka, scenario.topics.catalogRaw, [
    ...items.map((i, n) => ({
      key: i.itemId,
      value: Buffer.from(JSON.stringify({ event_id: `cat-${n}`, ts_ms: tsMs, upsert: { item_id: i.itemId, title: i.title, category_path: i.categoryPath, brand: i.brand, price: i.price, in_stock: i.inStock, attributes: i.attributes } })),
    })),
    ...extra.map((upsert, n) => ({ key: upsert.item_id, value: Buffer.from(JSON.stringify({ event_id: `cat-extra-${n}`, ts_ms: tsMs, upsert })) })),
  ]);
}

/** ingest, feature-builder, scorer (demo model), bundler and gateway, one process each; serving follows catalog changes as they are ingested. */
export async function startRecommendationStack(scenario: IngestScenario): Promise<RecommendationStack> {
  const scorerGrpc = await freePort();
  const bundlerGrpc = await freePort();
  const gatewayGrpc = await freePort();
  await scenario.startIngest();
  await scenario.startService('feature-builder', 'FEATURE_BUILDER_PORT');
  await scenario.startService('scorer', 'SCORER_PORT', { SCORER_GRPC_PORT: String(scorerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, SCORER_PREFER_CUDA: 'false' });
  await scenario.startService('bundler', 'BUNDLER_PORT', { BUNDLER_GRPC_PORT: String(bundlerGrpc), SCORER_MODEL_DIR: DEMO_MODEL, BUNDLER_MODEL_FILE: path.join(DEMO_MODEL, 'bundle-model.json'), SCORER_PREFER_CUDA: 'false' });
  await scenario.startService('gateway', 'GATEWAY_HTTP_PORT', { GATEWAY_GRPC_PORT: String(gatewayGrpc), SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: `127.0.0.1:${bundlerGrpc}` });
  return gatewayClient(`127.0.0.1:${gatewayGrpc}`);
}

/** A storefront's client of the gateway at `address` (proto-loader, camelCase fields, 5 s deadline). */
export function gatewayClient(address: string): RecommendationStack {
  const pkg = grpc.loadPackageDefinition(loadGatewayPackageDefinition()) as unknown as { recmesh: { gateway: { v1: { RecommendationService: grpc.ServiceClientConstructor } } } };
  type Unary = (req: object, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: GatewayAnswer) => void) => void;
  type BundleUnary = (req: object, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: BundleAnswer) => void) => void;
  const client = new pkg.recmesh.gateway.v1.RecommendationService(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<'recommend' | 'similarItems', Unary> & { bundle: BundleUnary };
  return {
    call: (method, request) =>
      new Promise((resolve, reject) => client[method](request, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res)))),
    bundle: (request) => new Promise((resolve, reject) => client.bundle(request, { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res)))),
    close: () => client.close(),
  };
}

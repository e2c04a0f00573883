// Closed-loop gRPC load generator (grpc-js, its own process): C callers each send Recommend, wait
// for the answer, send the next, until `requests` calls are done (or, with --duration S, until S seconds
// have passed; calls still in flight then are not counted). Prints one JSON line of results.
// bench-serving.ts drives the gateway with ghz (install-ghz.sh); this client is its fallback when ghz
// cannot be installed (or with --load-generator grpc-js), and LoadResult is the shape both report in.
//   node tools/run-ts.js tools/bench/serving/load-client.ts --target 127.0.0.1:PORT --requests N --concurrency C --users U --k 10
import * as grpc from '@grpc/grpc-js';
import { loadGatewayPackageDefinition } from '@recmesh/contracts/testing';

export interface LoadResult {
  requests: number;
  concurrency: number;
  ok: number;
  errors: number;
  errorCodes: Record<string, number>;
  durationS: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const quantile = (sorted: number[], q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

async function main(): Promise<void> {
  const target = arg('target', '127.0.0.1:50051');
  const requestLimit = Number(arg('requests', '1000'));
  const durationLimitS = Number(arg('duration', '0'));
  const concurrency = Number(arg('concurrency', '32'));
  const users = Number(arg('users', '1000'));
  const k = Number(arg('k', '10'));
  const warmup = Number(arg('warmup', '0'));
  const loaded = grpc.loadPackageDefinition(loadGatewayPackageDefinition()) as unknown as {
    recmesh: { gateway: { v1: { RecommendationService: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.recmesh.gateway.v1.RecommendationService(target, grpc.credentials.createInsecure());
  const stub = client as unknown as {
    Recommend(request: { userId: string; k: number }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): void;
  };
  const call = (userId: string) =>
    new Promise<grpc.status>((resolve) => {
      stub.Recommend({ userId, k }, { deadline: Date.now() + 60_000 }, (error) => resolve(error ? error.code : grpc.status.OK));
    });
  const user = () => `user-${Math.floor(Math.random() * users)}`;
  for (let i = 0; i < warmup; i += concurrency) await Promise.all(Array.from({ length: Math.min(concurrency, warmup - i) }, () => call(user())));
  const latencies: number[] = [];
  const errorCodes: Record<string, number> = {};
  let issued = 0;
  const started = process.hrtime.bigint();
  const endsAt = started + BigInt(Math.round(durationLimitS * 1e9));
  const more = () => (durationLimitS > 0 ? process.hrtime.bigint() < endsAt : issued < requestLimit);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (more()) {
        issued++;
        const t0 = process.hrtime.bigint();
        const code = await call(user());
        if (durationLimitS > 0 && process.hrtime.bigint() > endsAt) break; // ended after the phase: not counted
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (code === grpc.status.OK) latencies.push(ms);
        else errorCodes[grpc.status[code]] = (errorCodes[grpc.status[code]] ?? 0) + 1;
      }
    }),
  );
  const durationS = durationLimitS > 0 ? durationLimitS : Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const errors = Object.values(errorCodes).reduce((a, b) => a + b, 0);
  const result: LoadResult = {
    requests: latencies.length + errors,
    concurrency,
    ok: latencies.length,
    errors,
    errorCodes,
    durationS,
    rps: latencies.length / durationS,
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    meanMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    maxMs: sorted[sorted.length - 1] ?? NaN,
  };
  process.stdout.write(`LOAD_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

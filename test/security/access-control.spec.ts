import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import { mintApiKey } from '@recmesh/access-control';
import { createGrpcClient, ExperimentService, GrpcClient, RecommendationService, ScorerService } from '@recmesh/contracts';
import { freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';

jest.setTimeout(180_000);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it, made by openssl in `dir`. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=recmesh-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, ext] of [['server', ['-extfile', 'server.ext']], ['client', []]] as const) {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=recmesh-${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, ...ext);
  }
  const f = (name: string) => path.join(dir, name);
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

const bearer = (key: string): { metadata: grpc.Metadata } => {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return { metadata };
};

describe('access control and gRPC mTLS (all-in-one process, real keys file and certificates)', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let app: ServiceProcess;
  let port: number;
  let metricsPort: number;
  let grpcPort: number;
  let experimentsPort: number;
  let keysFile: string;
  const shop = mintApiKey('shop', ['storefront']);
  const ops = mintApiKey('ops', ['admin']);
  const intake = mintApiKey('intake', ['intake']);
  let mtls: grpc.ChannelCredentials;
  const clients: { close(): void }[] = [];
  const client = <C extends { close(): void }>(c: C): C => (clients.push(c), c);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'recmesh-access-'));
    certs = makeCertificates(dir);
    keysFile = path.join(dir, 'api-keys.jsonl');
    writeFileSync(keysFile, [shop.line, ops.line, intake.line, ''].join('\n'));
    [port, metricsPort, grpcPort, experimentsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    app = ServiceProcess.start('standalone', port, {
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      GATEWAY_GRPC_PORT: String(grpcPort),
      EXPERIMENTS_GRPC_PORT: String(experimentsPort),
      RECMESH_PROFILE: 'embedded',
      RECMESH_DEMO_SEED: 'false',
      SCORER_PREFER_CUDA: 'false',
      RECMESH_API_KEYS_FILE: keysFile,
      RECMESH_API_KEYS_RELOAD_SECONDS: '1',
      // The all-in-one default lets calls without a key use the demo pages' scopes; this test closes them.
      RECMESH_ANONYMOUS_SCOPES: '',
      GRPC_TLS_CERT_FILE: certs.serverCert,
      GRPC_TLS_KEY_FILE: certs.serverKey,
      GRPC_TLS_CLIENT_CA_FILE: certs.ca,
    });
    await app.waitHealthy(120_000);
    mtls = grpc.credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    // Listening: the gateway's gRPC server starts with the app.
    const probe = client(createGrpcClient(RecommendationService, `127.0.0.1:${grpcPort}`, mtls));
    await until('gateway gRPC over mTLS', async () => (await probe.recommend({ userId: 'u-1', k: 3 }, bearer(shop.key)).catch((e: grpc.ServiceError) => (e.code === grpc.status.UNAVAILABLE ? undefined : e))) ?? undefined, 60_000);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const gateway = (): GrpcClient<typeof RecommendationService> => client(createGrpcClient(RecommendationService, `127.0.0.1:${grpcPort}`, mtls));

  it('gRPC: no key is UNAUTHENTICATED, a storefront key passes Recommend, the same key on an admin API is PERMISSION_DENIED, an admin key passes', async () => {
    await expect(gateway().recommend({ userId: 'u-1', k: 3 })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(gateway().recommend({ userId: 'u-1', k: 3 }, bearer('rmk_not-a-key'))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unknown API key' });
    const answer = await gateway().recommend({ userId: 'u-1', k: 3 }, bearer(shop.key));
    expect(answer.recId).toMatch(/^[0-9a-f-]{36}$/);
    const experiments = client(createGrpcClient(ExperimentService, `127.0.0.1:${experimentsPort}`, mtls));
    await expect(experiments.getExperimentResults({ name: 'x' }, bearer(shop.key))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'API key shop lacks scope admin' });
    expect((await experiments.listExperiments({}, bearer(ops.key))).experiments).toEqual([]);
  });

  it('mTLS: a client without a certificate, or on plaintext, is refused before any call', async () => {
    const noCert = client(createGrpcClient(RecommendationService, `127.0.0.1:${grpcPort}`, grpc.credentials.createSsl(readFileSync(certs.ca))));
    await expect(noCert.recommend({ userId: 'u-1', k: 3 }, { ...bearer(shop.key), deadline: Date.now() + 5000 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    const plaintext = client(createGrpcClient(RecommendationService, `127.0.0.1:${grpcPort}`));
    await expect(plaintext.recommend({ userId: 'u-1', k: 3 }, { ...bearer(shop.key), deadline: Date.now() + 5000 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('HTTP intake: POST /v1/catalog without a key is 401, with a storefront key 403, with an intake key 202; /health stays open', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/v1/catalog`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ event_id: 'e-del', ts_ms: Date.now(), delete: { item_id: 'sku-1' } }) });
    const anonymous = await post({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.json()).toMatchObject({ statusCode: 401, message: expect.stringContaining('scope intake is required') });
    const wrongScope = await post({ authorization: `Bearer ${shop.key}` });
    expect(wrongScope.status).toBe(403);
    expect(await wrongScope.json()).toMatchObject({ statusCode: 403, message: 'API key shop lacks scope intake' });
    expect((await post({ 'x-api-key': intake.key })).status).toBe(202);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('/metrics is served on METRICS_PORT and not on the service port', async () => {
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^recmesh_gateway_requests_total\{[^}]*code="OK"[^}]*\} [1-9]/m);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status).toBe(404);
  });

  it('rotates keys without a restart: a key added to the file works, a key removed stops working', async () => {
    const next = mintApiKey('shop-next', ['storefront']);
    writeFileSync(keysFile, [next.line, ops.line, intake.line, ''].join('\n'));
    await until('the new key accepted', async () => (await gateway().recommend({ userId: 'u-1', k: 3 }, bearer(next.key)).then(() => true).catch(() => undefined)), 20_000);
    await expect(gateway().recommend({ userId: 'u-1', k: 3 }, bearer(shop.key))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unknown API key' });
    expect(app.alive).toBe(true);
  });
});

describe('gateway to scorer over mTLS with an internal key (separate processes)', () => {
  it('the gateway reaches a scorer that requires a client certificate and the internal scope; a storefront key cannot call the scorer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'recmesh-internal-'));
    const certs = makeCertificates(dir);
    const shop = mintApiKey('shop', ['storefront']);
    const internal = mintApiKey('gateway', ['internal']);
    const keysFile = path.join(dir, 'api-keys.jsonl');
    writeFileSync(keysFile, [shop.line, internal.line, ''].join('\n'));
    const [scorerHttp, scorerGrpc, gatewayHttp, gatewayGrpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const common = { RECMESH_PROFILE: 'embedded', SCORER_PREFER_CUDA: 'false', RECMESH_API_KEYS_FILE: keysFile };
    const scorer = ServiceProcess.start('scorer', scorerHttp, {
      ...common, SCORER_PORT: String(scorerHttp), SCORER_GRPC_PORT: String(scorerGrpc),
      GRPC_TLS_CERT_FILE: certs.serverCert, GRPC_TLS_KEY_FILE: certs.serverKey, GRPC_TLS_CLIENT_CA_FILE: certs.ca,
    });
    const gateway = ServiceProcess.start('gateway', gatewayHttp, {
      ...common, GATEWAY_HTTP_PORT: String(gatewayHttp), GATEWAY_GRPC_PORT: String(gatewayGrpc),
      SCORER_ADDRESS: `127.0.0.1:${scorerGrpc}`, BUNDLER_ADDRESS: '', EXPERIMENTS_ADDRESS: '',
      GRPC_CLIENT_TLS_CA_FILE: certs.ca, GRPC_CLIENT_TLS_CERT_FILE: certs.clientCert, GRPC_CLIENT_TLS_KEY_FILE: certs.clientKey,
      RECMESH_INTERNAL_API_KEY: internal.key,
    });
    const mtls = grpc.credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    const storefront = createGrpcClient(RecommendationService, `127.0.0.1:${gatewayGrpc}`);
    const direct = createGrpcClient(ScorerService, `127.0.0.1:${scorerGrpc}`, mtls);
    try {
      // Ready: the gateway's channel to the scorer is up (TLS handshake with its client certificate done).
      await gateway.waitReady(120_000);
      const answer = await storefront.recommend({ userId: 'u-1', k: 3 }, bearer(shop.key));
      expect(answer.recId).toMatch(/^[0-9a-f-]{36}$/);
      await expect(storefront.recommend({ userId: 'u-1', k: 3 })).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      await expect(direct.score({ userId: 'u-1', k: 3 }, bearer(shop.key))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: 'API key shop lacks scope internal' });
      expect((await direct.score({ userId: 'u-1', k: 3 }, bearer(internal.key))).modelVersion).toBe(answer.modelVersion);
    } finally {
      storefront.close();
      direct.close();
      await gateway.stop();
      await scorer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bind policy', () => {
  it('a non-loopback bind without keys exits non-zero, naming the settings to fix', async () => {
    const port = await freePort();
    const app = ServiceProcess.start('standalone', port, { PORT: String(port), BIND_HOST: '0.0.0.0', RECMESH_API_KEYS_FILE: '', RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false' });
    const { code } = await app.exited;
    expect(code).toBe(1);
    expect(app.logs).toContain('BIND_HOST=0.0.0.0 is not a loopback address, and RECMESH_API_KEYS_FILE is empty');
    expect(app.logs).toContain('RECMESH_ALLOW_ANONYMOUS=true');
  });
});

describe('npm start default (loopback, keys file made in the data dir)', () => {
  it('prints a generated admin key once; calls without a key get the demo scopes only; the printed key opens the admin APIs', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'recmesh-data-'));
    const start = async () => {
      const [port, grpcPort, experimentsPort] = [await freePort(), await freePort(), await freePort()];
      const app = ServiceProcess.start('standalone', port, {
        PORT: String(port), GATEWAY_GRPC_PORT: String(grpcPort), EXPERIMENTS_GRPC_PORT: String(experimentsPort),
        RECMESH_DATA_DIR: dataDir, RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false', SCORER_PREFER_CUDA: 'false',
      });
      await app.waitHealthy(120_000);
      return { app, port, experiments: createGrpcClient(ExperimentService, `127.0.0.1:${experimentsPort}`), gateway: createGrpcClient(RecommendationService, `127.0.0.1:${grpcPort}`) };
    };
    const first = await start();
    try {
      const key = /authorization: Bearer (rmk_[A-Za-z0-9_-]{43})/.exec(first.app.logs)?.[1];
      expect(key).toBeDefined();
      expect(readFileSync(path.join(dataDir, 'api-keys.jsonl'), 'utf8')).not.toContain(key);
      const answer = await until('anonymous Recommend', () => first.gateway.recommend({ userId: 'u-1', k: 3 }), 60_000);
      expect(answer.recId).toMatch(/^[0-9a-f-]{36}$/);
      await expect(first.experiments.listExperiments({})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      expect((await first.experiments.listExperiments({}, bearer(key!))).experiments).toEqual([]);
      const trainingRuns = await fetch(`http://127.0.0.1:${first.port}/v1/admin/training-runs`);
      expect(trainingRuns.status).toBe(401);
    } finally {
      first.gateway.close();
      first.experiments.close();
      await first.app.stop();
    }
    const second = await start();
    try {
      expect(second.app.logs).not.toContain('authorization: Bearer');
    } finally {
      second.gateway.close();
      second.experiments.close();
      await second.app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

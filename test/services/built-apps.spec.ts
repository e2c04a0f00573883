import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { infraEnv } from '../support/infra-env';
import { gatewayClient } from '../support/recommendation-stack';
import { ScratchDatabase } from '../support/scratch-database';
import { APP_PORTS as APPS, freePort, ServiceProcess } from '../support/service-process';

const ROOT = path.resolve(__dirname, '../..');

async function get(port: number, endpoint: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${endpoint}`);
  return { status: res.status, body: await res.text() };
}

/** The built app on the embedded profile, on free ports. */
async function startBuilt(app: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const ports: Record<string, string> = { [APPS[app].httpPort]: String(port) };
  for (const variable of APPS[app].grpcPorts) ports[variable] = String(await freePort());
  return ServiceProcess.start(app, port, { RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false', ...ports, ...env }, { built: true });
}

describe('production build: every app runs from dist/apps/<app>/main.js', () => {
  let buildLog = '';
  beforeAll(async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['tools/build/build-apps.js'], { cwd: ROOT });
    buildLog = stdout + stderr;
  }, 180_000);

  it('builds one bundle with a source map per app, the @recmesh libs inside and node_modules outside', () => {
    const apps = fs.readdirSync(path.join(ROOT, 'apps')).filter((a) => fs.existsSync(path.join(ROOT, 'apps', a, 'src/main.ts'))).sort();
    expect(Object.keys(APPS).sort()).toEqual(apps);
    for (const app of apps) {
      expect(buildLog).toContain(`dist/apps/${app}/main.js`);
      const bundle = fs.readFileSync(path.join(ROOT, 'dist/apps', app, 'main.js'), 'utf8');
      expect(fs.existsSync(path.join(ROOT, 'dist/apps', app, 'main.js.map'))).toBe(true);
      expect(bundle).not.toMatch(/require\("@recmesh\//);
      expect(bundle).toMatch(/require\("@nestjs\/core"\)/);
      // NestJS's constructor injection needs the parameter types swc records.
      expect(bundle).toContain('"design:paramtypes"');
      // A source's __dirname is its own folder seen from the bundle (PROTO_ROOT, the trainer's root), never the bundle's.
      const dirnames = bundle.match(/.*\b__dirname\b.*/g) ?? [];
      for (const line of dirnames) {
        const rel = /\.resolve\(__dirname, "([^"]+)"\);$/.exec(line)?.[1];
        expect(rel && fs.existsSync(path.join(ROOT, 'dist/apps', app, rel)) ? 'source folder' : line).toBe('source folder');
      }
    }
  });

  it.each(Object.keys(APPS))('%s starts from its build and answers /health, /ready and /metrics', async (app) => {
    const service = await startBuilt(app);
    try {
      if (app === 'gateway') {
        // Alone, the gateway has no scorer to call: alive, but honestly not ready.
        await service.waitHealthy();
        expect(JSON.parse((await get(service.port, '/ready')).body).checks.backend).toEqual({ ok: false });
      } else {
        await service.waitReady();
        expect((await get(service.port, '/ready')).status).toBe(200);
      }
      expect(JSON.parse((await get(service.port, '/health')).body)).toMatchObject({ status: 'ok' });
      expect((await get(service.port, '/metrics')).body).toContain('recmesh_process_resident_memory_bytes');
    } finally {
      // Nest's shutdown hooks ran and re-raised SIGTERM (not the SIGKILL stop() sends after 20 s).
      expect(await service.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    }
  });

  it('standalone from its build serves the demo shop over gRPC', async () => {
    const grpcPort = await freePort();
    const service = await startBuilt('standalone', { RECMESH_DEMO_SEED: 'true', GATEWAY_GRPC_PORT: String(grpcPort) });
    const gateway = gatewayClient(`127.0.0.1:${grpcPort}`);
    try {
      await service.waitReady(120_000);
      const answer = await gateway.call('recommend', { userId: 'user-00001', k: 5 });
      expect(answer.items).toHaveLength(5);
      expect(answer.recId).not.toBe('');
      for (const item of answer.items) {
        expect(item.itemId).toMatch(/^sku-/);
        expect(item.reason).not.toBe('');
      }
      const similar = await gateway.call('similarItems', { itemId: 'sku-000000', k: 5 });
      expect(similar.items.length).toBeGreaterThan(0);
      await expect(gateway.call('recommend', { userId: '', k: 5 })).rejects.toMatchObject({ code: 3 }); // INVALID_ARGUMENT
      expect(await service.metric('recmesh_ingest_events_accepted_total')).toBeGreaterThan(0);
    } finally {
      gateway.close();
      await service.stop();
    }
  });

  it('ingest from its build becomes ready on the kafka-mysql profile (kafkajs and mysql2 load from node_modules)', async () => {
    const infra = infraEnv();
    const db = await ScratchDatabase.create(infra.mysqlUrl);
    const service = await startBuilt('ingest', {
      RECMESH_PROFILE: 'kafka-mysql', KAFKA_BROKERS: infra.kafkaBrokers.join(','), MYSQL_URL: db.url,
      RECMESH_TOPIC_PREFIX: `built-${Date.now()}.`, INGEST_GROUP_ID: `built-${Date.now()}`,
    });
    try {
      await service.waitReady();
      expect(JSON.parse((await get(service.port, '/ready')).body)).toEqual({ ready: true, checks: { bus: { ok: true }, store: { ok: true }, 'consumer:ingest': { ok: true } } });
    } finally {
      await service.stop();
      await db.drop();
    }
  });
});

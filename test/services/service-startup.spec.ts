import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';
import { APP_PORTS, freePort, ServiceProcess } from '../support/service-process';

/** Each app's HTTP port variable and the gRPC ports it binds besides; each test gives them free ports so services never collide. */
const GRPC_PORT_VARIABLES: Record<string, string[]> = Object.fromEntries(Object.entries(APP_PORTS).map(([app, a]) => [app, a.grpcPorts]));
const PORT_VARIABLES: Record<string, string> = Object.fromEntries(Object.entries(APP_PORTS).map(([app, a]) => [app, a.httpPort]));

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('every service starts and exposes health, readiness and metrics', () => {
  const started: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it.each(Object.keys(PORT_VARIABLES))('%s (embedded profile)', async (app) => {
    const port = await freePort();
    const grpcPorts: Record<string, string> = {};
    for (const variable of GRPC_PORT_VARIABLES[app] ?? []) grpcPorts[variable] = String(await freePort());
    const service = ServiceProcess.start(app, port, { [PORT_VARIABLES[app]]: String(port), ...grpcPorts, RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false' });
    started.push(service);
    if (app === 'gateway') {
      // Alone, the gateway has no scorer to call: alive, but honestly not ready.
      await service.waitHealthy();
      const ready = await get(port, '/ready');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body).checks.backend).toEqual({ ok: false });
    } else {
      await service.waitReady();
      expect((await get(port, '/ready')).status).toBe(200);
    }
    expect(JSON.parse((await get(port, '/health')).body)).toMatchObject({ status: 'ok' });
    const metrics = (await get(port, '/metrics')).body;
    expect(metrics).toContain('recmesh_process_resident_memory_bytes');
    if (app === 'ingest' || app === 'standalone') expect(metrics).toContain('# TYPE recmesh_ingest_events_accepted_total counter');
  });

  it('ingest on the kafka-mysql profile becomes ready against the real broker and database', async () => {
    const infra = infraEnv();
    const db = await ScratchDatabase.create(infra.mysqlUrl);
    const port = await freePort();
    const service = ServiceProcess.start('ingest', port, {
      INGEST_PORT: String(port), RECMESH_PROFILE: 'kafka-mysql', KAFKA_BROKERS: infra.kafkaBrokers.join(','), MYSQL_URL: db.url,
      RECMESH_TOPIC_PREFIX: `startup-${port}.`, INGEST_GROUP_ID: `startup-${port}`,
    });
    try {
      await service.waitReady();
      const ready = JSON.parse((await get(port, '/ready')).body);
      expect(ready).toEqual({ ready: true, checks: { bus: { ok: true }, store: { ok: true }, 'consumer:ingest': { ok: true } } });
    } finally {
      await service.stop();
      await db.drop();
    }
  });

  it.each([
    ['an unknown profile', { RECMESH_PROFILE: 'cloud' }, /RECMESH_PROFILE="cloud" must be one of embedded, kafka-mysql/],
    ['a port that is not a number', { INGEST_PORT: 'eighty' }, /INGEST_PORT="eighty" is not an integer/],
    // A secret never reaches the log, even when it is wrong.
    ['a malformed MySQL URL', { RECMESH_PROFILE: 'kafka-mysql', MYSQL_URL: 'postgres://admin:hunter2@db:5432/shop' }, /MYSQL_URL=<secret, 37 characters> does not match its format/],
    ['an unreachable database', { RECMESH_PROFILE: 'kafka-mysql', MYSQL_URL: 'mysql://x:hunter2@127.0.0.1:1/recmesh' }, /cannot open mysql:\/\/\*\*\*@127\.0\.0\.1:1\/recmesh/],
  ])('ingest refuses to start with %s and says why', async (_name, env, message) => {
    const service = ServiceProcess.start('ingest', await freePort(), env as Record<string, string>);
    const exit = await service.exited;
    expect(exit.code).toBe(1);
    expect(service.logs).toMatch(message);
    expect(service.logs).not.toContain('hunter2');
  });

  it.each([
    ['a missing bundle model file', 'does-not-exist/bundle-model.json', /cannot load the bundle model does-not-exist\/bundle-model\.json/],
    ['a file that is not a bundle model', 'tsconfig.json', /cannot load the bundle model tsconfig\.json/],
  ])('the bundler refuses to start with %s and names the file', async (_name, file, message) => {
    const service = ServiceProcess.start('bundler', await freePort(), { RECMESH_PROFILE: 'embedded', BUNDLER_MODEL_FILE: file, BUNDLER_GRPC_PORT: String(await freePort()) });
    const exit = await service.exited;
    expect(exit.code).toBe(1);
    expect(service.logs).toMatch(message);
  });
});

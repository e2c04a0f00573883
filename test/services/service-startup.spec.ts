import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';
import { freePort, ServiceProcess } from '../support/service-process';

const PORT_VARIABLES: Record<string, string> = {
  'feature-builder': 'FEATURE_BUILDER_PORT',
  scorer: 'SCORER_PORT',
  bundler: 'BUNDLER_PORT',
  feedback: 'FEEDBACK_PORT',
  gateway: 'GATEWAY_HTTP_PORT',
  ingest: 'INGEST_PORT',
  standalone: 'PORT',
};

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
    const service = ServiceProcess.start(app, port, { [PORT_VARIABLES[app]]: String(port), RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false' });
    started.push(service);
    await service.waitReady();
    expect(JSON.parse((await get(port, '/health')).body)).toMatchObject({ status: 'ok' });
    const ready = await get(port, '/ready');
    expect(ready.status).toBe(200);
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
      expect(ready).toEqual({ ready: true, checks: { store: { ok: true }, 'consumer:ingest': { ok: true } } });
    } finally {
      await service.stop();
      await db.drop();
    }
  });

  it.each([
    ['an unknown profile', { RECMESH_PROFILE: 'cloud' }, /RECMESH_PROFILE="cloud" must be one of embedded, kafka-mysql/],
    ['a port that is not a number', { INGEST_PORT: 'eighty' }, /INGEST_PORT="eighty" is not an integer/],
    ['a malformed MySQL URL', { RECMESH_PROFILE: 'kafka-mysql', MYSQL_URL: 'localhost:3306' }, /MYSQL_URL="localhost:3306" does not match/],
    ['an unreachable database', { RECMESH_PROFILE: 'kafka-mysql', MYSQL_URL: 'mysql://x:y@127.0.0.1:1/recmesh' }, /cannot open mysql:\/\/\*\*\*@127\.0\.0\.1:1\/recmesh/],
  ])('ingest refuses to start with %s and says why', async (_name, env, message) => {
    const service = ServiceProcess.start('ingest', await freePort(), env as Record<string, string>);
    const exit = await service.exited;
    expect(exit.code).toBe(1);
    expect(service.logs).toMatch(message);
  });
});

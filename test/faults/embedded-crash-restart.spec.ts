import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStore } from '@recmesh/persistence';
import { APP_PORTS, freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';

/**
 * The embedded default (`npm start`'s process) killed with SIGKILL while events
 * stream into its HTTP intake, then restarted on the same data directory:
 * every event whose POST was answered 202 is stored exactly once, and the
 * features count each stored event once (no redelivery counted twice).
 */
const USERS = 40;
const ITEMS = 30;
const PLANNED = 1_200; // 30 events a user at most: under the 50-step sequence cap, so a sequence's length counts its events
const KILL_AFTER_ACKED = 400;
const POSTERS = 8;

interface SentEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
}

const event = (i: number): SentEvent => ({ eventId: `crash-e-${i}`, userId: `crash-u-${i % USERS}`, itemId: `crash-sku-${(i * 7) % ITEMS}` });

async function post(port: number, e: SentEvent): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/clickstream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_id: e.eventId, user_id: e.userId, item_id: e.itemId, action: 'view', ts_ms: Date.now(), session_id: `s-${e.userId}` }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('the embedded default survives SIGKILL mid-stream', () => {
  let dataDir: string;
  const started: ServiceProcess[] = [];
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-crash-'));
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const port = await freePort();
    const grpc = Object.fromEntries(await Promise.all(APP_PORTS.standalone.grpcPorts.map(async (v) => [v, String(await freePort())])));
    const app = ServiceProcess.start('standalone', port, { PORT: String(port), ...grpc, RECMESH_PROFILE: 'embedded', RECMESH_DEMO_SEED: 'false', RECMESH_DATA_DIR: dataDir });
    started.push(app);
    await app.waitReady(90_000);
    return app;
  };

  it('loses no acknowledged event and counts none twice', async () => {
    const acked = new Set<string>();
    const attempted = new Set<string>();
    let next = 0;
    const first = await start();
    let killed = false;
    const poster = async () => {
      while (next < PLANNED && !killed) {
        const e = event(next++);
        attempted.add(e.eventId);
        const status = await post(first.port, e).catch(() => 0);
        if (status === 202) acked.add(e.eventId);
        if (acked.size >= KILL_AFTER_ACKED && !killed) {
          killed = true;
          first.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: POSTERS }, poster));
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKED);
    const stoppedAt = next;

    // The same data directory: the bus replays what was not yet consumed, the store keeps what was committed.
    const second = await start();
    expect(second.logs).toMatch(/durable in-process bus in /);
    for (let i = stoppedAt; i < PLANNED; i += POSTERS) {
      const batch = Array.from({ length: Math.min(POSTERS, PLANNED - i) }, (_, j) => event(i + j));
      const statuses = await Promise.all(batch.map((e) => post(second.port, e)));
      expect(statuses).toEqual(batch.map(() => 202));
      for (const e of batch) {
        attempted.add(e.eventId);
        acked.add(e.eventId);
      }
    }
    const recommend = await fetch(`http://127.0.0.1:${second.port}/shop/api/recommend?user=${event(1).userId}&k=4`);
    expect(recommend.status).toBe(200);

    // Drained when every acknowledged event is stored and feature-builder has applied every stored one.
    const file = path.join(dataDir, 'recmesh-standalone', 'store.sqlite');
    const probe = await openStore({ kind: 'embedded', file });
    try {
      await until(
        'every acknowledged event stored and applied',
        async () => {
          const [{ stored }] = await probe.query('SELECT COUNT(*) AS stored FROM clickstream_events');
          const [{ applied }] = await probe.query('SELECT COUNT(*) AS applied FROM feature_applied_events');
          return Number(stored) >= acked.size && Number(applied) === Number(stored) ? true : undefined;
        },
        90_000,
        500,
      );
    } finally {
      await probe.destroy();
    }
    expect(await second.stop()).toEqual({ code: null, signal: 'SIGTERM' }); // a clean shutdown

    const store = await openStore({ kind: 'embedded', file });
    try {
      const rows: Array<{ event_id: string; user_id: string; item_id: string }> = await store.query('SELECT event_id, user_id, item_id FROM clickstream_events');
      const stored = rows.map((r) => r.event_id);
      // Each acknowledged event once; besides them only events whose POST was cut off by the kill (sent, never answered).
      expect(new Set(stored).size).toBe(stored.length);
      for (const id of acked) expect(stored).toContain(id);
      const unacknowledged = stored.filter((id) => !acked.has(id));
      for (const id of unacknowledged) expect(attempted.has(id)).toBe(true);
      expect(unacknowledged.length).toBeLessThanOrEqual(POSTERS);

      const perItem = new Map<string, number>();
      const perUser = new Map<string, number>();
      for (const r of rows) {
        perItem.set(r.item_id, (perItem.get(r.item_id) ?? 0) + 1);
        perUser.set(r.user_id, (perUser.get(r.user_id) ?? 0) + 1);
      }
      const popularity: Array<{ item_id: string; interactions: number }> = await store.query('SELECT item_id, interactions FROM item_popularity');
      expect(new Map(popularity.map((p) => [p.item_id, Number(p.interactions)]))).toEqual(perItem);
      const sequences: Array<{ user_id: string; steps: string }> = await store.query('SELECT user_id, steps FROM user_sequences');
      expect(new Map(sequences.map((s) => [s.user_id, JSON.parse(s.steps).length]))).toEqual(perUser);
      expect(perUser.size).toBe(USERS);
    } finally {
      await store.destroy();
    }
  });
});

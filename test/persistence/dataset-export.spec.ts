import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Action } from '@recmesh/contracts';
import { exportShopDataset } from '@recmesh/dataset-export';
import { CatalogStore, ClickstreamEventRow, ClickstreamEventStore, openStore } from '@recmesh/persistence';
import { DataSource } from 'typeorm';
import { infraEnv } from '../support/infra-env';
import { ScratchDatabase } from '../support/scratch-database';

const REPO = path.resolve(__dirname, '../..');
const T0 = 1_764_000_000_000;

const event = (eventId: string, userId: string, itemId: string, tsMs: number, action = Action.VIEW): ClickstreamEventRow => ({
  eventId, userId, sessionId: '', itemId, action, quantity: 1, price: null, currency: '', rating: null, tsMs, recId: '', context: null, ingestedAtMs: tsMs,
});
const item = (itemId: string) => ({
  itemId, title: `Title ${itemId}`, description: '', categoryPath: ['Home', 'Kitchen'], brand: 'Acme', price: 12.5, currency: 'EUR', inStock: 1, attributes: { size: 'L' }, updatedTsMs: T0,
});

/** The same shop in any store: odd ids (commas, quotes, unicode, case), ties, a deleted item, events outside the window. */
async function fillShop(ds: DataSource): Promise<void> {
  const catalog = new CatalogStore(ds);
  await catalog.insertItems(['sku,1', 'sku"2', 'ßku-3', 'SKU-4', 'sku-4', 'gone'].map(item));
  await catalog.applyBatch([{ eventId: 'c-del', itemId: 'gone', kind: 'delete', tsMs: T0 + 1, payload: '{}', ingestedAtMs: T0 + 1 }], [{ kind: 'delete', eventId: 'c-del', tsMs: T0 + 1, itemId: 'gone' }]);
  const users = ['u1', 'U1', 'ü,"q"', 'u10', 'u2'];
  const items = ['sku,1', 'sku"2', 'ßku-3', 'SKU-4', 'sku-4', 'gone'];
  const rows: ClickstreamEventRow[] = [];
  // n < 32 falls before T0 (outside the window): 88 events in it, 15 of them (n % 6 == 5) on the deleted item.
  for (let n = 0; n < 120; n++) {
    rows.push(event(`e-${(n * 37) % 120}`, users[n % users.length], items[(n * 7) % items.length], T0 - 5_000 + Math.floor(n / 4) * 700, (1 + (n % 6)) as Action));
  }
  await new ClickstreamEventStore(ds).storeBatch(rows);
}

describe('dataset export on MariaDB', () => {
  let db: ScratchDatabase;
  let tmp: string;
  const stores: DataSource[] = [];
  beforeEach(async () => {
    db = await ScratchDatabase.create(infraEnv().mysqlUrl);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataset-export-it-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.destroy()));
    await db.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('writes the same bytes as the embedded store for the same shop, whatever the page size', async () => {
    const mysql = await openStore({ kind: 'mysql', url: db.url });
    const embedded = await openStore({ kind: 'embedded' });
    stores.push(mysql, embedded);
    await fillShop(mysql);
    await fillShop(embedded);
    const window = { fromMs: T0, toMs: T0 + 60_000 };
    const a = await exportShopDataset(mysql, { outDir: path.join(tmp, 'mysql-3'), ...window, pageSize: 3 });
    const b = await exportShopDataset(mysql, { outDir: path.join(tmp, 'mysql'), ...window });
    const c = await exportShopDataset(embedded, { outDir: path.join(tmp, 'embedded'), ...window, pageSize: 4 });
    expect(a.counts).toEqual({ items: 5, events: 88, users: 5, eventsOnItemsNotExported: 15, eventsSkippedUnknownAction: 0 });
    expect(new Set([a.fingerprint, b.fingerprint, c.fingerprint]).size).toBe(1);
    const csv = fs.readFileSync(path.join(tmp, 'mysql', 'events.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('user_id,item_id,ts,action');
    expect(csv).toContain('"ü,""q""",');
    expect(csv).toContain(',"sku,1",');
  });

  it('exports 20,000 events across pages with each user in time order', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    await new CatalogStore(ds).insertItems(Array.from({ length: 50 }, (_, i) => item(`i${i}`)));
    const rows: ClickstreamEventRow[] = [];
    for (let n = 0; n < 20_000; n++) rows.push(event(`ev-${n}`, `user-${(n * 7919) % 800}`, `i${n % 50}`, T0 + ((n * 104_729) % 3_600_000), (1 + (n % 5)) as Action));
    for (let i = 0; i < rows.length; i += 5_000) await new ClickstreamEventStore(ds).storeBatch(rows.slice(i, i + 5_000));
    const summary = await exportShopDataset(ds, { outDir: tmp, fromMs: T0, toMs: T0 + 3_600_000, pageSize: 997 });
    expect(summary.counts).toMatchObject({ events: 20_000, users: 800, items: 50, eventsOnItemsNotExported: 0 });
    const lines = fs.readFileSync(path.join(tmp, 'events.csv'), 'utf8').trimEnd().split('\n').slice(1);
    const seen = new Set<string>();
    let previous = { user: '', ts: -1 };
    for (const line of lines) {
      const [user, , ts] = line.split(',');
      if (user !== previous.user) {
        expect(seen.has(user)).toBe(false); // each user in one block
        seen.add(user);
        previous = { user, ts: -1 };
      }
      expect(Number(ts)).toBeGreaterThanOrEqual(previous.ts);
      previous.ts = Number(ts);
    }
    expect(seen.size).toBe(800);
  });

  it('runs as `npm run export` against the kafka-mysql profile and explains bad flags and a missing store', async () => {
    const ds = await openStore({ kind: 'mysql', url: db.url });
    stores.push(ds);
    await fillShop(ds);
    const run = promisify(execFile);
    const cli = (args: string[], env: Record<string, string>) =>
      run('node', ['tools/run-ts.js', 'tools/export-cli/export-cli.ts', ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const out = path.join(tmp, 'cli');
    const ok = await cli(['--out', out, '--from', new Date(T0).toISOString(), '--to', String(T0 + 60_000)], { RECMESH_PROFILE: 'kafka-mysql', MYSQL_URL: db.url });
    expect(ok.stderr).toContain(`exporting from ${db.url.replace(/\/\/[^@]*@/, '//***@')}`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/events {7}88 from 5 users; 15 on items not in items.jsonl/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'export.json'), 'utf8')).counts.events).toBe(88);

    const bad = await cli(['--from', 'yesterday', '--to', '2025-01-01'], { RECMESH_PROFILE: 'kafka-mysql', MYSQL_URL: db.url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^--out DIR is required\n--from "yesterday" is neither ISO 8601/);
    const nowhere = await cli(['--out', out], {});
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/nothing to export: the embedded store in memory lives only inside a running service/);
  });
});

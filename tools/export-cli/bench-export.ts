// Export throughput: generates events into a fresh store, then times exportShopDataset.
//   node tools/run-ts.js tools/export-cli/bench-export.ts [--events 100000] [--page-size 5000] [--mysql] [--save-embedded FILE]
// --mysql uses a throw-away database recmesh_bench_export_* on the server of MYSQL_URL
// (source /tmp/recmesh-run/infra.env), dropped afterwards; otherwise the embedded store in memory.
import { promises as fs } from 'fs';
import { createConnection } from 'mysql2/promise';
import * as os from 'os';
import * as path from 'path';
import { exportShopDataset } from '@recmesh/dataset-export';
import { CatalogStore, ClickstreamEventRow, ClickstreamEventStore, openStore, StoreProfile } from '@recmesh/persistence';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function scratchMysql(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = new URL(baseUrl);
  const name = `recmesh_bench_export_${Date.now().toString(36)}`;
  const admin = () => createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) });
  const conn = await admin();
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await conn.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await admin();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

async function main(): Promise<void> {
  const events = Number(flag('events') ?? 100_000);
  const pageSize = Number(flag('page-size') ?? 5_000);
  const users = Math.max(1, Math.round(events / 25));
  const items = 2_000;
  const mysql = process.argv.includes('--mysql');
  const scratch = mysql ? await scratchMysql(process.env.MYSQL_URL ?? 'mariadb://recmesh:recmesh@127.0.0.1:3306/recmesh') : undefined;
  const saveAs = flag('save-embedded');
  const profile: StoreProfile = scratch ? { kind: 'mysql', url: scratch.url } : { kind: 'embedded', file: saveAs };
  const ds = await openStore(profile);
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-export-'));
  try {
    const t0 = 1_764_000_000_000;
    await new CatalogStore(ds).insertItems(
      Array.from({ length: items }, (_, i) => ({
        itemId: `sku-${String(i).padStart(6, '0')}`, title: `Item ${i}`, description: '', categoryPath: ['Shop', `Cat ${i % 40}`], brand: `Brand ${i % 25}`,
        price: 10 + (i % 90), currency: 'EUR', inStock: 1, attributes: { size: String(i % 5) }, updatedTsMs: t0,
      })),
    );
    const store = new ClickstreamEventStore(ds);
    const started = Date.now();
    let rng = 42;
    const next = () => ((rng = (rng * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32);
    for (let i = 0; i < events; i += 5_000) {
      const batch: ClickstreamEventRow[] = [];
      for (let k = i; k < Math.min(events, i + 5_000); k++) {
        batch.push({
          eventId: `ev-${k}`, userId: `user-${String(Math.floor(next() * users)).padStart(6, '0')}`, sessionId: '', itemId: `sku-${String(Math.floor(next() ** 2 * items)).padStart(6, '0')}`,
          action: 1 + Math.floor(next() * 5), quantity: 1, price: null, currency: '', rating: null, tsMs: t0 + Math.floor(next() * 30 * 86_400_000), recId: '', context: null, ingestedAtMs: t0,
        });
      }
      await store.storeBatch(batch);
    }
    console.log(`${mysql ? 'MariaDB' : 'embedded (better-sqlite3)'}: stored ${events} events from ${users} users over ${items} items in ${Date.now() - started} ms`);
    const rssBefore = process.memoryUsage().rss;
    const summary = await exportShopDataset(ds, { outDir: out, pageSize, fromMs: 0, toMs: t0 + 31 * 86_400_000 });
    const rssAfter = process.memoryUsage().rss;
    console.log(
      `export: ${summary.counts.events} events, ${summary.counts.items} items in ${summary.durationMs} ms = ${Math.round((summary.counts.events * 1000) / summary.durationMs)} events/s ` +
        `(page size ${pageSize}; events.csv ${summary.files['events.csv'].bytes} bytes; rss ${Math.round(rssBefore / 2 ** 20)} -> ${Math.round(rssAfter / 2 ** 20)} MiB)`,
    );
  } finally {
    await ds.destroy();
    await fs.rm(out, { recursive: true, force: true });
    await scratch?.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

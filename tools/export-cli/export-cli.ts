// Exports the shop's own data to the normalized dataset format the trainer in tools/model reads.
//   npm run export -- --out DIR [--from ISO8601|ms] [--to ISO8601|ms] [--page-size N]
// Reads the services' store settings (RECMESH_PROFILE, MYSQL_URL, EMBEDDED_DB_FILE).
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DatasetExportError, exportShopDataset } from '@recmesh/dataset-export';
import { openStore, StoreProfile } from '@recmesh/persistence';
import { CommonConfigSchema, ConfigError, loadConfig, mysqlTlsFromConfig } from '@recmesh/service-config';
import { parseExportArgs, UsageError } from './export-args';

/** The store to read, or a ConfigError saying why there is none to read. */
async function storeProfile(): Promise<{ profile: StoreProfile; label: string; cleanup: () => Promise<void> }> {
  const config = loadConfig(CommonConfigSchema);
  if (config.RECMESH_PROFILE === 'kafka-mysql') {
    return { profile: { kind: 'mysql', url: config.MYSQL_URL, poolSize: 2, tls: mysqlTlsFromConfig(config) }, label: config.MYSQL_URL.replace(/\/\/[^@]*@/, '//***@'), cleanup: async () => undefined };
  }
  if (!config.EMBEDDED_DB_FILE) {
    throw new ConfigError([
      'nothing to export: the embedded store in memory lives only inside a running service. Set RECMESH_PROFILE=kafka-mysql with MYSQL_URL ' +
        '(the shop\'s MySQL/MariaDB), or EMBEDDED_DB_FILE (the file an embedded-profile service persists to)' +
        (process.env.MYSQL_URL ? '; MYSQL_URL is set but RECMESH_PROFILE is embedded' : ''),
    ]);
  }
  const file = path.resolve(config.EMBEDDED_DB_FILE);
  if (!(await fs.stat(file).then((s) => s.isFile(), () => false))) throw new ConfigError([`EMBEDDED_DB_FILE=${config.EMBEDDED_DB_FILE} does not exist`]);
  // Opening the file with TypeORM would save it back (schema sync marks it dirty) over a running
  // service's newer copy: read a private snapshot instead.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recmesh-export-'));
  const copy = path.join(dir, 'store.sqlite');
  await fs.copyFile(file, copy);
  return { profile: { kind: 'embedded', file: copy }, label: `embedded store file ${file}`, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

async function main(): Promise<void> {
  const args = parseExportArgs(process.argv.slice(2));
  const { profile, label, cleanup } = await storeProfile();
  try {
    const dataSource = await openStore(profile);
    try {
      console.error(`exporting from ${label} to ${path.resolve(args.outDir)}`);
      let lastReport = Date.now();
      const summary = await exportShopDataset(dataSource, {
        ...args,
        onProgress: ({ events }) => {
          if (Date.now() - lastReport < 2000) return;
          lastReport = Date.now();
          console.error(`  ${events} events so far`);
        },
      });
      const perSecond = summary.durationMs > 0 ? Math.round((summary.counts.events * 1000) / summary.durationMs) : summary.counts.events;
      console.log(
        [
          `window       [${summary.window.from}, ${summary.window.to})`,
          `items        ${summary.counts.items} (live; deleted left out)`,
          `events       ${summary.counts.events} from ${summary.counts.users} users` +
            (summary.counts.eventsOnItemsNotExported ? `; ${summary.counts.eventsOnItemsNotExported} on items not in items.jsonl` : '') +
            (summary.counts.eventsSkippedUnknownAction ? `; ${summary.counts.eventsSkippedUnknownAction} skipped (unknown action)` : ''),
          `fingerprint  ${summary.fingerprint}`,
          `took         ${summary.durationMs} ms (${perSecond} events/s)`,
          `wrote        ${['items.jsonl', 'events.csv', 'export.json'].map((f) => path.join(args.outDir, f)).join(', ')}`,
        ].join('\n'),
      );
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError || error instanceof ConfigError || error instanceof DatasetExportError ? error.message : error);
  process.exitCode = 1;
});

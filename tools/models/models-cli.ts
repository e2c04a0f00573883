// The model registry from the command line: which versions exist, which serves and why, and the
// operator's levers. Scorers and bundlers follow the registry within SCORER_MODEL_POLL_SECONDS.
//   npm run models -- list | decisions [VERSION] | promote VERSION | pin VERSION | unpin | rollback   [--reason "..."]
// Reads the services' store settings (RECMESH_PROFILE, MYSQL_URL, EMBEDDED_DB_FILE).
import { ModelRegistry, ModelRegistryError, openStore } from '@recmesh/persistence';
import { CommonConfigSchema, ConfigError, loadConfig, mysqlTlsFromConfig } from '@recmesh/service-config';

class UsageError extends Error {}

const USAGE = 'usage: npm run models -- list | decisions [VERSION] | promote VERSION | pin VERSION | unpin | rollback   [--reason "why"]';

function parse(argv: readonly string[]): { command: string; version?: string; reason: string } {
  const args = [...argv];
  const at = args.indexOf('--reason');
  const reason = at >= 0 ? args.splice(at, 2)[1] ?? '' : '';
  const [command = '', version] = args;
  const needsVersion = ['promote', 'pin'].includes(command);
  if (!['list', 'decisions', 'promote', 'pin', 'unpin', 'rollback'].includes(command) || (needsVersion && !version)) throw new UsageError(USAGE);
  return { command, version, reason: reason || `operator (${process.env.USER ?? 'unknown'}) via npm run models ${command}` };
}

const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

async function main(): Promise<void> {
  const { command, version, reason } = parse(process.argv.slice(2));
  const config = loadConfig(CommonConfigSchema);
  if (config.RECMESH_PROFILE === 'embedded' && !config.EMBEDDED_DB_FILE) {
    throw new ConfigError(['the embedded store lives in the service process; set EMBEDDED_DB_FILE (or RECMESH_PROFILE=kafka-mysql and MYSQL_URL) to reach a registry']);
  }
  const dataSource = await openStore(config.RECMESH_PROFILE === 'kafka-mysql' ? { kind: 'mysql', url: config.MYSQL_URL, tls: mysqlTlsFromConfig(config) } : { kind: 'embedded', file: config.EMBEDDED_DB_FILE });
  try {
    const registry = new ModelRegistry(dataSource);
    if (command === 'list') {
      const serving = (await registry.current())?.modelVersion;
      for (const v of await registry.list()) {
        console.log([v.modelVersion === serving ? '*' : ' ', v.modelVersion, v.status, v.pinned ? 'pinned' : '', `registered ${time(v.registeredAtMs)}`, `promoted ${time(v.promotedAtMs)}`, v.location, JSON.stringify(v.details)].filter(Boolean).join('  '));
      }
    } else if (command === 'decisions') {
      for (const d of await registry.decisions(version)) console.log(`${time(d.decidedAtMs)}  ${d.modelVersion}  ${d.decision}  ${d.reason}`);
    } else if (command === 'promote') await registry.promote(version as string, reason);
    else if (command === 'pin') await registry.pin(version as string, reason);
    else if (command === 'unpin') await registry.unpin(reason);
    else if (command === 'rollback') console.log(`now serving ${(await registry.rollback(reason)).modelVersion}`);
    if (!['list', 'decisions'].includes(command)) console.log(`serving: ${(await registry.current())?.modelVersion ?? 'nothing'}`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError || error instanceof ConfigError || error instanceof ModelRegistryError ? error.message : error);
  process.exitCode = 1;
});

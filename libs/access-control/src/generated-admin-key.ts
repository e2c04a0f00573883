import { existsSync, mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { mintApiKey } from './api-keys';

/**
 * The all-in-one process's first start: mints an admin key into `file` (only
 * its hash is written, mode 0600) and returns the key so it can be printed
 * once. Undefined when the file is already there (the key was printed then).
 */
export function ensureGeneratedAdminKey(file: string): string | undefined {
  if (existsSync(file)) return undefined;
  mkdirSync(path.dirname(file), { recursive: true });
  const { key, line } = mintApiKey('local-admin', ['admin', 'storefront', 'intake']);
  writeFileSync(file, `# recmesh API keys: one JSON line per key (npm run keys -- create). Only SHA-256 hashes are kept.\n${line}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

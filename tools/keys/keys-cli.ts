import { appendFileSync, existsSync, readFileSync } from 'fs';
import { hashApiKey, mintApiKey, readApiKeysFile } from '@recmesh/access-control';
import { parseKeysArgs } from './keys-args';

/** Mints API keys for RECMESH_API_KEYS_FILE (only hashes go in the file) and hashes keys. */
function main(): void {
  const args = parseKeysArgs(process.argv.slice(2));
  if (args.command === 'hash') {
    const key = readFileSync(0, 'utf8').trim();
    if (!key) throw new Error('give the key on stdin');
    process.stdout.write(`${hashApiKey(key)}\n`);
    return;
  }
  const { key, line } = mintApiKey(args.id, args.scopes);
  if (args.file) {
    // The file must stay loadable after the append: an id already there would be refused at the next reload.
    if (existsSync(args.file) && readApiKeysFile(args.file).some((e) => e.id === args.id)) throw new Error(`${args.file} already has a key with id ${args.id}`);
    appendFileSync(args.file, `${line}\n`, { mode: 0o600 });
  }
  process.stdout.write(`API key (shown once; give it to the client as "authorization: Bearer <key>"):\n${key}\n`);
  process.stdout.write(args.file ? `appended to ${args.file}:\n${line}\n` : `add this line to RECMESH_API_KEYS_FILE:\n${line}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

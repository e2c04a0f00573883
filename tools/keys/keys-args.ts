import { isScope, Scope, Scopes } from '@recmesh/access-control';

export const USAGE = `usage: npm run keys -- create --id <id> --scopes <scope,...> [--file <keys file>]
       npm run keys -- hash            (reads a key on stdin, prints its "sha256:<hex>")
scopes: ${Scopes.join(', ')}
create prints the new key once (give it to the client) and the line for RECMESH_API_KEYS_FILE;
with --file the line is appended there, and running services pick it up within RECMESH_API_KEYS_RELOAD_SECONDS.`;

export type KeysCommand = { readonly command: 'create'; readonly id: string; readonly scopes: readonly Scope[]; readonly file?: string } | { readonly command: 'hash' };

/** The command line, or an Error whose message says what is wrong (with the usage). */
export function parseKeysArgs(argv: readonly string[]): KeysCommand {
  const [command, ...rest] = argv;
  if (command === 'hash' && rest.length === 0) return { command: 'hash' };
  if (command !== 'create') throw new Error(`unknown command ${JSON.stringify(command ?? '')}\n${USAGE}`);
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (!['--id', '--scopes', '--file'].includes(flag) || value === undefined) throw new Error(`unexpected ${JSON.stringify(flag)}${value === undefined ? ' without a value' : ''}\n${USAGE}`);
    options[flag.slice(2)] = value;
  }
  if (!options['id']) throw new Error(`--id is required\n${USAGE}`);
  const scopes = (options['scopes'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0) throw new Error(`--scopes must list ${Scopes.join(', ')}${unknown.length > 0 ? ` (not: ${unknown.join(', ')})` : ''}\n${USAGE}`);
  return { command: 'create', id: options['id'], scopes: scopes as Scope[], file: options['file'] };
}

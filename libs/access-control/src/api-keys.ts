import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import { readFileSync, statSync } from 'fs';
import { isScope, Scope } from './scopes';

/** One line of the keys file: who the key belongs to, its SHA-256 and what it may call. The key itself is never stored. */
export interface ApiKeyEntry {
  readonly id: string;
  /** "sha256:<64 hex>" */
  readonly hash: string;
  readonly scopes: readonly Scope[];
}

/** The key that matched: its id (for logs and metrics, never the key) and scopes. */
export interface ApiKeyIdentity {
  readonly id: string;
  readonly scopes: ReadonlySet<Scope>;
}

export class ApiKeysFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`API keys file ${file} is not usable:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ApiKeysFileError';
  }
}

const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** "rmk_" + 32 random bytes base64url: the prefix makes a leaked key easy to find by secret scanners. */
const KEY_PATTERN = /^rmk_[A-Za-z0-9_-]{43}$/;

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new random key and the keys-file line that grants it `scopes`. */
export function mintApiKey(id: string, scopes: readonly Scope[]): { key: string; entry: ApiKeyEntry; line: string } {
  if (!ID_PATTERN.test(id)) throw new Error(`key id ${JSON.stringify(id)} must be 1-64 of A-Z a-z 0-9 . _ -`);
  if (scopes.length === 0) throw new Error('a key needs at least one scope');
  const key = `rmk_${randomBytes(32).toString('base64url')}`;
  const entry: ApiKeyEntry = { id, hash: hashApiKey(key), scopes: [...scopes] };
  return { key, entry, line: JSON.stringify(entry) };
}

/** Parses the keys file: JSON lines; blank lines and lines starting with # are skipped. Every problem is reported at once. */
export function parseApiKeys(text: string, file: string): ApiKeyEntry[] {
  const problems: string[] = [];
  const entries: ApiKeyEntry[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // The line may be a pasted plain key: never echo it.
      problems.push(`${where} is not JSON ({"id": "...", "hash": "sha256:<hex>", "scopes": ["storefront"]})`);
      return;
    }
    const { id, hash, scopes } = (value ?? {}) as Record<string, unknown>;
    const before = problems.length;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) problems.push(`${where}: "id" must be 1-64 of A-Z a-z 0-9 . _ -`);
    else if (ids.has(id)) problems.push(`${where}: id ${id} appears twice`);
    if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
      problems.push(`${where}: "hash" must be "sha256:" and 64 lowercase hex digits${typeof hash === 'string' && KEY_PATTERN.test(hash) ? ' (this looks like a plain key: store hashApiKey(key), never the key)' : ''}`);
    }
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && isScope(s))) {
      problems.push(`${where}: "scopes" must be a non-empty list of storefront, intake, admin, internal`);
    }
    if (problems.length > before) return;
    ids.add(id as string);
    entries.push({ id: id as string, hash: hash as string, scopes: scopes as Scope[] });
  });
  if (problems.length > 0) throw new ApiKeysFileError(file, problems);
  return entries;
}

export function readApiKeysFile(file: string): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ApiKeysFileError(file, [`cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return parseApiKeys(text, file);
}

interface StoredKey {
  readonly id: string;
  readonly digest: Buffer;
  readonly scopes: ReadonlySet<Scope>;
}

/**
 * The keys a process accepts, from RECMESH_API_KEYS_FILE. Only hashes are held;
 * a presented key is hashed and compared with timingSafeEqual against every
 * entry (no early exit), so timing tells nothing of which key came close.
 * Re-reads the file when its mtime or size changes (`watch`): keys are rotated
 * by editing the file, without a restart. A file that turns bad keeps the last
 * good keys and is reported through onReloadError.
 */
export class ApiKeyStore {
  private keys: readonly StoredKey[] = [];
  private stamp = '';
  private timer?: NodeJS.Timeout;

  private constructor(readonly file: string) {}

  /** Reads the file now: an unreadable or invalid file is an ApiKeysFileError (a start-up error). */
  static open(file: string): ApiKeyStore {
    const store = new ApiKeyStore(file);
    store.load(readApiKeysFile(file), fileStamp(file));
    return store;
  }

  /** From entries in memory (tests, tools). */
  static of(entries: readonly ApiKeyEntry[]): ApiKeyStore {
    const store = new ApiKeyStore('<memory>');
    store.load(entries, '');
    return store;
  }

  get size(): number {
    return this.keys.length;
  }

  /** The identity of `key`, or undefined for an unknown key. */
  authenticate(key: string): ApiKeyIdentity | undefined {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: StoredKey | undefined;
    for (const stored of this.keys) {
      if (timingSafeEqual(stored.digest, digest) && !found) found = stored;
    }
    return found && { id: found.id, scopes: found.scopes };
  }

  /** Re-reads the file if it changed; true when new keys were loaded. Throws ApiKeysFileError and keeps the old keys on a bad file. */
  reloadIfChanged(): boolean {
    const stamp = fileStamp(this.file);
    if (stamp === this.stamp) return false;
    this.load(readApiKeysFile(this.file), stamp);
    return true;
  }

  /** Polls the file every intervalMs (the timer does not hold the process open). */
  watch(intervalMs: number, events: { onReload?: (size: number) => void; onReloadError?: (error: Error) => void } = {}): this {
    this.unwatch();
    this.timer = setInterval(() => {
      try {
        if (this.reloadIfChanged()) events.onReload?.(this.size);
      } catch (error) {
        events.onReloadError?.(error as Error);
      }
    }, intervalMs);
    this.timer.unref();
    return this;
  }

  unwatch(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private load(entries: readonly ApiKeyEntry[], stamp: string): void {
    this.keys = entries.map((e) => ({ id: e.id, digest: Buffer.from(e.hash.slice('sha256:'.length), 'hex'), scopes: new Set(e.scopes) }));
    this.stamp = stamp;
  }
}

/** mtime and size: a rewrite within the same mtime tick still changes the size in practice; a missing file is its own stamp. */
function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

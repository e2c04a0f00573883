import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { ApiKeysFileError, ApiKeyStore, hashApiKey, mintApiKey, parseApiKeys } from './api-keys';

describe('API keys', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'recmesh-keys-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hashes with SHA-256 and keeps only the hash in the keys-file line', () => {
    expect(hashApiKey('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const { key, line, entry } = mintApiKey('shop', ['storefront']);
    expect(key).toMatch(/^rmk_[A-Za-z0-9_-]{43}$/);
    expect(line).not.toContain(key);
    expect(JSON.parse(line)).toEqual({ id: 'shop', hash: hashApiKey(key), scopes: ['storefront'] });
    expect(entry.hash).toBe(hashApiKey(key));
    expect(mintApiKey('shop', ['storefront']).key).not.toBe(key);
  });

  it('authenticates a known key to its id and scopes, and nothing else', () => {
    const shop = mintApiKey('shop', ['storefront']);
    const ops = mintApiKey('ops', ['admin', 'intake']);
    const store = ApiKeyStore.of([shop.entry, ops.entry]);
    expect(store.authenticate(shop.key)).toEqual({ id: 'shop', scopes: new Set(['storefront']) });
    expect(store.authenticate(ops.key)?.scopes).toEqual(new Set(['admin', 'intake']));
    expect(store.authenticate(shop.key.slice(0, -1))).toBeUndefined();
    expect(store.authenticate('')).toBeUndefined();
    // The hash itself is not a key.
    expect(store.authenticate(shop.entry.hash)).toBeUndefined();
  });

  it('compares against every key with timingSafeEqual, without stopping at the first match', () => {
    const crypto = jest.requireActual<typeof import('crypto')>('crypto');
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const keys = [mintApiKey('a', ['admin']), mintApiKey('b', ['admin']), mintApiKey('c', ['admin'])];
    const store = ApiKeyStore.of(keys.map((k) => k.entry));
    spy.mockClear();
    expect(store.authenticate(keys[0].key)?.id).toBe('a');
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockClear();
    expect(store.authenticate('rmk_wrong')).toBeUndefined();
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
  });

  it('reports every problem of a bad file at once, and never echoes a plain key', () => {
    const { key } = mintApiKey('x', ['admin']);
    const text = [
      '# comment',
      '',
      'not json',
      JSON.stringify({ id: 'ok', hash: hashApiKey('k1'), scopes: ['storefront'] }),
      JSON.stringify({ id: 'ok', hash: hashApiKey('k2'), scopes: ['storefront'] }),
      JSON.stringify({ id: 'plain', hash: key, scopes: ['admin'] }),
      JSON.stringify({ id: 'scopes', hash: hashApiKey('k3'), scopes: ['root'] }),
      key,
    ].join('\n');
    let error: unknown;
    try {
      parseApiKeys(text, 'keys.jsonl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiKeysFileError);
    const { problems, message } = error as ApiKeysFileError;
    expect(problems).toEqual([
      expect.stringMatching(/^line 3 is not JSON/),
      'line 5: id ok appears twice',
      expect.stringMatching(/^line 6: "hash" must be .*looks like a plain key/),
      expect.stringMatching(/^line 7: "scopes" must be/),
      expect.stringMatching(/^line 8 is not JSON/),
    ]);
    expect(message).not.toContain(key);
  });

  it('names an unreadable file', () => {
    expect(() => ApiKeyStore.open(path.join(dir, 'missing.jsonl'))).toThrow(/missing\.jsonl is not usable:\n {2}- cannot be read: ENOENT/);
  });

  it('reloads a changed file (rotation without restart) and keeps the last good keys when the file turns bad', () => {
    const file = path.join(dir, 'keys.jsonl');
    const old = mintApiKey('shop-2025', ['storefront']);
    const next = mintApiKey('shop-2026', ['storefront']);
    writeFileSync(file, `${old.line}\n`);
    const store = ApiKeyStore.open(file);
    expect(store.reloadIfChanged()).toBe(false);
    // Step 1: add the new key next to the old one.
    writeFileSync(file, `${old.line}\n${next.line}\n`);
    expect(store.reloadIfChanged()).toBe(true);
    expect(store.authenticate(old.key)?.id).toBe('shop-2025');
    expect(store.authenticate(next.key)?.id).toBe('shop-2026');
    // Step 2: remove the old one. Same size as before? The mtime tells (set explicitly: a fast rewrite may share the tick).
    writeFileSync(file, `${next.line}\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 2000));
    expect(store.reloadIfChanged()).toBe(true);
    expect(store.authenticate(old.key)).toBeUndefined();
    expect(store.authenticate(next.key)?.id).toBe('shop-2026');
    // A broken edit: refused, the previous keys stay.
    writeFileSync(file, `${next.line}\n{broken\n`);
    expect(() => store.reloadIfChanged()).toThrow(ApiKeysFileError);
    expect(store.authenticate(next.key)?.id).toBe('shop-2026');
  });

  it('watch() picks up a change by itself', async () => {
    const file = path.join(dir, 'keys.jsonl');
    const first = mintApiKey('first', ['intake']);
    const second = mintApiKey('second', ['intake']);
    writeFileSync(file, `${first.line}\n`);
    const reloads: number[] = [];
    const store = ApiKeyStore.open(file).watch(20, { onReload: (size) => reloads.push(size) });
    try {
      writeFileSync(file, `${first.line}\n${second.line}\n`);
      const deadline = Date.now() + 5000;
      while (reloads.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(reloads).toEqual([2]);
      expect(store.authenticate(second.key)?.id).toBe('second');
    } finally {
      store.unwatch();
    }
  });
});

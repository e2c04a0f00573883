import { parseKeysArgs } from './keys-args';

describe('npm run keys arguments', () => {
  it('reads create with id, scopes and an optional file', () => {
    expect(parseKeysArgs(['create', '--id', 'shop', '--scopes', 'storefront, intake'])).toEqual({ command: 'create', id: 'shop', scopes: ['storefront', 'intake'], file: undefined });
    expect(parseKeysArgs(['create', '--scopes', 'admin', '--id', 'ops', '--file', 'keys.jsonl'])).toEqual({ command: 'create', id: 'ops', scopes: ['admin'], file: 'keys.jsonl' });
    expect(parseKeysArgs(['hash'])).toEqual({ command: 'hash' });
  });

  it('says what is wrong', () => {
    expect(() => parseKeysArgs([])).toThrow(/^unknown command ""\nusage:/);
    expect(() => parseKeysArgs(['create', '--scopes', 'admin'])).toThrow(/^--id is required/);
    expect(() => parseKeysArgs(['create', '--id', 'x', '--scopes', 'admin,root'])).toThrow(/^--scopes must list storefront, intake, admin, internal \(not: root\)/);
    expect(() => parseKeysArgs(['create', '--id'])).toThrow(/^unexpected "--id" without a value/);
  });
});

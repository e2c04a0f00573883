import { ConfigError, loadConfig } from './env-config';
import { PSEUDONYM_PATTERN, PseudonymConfigSchema, pseudonymizer } from './pseudonym';

const KEY = 'k'.repeat(32);

describe('pseudonymizer', () => {
  it('maps an id to the same keyed pseudonym every time, a different one under another key, and keeps empty ids empty', () => {
    const p = pseudonymizer(KEY);
    expect(p('user-1')).toMatch(PSEUDONYM_PATTERN);
    expect(p('user-1')).toBe(p('user-1'));
    expect(p('user-1')).not.toBe(p('user-2'));
    expect(pseudonymizer('x'.repeat(32))('user-1')).not.toBe(p('user-1'));
    expect(p('')).toBe('');
    expect(p('user-1')).not.toContain('user-1');
  });

  it('keeps ids as sent without a key', () => {
    expect(pseudonymizer('')('user-1')).toBe('user-1');
  });

  it('refuses a short key without printing it', () => {
    const error = (() => {
      try {
        loadConfig(PseudonymConfigSchema, { RECMESH_PSEUDONYM_KEY: 'short-secret-value' });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('RECMESH_PSEUDONYM_KEY=<secret, 18 characters> does not match its format');
    expect(error!.message).not.toContain('short-secret-value');
    expect(loadConfig(PseudonymConfigSchema, { RECMESH_PSEUDONYM_KEY: KEY }).RECMESH_PSEUDONYM_KEY).toBe(KEY);
  });
});

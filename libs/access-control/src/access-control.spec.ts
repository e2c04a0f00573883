import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { ConfigError, loadConfig } from '@recmesh/service-config';
import { openAccessControl } from './access-control';
import { AccessControlConfigSchema, isLoopback } from './access-control.config';
import { mintApiKey } from './api-keys';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('access-control configuration', () => {
  let dir: string;
  const config = (env: Record<string, string>) => loadConfig(AccessControlConfigSchema, env);
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'recmesh-access-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=a', '-keyout', 'a.key', '-out', 'a.crt');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=b', '-keyout', 'b.key', '-out', 'b.crt');
    writeFileSync(path.join(dir, 'keys.jsonl'), `${mintApiKey('ops', ['admin']).line}\n`);
    writeFileSync(path.join(dir, 'bad-keys.jsonl'), 'rmk_plain\n');
    writeFileSync(path.join(dir, 'not-pem.crt'), 'hello');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const f = (name: string) => path.join(dir, name);

  it('defaults to a loopback bind, no keys, plaintext, /metrics on the service port', () => {
    const access = openAccessControl(config({}));
    expect(access.bindHost).toBe('127.0.0.1');
    expect(access.policy.enforcing).toBe(false);
    expect(access.metricsPort).toBeUndefined();
    expect(access.grpcServer.interceptors).toHaveLength(1);
    expect(access.grpcClient.interceptors).toHaveLength(0);
    access.close();
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses a non-loopback bind that anyone could call, naming the settings to fix', () => {
    const problems = problemsOf(() => openAccessControl(config({ BIND_HOST: '0.0.0.0' })));
    expect(problems).toEqual([expect.stringContaining('BIND_HOST=0.0.0.0 is not a loopback address, and RECMESH_API_KEYS_FILE is empty')]);
    expect(problems[0]).toContain('RECMESH_ALLOW_ANONYMOUS=true');
    // Keys, but anonymous scopes: still open to anyone.
    expect(problemsOf(() => openAccessControl(config({ BIND_HOST: '0.0.0.0', RECMESH_API_KEYS_FILE: f('keys.jsonl'), RECMESH_ANONYMOUS_SCOPES: 'storefront' })))).toEqual([
      expect.stringContaining('RECMESH_ANONYMOUS_SCOPES=storefront lets calls without a key in'),
    ]);
  });

  it('allows a non-loopback bind with keys, or with the explicit escape hatch', () => {
    const withKeys = openAccessControl(config({ BIND_HOST: '0.0.0.0', RECMESH_API_KEYS_FILE: f('keys.jsonl'), METRICS_PORT: '9464' }));
    expect(withKeys.policy.enforcing).toBe(true);
    expect(withKeys.metricsPort).toBe(9464);
    withKeys.close();
    const trusted = openAccessControl(config({ BIND_HOST: '0.0.0.0', RECMESH_ALLOW_ANONYMOUS: 'true' }));
    expect(trusted.policy.enforcing).toBe(false);
    trusted.close();
  });

  it('validates each setting in loadConfig: scopes, file paths, ports', () => {
    expect(() => config({ RECMESH_ANONYMOUS_SCOPES: 'storefront,root' })).toThrow(/RECMESH_ANONYMOUS_SCOPES="storefront,root" does not match/);
    expect(() => config({ GRPC_TLS_CERT_FILE: f('nope.crt') })).toThrow(/GRPC_TLS_CERT_FILE=".*nope\.crt" cannot be read: ENOENT/);
    expect(() => config({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT=70000 is above the maximum/);
    expect(config({ RECMESH_ANONYMOUS_SCOPES: 'storefront, intake' }).RECMESH_ANONYMOUS_SCOPES).toBe('storefront, intake');
  });

  it('reports every TLS and keys-file problem at once: pairs, mismatched key, non-PEM, mTLS without TLS, a bad keys file', () => {
    const problems = problemsOf(() =>
      openAccessControl(
        config({
          RECMESH_API_KEYS_FILE: f('bad-keys.jsonl'),
          GRPC_TLS_CERT_FILE: f('a.crt'),
          GRPC_TLS_KEY_FILE: f('b.key'),
          GRPC_CLIENT_TLS_CA_FILE: f('not-pem.crt'),
        }),
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^RECMESH_API_KEYS_FILE=.*bad-keys\.jsonl: line 1 is not JSON/),
      expect.stringMatching(/^GRPC_TLS_CERT_FILE and its key do not form a usable pair/),
      expect.stringMatching(/^GRPC_CLIENT_TLS_CA_FILE=.*not-pem\.crt is not a PEM file$/),
    ]);
    expect(problems.join('\n')).not.toContain('rmk_plain');
    expect(problemsOf(() => openAccessControl(config({ GRPC_TLS_CERT_FILE: f('a.crt') })))).toEqual(['GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE go together (GRPC_TLS_KEY_FILE is empty)']);
    expect(problemsOf(() => openAccessControl(config({ GRPC_TLS_CLIENT_CA_FILE: f('a.crt') })))).toEqual([expect.stringMatching(/^GRPC_TLS_CLIENT_CA_FILE \(mTLS\) needs GRPC_TLS_CERT_FILE/)]);
    expect(problemsOf(() => openAccessControl(config({ GRPC_CLIENT_TLS_CERT_FILE: f('a.crt') })))).toEqual([expect.stringMatching(/need GRPC_CLIENT_TLS_CA_FILE/)]);
  });

  it('builds TLS, mTLS and client credentials from matching files, and sends the internal key', () => {
    const access = openAccessControl(
      config({
        GRPC_TLS_CERT_FILE: f('a.crt'),
        GRPC_TLS_KEY_FILE: f('a.key'),
        GRPC_TLS_CLIENT_CA_FILE: f('b.crt'),
        GRPC_CLIENT_TLS_CA_FILE: f('a.crt'),
        GRPC_CLIENT_TLS_CERT_FILE: f('b.crt'),
        GRPC_CLIENT_TLS_KEY_FILE: f('b.key'),
        RECMESH_INTERNAL_API_KEY: 'rmk_internal',
      }),
    );
    expect(access.grpcServer.credentials._isSecure()).toBe(true);
    expect(access.grpcClient.credentials._isSecure()).toBe(true);
    expect(access.grpcClient.interceptors).toHaveLength(1);
    access.close();
  });
});

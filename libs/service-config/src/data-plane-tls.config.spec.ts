import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CommonConfigSchema, ConfigError, loadConfig } from './env-config';

describe('Kafka and MySQL TLS settings', () => {
  let dir: string;
  let pem: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-tls-config-'));
    pem = path.join(dir, 'ca.pem');
    fs.writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (env: Record<string, string>): readonly string[] => {
    try {
      loadConfig(CommonConfigSchema, env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('loaded without a problem');
  };

  it('is off by default: no TLS, no SASL, certificates verified once TLS is on', () => {
    const config = loadConfig(CommonConfigSchema, {});
    expect([config.KAFKA_SSL, config.KAFKA_SASL_MECHANISM, config.KAFKA_SSL_REJECT_UNAUTHORIZED, config.MYSQL_SSL, config.MYSQL_SSL_REJECT_UNAUTHORIZED]).toEqual([false, 'none', true, false, true]);
  });

  it('loads readable files and a complete SASL login', () => {
    const config = loadConfig(CommonConfigSchema, {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: pem,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'recmesh',
      KAFKA_SASL_PASSWORD: 'p4ss',
      MYSQL_SSL: '1',
      MYSQL_SSL_CA_FILE: pem,
      MYSQL_SSL_CERT_FILE: pem,
      MYSQL_SSL_KEY_FILE: pem,
    });
    expect(config).toMatchObject({ KAFKA_SSL: true, KAFKA_SSL_CA_FILE: pem, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'p4ss', MYSQL_SSL: true, MYSQL_SSL_KEY_FILE: pem });
  });

  it('reports unreadable files, a half client certificate and SASL without credentials all at once, never the password', () => {
    const problems = problemsOf({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: path.join(dir, 'missing.pem'),
      KAFKA_SSL_CERT_FILE: pem,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'recmesh',
      MYSQL_SSL_CA_FILE: dir,
      MYSQL_SSL_KEY_FILE: pem,
    });
    expect(problems).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CA_FILE=".*missing\.pem" cannot be read: ENOENT/),
      expect.stringMatching(/^MYSQL_SSL_CA_FILE=".*" cannot be read: not a regular file/),
      expect.stringMatching(/^KAFKA_SSL_KEY_FILE is required when KAFKA_SSL_CERT_FILE is set/),
      expect.stringMatching(/^KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is not none/),
      expect.stringMatching(/^MYSQL_SSL_CERT_FILE is required when MYSQL_SSL_KEY_FILE is set/),
    ]);
  });

  it('names a SASL user and password as required once a mechanism is chosen, and a wrong mechanism by its value', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is not none/),
      expect.stringMatching(/^KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is not none/),
    ]);
    // An unknown mechanism is one problem: the password rule waits for a mechanism that loads.
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_PASSWORD: 'hunter2-secret' })).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM="gssapi" must be one of none, plain, scram-sha-256, scram-sha-512/),
    ]);
  });

  it('keeps the SASL password out of every message, even a malformed one', () => {
    const error = (() => {
      try {
        loadConfig({ ...CommonConfigSchema, KAFKA_SASL_PASSWORD: { ...CommonConfigSchema.KAFKA_SASL_PASSWORD, pattern: /^\S+$/ } }, { KAFKA_SASL_PASSWORD: 'hunter2 secret', KAFKA_SSL: 'maybe' });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('loaded');
    })();
    expect(error.problems).toHaveLength(2);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toMatch(/KAFKA_SASL_PASSWORD=<secret, 14 characters>/);
  });
});

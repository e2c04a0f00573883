import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeKafkaSecurity, kafkaSecurityOptions } from './kafka-security';

describe('kafkaSecurityOptions', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-kafka-tls-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives kafkajs the files\' contents, the verification flag and the SASL login', () => {
    const options = kafkaSecurityOptions({
      ssl: true,
      caFile: file('ca.pem', 'CA PEM'),
      certFile: file('client.pem', 'CERT PEM'),
      keyFile: file('client.key', 'KEY PEM'),
      rejectUnauthorized: true,
      sasl: { mechanism: 'scram-sha-256', username: 'recmesh', password: 'pw' },
    });
    expect(options).toEqual({
      ssl: { rejectUnauthorized: true, ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' },
      sasl: { mechanism: 'scram-sha-256', username: 'recmesh', password: 'pw' },
    });
  });

  it('leaves out what is not asked for: TLS with the system CAs, SASL without TLS, nothing at all', () => {
    expect(kafkaSecurityOptions({ ssl: true, rejectUnauthorized: false })).toEqual({ ssl: { rejectUnauthorized: false } });
    expect(kafkaSecurityOptions({ ssl: false, rejectUnauthorized: true, sasl: { mechanism: 'plain', username: 'u', password: 'p' } })).toEqual({
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
    expect(kafkaSecurityOptions({ ssl: false, rejectUnauthorized: true })).toEqual({});
  });

  it('describes the settings for the start-up log without the password', () => {
    const text = describeKafkaSecurity({ ssl: true, rejectUnauthorized: false, certFile: 'c', sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' } });
    expect(text).toBe('TLS (certificates not verified) with client certificate, SASL scram-sha-512 as svc');
    expect(describeKafkaSecurity(undefined)).toBe('plaintext');
  });
});

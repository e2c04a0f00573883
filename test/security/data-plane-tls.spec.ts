import { resolveTopicNames, topicDeclarations } from '@recmesh/contracts';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { rawClickstream } from '../ingest/ingest-scenario';
import { uniqueSuffix } from '../support/infra-env';
import { consumeUntil, produce } from '../support/kafka-io';
import { freePort, ServiceProcess } from '../support/service-process';
import { until } from '../support/until';
import { generateCertificates, TestCertificates, TlsBroker, TlsMariaDb } from './tls-servers';

/**
 * Issue 13, data plane: ingest (consumes and produces Kafka, writes MySQL) against a broker that
 * speaks only TLS + SASL (SCRAM) on the port it is given and a MariaDB whose user is REQUIRE SSL,
 * both private to this test, with certificates the test generates. Then the same service with a
 * piece missing or wrong, each refused with a clear message and no secret in its log.
 */
describe('Kafka TLS+SASL and MySQL TLS, against real servers', () => {
  const saslUser = { name: 'recmesh-svc', password: `sasl-${randomBytes(12).toString('hex')}` };
  const dbPassword = `db-${randomBytes(12).toString('hex')}`;
  const prefix = `tls-${uniqueSuffix()}.`;
  const topics = resolveTopicNames(prefix);
  const services: ServiceProcess[] = [];
  let certs: TestCertificates;
  let broker: TlsBroker | undefined;
  let db: TlsMariaDb | undefined;
  let secureEnv: Record<string, string>;

  beforeAll(async () => {
    certs = await generateCertificates();
    [broker, db] = await Promise.all([TlsBroker.start(certs, saslUser), TlsMariaDb.start(certs, dbPassword)]);
    // Topics over the PLAINTEXT setup listener: the services under test only ever get the TLS ones.
    const admin = new Kafka({ brokers: [broker.plaintext], clientId: 'tls-setup', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topicDeclarations(topics).map((t) => ({ topic: t.name, numPartitions: t.partitions })) });
    await admin.disconnect();
    secureEnv = {
      RECMESH_PROFILE: 'kafka-mysql',
      RECMESH_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: broker.saslSsl,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: certs.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: saslUser.name,
      KAFKA_SASL_PASSWORD: saslUser.password,
      MYSQL_URL: db.url,
      MYSQL_SSL: 'true',
      MYSQL_SSL_CA_FILE: certs.caFile,
    };
  }, 240_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all([broker?.destroy(), db?.destroy()]);
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  }, 120_000);

  const startIngest = async (env: Record<string, string>): Promise<ServiceProcess> => {
    const port = await freePort();
    const service = ServiceProcess.start('ingest', port, { ...env, INGEST_PORT: String(port), INGEST_GROUP_ID: `ingest-${uniqueSuffix()}` });
    services.push(service);
    return service;
  };

  /** Both secrets stay out of a service's output, whatever happened. */
  const expectNoSecrets = (logs: string) => {
    expect(logs).not.toContain(saslUser.password);
    expect(logs).not.toContain(dbPassword);
  };

  it('ingests end to end over TLS: raw events in over SASL_SSL, rows in MariaDB, accepted events out over SASL_SSL', async () => {
    const ingest = await startIngest(secureEnv);
    await ingest.waitReady(90_000);
    expect(ingest.logs).toMatch(/brokers 127\.0\.0\.1:\d+ \(TLS, SASL scram-sha-256 as recmesh-svc\), store mariadb:\/\/\*\*\*@127\.0\.0\.1:\d+\/recmesh \(TLS\)/);

    const kafka = new Kafka({
      brokers: [broker!.saslSsl],
      clientId: 'tls-test',
      logLevel: logLevel.NOTHING,
      ssl: { ca: [fs.readFileSync(certs.caFile, 'utf8')] },
      sasl: { mechanism: 'scram-sha-256', username: saslUser.name, password: saslUser.password },
    });
    const mix = rawClickstream(200, 1313);
    const valid = new Set(mix.filter((r) => r.kind === 'valid').map((r) => r.eventId!));
    await produce(kafka, topics.clickstreamRaw, mix);

    const conn = await createConnection({ host: '127.0.0.1', port: db!.port, user: 'recmesh', password: dbPassword, database: 'recmesh', ssl: { ca: fs.readFileSync(certs.caFile, 'utf8') } });
    try {
      const [[cipher]] = (await conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as unknown as [Array<{ Value: string }>];
      expect(cipher.Value).not.toBe('');
      const stored = async () => ((await conn.query('SELECT event_id FROM clickstream_events')) as unknown as [Array<{ event_id: string }>])[0].map((r) => r.event_id);
      const ids = await until('ingest stores the valid events', async () => {
        const now = await stored();
        return now.length >= valid.size ? now : undefined;
      });
      expect(new Set(ids)).toEqual(valid);
    } finally {
      await conn.end();
    }
    const forwarded = await consumeUntil(kafka, topics.clickstreamNormalized, (records) => records.length >= valid.size, 60_000);
    expect(forwarded.length).toBeGreaterThanOrEqual(valid.size);
    expectNoSecrets(ingest.logs);
  });

  describe('the same service with a piece missing or wrong', () => {
    const cases: Array<[string, (env: Record<string, string>) => Record<string, string>, RegExp]> = [
      ['MySQL without TLS (the user is REQUIRE SSL)', (env) => ({ ...env, MYSQL_SSL: 'false' }), /cannot open mariadb:\/\/\*\*\*@127\.0\.0\.1:\d+\/recmesh: Access denied for user 'recmesh'/],
      ['MySQL with a CA that did not sign the server', (env) => ({ ...env, MYSQL_SSL_CA_FILE: certs.otherCaFile }), /cannot open mariadb:\/\/\*\*\*@127\.0\.0\.1:\d+\/recmesh: unable to verify the first certificate/],
      ['Kafka without TLS on the SASL_SSL listener', (env) => ({ ...env, KAFKA_SSL: 'false' }), /ingest failed to start: KafkaJSNonRetriableError\s+Caused by: KafkaJSConnectionClosedError: Closed connection/],
      ['Kafka with a wrong SASL password', (env) => ({ ...env, KAFKA_SASL_PASSWORD: 'wrong-password' }), /ingest failed to start: KafkaJSSASLAuthenticationError: SASL SCRAM SHA256 authentication failed/],
      [
        'Kafka with a CA that did not sign the broker',
        (env) => ({ ...env, KAFKA_SSL_CA_FILE: certs.otherCaFile }),
        /ingest failed to start: KafkaJSNonRetriableError\s+Caused by: KafkaJSConnectionError: Connection error: unable to verify the first certificate/,
      ],
      [
        'a SASL mechanism without a password and a CA file that is not there',
        (env) => ({ ...env, KAFKA_SASL_PASSWORD: '', MYSQL_SSL_CA_FILE: `${certs.dir}/missing.pem` }),
        /invalid configuration:[\s\S]*MYSQL_SSL_CA_FILE=".*missing\.pem" cannot be read: ENOENT[\s\S]*KAFKA_SASL_PASSWORD is required when KAFKA_SASL_MECHANISM is not none/,
      ],
    ];
    const outcomes = new Map<string, { exit: unknown; logs: string }>();

    // All at once: the Kafka cases wait out the client's retries (about 20 s), in parallel rather than in turn.
    beforeAll(async () => {
      await Promise.all(
        cases.map(async ([name, change]) => {
          const ingest = await startIngest(change(secureEnv));
          let timer: NodeJS.Timeout | undefined;
          const exit = await Promise.race([ingest.exited, new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), 90_000)))]);
          clearTimeout(timer);
          outcomes.set(name, { exit, logs: ingest.logs });
        }),
      );
    }, 120_000);

    it.each(cases)('refuses %s: exits non-zero with a clear message, no secret in the log', (name, _change, message) => {
      const { exit, logs } = outcomes.get(name)!;
      expect(exit).toEqual({ code: 1, signal: null });
      expect(logs).toMatch(message);
      expectNoSecrets(logs);
    });
  });
});

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { freePort } from '../support/service-process';

const run = promisify(execFile);
const KAFKA_SH = path.resolve(__dirname, '../../tools/infra/kafka.sh');
const MARIADB_SH = path.resolve(__dirname, '../../tools/infra/mariadb.sh');

export interface TestCertificates {
  readonly dir: string;
  /** The CA that signed the servers' certificate. */
  readonly caFile: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the servers. */
  readonly otherCaFile: string;
  /** For 127.0.0.1 and localhost, PEM; the key unencrypted PKCS#8 (what Kafka's PEM keystore reads). */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, a server certificate it signs, and an unrelated CA: generated with openssl into a new temp folder. */
export async function generateCertificates(): Promise<TestCertificates> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-certs-'));
  for (const ca of ['ca', 'other-ca']) {
    await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=recmesh test ${ca}`);
  }
  await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  const at = (name: string) => path.join(dir, name);
  return { dir, caFile: at('ca.pem'), otherCaFile: at('other-ca.pem'), serverCertFile: at('server.pem'), serverKeyFile: at('server.key') };
}

/** A single-node broker of the test's own (tools/infra/kafka.sh on free ports): PLAINTEXT for setup, SSL, and SASL_SSL with one user. */
export class TlsBroker {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly plaintext: string,
    readonly ssl: string,
    readonly saslSsl: string,
  ) {}

  static async start(certs: TestCertificates, user: { name: string; password: string }): Promise<TlsBroker> {
    const [plain, controller, ssl, saslSsl] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const env = {
      ...process.env,
      RECMESH_RUN: fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-kafka-tls-')),
      KAFKA_PORT: String(plain),
      KAFKA_CONTROLLER_PORT: String(controller),
      KAFKA_SSL_PORT: String(ssl),
      KAFKA_SASL_SSL_PORT: String(saslSsl),
      KAFKA_SSL_CERT_FILE: certs.serverCertFile,
      KAFKA_SSL_KEY_FILE: certs.serverKeyFile,
      KAFKA_SASL_USERS: `${user.name}:${user.password}`,
      KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m',
      KAFKA_START_TIMEOUT: '120',
    };
    const broker = new TlsBroker(env, `127.0.0.1:${plain}`, `127.0.0.1:${ssl}`, `127.0.0.1:${saslSsl}`);
    await run('bash', [KAFKA_SH, 'start'], { env, timeout: 180_000 });
    return broker;
  }

  async destroy(): Promise<void> {
    await run('bash', [KAFKA_SH, 'stop'], { env: this.env, timeout: 60_000 }).catch(() => undefined);
    fs.rmSync(this.env.RECMESH_RUN!, { recursive: true, force: true });
  }
}

/** A MariaDB of the test's own (tools/infra/mariadb.sh on a free port) with TLS, its application user created REQUIRE SSL. */
export class TlsMariaDb {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly port: number,
    private readonly appPassword: string,
  ) {}

  static async start(certs: TestCertificates, appPassword: string): Promise<TlsMariaDb> {
    const port = await freePort();
    const env = {
      ...process.env,
      RECMESH_RUN: fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-mariadb-tls-')),
      MYSQL_PORT: String(port),
      MARIADB_START_TIMEOUT: '120',
      MARIADB_SSL_CERT_FILE: certs.serverCertFile,
      MARIADB_SSL_KEY_FILE: certs.serverKeyFile,
      MARIADB_REQUIRE_SSL: '1',
      MARIADB_APP_PASSWORD: appPassword,
    };
    const db = new TlsMariaDb(env, port, appPassword);
    await run('bash', [MARIADB_SH, 'start'], { env, timeout: 180_000 });
    return db;
  }

  /** The application user (recmesh, which tools/infra/mariadb.sh creates) on database `recmesh`. */
  get url(): string {
    return `mariadb://recmesh:${this.appPassword}@127.0.0.1:${this.port}/recmesh`;
  }

  async destroy(): Promise<void> {
    await run('bash', [MARIADB_SH, 'stop'], { env: this.env, timeout: 60_000 }).catch(() => undefined);
    fs.rmSync(this.env.RECMESH_RUN!, { recursive: true, force: true });
  }
}

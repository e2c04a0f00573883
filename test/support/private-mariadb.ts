import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { freePort } from './service-process';

const run = promisify(execFile);
const MARIADB_SH = path.resolve(__dirname, '../../tools/infra/mariadb.sh');

/**
 * A MariaDB of the test's own (tools/infra/mariadb.sh on a free port and a private data folder):
 * fault tests stop and kill it, never the shared one on :3306 that other tests use.
 */
export class PrivateMariaDb {
  private constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly port: number,
  ) {}

  static async start(): Promise<PrivateMariaDb> {
    const port = await freePort();
    const env = { ...process.env, RECMESH_RUN: fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-mariadb-')), MYSQL_PORT: String(port), MARIADB_START_TIMEOUT: '120' };
    const db = new PrivateMariaDb(env, port);
    await db.up();
    return db;
  }

  /** The application user's URL (database `recmesh`; the user may also create recmesh_* databases). */
  get url(): string {
    return `mariadb://recmesh:recmesh@127.0.0.1:${this.port}/recmesh`;
  }

  async up(): Promise<void> {
    await run('bash', [MARIADB_SH, 'start'], { env: this.env, timeout: 180_000 });
  }

  /** Graceful shutdown (mariadb-admin shutdown). */
  async stop(): Promise<void> {
    await run('bash', [MARIADB_SH, 'stop'], { env: this.env, timeout: 90_000 });
  }

  /** SIGKILL of mariadbd: no shutdown, InnoDB recovers from its redo log on the next start. */
  async kill(): Promise<void> {
    const pidFile = path.join(this.env.RECMESH_RUN!, 'mariadb', 'mariadbd.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mariadbd ${pid} still alive 10 s after SIGKILL`);
  }

  /** Stops it and deletes its data folder. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    fs.rmSync(this.env.RECMESH_RUN!, { recursive: true, force: true });
  }
}

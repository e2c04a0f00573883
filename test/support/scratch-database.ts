import { createConnection } from 'mysql2/promise';
import { uniqueSuffix } from './infra-env';

/** A throw-away MariaDB database (recmesh_test_*) so scenarios never share state. */
export class ScratchDatabase {
  private constructor(
    readonly url: string,
    private readonly serverUrl: string,
    readonly name: string,
  ) {}

  static async create(baseUrl: string): Promise<ScratchDatabase> {
    const name = `recmesh_test_${uniqueSuffix()}`;
    const server = new URL(baseUrl);
    const conn = await createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) });
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
    await conn.end();
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    return new ScratchDatabase(url.toString(), baseUrl, name);
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const u = new URL(this.url);
    const conn = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: this.name });
    try {
      const [rows] = await conn.query(sql, params);
      return rows as T[];
    } finally {
      await conn.end();
    }
  }

  async drop(): Promise<void> {
    const u = new URL(this.serverUrl);
    const conn = await createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
    await conn.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    await conn.end();
  }
}

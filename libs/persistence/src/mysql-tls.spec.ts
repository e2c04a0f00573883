import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dataSourceOptions } from './data-source';
import { mysqlSslOptions } from './mysql-tls';

describe('MySQL TLS options', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recmesh-mysql-tls-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA PEM');
    fs.writeFileSync(path.join(dir, 'client.pem'), 'CERT PEM');
    fs.writeFileSync(path.join(dir, 'client.key'), 'KEY PEM');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the PEM files into mysql2\'s ssl option', () => {
    expect(mysqlSslOptions({ caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'client.pem'), keyFile: path.join(dir, 'client.key'), rejectUnauthorized: true })).toEqual({
      rejectUnauthorized: true,
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
    });
    expect(mysqlSslOptions({ rejectUnauthorized: false })).toEqual({ rejectUnauthorized: false });
  });

  it('puts ssl into the MySQL data source only when TLS is asked for', () => {
    const url = 'mariadb://u:p@127.0.0.1:3306/db';
    expect(dataSourceOptions({ kind: 'mysql', url, tls: { caFile: path.join(dir, 'ca.pem'), rejectUnauthorized: true } })).toMatchObject({ type: 'mariadb', ssl: { ca: 'CA PEM', rejectUnauthorized: true } });
    expect(dataSourceOptions({ kind: 'mysql', url })).not.toHaveProperty('ssl');
  });
});

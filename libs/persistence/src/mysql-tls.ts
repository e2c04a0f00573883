import * as fs from 'fs';
import type { SecureContextOptions } from 'tls';

/** TLS towards MySQL/MariaDB (from MYSQL_SSL*); PEM files, empty or absent = none. */
export interface MysqlTlsSettings {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly rejectUnauthorized: boolean;
}

/** mysql2's `ssl` option (TypeORM passes it through); files are read once, at start-up. */
export function mysqlSslOptions(settings: MysqlTlsSettings): SecureContextOptions & { rejectUnauthorized: boolean } {
  return {
    rejectUnauthorized: settings.rejectUnauthorized,
    ...(settings.caFile ? { ca: fs.readFileSync(settings.caFile, 'utf8') } : {}),
    ...(settings.certFile ? { cert: fs.readFileSync(settings.certFile, 'utf8') } : {}),
    ...(settings.keyFile ? { key: fs.readFileSync(settings.keyFile, 'utf8') } : {}),
  };
}

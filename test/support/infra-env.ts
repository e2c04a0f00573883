import * as fs from 'fs';

/** Where the real broker and database are: env vars, else what tools/infra/up.sh wrote. */
export function infraEnv(): { kafkaBrokers: string[]; mysqlUrl: string } {
  const file = `${process.env.RECMESH_RUN ?? '/tmp/recmesh-run'}/infra.env`;
  const fromFile: Record<string, string> = {};
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^export (\w+)=(.*)$/.exec(line.trim());
      if (m) fromFile[m[1]] = m[2];
    }
  }
  const brokers = process.env.KAFKA_BROKERS ?? fromFile['KAFKA_BROKERS'];
  const mysqlUrl = process.env.MYSQL_URL ?? fromFile['MYSQL_URL'];
  if (!brokers || !mysqlUrl) {
    throw new Error('integration tests need Kafka and MariaDB: run `npm run infra:up` (or `npm test`, which starts them)');
  }
  return { kafkaBrokers: brokers.split(','), mysqlUrl };
}

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

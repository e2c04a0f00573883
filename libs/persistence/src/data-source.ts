import { DataSource, DataSourceOptions, EntityManager } from 'typeorm';
import { CatalogEventEntity } from './entities/catalog-event.entity';
import { MysqlTlsSettings, mysqlSslOptions } from './mysql-tls';
import { CatalogItemEntity } from './entities/catalog-item.entity';
import { ClickstreamEventEntity } from './entities/clickstream-event.entity';
import {
  FeatureAppliedEventEntity,
  ItemPairCountEntity,
  ItemPopularityEntity,
  ItemTextEmbeddingEntity,
  UserSequenceEntity,
} from './entities/feature-entities';
import { InitialSchema1763800000000 } from './migrations/1763800000000-initial-schema';
import { FeatureTables1763900000000 } from './migrations/1763900000000-feature-tables';
import { ModelVersions1764000000000 } from './migrations/1764000000000-model-versions';
import { ModelDecisionEntity, ModelVersionEntity } from './entities/model-version.entity';
import { ModelLifecycle1765000000000 } from './migrations/1765000000000-model-lifecycle';
import { TrainingRuns1765100000000 } from './migrations/1765100000000-training-runs';
import { TrainerLockEntity, TrainingRunEntity } from './entities/training-run.entity';
import { Experiments1765300000000 } from './migrations/1765300000000-experiments';
import { ServedListLatency1765400000000 } from './migrations/1765400000000-served-list-latency';
import { UserIndexes1765500000000 } from './migrations/1765500000000-user-indexes';
import { RetentionIndexes1765600000000 } from './migrations/1765600000000-retention-indexes';
import { IngestSourcePosition1765700000000 } from './migrations/1765700000000-ingest-source-position';
import { ExperimentEntity, ExperimentUnitEntity } from './entities/experiment.entity';
import { FeedbackTables1765200000000 } from './migrations/1765200000000-feedback-tables';
import {
  FeedbackAppliedEventEntity,
  FeedbackAttributedActionEntity,
  FeedbackMetricBucketEntity,
  FeedbackPendingActionEntity,
  FeedbackServedItemEntity,
  FeedbackServedListEntity,
} from './entities/feedback-entities';

export const Entities = [
  ClickstreamEventEntity,
  CatalogEventEntity,
  CatalogItemEntity,
  FeatureAppliedEventEntity,
  UserSequenceEntity,
  ItemPopularityEntity,
  ItemPairCountEntity,
  ItemTextEmbeddingEntity,
  ModelVersionEntity,
  ModelDecisionEntity,
  TrainingRunEntity,
  TrainerLockEntity,
  ExperimentEntity,
  ExperimentUnitEntity,
  FeedbackAppliedEventEntity,
  FeedbackServedListEntity,
  FeedbackServedItemEntity,
  FeedbackAttributedActionEntity,
  FeedbackPendingActionEntity,
  FeedbackMetricBucketEntity,
];
export const Migrations = [InitialSchema1763800000000, FeatureTables1763900000000, ModelVersions1764000000000, ModelLifecycle1765000000000, TrainingRuns1765100000000, FeedbackTables1765200000000, Experiments1765300000000, ServedListLatency1765400000000, UserIndexes1765500000000, RetentionIndexes1765600000000, IngestSourcePosition1765700000000];

export type StoreProfile =
  /** `tls`: connect over TLS (mysqlSslOptions); absent = plain TCP, as the URL alone says. */
  | { readonly kind: 'mysql'; readonly url: string; readonly poolSize?: number; readonly tls?: MysqlTlsSettings }
  /** SQLite in the process (better-sqlite3): in a file, or in memory when no file is given. */
  | { readonly kind: 'embedded'; readonly file?: string };

/** The embedded store's page cache (SQLite's cache_size, in KiB): a fixed share of the process's memory, whatever the data's size. */
export const EMBEDDED_PAGE_CACHE_KIB = 32 * 1024;

export function dataSourceOptions(profile: StoreProfile): DataSourceOptions {
  if (profile.kind === 'mysql') {
    return {
      // MariaDB reports defaults and types differently; TypeORM compares schemas right only when told.
      type: /^mariadb:/.test(profile.url) ? 'mariadb' : 'mysql',
      url: profile.url.replace(/^mariadb:/, 'mysql:'),
      entities: Entities,
      migrations: Migrations,
      // Schema changes go through reviewed migrations only.
      synchronize: false,
      migrationsRun: false,
      poolSize: profile.poolSize ?? 8,
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: 'utf8mb4_bin',
      connectTimeout: 10_000,
      ...(profile.tls ? { ssl: mysqlSslOptions(profile.tls) } : {}),
    };
  }
  return {
    type: 'better-sqlite3',
    entities: Entities,
    // The embedded schema follows the entities (the migrations are MySQL's); a file from an earlier run opens and is brought up to date.
    synchronize: true,
    database: profile.file || ':memory:',
    prepareDatabase: (db: { pragma(statement: string): unknown }) => {
      // WAL: a commit appends its pages to the log instead of rewriting the file, and a crash leaves the last commit whole.
      // synchronous=FULL: the log is fsynced at each commit, before the bus commits the offsets of what the transaction stored.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`cache_size = -${EMBEDDED_PAGE_CACHE_KIB}`);
    },
  };
}

/**
 * Opens the store and brings its schema up to date. On MySQL, migrations run
 * under a named lock so instances starting together do not race.
 */
export async function openStore(profile: StoreProfile): Promise<DataSource> {
  const dataSource = new DataSource(dataSourceOptions(profile));
  try {
    await dataSource.initialize();
  } catch (error) {
    const target = profile.kind === 'mysql' ? profile.url.replace(/\/\/[^@]*@/, '//***@') : 'embedded store';
    throw new Error(`cannot open ${target}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (profile.kind === 'embedded') queueTransactions(dataSource);
  if (profile.kind === 'mysql') {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.connect();
      const [{ locked }] = await runner.query("SELECT GET_LOCK('recmesh_migrations', 60) AS locked");
      if (Number(locked) !== 1) throw new Error('timed out waiting for the migration lock');
      try {
        await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query("SELECT RELEASE_LOCK('recmesh_migrations')");
      }
    } finally {
      await runner.release();
    }
  }
  return dataSource;
}

/**
 * The embedded store is one connection and TypeORM gives every transaction on it the same
 * query runner: two services' transactions at once (the standalone process
 * runs several consumers on one store) would BEGIN inside a BEGIN, or one's
 * COMMIT would take the other's half-done work with it. On the embedded store
 * transactions therefore run one after another (so a transaction must not
 * open another through the DataSource: it would wait for itself).
 */
function queueTransactions(dataSource: DataSource): void {
  const manager = dataSource.manager;
  const run = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  manager.transaction = ((...args: unknown[]) => {
    const next = tail.then(() => run(...args));
    tail = next.catch(() => undefined);
    return next;
  }) as EntityManager['transaction'];
}

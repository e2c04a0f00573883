import { Counter, Gauge, Registry } from 'prom-client';

/** What erasure did, without ever naming the user. */
export class PrivacyMetrics {
  readonly erasures: Counter<'source'>;
  readonly erasedRows: Counter<'table'>;
  readonly invalidCommands: Counter;
  readonly purgedRows: Counter<'table'>;
  readonly purgeFailures: Counter;
  readonly lastPurge: Gauge;

  constructor(registry: Registry) {
    this.erasures = new Counter({ name: 'recmesh_privacy_erasures_total', help: 'User erasures carried out on the store, by where the request came from (grpc, command).', labelNames: ['source'], registers: [registry] });
    this.erasedRows = new Counter({ name: 'recmesh_privacy_erased_rows_total', help: 'Rows removed by user erasures, by table.', labelNames: ['table'], registers: [registry] });
    this.purgedRows = new Counter({ name: 'recmesh_privacy_purged_rows_total', help: 'Rows removed by the retention purge (PRIVACY_RETENTION_DAYS), by table.', labelNames: ['table'], registers: [registry] });
    this.purgeFailures = new Counter({ name: 'recmesh_privacy_purge_failures_total', help: 'Retention purges that failed (retried at the next check).', registers: [registry] });
    this.lastPurge = new Gauge({ name: 'recmesh_privacy_last_purge_timestamp_seconds', help: 'When the retention purge last completed.', registers: [registry] });
    this.invalidCommands = new Counter({ name: 'recmesh_privacy_invalid_commands_total', help: 'Records on the erasure command topic that are not a UserErasureCommand with a user id (skipped).', registers: [registry] });
  }
}

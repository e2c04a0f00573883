import { DataSource, EntityManager } from 'typeorm';
import { ExperimentEntity } from '../entities/experiment.entity';

/** Why an experiment change was refused; the message names it. */
export class ExperimentConflictError extends Error {
  constructor(
    message: string,
    readonly kind: 'exists' | 'not_found' | 'overlap' | 'stopped',
  ) {
    super(message);
    this.name = 'ExperimentConflictError';
  }
}

export interface ExperimentRecord {
  readonly name: string;
  readonly state: 'running' | 'stopped';
  /** The definition as the admin API stored it (proto JSON). */
  readonly definition: unknown;
  readonly startedAtMs: number;
  readonly stoppedAtMs: number | null;
}

/** What one served list, or one attributed action, adds to a unit's outcomes. */
export interface UnitOutcome {
  readonly experiment: string;
  readonly unitId: string;
  readonly arm: string;
  readonly tsMs: number;
  readonly impressions?: number;
  readonly clicks?: number;
  readonly addToCarts?: number;
  readonly purchases?: number;
  readonly revenue?: number;
}

/** A unit's outcomes with its activity before the experiment started (the CUPED covariate). */
export interface UnitOutcomeRow {
  readonly unitId: string;
  readonly arm: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  readonly revenue: number;
  readonly eventsBefore: number;
}

const UNIT_PAGE = 5000;

function recordOf(e: ExperimentEntity): ExperimentRecord {
  return { name: e.name, state: e.state === 'stopped' ? 'stopped' : 'running', definition: JSON.parse(e.definition), startedAtMs: e.startedAtMs, stoppedAtMs: e.stoppedAtMs };
}

/**
 * Experiments and their units. At most one running experiment per surface, so a
 * request is in at most one; the check and the insert share a transaction.
 */
export class ExperimentStore {
  private readonly isMysql: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.isMysql = ['mysql', 'mariadb'].includes(dataSource.options.type);
  }

  async create(name: string, surfaces: readonly string[], definition: unknown, startedAtMs: number): Promise<ExperimentRecord> {
    return this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(ExperimentEntity);
      if (await repo.findOneBy({ name })) throw new ExperimentConflictError(`experiment ${name} already exists (names are never reused, so results stay unambiguous)`, 'exists');
      for (const running of await repo.find({ where: { state: 'running' }, lock: this.isMysql ? { mode: 'pessimistic_write' } : undefined })) {
        const theirs = new Set((JSON.parse(running.definition) as { surfaces?: string[] }).surfaces ?? []);
        const shared = surfaces.filter((s) => theirs.has(s));
        if (shared.length > 0) throw new ExperimentConflictError(`experiment ${running.name} already runs on ${shared.join(', ')}: stop it first (one experiment per surface)`, 'overlap');
      }
      const entity = repo.create({ name, state: 'running', definition: JSON.stringify(definition), startedAtMs, stoppedAtMs: null });
      await repo.insert(entity);
      return recordOf(entity);
    });
  }

  async stop(name: string, stoppedAtMs: number, update: (definition: unknown) => unknown): Promise<ExperimentRecord> {
    return this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(ExperimentEntity);
      const found = await repo.findOneBy({ name });
      if (!found) throw new ExperimentConflictError(`no experiment ${name}`, 'not_found');
      if (found.state === 'stopped') throw new ExperimentConflictError(`experiment ${name} was already stopped`, 'stopped');
      found.state = 'stopped';
      found.stoppedAtMs = stoppedAtMs;
      found.definition = JSON.stringify(update(JSON.parse(found.definition)));
      await repo.save(found);
      return recordOf(found);
    });
  }

  async get(name: string): Promise<ExperimentRecord | undefined> {
    const found = await this.dataSource.getRepository(ExperimentEntity).findOneBy({ name });
    return found ? recordOf(found) : undefined;
  }

  async list(includeStopped: boolean): Promise<ExperimentRecord[]> {
    const rows = await this.dataSource.getRepository(ExperimentEntity).find({ where: includeStopped ? {} : { state: 'running' }, order: { startedAtMs: 'ASC' } });
    return rows.map(recordOf);
  }

  /** Adds outcomes inside the caller's transaction (the one that claims the events they come from). */
  async addOutcomes(manager: EntityManager, outcomes: readonly UnitOutcome[]): Promise<void> {
    const conflict = this.isMysql
      ? 'ON DUPLICATE KEY UPDATE first_served_ms = LEAST(first_served_ms, VALUES(first_served_ms)), impressions = impressions + VALUES(impressions), clicks = clicks + VALUES(clicks), add_to_carts = add_to_carts + VALUES(add_to_carts), purchases = purchases + VALUES(purchases), revenue = revenue + VALUES(revenue)'
      : 'ON CONFLICT(experiment, unit_id) DO UPDATE SET first_served_ms = MIN(first_served_ms, excluded.first_served_ms), impressions = impressions + excluded.impressions, clicks = clicks + excluded.clicks, add_to_carts = add_to_carts + excluded.add_to_carts, purchases = purchases + excluded.purchases, revenue = revenue + excluded.revenue';
    for (let i = 0; i < outcomes.length; i += 500) {
      const chunk = outcomes.slice(i, i + 500);
      await manager.query(
        `INSERT INTO experiment_units (experiment, unit_id, arm, first_served_ms, impressions, clicks, add_to_carts, purchases, revenue) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ${conflict}`,
        chunk.flatMap((o) => [o.experiment, o.unitId, o.arm, o.tsMs, o.impressions ?? 0, o.clicks ?? 0, o.addToCarts ?? 0, o.purchases ?? 0, o.revenue ?? 0]),
      );
    }
  }

  /** Served lists of an experiment per arm and the model version that actually served them (a canary's guardrail). */
  async servedByArm(name: string): Promise<Array<{ arm: string; modelVersion: string; lists: number }>> {
    const rows: Array<{ arm: string; model_version: string; lists: number | string }> = await this.dataSource.query(
      'SELECT arm, model_version, COUNT(*) AS lists FROM feedback_served_lists WHERE experiment = ? GROUP BY arm, model_version',
      [name],
    );
    return rows.map((r) => ({ arm: r.arm, modelVersion: r.model_version, lists: Number(r.lists) }));
  }

  /** Gateway answer times of an arm's most recent served lists (a canary's latency guardrail). */
  async recentLatencies(name: string, arm: string, limit: number): Promise<number[]> {
    const rows: Array<{ latency_ms: number | string }> = await this.dataSource.query(
      `SELECT latency_ms FROM feedback_served_lists WHERE experiment = ? AND arm = ? ORDER BY ts_ms DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
      [name, arm],
    );
    return rows.map((r) => Number(r.latency_ms));
  }

  /**
   * Every unit of an experiment, page by page, with its stored events before
   * the experiment started (the CUPED covariate: 0 for a unit without history).
   */
  async *units(name: string, startedAtMs: number): AsyncGenerator<UnitOutcomeRow[]> {
    let after = '';
    for (;;) {
      const rows: Array<Record<string, string | number>> = await this.dataSource.query(
        `SELECT u.unit_id, u.arm, u.impressions, u.clicks, u.add_to_carts, u.purchases, u.revenue,
           (SELECT COUNT(*) FROM clickstream_events e WHERE e.user_id = u.unit_id AND e.ts_ms < ?) AS events_before
         FROM experiment_units u WHERE u.experiment = ? AND u.unit_id > ? ORDER BY u.unit_id LIMIT ${UNIT_PAGE}`,
        [startedAtMs, name, after],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({
        unitId: String(r.unit_id), arm: String(r.arm), impressions: Number(r.impressions), clicks: Number(r.clicks), addToCarts: Number(r.add_to_carts),
        purchases: Number(r.purchases), revenue: Number(r.revenue), eventsBefore: Number(r.events_before),
      }));
      after = String(rows[rows.length - 1].unit_id);
      if (rows.length < UNIT_PAGE) return;
    }
  }
}

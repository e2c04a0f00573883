import { DataSource, EntityManager, In } from 'typeorm';
import { TrainerLockEntity, TrainingRunEntity } from '../entities/training-run.entity';

export type TrainingRunStatus = 'running' | 'skipped' | 'failed' | 'abandoned' | 'promoted' | 'rejected' | 'canary';
export type TrainingTrigger = 'schedule' | 'admin';

export interface TrainingRunRecord {
  readonly runId: string;
  readonly status: TrainingRunStatus;
  readonly trigger: TrainingTrigger;
  readonly startedAtMs: number;
  readonly finishedAtMs: number | null;
  readonly candidateVersion: string | null;
  readonly reason: string;
  readonly details: Readonly<Record<string, unknown>>;
}

const LOCK = 'retrain';

function recordOf(e: TrainingRunEntity): TrainingRunRecord {
  return {
    runId: e.runId,
    status: e.status as TrainingRunStatus,
    trigger: e.trigger as TrainingTrigger,
    startedAtMs: e.startedAtMs,
    finishedAtMs: e.finishedAtMs,
    candidateVersion: e.candidateVersion,
    reason: e.reason,
    details: e.details ? (JSON.parse(e.details) as Record<string, unknown>) : {},
  };
}

/**
 * Retraining runs and their lock. A run holds the lock while it is alive
 * (heartbeats); a run whose process died leaves a stale lock that the next
 * run takes over, marking the dead run abandoned. So two never run at once,
 * and a restart of the job never leaves a run "running" for ever.
 */
export class TrainingRunStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Starts a run if no live run holds the lock; otherwise says which does. */
  async begin(runId: string, trigger: TrainingTrigger, nowMs: number, staleAfterMs: number): Promise<{ started: true; abandoned: string | null } | { started: false; heldBy: string }> {
    await this.ensureLockRow(nowMs);
    return this.dataSource.transaction(async (m) => {
      const lock = await this.lockRow(m);
      if (lock.runId !== null && lock.heartbeatAtMs > nowMs - staleAfterMs) return { started: false as const, heldBy: lock.runId };
      let abandoned: string | null = null;
      const dead = lock.runId === null ? null : await m.getRepository(TrainingRunEntity).findOne({ where: { runId: lock.runId, status: 'running' } });
      if (dead) {
        await m.getRepository(TrainingRunEntity).update({ runId: dead.runId }, { status: 'abandoned', finishedAtMs: nowMs, reason: `no heartbeat since ${new Date(lock.heartbeatAtMs).toISOString()}: the job stopped mid-run` });
        abandoned = dead.runId;
      }
      await m.getRepository(TrainerLockEntity).update({ name: LOCK }, { runId, heartbeatAtMs: nowMs });
      await m.getRepository(TrainingRunEntity).insert({ runId, status: 'running', trigger, startedAtMs: nowMs, finishedAtMs: null, candidateVersion: null, reason: 'running', details: null });
      return { started: true as const, abandoned };
    });
  }

  /** Keeps the lock while the run works; false if another run took it over. */
  async heartbeat(runId: string, nowMs: number): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const lock = await this.lockRow(m);
      if (lock.runId !== runId) return false;
      await m.getRepository(TrainerLockEntity).update({ name: LOCK }, { heartbeatAtMs: nowMs });
      return true;
    });
  }

  /** Records how a run ended and releases the lock it holds. */
  async finish(runId: string, status: Exclude<TrainingRunStatus, 'running'>, reason: string, nowMs: number, extra: { candidateVersion?: string; details?: Record<string, unknown> } = {}): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.getRepository(TrainingRunEntity).update(
        { runId },
        { status, reason, finishedAtMs: nowMs, candidateVersion: extra.candidateVersion ?? null, details: extra.details ? JSON.stringify(extra.details) : null },
      );
      const lock = await this.lockRow(m);
      if (lock.runId === runId) await m.getRepository(TrainerLockEntity).update({ name: LOCK }, { runId: null, heartbeatAtMs: nowMs });
    });
  }

  async get(runId: string): Promise<TrainingRunRecord | null> {
    const e = await this.dataSource.getRepository(TrainingRunEntity).findOne({ where: { runId } });
    return e ? recordOf(e) : null;
  }

  /** Runs, newest first. */
  async recent(limit = 20): Promise<TrainingRunRecord[]> {
    return (await this.dataSource.getRepository(TrainingRunEntity).find({ order: { startedAtMs: 'DESC', runId: 'DESC' }, take: limit })).map(recordOf);
  }

  /** The newest run that trained and reached the gate (promoted or rejected). */
  async lastTrained(): Promise<TrainingRunRecord | null> {
    const e = await this.dataSource.getRepository(TrainingRunEntity).findOne({ where: { status: In(['promoted', 'rejected']) }, order: { startedAtMs: 'DESC' } });
    return e ? recordOf(e) : null;
  }

  /** The lock row, locked for this transaction on MySQL (the embedded SQLite store runs one transaction at a time anyway). */
  private async lockRow(m: EntityManager): Promise<TrainerLockEntity> {
    const lock = this.dataSource.options.type === 'better-sqlite3' ? undefined : ({ mode: 'pessimistic_write' } as const);
    return (await m.getRepository(TrainerLockEntity).findOne({ where: { name: LOCK }, lock })) as TrainerLockEntity;
  }

  /** Creates the lock row once, outside any transaction: two first runs racing inside one would deadlock. */
  private async ensureLockRow(nowMs: number): Promise<void> {
    await this.dataSource.getRepository(TrainerLockEntity).createQueryBuilder().insert().values({ name: LOCK, runId: null, heartbeatAtMs: nowMs }).orIgnore().execute();
  }
}

import { DataSource, EntityManager, Not } from 'typeorm';
import { ModelDecisionEntity, ModelVersionEntity } from '../entities/model-version.entity';

export type ModelStatus = 'candidate' | 'active' | 'retired';
export type ModelDecision = 'registered' | 'promoted' | 'rejected' | 'pinned' | 'unpinned' | 'rolled_back' | 'canary_started';

export interface ModelVersionRecord {
  readonly modelVersion: string;
  readonly location: string;
  readonly status: ModelStatus;
  readonly registeredAtMs: number;
  readonly promotedAtMs: number | null;
  readonly pinned: boolean;
  /** Offline metrics, training parameters, data fingerprint: whatever the trainer recorded. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface ModelDecisionRecord {
  readonly modelVersion: string;
  readonly decision: ModelDecision;
  readonly reason: string;
  readonly decidedAtMs: number;
}

/** A registry operation that cannot be done as asked (unknown or retired version, nothing to roll back to). */
export class ModelRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}

function recordOf(e: ModelVersionEntity): ModelVersionRecord {
  let details: Record<string, unknown> = {};
  try {
    details = e.details ? (JSON.parse(e.details) as Record<string, unknown>) : {};
  } catch {
    details = { unreadable: e.details };
  }
  return { modelVersion: e.modelVersion, location: e.location, status: e.status as ModelStatus, registeredAtMs: e.registeredAtMs, promotedAtMs: e.promotedAtMs, pinned: e.pinned === 1, details };
}

/**
 * Which model versions exist and which one serves: a pinned version if there
 * is one, else the most recently promoted active version. Every change is
 * recorded in model_decisions with its reason, in the same transaction.
 */
export class ModelRegistry {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Registers and promotes at once (the initial model, or an operator's deliberate choice). */
  async register(modelVersion: string, location: string, registeredAtMs = this.clock(), details: Record<string, unknown> = {}): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.getRepository(ModelVersionEntity).upsert(
        { modelVersion, location, status: 'active', registeredAtMs, promotedAtMs: registeredAtMs, pinned: 0, details: JSON.stringify(details) },
        ['modelVersion'],
      );
      await this.decide(m, modelVersion, 'promoted', 'registered for serving directly');
    });
  }

  /** Registers a version that serves only once the promotion gate (or an operator) promotes it. */
  async registerCandidate(modelVersion: string, location: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const existing = await m.getRepository(ModelVersionEntity).findOne({ where: { modelVersion } });
      if (existing) throw new ModelRegistryError(`model version ${modelVersion} is already registered (${existing.status})`);
      await m.getRepository(ModelVersionEntity).insert({ modelVersion, location, status: 'candidate', registeredAtMs: this.clock(), promotedAtMs: null, pinned: 0, details: JSON.stringify(details) });
      await this.decide(m, modelVersion, 'registered', 'candidate waiting for the promotion gate');
    });
  }

  /** Makes a candidate or an earlier active version the one that serves (unless another is pinned). */
  async promote(modelVersion: string, reason: string): Promise<void> {
    await this.change(modelVersion, async (m, version) => {
      if (version.status === 'retired') throw new ModelRegistryError(`model version ${modelVersion} is retired and cannot serve again`);
      await m.getRepository(ModelVersionEntity).update({ modelVersion }, { status: 'active', promotedAtMs: Math.max(this.clock(), await this.lastPromotion(m) + 1) });
      await this.decide(m, modelVersion, 'promoted', reason);
    });
  }

  /** Records that the gate kept a candidate from serving. */
  async reject(modelVersion: string, reason: string): Promise<void> {
    await this.change(modelVersion, async (m) => {
      await m.getRepository(ModelVersionEntity).update({ modelVersion }, { status: 'retired' });
      await this.decide(m, modelVersion, 'rejected', reason);
    });
  }

  /** Records that a candidate went to an online canary (it serves its share of traffic through an experiment). */
  async canary(modelVersion: string, reason: string): Promise<void> {
    await this.change(modelVersion, async (m, version) => {
      if (version.status !== 'candidate') throw new ModelRegistryError(`only a candidate can go to a canary; ${modelVersion} is ${version.status}`);
      await this.decide(m, modelVersion, 'canary_started', reason);
    });
  }

  /** Serves this version whatever is promoted later, until unpin(). */
  async pin(modelVersion: string, reason: string): Promise<void> {
    await this.change(modelVersion, async (m, version) => {
      if (version.status !== 'active') throw new ModelRegistryError(`only an active version can be pinned; ${modelVersion} is ${version.status}`);
      await m.getRepository(ModelVersionEntity).update({ pinned: 1 }, { pinned: 0 });
      await m.getRepository(ModelVersionEntity).update({ modelVersion }, { pinned: 1 });
      await this.decide(m, modelVersion, 'pinned', reason);
    });
  }

  async unpin(reason: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const pinned = await m.getRepository(ModelVersionEntity).find({ where: { pinned: 1 } });
      if (pinned.length === 0) throw new ModelRegistryError('no version is pinned');
      await m.getRepository(ModelVersionEntity).update({ pinned: 1 }, { pinned: 0 });
      for (const p of pinned) await this.decide(m, p.modelVersion, 'unpinned', reason);
    });
  }

  /** Retires the serving version so the previously promoted one serves again; returns that one. */
  async rollback(reason: string): Promise<ModelVersionRecord> {
    return this.dataSource.transaction(async (m) => {
      const serving = await this.servingIn(m);
      if (!serving) throw new ModelRegistryError('no version is serving');
      const previous = await m
        .getRepository(ModelVersionEntity)
        .findOne({ where: { status: 'active', modelVersion: Not(serving.modelVersion) }, order: { promotedAtMs: 'DESC', modelVersion: 'DESC' } });
      if (!previous) throw new ModelRegistryError(`nothing to roll back to: ${serving.modelVersion} is the only active version`);
      await m.getRepository(ModelVersionEntity).update({ modelVersion: serving.modelVersion }, { status: 'retired', pinned: 0 });
      await this.decide(m, serving.modelVersion, 'rolled_back', `${reason} (now serving ${previous.modelVersion})`);
      return recordOf(previous);
    });
  }

  /** The version that should serve now. */
  async current(): Promise<ModelVersionRecord | null> {
    return this.servingIn(this.dataSource.manager);
  }

  async get(modelVersion: string): Promise<ModelVersionRecord | null> {
    const e = await this.dataSource.getRepository(ModelVersionEntity).findOne({ where: { modelVersion } });
    return e ? recordOf(e) : null;
  }

  /** Every version, newest registration first. */
  async list(): Promise<ModelVersionRecord[]> {
    return (await this.dataSource.getRepository(ModelVersionEntity).find({ order: { registeredAtMs: 'DESC', modelVersion: 'DESC' } })).map(recordOf);
  }

  /** Decisions, newest first (all, or those of one version). */
  async decisions(modelVersion?: string, limit = 100): Promise<ModelDecisionRecord[]> {
    const rows = await this.dataSource.getRepository(ModelDecisionEntity).find({ where: modelVersion ? { modelVersion } : {}, order: { id: 'DESC' }, take: limit });
    return rows.map((r) => ({ modelVersion: r.modelVersion, decision: r.decision as ModelDecision, reason: r.reason, decidedAtMs: r.decidedAtMs }));
  }

  /** How many decisions of each kind the log holds, whoever made them (the trainer, an operator's CLI): for the registry's metrics. */
  async decisionCounts(): Promise<Map<ModelDecision, number>> {
    const rows = await this.dataSource
      .getRepository(ModelDecisionEntity)
      .createQueryBuilder('d')
      .select('d.decision', 'decision')
      .addSelect('COUNT(*)', 'n')
      .groupBy('d.decision')
      .getRawMany<{ decision: string; n: string | number }>();
    return new Map(rows.map((r) => [r.decision as ModelDecision, Number(r.n)]));
  }

  /** Retires a version outright (it never serves again). */
  async retire(modelVersion: string): Promise<void> {
    await this.dataSource.getRepository(ModelVersionEntity).update({ modelVersion }, { status: 'retired', pinned: 0 });
  }

  private async servingIn(m: EntityManager): Promise<ModelVersionRecord | null> {
    const repo = m.getRepository(ModelVersionEntity);
    const pinned = await repo.findOne({ where: { pinned: 1, status: 'active' } });
    if (pinned) return recordOf(pinned);
    const newest = await repo.findOne({ where: { status: 'active' }, order: { promotedAtMs: 'DESC', modelVersion: 'DESC' } });
    return newest ? recordOf(newest) : null;
  }

  private async lastPromotion(m: EntityManager): Promise<number> {
    const row = await m.getRepository(ModelVersionEntity).findOne({ where: { status: 'active' }, order: { promotedAtMs: 'DESC' } });
    return row?.promotedAtMs ?? 0;
  }

  private async change(modelVersion: string, work: (m: EntityManager, version: ModelVersionEntity) => Promise<void>): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const version = await m.getRepository(ModelVersionEntity).findOne({ where: { modelVersion } });
      if (!version) throw new ModelRegistryError(`unknown model version ${modelVersion}`);
      await work(m, version);
    });
  }

  private async decide(m: EntityManager, modelVersion: string, decision: ModelDecision, reason: string): Promise<void> {
    await m.getRepository(ModelDecisionEntity).insert({ modelVersion, decision, reason, decidedAtMs: this.clock() });
  }
}

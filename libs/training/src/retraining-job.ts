import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { Logger } from '@nestjs/common';
import { BUNDLE_MODEL_FILE_NAME } from '@recmesh/bundling';
import { actionName, parseAction } from '@recmesh/contracts';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { ModelRegistry, TrainingRunRecord, TrainingRunStore, TrainingTrigger } from '@recmesh/persistence';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { fitBundleModelFor, ordersFromPurchases, ShopperStep } from './bundle-refit';
import { DatasetEvent, DatasetItem, readDatasetDir } from './dataset-files';
import { evaluateOnHoldout, HoldoutReport } from './holdout-evaluation';
import { CanaryStarter, gateCandidate, PromotionPolicy } from './promotion-gate';
import { TrainAndExport, TrainingFailedError } from './python-trainer';
import { timeSplit } from './time-split';
import { writeTrainingSet } from './training-set';

/** Writes the store's data for a time window as a dataset folder (items.jsonl, events.csv). */
export type ShopExporter = (outDir: string, window: { fromMs: number; toMs: number }) => Promise<{ fingerprint: string; events: number; items: number }>;

export interface RetrainingJobOptions {
  readonly registry: ModelRegistry;
  readonly runs: TrainingRunStore;
  /** Events stored since a time (is there enough new data?). */
  readonly newEventsSince: (sinceMs: number) => Promise<number>;
  readonly exporter: ShopExporter;
  readonly trainer: { trainAndExport(job: TrainAndExport): Promise<void> };
  /** Loads a model folder as the scorer would, for the holdout evaluation. */
  readonly loadModel: (dir: string) => Promise<SequentialRecommenderModel>;
  readonly policy: PromotionPolicy;
  /** With it, a candidate that beats a working serving version goes to an online canary before it serves everyone. */
  readonly canary?: CanaryStarter;
  readonly workDir: string;
  readonly modelsDir: string;
  readonly minNewEvents: number;
  readonly windowMs: number;
  /** Share of the window's events before the holdout cutoff (EVAL-PROTOCOL: 0.9). */
  readonly trainShare: number;
  readonly budgetMs: number;
  /** The bundle model refit from the window's orders (purchases no more than orderGapSeconds apart). */
  readonly bundles: { readonly minOrders: number; readonly orderGapSeconds: number };
  readonly heartbeatMs: number;
  readonly metrics: Registry;
  readonly clock?: () => number;
}

export interface RetrainingOutcome {
  readonly runId: string;
  readonly status: TrainingRunRecord['status'] | 'busy';
  readonly reason: string;
  readonly candidateVersion?: string;
}

/**
 * One retraining run: export the window, cut the time split, train on the
 * part before the cutoff (tools/model, as a subprocess, within a budget),
 * evaluate the candidate and the serving version as served (Node) on the
 * same holdout, register the candidate with its metrics, fingerprint and
 * parameters, and let the promotion gate decide. Runs never overlap (a lock
 * in the store); whatever fails leaves the serving version untouched, and the
 * run's status and reason say what happened.
 */
export class RetrainingJob {
  private readonly logger = new Logger('RetrainingJob');
  private readonly clock: () => number;
  private readonly outcomes: Counter<'status'>;
  private readonly lastSuccess: Gauge;
  private readonly durations: Gauge<'status'>;
  private readonly runSeconds: Histogram<'status'>;
  private readonly gateDecisions: Counter<'decision' | 'rule'>;

  constructor(private readonly options: RetrainingJobOptions) {
    this.clock = options.clock ?? Date.now;
    this.outcomes = new Counter({ name: 'recmesh_trainer_runs_total', help: 'Retraining runs by how they ended (promoted, canary, rejected, skipped, failed, busy).', labelNames: ['status'], registers: [options.metrics] });
    this.lastSuccess = new Gauge({ name: 'recmesh_trainer_last_trained_timestamp_seconds', help: 'When the last run that reached the promotion gate finished.', registers: [options.metrics] });
    this.durations = new Gauge({ name: 'recmesh_trainer_last_run_seconds', help: 'Wall time of the last run, by how it ended.', labelNames: ['status'], registers: [options.metrics] });
    // Buckets from a skipped run (well under a second) to TRAINER_BUDGET_MINUTES' default (60 min) and beyond.
    this.runSeconds = new Histogram({ name: 'recmesh_trainer_run_seconds', help: 'Wall time of retraining runs, by how they ended.', labelNames: ['status'], buckets: [1, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200], registers: [options.metrics] });
    this.gateDecisions = new Counter({ name: 'recmesh_trainer_gate_decisions_total', help: "The offline promotion gate's decisions (promoted, rejected, canary) by the rule that decided.", labelNames: ['decision', 'rule'], registers: [options.metrics] });
  }

  async run(trigger: TrainingTrigger): Promise<RetrainingOutcome> {
    const runId = `${new Date(this.clock()).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 8)}`;
    const began = await this.options.runs.begin(runId, trigger, this.clock(), 4 * this.options.heartbeatMs);
    if (!began.started) {
      this.outcomes.inc({ status: 'busy' });
      return { runId, status: 'busy', reason: `run ${began.heldBy} is still training` };
    }
    if (began.abandoned) {
      this.logger.warn(`run ${began.abandoned} stopped without finishing (job restarted); it was marked abandoned`);
      await fs.rm(path.join(this.options.workDir, began.abandoned), { recursive: true, force: true });
    }
    const started = this.clock();
    const heartbeat = setInterval(() => void this.options.runs.heartbeat(runId, this.clock()).catch((e) => this.logger.warn(`heartbeat failed: ${(e as Error).message}`)), this.options.heartbeatMs);
    heartbeat.unref();
    let outcome: RetrainingOutcome;
    try {
      outcome = await this.attempt(runId, trigger, started);
    } catch (error) {
      const reason = error instanceof TrainingFailedError && error.timedOut ? `training ran past its budget of ${Math.round(this.options.budgetMs / 60_000)} min` : (error as Error).message;
      this.logger.error(`run ${runId} failed, the serving version is unchanged: ${reason}`);
      await this.options.runs.finish(runId, 'failed', reason, this.clock());
      outcome = { runId, status: 'failed', reason };
    } finally {
      clearInterval(heartbeat);
      await fs.rm(path.join(this.options.workDir, runId), { recursive: true, force: true });
    }
    this.outcomes.inc({ status: outcome.status });
    this.durations.reset();
    this.durations.set({ status: outcome.status }, (this.clock() - started) / 1000);
    this.runSeconds.observe({ status: outcome.status }, (this.clock() - started) / 1000);
    if (outcome.status === 'promoted' || outcome.status === 'rejected' || outcome.status === 'canary') this.lastSuccess.set(this.clock() / 1000);
    return outcome;
  }

  private async attempt(runId: string, trigger: TrainingTrigger, started: number): Promise<RetrainingOutcome> {
    const { runs, registry } = this.options;
    const options = this.options;
    const last = await runs.lastTrained();
    const fresh = await options.newEventsSince(last?.startedAtMs ?? 0);
    if (fresh < options.minNewEvents) {
      const reason = `${fresh} new events since ${last ? `run ${last.runId}` : 'the start'}, fewer than the ${options.minNewEvents} a retraining needs`;
      await runs.finish(runId, 'skipped', reason, this.clock());
      return { runId, status: 'skipped', reason };
    }
    const work = path.join(options.workDir, runId);
    const exportDir = path.join(work, 'export');
    const exported = await options.exporter(exportDir, { fromMs: started - options.windowMs, toMs: started });
    this.logger.log(`run ${runId} (${trigger}): exported ${exported.events} events, ${exported.items} items (fingerprint ${exported.fingerprint})`);
    const { items, events } = await readDatasetDir(exportDir);
    const split = timeSplit(events, options.trainShare);
    if (split.cases.length === 0) throw new Error(`the holdout after ${new Date(split.cutoffTs * 1000).toISOString()} has no users with earlier history: not enough data to compare models`);
    const trainDir = path.join(work, 'train');
    await writeTrainingSet(exportDir, trainDir, split.cutoffTs);

    const candidateVersion = `shop-${runId}`;
    const builtDir = path.join(work, 'model');
    await options.trainer.trainAndExport({ datasetDir: trainDir, runDir: path.join(work, 'run'), modelDir: builtDir, modelVersion: candidateVersion, budgetMs: options.budgetMs, log: (line) => this.logger.log(line) });
    const candidate = await this.evaluate(builtDir, split, items);
    const bundles = await this.refitBundles(builtDir, candidateVersion, items, events);
    // Only a complete export that loads and scores reaches the models folder every scorer reads.
    const modelDir = path.join(options.modelsDir, candidateVersion);
    await fs.mkdir(options.modelsDir, { recursive: true });
    await fs.rename(builtDir, modelDir);
    const serving = await registry.current();
    const current = serving ? await this.evaluate(serving.location, split, items).catch((e: Error) => {
      // A serving version that cannot even be evaluated cannot hold its place.
      this.logger.warn(`serving version ${serving.modelVersion} could not be evaluated: ${e.message}`);
      return null;
    }) : null;
    const details = {
      fingerprint: exported.fingerprint,
      exported: { events: exported.events, items: exported.items },
      split: { cutoffTs: split.cutoffTs, trainEvents: split.trainEvents, holdoutUsers: split.cases.length },
      candidate,
      current: current && { ...current, modelVersion: serving?.modelVersion },
      bundles,
      policy: options.policy,
      budgetMinutes: options.budgetMs / 60_000,
    };
    // Registration and the gate's decision are the last, transactional steps: a run that dies before
    // them leaves no half-registered version (its model folder is an orphan, cleaned with the work dir).
    await registry.registerCandidate(candidateVersion, modelDir, details);
    const decision = await gateCandidate(registry, candidateVersion, { candidate, current }, options.policy, options.canary);
    const status = decision.canary ? 'canary' : decision.promote ? 'promoted' : 'rejected';
    this.gateDecisions.inc({ decision: status, rule: decision.rule });
    await runs.finish(runId, status, decision.reason, this.clock(), { candidateVersion, details });
    this.logger.log(`run ${runId}: candidate ${candidateVersion} ${status}: ${decision.reason}`);
    return { runId, status, reason: decision.reason, candidateVersion };
  }

  /**
   * Fits the bundle weights for the candidate from the shop's own orders and
   * writes them into its folder, so they go live with it. Too few orders, or a
   * fit that fails, is recorded and leaves the candidate with the bundler's
   * configured weights: the sequential model does not wait on its bundles.
   */
  private async refitBundles(modelDir: string, version: string, items: readonly DatasetItem[], events: readonly DatasetEvent[]): Promise<Record<string, unknown>> {
    const { minOrders, orderGapSeconds } = this.options.bundles;
    const orders = ordersFromPurchases(events, orderGapSeconds);
    if (orders.length < minOrders) {
      return { status: 'skipped', reason: `${orders.length} orders of two or more items in the window, fewer than the ${minOrders} a bundle refit needs: bundles keep the configured weights` };
    }
    const model = await this.options.loadModel(modelDir);
    try {
      // Items bought after the training cutoff are scored from their text, as the bundler will see them.
      const unknown = items.filter((i) => model.rowOf(i.itemId) === undefined);
      for (let i = 0; i < unknown.length; i += 256) await model.addColdItems(unknown.slice(i, i + 256));
      const histories = new Map<string, ShopperStep[]>();
      for (const e of events) {
        let steps = histories.get(e.userId);
        if (!steps) histories.set(e.userId, (steps = []));
        steps.push({ itemId: e.itemId, action: actionName(parseAction(e.action) ?? 1), ts: e.ts });
      }
      for (const steps of histories.values()) steps.sort((a, b) => a.ts - b.ts);
      const { weights, report } = await fitBundleModelFor(model, {
        orders,
        catalog: items.map((i) => ({ itemId: i.itemId, leafCategory: i.category?.split(' > ').pop() })),
        histories,
        version: `bundles-${version}`,
        fittedOn: { data: 'the shop export of this training run', orderGapSeconds },
        log: (m) => this.logger.log(m),
      });
      await fs.writeFile(path.join(modelDir, BUNDLE_MODEL_FILE_NAME), `${JSON.stringify(weights, null, 2)}\n`);
      const chosen = report.l2Search.find((s) => s.l2 === report.l2);
      return { status: 'fitted', version: weights.version, orders: orders.length, queries: report.queries, l2: report.l2, weights: report.weights, validationLoss: chosen?.validationLoss, validationEstimatedRecallAt10: chosen?.validationEstimatedRecallAt10, seconds: report.seconds };
    } catch (error) {
      this.logger.warn(`bundle refit failed, the candidate keeps the configured bundle weights: ${(error as Error).message}`);
      return { status: 'failed', reason: (error as Error).message };
    } finally {
      await model.release();
    }
  }

  private async evaluate(modelDir: string, split: ReturnType<typeof timeSplit>, items: Awaited<ReturnType<typeof readDatasetDir>>['items']): Promise<HoldoutReport> {
    const model = await this.options.loadModel(modelDir);
    try {
      return await evaluateOnHoldout(model, split, items);
    } finally {
      await model.release();
    }
  }
}

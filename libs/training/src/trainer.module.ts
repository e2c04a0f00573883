import * as path from 'path';
import { Controller, DynamicModule, Get, HttpCode, HttpException, HttpStatus, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown, Post } from '@nestjs/common';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';
import { METRICS_REGISTRY } from '@recmesh/observability';
import { ExperimentAdmin } from '@recmesh/experiments';
import { ClickstreamEventStore, ExperimentStore, ModelRegistry, TrainingRunRecord, TrainingRunStore, TrainingTrigger } from '@recmesh/persistence';
import { Config } from '@recmesh/service-config';
import { Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { Registry } from 'prom-client';
import { CanaryController, canaryPolicy } from './canary';
import { promotionPolicy } from './promotion-gate';
import { PythonTrainer } from './python-trainer';
import { RegistryMetrics } from './registry-metrics';
import { RetrainingJob, RetrainingOutcome, ShopExporter } from './retraining-job';
import { TrainerConfigSchema } from './trainer.config';

export type TrainerConfig = Config<typeof TrainerConfigSchema>;

const ROOT = path.resolve(__dirname, '../../..');

const CANARY = Symbol('CANARY');

/** How often the registry's metrics are read from the store (as often as scorers poll it by default). */
const REGISTRY_METRICS_MS = 30_000;

/** Runs the job on its schedule and on demand, one run at a time in this process (the store's lock covers the others). */
@Injectable()
export class TrainerScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrainerScheduler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<RetrainingOutcome>;

  private canaryTimer?: NodeJS.Timeout;
  private registryTimer?: NodeJS.Timeout;

  constructor(
    private readonly job: RetrainingJob,
    private readonly runs: TrainingRunStore,
    @Inject('TRAINER_INTERVAL_MS') private readonly intervalMs: number,
    @Inject(CANARY) private readonly canary: { controller: CanaryController; intervalMs: number } | null,
    private readonly registryMetrics: RegistryMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.trigger('schedule'), this.intervalMs).unref();
    void this.registryMetrics.refresh();
    this.registryTimer = setInterval(() => void this.registryMetrics.refresh(), REGISTRY_METRICS_MS).unref();
    const canary = this.canary;
    if (canary) {
      this.canaryTimer = setInterval(() => void canary.controller.check().catch((e) => this.logger.error(`canary check failed: ${(e as Error).message}`)), canary.intervalMs).unref();
    }
  }

  /** Starts a run in the background; false when one is already running here. */
  trigger(trigger: TrainingTrigger): boolean {
    if (this.running) return false;
    this.running = this.job.run(trigger).finally(() => {
      this.running = undefined;
      void this.registryMetrics.refresh();
    });
    this.running.then((o) => this.logger.log(`run ${o.runId}: ${o.status}: ${o.reason}`)).catch((e) => this.logger.error(`run failed to record: ${(e as Error).message}`));
    return true;
  }

  recent(): Promise<TrainingRunRecord[]> {
    return this.runs.recent();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.canaryTimer);
    clearInterval(this.registryTimer);
    // A run cut short here is marked abandoned by the next one (its heartbeat stops).
  }
}

/** Admin calls (no authentication yet: keep the trainer's port internal). */
@Controller('v1/admin')
export class TrainerAdminController {
  constructor(private readonly scheduler: TrainerScheduler) {}

  @Post('retrain')
  @HttpCode(202)
  retrain(): { accepted: true } {
    if (!this.scheduler.trigger('admin')) throw new HttpException('a retraining is already running', HttpStatus.CONFLICT);
    return { accepted: true };
  }

  @Get('training-runs')
  runs(): Promise<TrainingRunRecord[]> {
    return this.scheduler.recent();
  }
}

/** The retraining job over the process's store, with its schedule and admin calls. */
@Module({})
export class TrainerModule {
  static register(config: TrainerConfig, exporter: (infra: Infrastructure) => ShopExporter): DynamicModule {
    const policy = canaryPolicy(config);
    const buildCanary = (infra: Infrastructure, metrics: Registry) =>
      policy ? { controller: new CanaryController(new ModelRegistry(infra.dataSource), new ExperimentAdmin(new ExperimentStore(infra.dataSource)), policy, metrics), intervalMs: config.PROMOTION_CANARY_CHECK_SECONDS * 1000 } : null;
    const build = (infra: Infrastructure, metrics: Registry, canary: ReturnType<typeof buildCanary>) =>
      new RetrainingJob({
        registry: new ModelRegistry(infra.dataSource),
        canary: canary?.controller,
        runs: new TrainingRunStore(infra.dataSource),
        newEventsSince: (since) => new ClickstreamEventStore(infra.dataSource).countIngestedSince(since),
        exporter: exporter(infra),
        trainer: new PythonTrainer({ python: config.TRAINER_PYTHON, root: ROOT, trainArgs: config.TRAINER_ARGS.split(/\s+/).filter(Boolean), textEncoderDir: config.TRAINER_TEXT_ENCODER_DIR || undefined }),
        loadModel: (dir) => SequentialRecommenderModel.load(dir, { preferCuda: false }),
        policy: promotionPolicy(config),
        workDir: path.resolve(config.TRAINER_WORK_DIR),
        modelsDir: path.resolve(config.TRAINER_MODELS_DIR),
        minNewEvents: config.TRAINER_MIN_NEW_EVENTS,
        windowMs: config.TRAINER_WINDOW_DAYS * 86_400_000,
        trainShare: 1 - config.TRAINER_HOLDOUT_PERCENT / 100,
        budgetMs: config.TRAINER_BUDGET_MINUTES * 60_000,
        bundles: { minOrders: config.TRAINER_BUNDLE_MIN_ORDERS, orderGapSeconds: config.TRAINER_BUNDLE_ORDER_GAP_MINUTES * 60 },
        heartbeatMs: 15_000,
        metrics,
      });
    return {
      module: TrainerModule,
      controllers: [TrainerAdminController],
      providers: [
        { provide: CANARY, useFactory: buildCanary, inject: [INFRASTRUCTURE, METRICS_REGISTRY] },
        { provide: RetrainingJob, useFactory: build, inject: [INFRASTRUCTURE, METRICS_REGISTRY, CANARY] },
        { provide: TrainingRunStore, useFactory: (infra: Infrastructure) => new TrainingRunStore(infra.dataSource), inject: [INFRASTRUCTURE] },
        { provide: RegistryMetrics, useFactory: (infra: Infrastructure, metrics: Registry) => new RegistryMetrics(new ModelRegistry(infra.dataSource), metrics), inject: [INFRASTRUCTURE, METRICS_REGISTRY] },
        { provide: 'TRAINER_INTERVAL_MS', useValue: config.TRAINER_INTERVAL_MINUTES * 60_000 },
        TrainerScheduler,
      ],
    };
  }
}

import { create } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import { ArmSchema, ArmStrategy, ExperimentSchema } from '@recmesh/contracts';
import { nonInferiority } from '@recmesh/experiment-stats';
import { percentile } from '@recmesh/numerics';
import { ExperimentAdmin } from '@recmesh/experiments';
import { ModelRegistry } from '@recmesh/persistence';
import { Config, ConfigSchema } from '@recmesh/service-config';
import { Counter, Registry } from 'prom-client';
import type { CanaryStarter } from './promotion-gate';

export const CanaryConfigSchema = {
  PROMOTION_CANARY_PERCENT: { type: 'int', default: 0, min: 0, max: 50, description: 'share of users a candidate that passed the offline gate serves as an online canary before promotion; 0 = promote at once' },
  PROMOTION_CANARY_MARGIN_PERCENT: { type: 'int', default: 5, min: 1, max: 50, description: "the canary is promoted once shown not worse than the serving version's conversion by more than this (sequential non-inferiority), rolled back once shown worse by more" },
  PROMOTION_CANARY_MAX_FALLBACK_PERCENT: { type: 'int', default: 1, min: 0, max: 100, description: "guardrail: roll the canary back when more of its arm's lists than this had to be answered by the serving version (the candidate could not serve)" },
  PROMOTION_CANARY_MAX_P99_INCREASE_PERCENT: { type: 'int', default: 25, min: 0, max: 1000, description: "guardrail: roll the canary back when its arm's p99 answer time exceeds control's by more than this (and by 5 ms)" },
  PROMOTION_CANARY_MIN_LISTS: { type: 'int', default: 100, min: 1, description: 'lists each arm served before the guardrails judge' },
  PROMOTION_CANARY_CHECK_SECONDS: { type: 'int', default: 60, min: 1, max: 3600, description: 'how often running canaries are decided on' },
} as const satisfies ConfigSchema;

export interface CanaryPolicy {
  /** Share of users in the canary arm. */
  readonly share: number;
  /** Largest relative conversion loss accepted. */
  readonly margin: number;
  /** Guardrail: share of canary lists answered by the serving version beyond which the canary is rolled back. */
  readonly maxFallbackShare: number;
  /** Guardrail: relative p99 latency increase of the canary arm over control beyond which it is rolled back. */
  readonly maxP99Increase: number;
  readonly minGuardrailLists: number;
}

export function canaryPolicy(config: Config<typeof CanaryConfigSchema>): CanaryPolicy | undefined {
  if (config.PROMOTION_CANARY_PERCENT === 0) return undefined;
  return {
    share: config.PROMOTION_CANARY_PERCENT / 100,
    margin: config.PROMOTION_CANARY_MARGIN_PERCENT / 100,
    maxFallbackShare: config.PROMOTION_CANARY_MAX_FALLBACK_PERCENT / 100,
    maxP99Increase: config.PROMOTION_CANARY_MAX_P99_INCREASE_PERCENT / 100,
    minGuardrailLists: config.PROMOTION_CANARY_MIN_LISTS,
  };
}

/** Recent lists per arm the latency guardrail compares. */
const LATENCY_SAMPLE = 2000;
/** Below this p99 difference latency is noise, whatever the ratio. */
const LATENCY_FLOOR_MS = 5;

/** The metric a canary is decided on: purchases per user attributed to the arm's lists (conversion). */
export const CANARY_METRIC = 'purchases';
const CANARY_PREFIX = 'canary-';
const CANARY_ARM = 'canary';
const CONTROL_ARM = 'control';

/** An experiment name for a version: lowercase, within the 64 characters names may have. */
export function canaryExperimentName(version: string): string {
  return `${CANARY_PREFIX}${version.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 64);
}

export type CanaryVerdict = 'promoted' | 'rolled_back' | 'continue';

export interface CanaryDecision {
  readonly experiment: string;
  readonly modelVersion: string;
  readonly verdict: CanaryVerdict;
  readonly reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The online canary on top of the offline gate: the candidate serves its
 * share of users as an experiment arm; it is promoted once sequential
 * non-inferiority on conversion shows it is not worse than the serving version
 * by more than the margin, and rolled back once it is shown worse by more, or
 * when the guardrail sees the gateway answer its arm with the serving version
 * (the candidate cannot serve). Every decision goes to the registry's log with
 * its figures, and the experiment stops.
 */
export class CanaryController implements CanaryStarter {
  private readonly logger = new Logger('Canary');
  private readonly decisions: Counter<'verdict'>;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly experiments: ExperimentAdmin,
    private readonly policy: CanaryPolicy,
    metrics: Registry,
  ) {
    this.decisions = new Counter({ name: 'recmesh_trainer_canary_decisions_total', help: 'Online canary decisions (started, promoted, rolled_back).', labelNames: ['verdict'], registers: [metrics] });
  }

  async start(candidateVersion: string, offlineReason: string): Promise<string> {
    const name = canaryExperimentName(candidateVersion);
    await this.experiments.create(
      create(ExperimentSchema, {
        name,
        description: `online canary of ${candidateVersion}`,
        surfaces: ['recommend', 'similar_items'],
        controlArm: CONTROL_ARM,
        arms: [
          create(ArmSchema, { name: CONTROL_ARM, trafficShare: 1 - this.policy.share, strategy: ArmStrategy.SERVING_MODEL }),
          create(ArmSchema, { name: CANARY_ARM, trafficShare: this.policy.share, strategy: ArmStrategy.MODEL_VERSION, modelVersion: candidateVersion }),
        ],
      }),
    );
    const reason = `offline gate passed (${offlineReason}); online canary on ${pct(this.policy.share)} of users (experiment ${name})`;
    await this.registry.canary(candidateVersion, reason);
    this.decisions.inc({ verdict: 'started' });
    this.logger.log(`${candidateVersion}: ${reason}`);
    return reason;
  }

  /** Decides every running canary once. */
  async check(): Promise<CanaryDecision[]> {
    const out: CanaryDecision[] = [];
    for (const experiment of await this.experiments.listRunning()) {
      const arm = experiment.arms.find((a) => a.name === CANARY_ARM && a.strategy === ArmStrategy.MODEL_VERSION);
      if (!experiment.name.startsWith(CANARY_PREFIX) || !arm) continue;
      const decision = await this.decide(experiment.name, arm.modelVersion);
      if (decision.verdict !== 'continue') await this.apply(decision);
      out.push(decision);
    }
    return out;
  }

  private async decide(name: string, version: string): Promise<CanaryDecision> {
    const decision = (verdict: CanaryVerdict, reason: string): CanaryDecision => ({ experiment: name, modelVersion: version, verdict, reason });
    const served = (await this.experiments.servedByArm(name)).filter((s) => s.arm === CANARY_ARM);
    const lists = served.reduce((n, s) => n + s.lists, 0);
    const fallbacks = served.filter((s) => s.modelVersion !== version).reduce((n, s) => n + s.lists, 0);
    if (lists >= this.policy.minGuardrailLists && fallbacks / lists > this.policy.maxFallbackShare) {
      return decision('rolled_back', `guardrail: ${fallbacks} of ${lists} canary lists (${pct(fallbacks / lists)}, limit ${pct(this.policy.maxFallbackShare)}) were answered by the serving version because ${version} could not serve`);
    }
    const [canaryLatency, controlLatency] = await Promise.all([CANARY_ARM, CONTROL_ARM].map((arm) => this.experiments.recentLatencies(name, arm, LATENCY_SAMPLE)));
    if (Math.min(canaryLatency.length, controlLatency.length) >= this.policy.minGuardrailLists) {
      const p99 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 99);
      const [canaryP99, controlP99] = [p99(canaryLatency), p99(controlLatency)];
      if (canaryP99 > controlP99 * (1 + this.policy.maxP99Increase) && canaryP99 - controlP99 > LATENCY_FLOOR_MS) {
        return decision('rolled_back', `guardrail: the canary arm answers in ${canaryP99} ms at p99 against control's ${controlP99} ms (limit +${pct(this.policy.maxP99Increase)}) over their last ${canaryLatency.length}/${controlLatency.length} lists`);
      }
    }
    const sums = await this.experiments.sums(name);
    const baseline = sums?.arms.find((a) => a.name === CONTROL_ARM);
    const canary = sums?.arms.find((a) => a.name === CANARY_ARM);
    if (!baseline || !canary) return decision('continue', 'the experiment has no control and canary arms yet');
    const strip = ({ impressions: _impressions, ...arm }: typeof canary) => arm;
    const result = nonInferiority({ baseline: strip(baseline), canary: strip(canary), metric: CANARY_METRIC, margin: this.policy.margin });
    const figures = `${canary.units} canary and ${baseline.units} control users; ${result.reason}`;
    if (result.decision === 'non_inferior') return decision('promoted', `canary not worse on conversion than the serving version by more than ${pct(this.policy.margin)}: ${figures}`);
    if (result.decision === 'inferior') return decision('rolled_back', `canary worse on conversion by more than ${pct(this.policy.margin)}: ${figures}`);
    if (result.decision === 'invalid_srm') return decision('rolled_back', `the canary's traffic split is broken, so it cannot be judged: ${figures}`);
    return decision('continue', figures);
  }

  private async apply(d: CanaryDecision): Promise<void> {
    await this.experiments.stop(d.experiment, d.verdict === 'promoted' ? 'canary promoted' : 'canary rolled back');
    if (d.verdict === 'promoted') await this.registry.promote(d.modelVersion, `canary: ${d.reason}`);
    else await this.registry.reject(d.modelVersion, `canary: ${d.reason}`);
    this.decisions.inc({ verdict: d.verdict });
    this.logger.log(`${d.modelVersion} ${d.verdict === 'promoted' ? 'promoted' : 'rolled back'}: ${d.reason}`);
  }
}

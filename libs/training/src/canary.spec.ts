import { ExperimentState } from '@recmesh/contracts';
import { ExperimentAdmin } from '@recmesh/experiments';
import { mulberry32 } from '@recmesh/numerics';
import { ExperimentStore, FeedbackStore, ModelRegistry, openStore, ServedListRecord, UnitOutcome } from '@recmesh/persistence';
import { assignArm, planOf } from '@recmesh/serving-core';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { CanaryController, canaryExperimentName, CanaryPolicy } from './canary';

const POLICY: CanaryPolicy = { share: 0.5, margin: 0.1, maxFallbackShare: 0.01, maxP99Increase: 0.25, minGuardrailLists: 100 };
const CANDIDATE = 'shop-20261201T1000-cand';

describe('CanaryController (simulated shoppers, embedded store)', () => {
  let ds: DataSource;
  let registry: ModelRegistry;
  let admin: ExperimentAdmin;
  let canary: CanaryController;
  let shoppers = 0;
  beforeEach(async () => {
    ds = await openStore({ kind: 'embedded' });
    registry = new ModelRegistry(ds);
    admin = new ExperimentAdmin(new ExperimentStore(ds));
    canary = new CanaryController(registry, admin, POLICY, new Registry());
    await registry.register('serving-v1', '/models/serving-v1');
    await registry.registerCandidate(CANDIDATE, `/models/${CANDIDATE}`);
    shoppers = 0;
  });
  afterEach(() => ds.destroy());

  /** Shoppers served as the gateway would (assigned by hash; the canary arm answered by `servedBy` unless it fell back) who buy at their arm's rate. */
  async function shop(count: number, conversion: { control: number; canary: number }, canaryServedBy = CANDIDATE, latencyMs = { control: 20, canary: 20 }): Promise<void> {
    const [experiment] = await admin.listRunning();
    const plan = planOf(experiment);
    const random = mulberry32(shoppers + 1);
    const outcomes: UnitOutcome[] = [];
    const lists: ServedListRecord[] = [];
    for (let i = 0; i < count; i++, shoppers++) {
      const unitId = `shopper-${shoppers}`;
      const arm = assignArm(plan, unitId).name as 'control' | 'canary';
      const bought = random() < conversion[arm] ? 1 : 0;
      outcomes.push({ experiment: experiment.name, unitId, arm, tsMs: 1000, impressions: 1, purchases: bought, revenue: 20 * bought });
      // Answer times spread around the arm's typical latency.
      const latency = Math.round(latencyMs[arm] * (0.5 + random()));
      lists.push({ recId: `rec-${shoppers}`, userId: unitId, surface: 'recommend', modelVersion: arm === 'canary' ? canaryServedBy : 'serving-v1', arm, experiment: experiment.name, tsMs: 1000 + shoppers, latencyMs: latency, items: [{ itemId: 'i', position: 1 }] });
    }
    await ds.transaction(async (m) => {
      await new ExperimentStore(ds).addOutcomes(m, outcomes);
      await new FeedbackStore(ds).insertServedLists(m, lists, 1000);
    });
  }

  /** Feeds shoppers until the canary is decided (or the budget runs out). */
  async function runUntilDecided(conversion: { control: number; canary: number }, canaryServedBy = CANDIDATE, latencyMs = { control: 20, canary: 20 }) {
    for (let step = 0; step < 40; step++) {
      await shop(1000, conversion, canaryServedBy, latencyMs);
      const [decision] = await canary.check();
      if (decision.verdict !== 'continue') return { ...decision, shoppers };
    }
    throw new Error(`undecided after ${shoppers} shoppers`);
  }

  it('starts the canary as an experiment arm on its share of users and logs why', async () => {
    const reason = await canary.start(CANDIDATE, 'NDCG@10 0.09 vs 0.08');
    const [experiment] = await admin.listRunning();
    expect(experiment).toMatchObject({ name: canaryExperimentName(CANDIDATE), state: ExperimentState.RUNNING, controlArm: 'control', surfaces: ['recommend', 'similar_items'] });
    expect(experiment.arms.map((a) => [a.name, a.trafficShare, a.modelVersion])).toEqual([['control', 0.5, ''], ['canary', 0.5, CANDIDATE]]);
    expect((await registry.decisions(CANDIDATE)).map((d) => [d.decision, d.reason])).toContainEqual(['canary_started', reason]);
    expect((await registry.current())?.modelVersion).toBe('serving-v1');
  });

  it('promotes a canary that converts like the serving version, with its figures', async () => {
    await canary.start(CANDIDATE, 'offline gain');
    const decision = await runUntilDecided({ control: 0.3, canary: 0.3 });
    console.info(`canary equal: ${decision.verdict} after ${decision.shoppers} shoppers: ${decision.reason}`);
    expect(decision.verdict).toBe('promoted');
    expect((await registry.current())?.modelVersion).toBe(CANDIDATE);
    expect((await registry.decisions(CANDIDATE))[0]).toMatchObject({ decision: 'promoted', reason: expect.stringContaining('canary not worse on conversion') });
    expect(await admin.listRunning()).toEqual([]);
  });

  it('rolls back a canary that converts clearly worse', async () => {
    await canary.start(CANDIDATE, 'offline gain');
    const decision = await runUntilDecided({ control: 0.3, canary: 0.2 });
    console.info(`canary worse: ${decision.verdict} after ${decision.shoppers} shoppers: ${decision.reason}`);
    expect(decision.verdict).toBe('rolled_back');
    expect((await registry.current())?.modelVersion).toBe('serving-v1');
    expect((await registry.get(CANDIDATE))?.status).toBe('retired');
  });

  it('rolls back a broken canary at once: the gateway had to answer its arm with the serving version', async () => {
    await canary.start(CANDIDATE, 'offline gain');
    const decision = await runUntilDecided({ control: 0.3, canary: 0.3 }, 'serving-v1');
    expect(decision).toMatchObject({ verdict: 'rolled_back', reason: expect.stringContaining('could not serve') });
    expect(decision.shoppers).toBe(1000);
    expect((await registry.decisions(CANDIDATE))[0]).toMatchObject({ decision: 'rejected', reason: expect.stringMatching(/^canary: guardrail: \d+ of \d+ canary lists/) });
    expect(await admin.listRunning()).toEqual([]);
  });

  it('rolls back a canary that answers much slower than control, converting the same', async () => {
    await canary.start(CANDIDATE, 'offline gain');
    const decision = await runUntilDecided({ control: 0.3, canary: 0.3 }, CANDIDATE, { control: 20, canary: 60 });
    expect(decision).toMatchObject({ verdict: 'rolled_back', reason: expect.stringMatching(/^guardrail: the canary arm answers in \d+ ms at p99 against control's \d+ ms/) });
    expect(decision.shoppers).toBe(1000);
    expect((await registry.current())?.modelVersion).toBe('serving-v1');
  });
});

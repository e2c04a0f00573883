import { create } from '@bufbuild/protobuf';
import { ArmSchema, ArmStrategy, Experiment, ExperimentSchema } from '@recmesh/contracts';
import { ExperimentAssigner, ServedBy } from '@recmesh/serving-core';
import { Registry } from 'prom-client';
import { ExperimentRefresher } from './experiment-refresher';

const canary = (name: string, version: string): Experiment =>
  create(ExperimentSchema, {
    name,
    surfaces: ['recommend'],
    controlArm: 'control',
    arms: [
      create(ArmSchema, { name: 'control', trafficShare: 0.5, strategy: ArmStrategy.SERVING_MODEL }),
      create(ArmSchema, { name: 'canary', trafficShare: 0.5, strategy: ArmStrategy.MODEL_VERSION, modelVersion: version }),
    ],
  });

describe('ExperimentRefresher', () => {
  let running: Experiment[];
  let warmed: string[];
  let liveWhenWarmed: number[];
  let assigner: ExperimentAssigner;
  let fail: Set<string>;

  const refresher = () =>
    new ExperimentRefresher({ listRunning: async () => running }, assigner, new Registry(), async (servedBy: ServedBy) => {
      const version = 'modelVersion' in servedBy ? servedBy.modelVersion : 'popularity';
      warmed.push(version);
      liveWhenWarmed.push(assigner.size);
      if (fail.has(version)) throw new Error('cannot load');
    });

  beforeEach(() => {
    running = [];
    warmed = [];
    liveWhenWarmed = [];
    assigner = new ExperimentAssigner();
    fail = new Set();
  });

  it('warms up a version an arm serves once, before its users are assigned to it', async () => {
    const r = refresher();
    running = [canary('canary-v2', 'v2')];
    await r.refresh();
    expect(warmed).toEqual(['v2']);
    expect(liveWhenWarmed).toEqual([0]);
    expect(assigner.size).toBe(1);
    await r.refresh();
    expect(warmed).toEqual(['v2']);
  });

  it('puts the arm live even when its warm-up fails (the gateway falls back, the canary guardrail decides)', async () => {
    fail.add('broken');
    const r = refresher();
    running = [canary('canary-broken', 'broken')];
    await r.refresh();
    expect(warmed).toEqual(['broken']);
    expect(assigner.size).toBe(1);
  });

  it('warms a version again when a later experiment serves it after the first stopped', async () => {
    const r = refresher();
    running = [canary('canary-v2', 'v2')];
    await r.refresh();
    running = [];
    await r.refresh();
    expect(assigner.size).toBe(0);
    running = [canary('canary-v2-again', 'v2')];
    await r.refresh();
    expect(warmed).toEqual(['v2', 'v2']);
  });

  it('warms nothing for arms that serve the serving model or a strategy', async () => {
    const r = refresher();
    running = [
      create(ExperimentSchema, {
        name: 'baseline',
        surfaces: ['recommend'],
        controlArm: 'control',
        arms: [
          create(ArmSchema, { name: 'control', trafficShare: 0.5, strategy: ArmStrategy.SERVING_MODEL }),
          create(ArmSchema, { name: 'popular', trafficShare: 0.5, strategy: ArmStrategy.POPULARITY }),
        ],
      }),
    ];
    await r.refresh();
    expect(warmed).toEqual([]);
    expect(assigner.size).toBe(1);
  });
});

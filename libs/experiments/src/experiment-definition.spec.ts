import { create, MessageInitShape } from '@bufbuild/protobuf';
import { ArmSchema, ArmStrategy, ExperimentSchema, ExperimentState } from '@recmesh/contracts';
import { planOf } from '@recmesh/serving-core';
import { InvalidExperimentError, validateExperiment } from './experiment-definition';

const arm = (name: string, trafficShare: number, strategy = ArmStrategy.SERVING_MODEL, modelVersion = '') => create(ArmSchema, { name, trafficShare, strategy, modelVersion });
const experiment = (fields: Omit<MessageInitShape<typeof ExperimentSchema>, '$typeName'> = {}) =>
  create(ExperimentSchema, { name: 'new-ranker', surfaces: ['recommend'], arms: [arm('control', 0.5), arm('candidate', 0.5, ArmStrategy.MODEL_VERSION, 'shop-2')], controlArm: 'control', ...fields });

describe('validateExperiment', () => {
  it('normalizes a valid definition: running from now, salted with its name', () => {
    const got = validateExperiment(experiment(), 1_000);
    expect(got).toMatchObject({ name: 'new-ranker', salt: 'new-ranker', state: ExperimentState.RUNNING, startedAtMs: 1000n });
    expect(planOf(got)).toEqual({
      name: 'new-ranker', salt: 'new-ranker', surfaces: ['recommend'], controlArm: 'control',
      arms: [{ name: 'control', share: 0.5, strategy: ArmStrategy.SERVING_MODEL, modelVersion: '' }, { name: 'candidate', share: 0.5, strategy: ArmStrategy.MODEL_VERSION, modelVersion: 'shop-2' }],
    });
  });

  it('accepts shares an operator types (0.1 + 0.2 + 0.7)', () => {
    expect(() => validateExperiment(experiment({ arms: [arm('a', 0.1), arm('b', 0.2), arm('c', 0.7)], controlArm: 'a' }), 0)).not.toThrow();
  });

  it('reports every problem at once', () => {
    const bad = experiment({
      name: 'Bad Name!',
      surfaces: ['home-page', 'recommend', 'recommend'],
      arms: [arm('control', 0.7), arm('control', 0.7, ArmStrategy.MODEL_VERSION), arm('x', 0, ArmStrategy.UNSPECIFIED, 'v1')],
      controlArm: 'nobody',
    });
    const error = (() => {
      try {
        validateExperiment(bad, 0);
      } catch (e) {
        return e as InvalidExperimentError;
      }
      throw new Error('accepted an invalid experiment');
    })();
    expect(error).toBeInstanceOf(InvalidExperimentError);
    expect(error.problems).toEqual([
      `name must be 1..64 of a-z, 0-9, '-', '_' (got "Bad Name!")`,
      'unknown surface "home-page" (recommend, similar_items or bundle)',
      'surfaces are listed twice',
      'arm 2 (control): name used twice',
      'arm 2 (control): strategy MODEL_VERSION needs model_version',
      'arm 3 (x): traffic_share must be in (0, 1] (got 0)',
      'arm 3 (x): strategy must be SERVING_MODEL, MODEL_VERSION or POPULARITY',
      'arm 3 (x): model_version is only for strategy MODEL_VERSION',
      'control_arm "nobody" is not one of the arms',
    ]);
  });

  it('refuses shares that do not sum to 1 and a single arm', () => {
    expect(() => validateExperiment(experiment({ arms: [arm('a', 0.5), arm('b', 0.4)], controlArm: 'a' }), 0)).toThrow('traffic shares sum to 0.9, not 1');
    expect(() => validateExperiment(experiment({ arms: [arm('a', 1)], controlArm: 'a' }), 0)).toThrow('an experiment has 2..10 arms (got 1)');
  });
});

describe('validateExperiment on the bundle surface', () => {
  it('takes only arms that serve the registry\'s version there', () => {
    expect(() => validateExperiment(experiment({ surfaces: ['bundle'] }), 0)).toThrow('surface bundle only takes SERVING_MODEL arms');
    expect(() => validateExperiment(experiment({ surfaces: ['bundle'], arms: [arm('control', 0.5), arm('same', 0.5)] }), 0)).not.toThrow();
  });
});

import * as path from 'path';
import * as fc from 'fast-check';
import { ModelFuzzTarget, modelInputs } from './testing/model-fuzz';
import { tempDirs } from './testing/temp-dirs';

// Broken model exports under fuzzing (issue 13): mutated and arbitrary manifest.json, truncated,
// damaged and garbage .onnx and vocabulary files (their sha256 made to agree, so onnxruntime reads
// them) through the real loader. Each load resolves or rejects with a ModelLoadError naming a file of
// the folder and the problem, within its budget; nothing else is thrown, nothing crashes the process.
// `npm run bench:fuzz` runs 100,000+.
const RUNS = 600;
const BUDGET_MS = 5000;

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

it(`loads or refuses ${RUNS} generated broken exports with a ModelLoadError, in time`, async () => {
  const target = await ModelFuzzTarget.create(path.join(await dirs.make(), 'model'), { budgetMs: BUDGET_MS });
  const outcomes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(modelInputs, async (input) => {
      const outcome = await target.check(input);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: 1305 },
  );
  expect(outcomes.get('loaded') ?? 0).toBeGreaterThan(0);
  expect(outcomes.get('rejected:not a loadable ONNX model') ?? 0).toBeGreaterThan(0);
  expect(outcomes.size).toBeGreaterThan(15);
}, 180_000);

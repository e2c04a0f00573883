// Loads the demo model the way the scorer does (CUDA preferred) and prints the execution provider
// onnxruntime ended up on and why. Run by tools/cuda/install-cuda-provider.sh after an install, or:
//   sh tools/cuda/with-cuda-env.sh node tools/run-ts.js tools/cuda/check-cuda-provider.ts [--expect cuda|cpu] [--assume-gpu]
// --assume-gpu skips recmesh's own "is there a GPU" check, so onnxruntime itself is asked for CUDA:
// on a machine without a GPU this proves it falls back to CPU instead of crashing.
// Exits 1 when --expect names another provider than the one in use.
import * as path from 'path';
import { SequentialRecommenderModel } from '@recmesh/model-runtime';

const ROOT = path.resolve(__dirname, '../..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const expect = arg('expect');
  if (expect !== undefined && expect !== 'cuda' && expect !== 'cpu') throw new Error(`--expect must be cuda or cpu, not ${expect}`);
  const assumeGpu = process.argv.includes('--assume-gpu');
  const log = (level: string) => (message: string) => console.log(`[cuda:check] model-runtime ${level}: ${message}`);
  const model = await SequentialRecommenderModel.load(path.join(ROOT, 'tools/model/demo-model'), {
    preferCuda: true,
    cudaProbe: { assumeGpu },
    logger: { info: log('info'), warn: log('warn') },
  });
  try {
    // A real inference on the chosen provider, not only a session that opened.
    const vectors = await model.encodeUsers([[{ itemId: model.itemIds[0], action: 'view' }]]);
    console.log(`[cuda:check] execution provider: ${model.executionProvider} (${model.executionProviderReason}); encoded a user into ${vectors.length} floats`);
    console.log(`[cuda:check] LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? ''}`);
  } finally {
    await model.release();
  }
  if (expect !== undefined && model.executionProvider !== expect) {
    console.error(`[cuda:check] FAILED: expected the ${expect} execution provider, got ${model.executionProvider}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[cuda:check] FAILED:', error);
    process.exit(1);
  },
);

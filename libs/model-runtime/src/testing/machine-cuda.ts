import { existsSync, readdirSync } from 'fs';
import * as path from 'path';

/**
 * What this machine can do with CUDA, read independently of cuda-availability.ts so that tests
 * assert the machine's facts rather than the code's own verdict: a GPU device node, the provider
 * library next to onnxruntime-node's binding, and the NVIDIA libraries on LD_LIBRARY_PATH
 * (RECMESH_CUDA_LIB_DIR is set by the env file of npm run cuda:install).
 */
export function machineCuda(): { gpu: boolean; providerInstalled: boolean; nvidiaLibsOnPath: boolean; canRunCuda: boolean } {
  const gpu = process.platform === 'linux' && existsSync('/dev') && readdirSync('/dev').some((n) => /^nvidia\d+$/.test(n));
  const binDir = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  const providerInstalled = existsSync(path.join(binDir, 'libonnxruntime_providers_cuda.so'));
  const libDir = process.env.RECMESH_CUDA_LIB_DIR;
  const nvidiaLibsOnPath = !!libDir && (process.env.LD_LIBRARY_PATH ?? '').split(':').includes(libDir);
  return { gpu, providerInstalled, nvidiaLibsOnPath, canRunCuda: gpu && providerInstalled && nvidiaLibsOnPath };
}

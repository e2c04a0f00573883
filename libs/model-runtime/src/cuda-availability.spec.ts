import { promises as fs } from 'fs';
import * as path from 'path';
import { cudaUnavailableReason, driverLibraryFound, explainCudaLoadError, nvidiaGpuPresent } from './cuda-availability';
import { tempDirs } from './testing/temp-dirs';

// The probes read folders: each case lays out a fake /dev and a fake onnxruntime-node binary folder.
const dirs = tempDirs();
afterAll(() => dirs.cleanup());

async function folderWith(...files: string[]): Promise<string> {
  const dir = await dirs.make('cuda-probe-');
  await Promise.all(files.map((f) => fs.writeFile(path.join(dir, f), '')));
  return dir;
}

const LOAD_FAILURE = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';

describe('nvidiaGpuPresent', () => {
  it('needs a numbered nvidia device node: the control nodes alone are no GPU', async () => {
    expect(nvidiaGpuPresent(await folderWith('nvidia1', 'nvidiactl'))).toBe(true);
    expect(nvidiaGpuPresent(await folderWith('nvidiactl', 'nvidia-uvm', 'nvidia-caps'))).toBe(false);
    expect(nvidiaGpuPresent(path.join(await folderWith(), 'missing'))).toBe(false);
  });
});

describe('cudaUnavailableReason', () => {
  it('names the missing provider library and the command that installs it', async () => {
    const reason = cudaUnavailableReason({ providerDir: await folderWith('libonnxruntime.so.1'), devDir: await folderWith('nvidia0') });
    expect(reason).toBe(
      'CUDA provider library not installed: libonnxruntime_providers_cuda.so is missing from onnxruntime-node (npm run cuda:install provides it on a GPU host)',
    );
  });

  it('reports a missing GPU when the provider library is installed', async () => {
    const devDir = await folderWith('nvidiactl');
    expect(cudaUnavailableReason({ providerDir: await folderWith('libonnxruntime_providers_cuda.so'), devDir })).toBe(
      `no NVIDIA GPU found (no nvidia<N> device in ${devDir})`,
    );
  });

  it('lets onnxruntime decide with both, with --assume-gpu, or with an unknown package layout and a GPU', async () => {
    const installed = await folderWith('libonnxruntime_providers_cuda.so');
    expect(cudaUnavailableReason({ providerDir: installed, devDir: await folderWith('nvidia0') })).toBeNull();
    expect(cudaUnavailableReason({ providerDir: installed, devDir: await folderWith(), assumeGpu: true })).toBeNull();
    expect(cudaUnavailableReason({ providerDir: null, devDir: await folderWith('nvidia3') })).toBeNull();
  });
});

describe('explainCudaLoadError', () => {
  it('leaves other onnxruntime errors as they are', () => {
    expect(explainCudaLoadError('CUDA failure 100: no CUDA-capable device is detected', {}, [])).toBe('CUDA failure 100: no CUDA-capable device is detected');
  });

  it('points at the launcher when the NVIDIA libraries were not on LD_LIBRARY_PATH at start', () => {
    expect(explainCudaLoadError(LOAD_FAILURE, { LD_LIBRARY_PATH: '/opt/x' }, [])).toBe(
      `${LOAD_FAILURE}: the NVIDIA libraries of npm run cuda:install are not on LD_LIBRARY_PATH; start the process through tools/cuda/with-cuda-env.sh`,
    );
  });

  it('blames the driver library when the launcher was used but libcuda.so.1 is nowhere', async () => {
    const libs = await folderWith('libcudart.so.13');
    const env = { RECMESH_CUDA_LIB_DIR: libs, LD_LIBRARY_PATH: libs };
    expect(driverLibraryFound(env, [])).toBe(false);
    expect(explainCudaLoadError(LOAD_FAILURE, env, [])).toBe(`${LOAD_FAILURE}: libcuda.so.1 (installed with the NVIDIA driver) not found`);
    const driver = await folderWith('libcuda.so.1');
    expect(driverLibraryFound(env, [driver])).toBe(true);
    expect(explainCudaLoadError(LOAD_FAILURE, env, [driver])).toBe(`${LOAD_FAILURE}: onnxruntime's own log line names the library it could not load`);
    expect(driverLibraryFound({ LD_LIBRARY_PATH: `${libs}:${driver}` }, [])).toBe(true);
  });
});

import { existsSync, readdirSync } from 'fs';
import * as path from 'path';

/** Where to look; the defaults are this host's /dev and onnxruntime-node's binary folder. */
export interface CudaProbe {
  /** Folder holding the NVIDIA device nodes (nvidia0, nvidia1, ...). */
  devDir?: string;
  /** Folder holding onnxruntime-node's libonnxruntime (provider libraries are loaded from there). */
  providerDir?: string | null;
  /** Skip the device check (tools/cuda/check-cuda-provider.ts --assume-gpu): onnxruntime itself decides. */
  assumeGpu?: boolean;
}

const PROVIDER_LIB = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

/** onnxruntime-node's binary folder for this platform, or null when its layout is unknown. */
export function onnxruntimeBinDir(): string | null {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** True when the host exposes an NVIDIA device node (what the driver and container runtimes create). */
export function nvidiaGpuPresent(devDir = '/dev'): boolean {
  try {
    return readdirSync(devDir).some((name) => /^nvidia\d+$/.test(name));
  } catch {
    return false;
  }
}

/**
 * Why CUDA cannot be used on this host, or null when onnxruntime should be asked. Checking first
 * keeps onnxruntime from printing native errors to stderr and gives the log line a precise cause.
 */
export function cudaUnavailableReason(probe: CudaProbe = {}): string | null {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `no CUDA build of onnxruntime for ${process.platform}`;
  const providerDir = probe.providerDir === undefined ? onnxruntimeBinDir() : probe.providerDir;
  if (providerDir !== null && !existsSync(path.join(providerDir, PROVIDER_LIB))) {
    return `CUDA provider library not installed: ${PROVIDER_LIB} is missing from onnxruntime-node (npm run cuda:install provides it on a GPU host)`;
  }
  // Windows has no /dev: onnxruntime reports a missing GPU itself.
  if (process.platform === 'linux' && !probe.assumeGpu && !nvidiaGpuPresent(probe.devDir)) {
    return `no NVIDIA GPU found (no nvidia<N> device in ${probe.devDir ?? '/dev'})`;
  }
  return null;
}

/** Where the NVIDIA driver's libcuda.so.1 usually lies (distributions, container toolkits, WSL). */
const DRIVER_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/lib/wsl/lib'];

/** True when libcuda.so.1 (installed with the NVIDIA driver, not by cuda:install) can be found. */
export function driverLibraryFound(env: NodeJS.ProcessEnv = process.env, driverDirs: readonly string[] = DRIVER_LIB_DIRS): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...driverDirs];
  return dirs.some((dir) => existsSync(path.join(dir, 'libcuda.so.1')));
}

/**
 * onnxruntime's error for a provider library it could not load names no library (its native log
 * line does): add the likely cause and its fix.
 */
export function explainCudaLoadError(message: string, env: NodeJS.ProcessEnv = process.env, driverDirs: readonly string[] = DRIVER_LIB_DIRS): string {
  if (!/Failed to load (shared )?library|cannot open shared object file/i.test(message)) return message;
  if (!env.RECMESH_CUDA_LIB_DIR) {
    return `${message}: the NVIDIA libraries of npm run cuda:install are not on LD_LIBRARY_PATH; start the process through tools/cuda/with-cuda-env.sh`;
  }
  if (!driverLibraryFound(env, driverDirs)) return `${message}: libcuda.so.1 (installed with the NVIDIA driver) not found`;
  return `${message}: onnxruntime's own log line names the library it could not load`;
}

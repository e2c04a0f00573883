// install-cuda-provider.sh run for real against fake wheels (RECMESH_CUDA_FIND_LINKS: pip works
// offline on a local folder) and a fake nvidia-smi, with the provider going to a temporary folder
// instead of onnxruntime-node's. The real download (1.5 GB) is checked by hand on a GPU host:
// README.md, "GPU (CUDA)".
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, 'install-cuda-provider.sh');
const ORT_VERSION = (require('onnxruntime-node/package.json') as { version: string }).version;
const PLATFORM = 'manylinux_2_28_x86_64';

interface FakeWheel {
  name: string;
  version: string;
  tag: string;
  requires?: string[];
  members: Record<string, string>;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cuda-install-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes each wheel (a zip with a dist-info METADATA that pip resolves from) with python's zipfile. */
function writeWheels(dir: string, wheels: FakeWheel[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const py = `
import json, sys, zipfile
out, wheels = sys.argv[1], json.loads(sys.argv[2])
for w in wheels:
    dist = w['name'].replace('-', '_')
    info = f"{dist}-{w['version']}.dist-info"
    meta = f"Metadata-Version: 2.1\\nName: {w['name']}\\nVersion: {w['version']}\\n"
    meta += ''.join(f'Requires-Dist: {r}\\n' for r in w.get('requires', []))
    with zipfile.ZipFile(f"{out}/{dist}-{w['version']}-{w['tag']}.whl", 'w') as z:
        z.writestr(info + '/METADATA', meta)
        z.writestr(info + '/WHEEL', f"Wheel-Version: 1.0\\nGenerator: fake\\nRoot-Is-Purelib: false\\nTag: {w['tag']}\\n")
        z.writestr(info + '/RECORD', '')
        for member, content in w['members'].items():
            z.writestr(member, content)
`;
  const r = spawnSync('python3', ['-c', py, dir, JSON.stringify(wheels)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not write fake wheels: ${r.stderr}`);
}

/** A fake nvidia-smi: a GPU whose driver supports CUDA 12.4, or (gpu false) one that fails like on a host without driver. */
function fakeNvidiaSmi(dir: string, gpu: boolean): string {
  fs.mkdirSync(dir, { recursive: true });
  const body = gpu
    ? 'case "$1" in -L) echo "GPU 0: Fake H200 (UUID: GPU-0)" ;; *) echo "| NVIDIA-SMI 550.54  Driver Version: 550.54  CUDA Version: 12.4 |" ;; esac'
    : 'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver." >&2; exit 9';
  fs.writeFileSync(path.join(dir, 'nvidia-smi'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

function install(args: string[], env: Record<string, string>) {
  return spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RECMESH_CUDA_PYTHON: 'python3', RECMESH_CUDA_DEV_DIR: path.join(tmp, 'no-dev'), ...env, PATH: `${env.PATH_FIRST}:${process.env.PATH}` },
  });
}

const ls = (dir: string) => fs.readdirSync(dir).sort();

describe('install-cuda-provider.sh', () => {
  it('without a GPU only says so: nothing is downloaded or written', () => {
    const cache = path.join(tmp, 'cache-none');
    const r = install([], { RECMESH_CACHE: cache, PATH_FIRST: fakeNvidiaSmi(path.join(tmp, 'bin-none'), false) });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[cuda:install] no NVIDIA GPU found (nvidia-smi -L failed, no /dev/nvidia0): nothing to install');
    expect(fs.existsSync(cache)).toBe(false);
  });

  it('refuses an unknown option', () => {
    const r = install(['--gpu'], { PATH_FIRST: fakeNvidiaSmi(path.join(tmp, 'bin-none'), false) });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("unknown option '--gpu'");
  });

  describe('with a GPU, from wheels', () => {
    const links = path.join(tmp, 'links');
    const cache = path.join(tmp, 'cache');
    const ortBin = path.join(tmp, 'ort-bin');
    const libDir = path.join(cache, 'cuda', `onnxruntime-gpu-${ORT_VERSION}`, 'lib');
    const env = () => ({ RECMESH_CACHE: cache, RECMESH_CUDA_FIND_LINKS: links, RECMESH_CUDA_ORT_BIN_DIR: ortBin, PATH_FIRST: fakeNvidiaSmi(path.join(tmp, 'bin-gpu'), true) });

    beforeAll(() => {
      fs.mkdirSync(ortBin);
      fs.writeFileSync(path.join(ortBin, 'libonnxruntime.so.1'), 'core');
      writeWheels(links, [
        {
          name: 'onnxruntime-gpu', version: ORT_VERSION, tag: `cp311-cp311-${PLATFORM}`,
          requires: ['numpy>=1.21.6', 'nvidia-cuda-runtime~=13.0; extra == "cuda"', 'nvidia-cudnn-cu13~=9.0; extra == "cudnn"', 'sympy; extra == "symbolic"'],
          members: {
            'onnxruntime/capi/libonnxruntime_providers_cuda.so': 'cuda provider',
            'onnxruntime/capi/libonnxruntime_providers_shared.so': 'shared',
            'onnxruntime/capi/libonnxruntime_providers_tensorrt.so': 'tensorrt',
          },
        },
        { name: 'nvidia-cuda-runtime', version: '13.0.1', tag: `py3-none-${PLATFORM}`, members: { 'nvidia/cu13/lib/libcudart.so.13': 'cudart 13.0.1', 'nvidia/cu13/include/cuda.h': 'h' } },
        // an older version lying in the same folder: pip picks 13.0.1, and only what pip picked is extracted
        { name: 'nvidia-cuda-runtime', version: '13.0.0', tag: `py3-none-${PLATFORM}`, members: { 'nvidia/cu13/lib/libcudart-old.so.13': 'old' } },
        { name: 'nvidia-cudnn-cu13', version: '9.1.0', tag: `py3-none-${PLATFORM}`, requires: ['nvidia-cublas'], members: { 'nvidia/cudnn/lib/libcudnn.so.9': 'cudnn' } },
        { name: 'nvidia-cublas', version: '13.1.0', tag: `py3-none-${PLATFORM}`, members: { 'nvidia/cu13/lib/libcublas.so.13': 'cublas', 'nvidia/cu13/lib/libcublasLt.so.13': 'cublasLt' } },
      ]);
      // the older wheel is already in the download folder too, as after an earlier install
      fs.mkdirSync(path.join(cache, 'cuda', 'wheels'), { recursive: true });
      fs.copyFileSync(path.join(links, `nvidia_cuda_runtime-13.0.0-py3-none-${PLATFORM}.whl`), path.join(cache, 'cuda', 'wheels', `nvidia_cuda_runtime-13.0.0-py3-none-${PLATFORM}.whl`));
    });

    it('places the provider next to libonnxruntime, the NVIDIA libraries in the cache, and an env file for LD_LIBRARY_PATH', () => {
      const r = install(['--no-check'], env());
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('[cuda:install] GPU: GPU 0: Fake H200 (UUID: GPU-0)');
      expect(r.stdout).toContain('NVIDIA runtime wheels required by onnxruntime-gpu');
      expect(r.stdout).toContain('nvidia-cuda-runtime~=13.0 nvidia-cudnn-cu13~=9.0\n');
      expect(ls(ortBin)).toEqual(['libonnxruntime.so.1', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']);
      expect(fs.readFileSync(path.join(ortBin, 'libonnxruntime_providers_cuda.so'), 'utf8')).toBe('cuda provider');
      expect(ls(libDir)).toEqual(['libcublas.so.13', 'libcublasLt.so.13', 'libcudart.so.13', 'libcudnn.so.9']);
      expect(fs.readFileSync(path.join(libDir, 'libcudart.so.13'), 'utf8')).toBe('cudart 13.0.1');
      // the driver (CUDA 12.4) is older than the build (CUDA 13): said, not silently left to fail at start
      expect(r.stdout).toContain('WARNING: the NVIDIA driver supports CUDA 12 but onnxruntime-gpu');

      const sourced = spawnSync('sh', ['-c', `. "${path.join(cache, 'cuda', 'env.sh')}"; . "${path.join(cache, 'cuda', 'env.sh')}"; echo "$LD_LIBRARY_PATH|$RECMESH_CUDA_LIB_DIR"`], {
        encoding: 'utf8', env: { PATH: process.env.PATH ?? '', LD_LIBRARY_PATH: '/usr/local/lib' },
      });
      // sourced twice, listed once
      expect(sourced.stdout.trim()).toBe(`${libDir}:/usr/local/lib|${libDir}`);

      const manifest = JSON.parse(fs.readFileSync(path.join(cache, 'cuda', `onnxruntime-gpu-${ORT_VERSION}`, 'manifest.json'), 'utf8'));
      expect(manifest.onnxruntimeGpuWheel.file).toBe(`onnxruntime_gpu-${ORT_VERSION}-cp311-cp311-${PLATFORM}.whl`);
      expect(manifest.nvidiaWheels.map((w: { file: string }) => w.file).sort()).toEqual([
        `nvidia_cublas-13.1.0-py3-none-${PLATFORM}.whl`, `nvidia_cuda_runtime-13.0.1-py3-none-${PLATFORM}.whl`, `nvidia_cudnn_cu13-9.1.0-py3-none-${PLATFORM}.whl`,
      ]);
    });

    it('runs again from the downloaded wheels, and --uninstall removes the provider and the env file', () => {
      const again = install(['--no-check'], env());
      expect(again.status).toBe(0);
      expect(ls(libDir)).toEqual(['libcublas.so.13', 'libcublasLt.so.13', 'libcudart.so.13', 'libcudnn.so.9']);
      const r = install(['--uninstall'], env());
      expect(r.status).toBe(0);
      expect(ls(ortBin)).toEqual(['libonnxruntime.so.1']);
      expect(fs.existsSync(path.join(cache, 'cuda', 'env.sh'))).toBe(false);
    });
  });
});

import * as path from 'path';
import { SessionFactory } from './onnx-session';
import { writeFakeModelDir } from './testing/fake-model-dir';
import { machineCuda } from './testing/machine-cuda';
import { recordingLogger, tempDirs } from './testing/temp-dirs';

// recmesh normally skips onnxruntime's CUDA attempt when it sees no GPU or no provider library.
// Here both checks are switched off so onnxruntime itself is asked for CUDA: on a machine that
// cannot run it (no provider library, or no GPU / driver behind it) it must fail in a way the
// factory turns into a CPU session and one log line, never a crash of the process.
const dirs = tempDirs();
afterAll(() => dirs.cleanup());

it('asks onnxruntime for CUDA and gets CUDA where the machine has it, else a working CPU session and one warning', async () => {
  const machine = machineCuda();
  const model = await writeFakeModelDir(path.join(await dirs.make(), 'model'), { numItems: 10, hidden: 4, maxSeqLen: 3 });
  const logger = recordingLogger();
  const sessions = new SessionFactory({ preferCuda: true, logger, cudaProbe: { assumeGpu: true, providerDir: null } });
  const session = await sessions.open(path.join(model.dir, 'item_embeddings.onnx'));
  try {
    expect(session.inputNames.length).toBeGreaterThan(0);
    expect(sessions.executionProvider).toBe(machine.canRunCuda ? 'cuda' : 'cpu');
    expect(logger.lines).toHaveLength(1);
    if (machine.canRunCuda) {
      expect(logger.lines[0]).toEqual({ level: 'info', message: 'onnxruntime: using the CUDA execution provider' });
    } else {
      // onnxruntime's own error, with recmesh's explanation of the likely cause after it.
      expect(logger.lines[0].level).toBe('warn');
      expect(logger.lines[0].message).toMatch(/^CUDA execution provider unavailable \(.+\); running on CPU$/);
      const reason = sessions.executionProviderReason ?? '';
      expect(reason).toMatch(/^CUDA requested but unavailable: /);
      // The reason is onnxruntime's answer, not one of recmesh's own checks (both were switched off).
      expect(reason).not.toMatch(/provider library not installed|no NVIDIA GPU found/);
    }
  } finally {
    await session.release();
  }
});

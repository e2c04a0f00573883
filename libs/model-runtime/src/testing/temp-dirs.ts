import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ModelRuntimeLogger } from '../onnx-session';

/** Fresh temporary folders for one spec file; call cleanup() in afterAll. */
export function tempDirs() {
  const created: string[] = [];
  return {
    async make(prefix = 'model-runtime-'): Promise<string> {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
      created.push(dir);
      return dir;
    },
    async cleanup(): Promise<void> {
      await Promise.all(created.map((d) => fs.rm(d, { recursive: true, force: true })));
    },
  };
}

export interface RecordingLogger extends ModelRuntimeLogger {
  lines: { level: 'info' | 'warn'; message: string }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  return {
    lines,
    info: (message) => lines.push({ level: 'info', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
  };
}

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

interface Step {
  concurrency: number;
  okPerS: number;
  rejectedPerS: number;
  rejection: { count: number; meanMs: number };
}

/**
 * CI's short run of `npm run bench:overload` (10k items; 32, 256 and 1,024 ghz workers; 2 s + 3 s
 * a step; about a minute; bounds of 32 calls in flight and 64 queued): the bench works end to end against the gateway's real gRPC server and
 * scorer, both admission modes serve at low load and refuse at 1,024 workers, and a refusal costs
 * the gateway under a millisecond. Throughput under overload is not asserted here: 3 s steps on a
 * shared CI machine are too noisy for it (libs/gateway-api/src/admission/gateway-overload.spec.ts
 * checks it against a backend of known capacity; the full bench reports it).
 */
describe('bench:overload, short', () => {
  it('drives fixed and adaptive admission at rising concurrency and writes the curves', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-overload-ci-'));
    const out = path.join(dir, 'report.json');
    try {
      const args = ['tools/run-ts.js', 'tools/bench/overload/bench-overload.ts', '--short', '--out', out];
      const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 16 << 20 }, (error, _stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { curves: { fixed: Step[]; adaptive: Step[] }; summary: Record<string, unknown> };
      for (const mode of ['fixed', 'adaptive'] as const) {
        expect(report.curves[mode].map((s) => s.concurrency)).toEqual([32, 256, 1024]);
        expect(report.curves[mode][0].okPerS).toBeGreaterThan(0); // 32 workers: the gateway serves
      }
      const fixedTop = report.curves.fixed[2];
      const adaptiveTop = report.curves.adaptive[2];
      // 1,024 workers against --short's bounds (32 in flight, 64 queued): both refuse, and every refusal is cheap.
      for (const s of [fixedTop, adaptiveTop]) {
        expect(s.rejection.count).toBeGreaterThan(0);
        expect(s.rejection.meanMs).toBeLessThan(1);
      }
      expect(Object.keys(report.summary)).toEqual(['fixed', 'adaptive']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * CI's short run of `npm run bench:embedded` (the full one streams 1,000,000 events): the bench
 * works end to end on the embedded default's real process and data directory, and RSS stays
 * under the stated ceiling the bench enforces (its exit code).
 */
describe('bench:embedded, short', () => {
  it('streams events through the durable embedded default and writes the memory curve under the ceiling', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-embedded-ci-'));
    const out = path.join(dir, 'report.json');
    try {
      const args = ['tools/run-ts.js', 'tools/bench/embedded/bench-embedded.ts', '--events', '3000', '--users', '1500', '--every', '1500', '--baseline', '1000', '--out', out];
      const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 16 << 20 }, (error, _stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(report.curve.map((p: { events: number }) => p.events)).toEqual([0, 1500, 3000]);
      for (const p of report.curve) {
        expect(p.rss_mb).toBeGreaterThan(0);
        expect(p.rss_mb).toBeLessThanOrEqual(report.config.ceiling_mb);
      }
      // The records went through the bus on disk, not the heap.
      expect(report.curve[2].bus_mb).toBeGreaterThan(0);
      expect(report.baseline.points.map((p: { events: number }) => p.events)).toEqual([0, 1000]);
      expect(report.durable.within_ceiling).toBe(true);
      expect(report.bus_log.per_batch_sync_us).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

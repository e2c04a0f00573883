import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * CI's short run of `npm run bench:features` (5,000 RetailRocket events on the real MariaDB, a few
 * seconds): every event applied exactly once (claims and summed popularity interactions), no InnoDB
 * deadlock between the three partitions sharing popularity and pair rows, so no batch retried. Speed
 * is only checked to be measured; the full bench reports it.
 */
describe('bench:features, short', () => {
  jest.setTimeout(120_000);

  it('applies a real shop\'s clickstream once per event, over concurrent partitions, with no deadlock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-features-ci-'));
    const out = path.join(dir, 'report.json');
    try {
      const args = ['tools/run-ts.js', 'tools/bench/features/bench-features.ts', '--events', '5000', '--out', out];
      const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 16 << 20, timeout: 110_000 }, (error, _stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(fs.readFileSync(out, 'utf8'));
      expect(report).toMatchObject({ bench: 'features', config: { dataset: 'session_retailrocket_cotrec', events: 5000, partitions: 3 }, applied_once: true, claimed: 5000, popularity_interactions: 5000 });
      expect(report.innodb.deadlocks).toBe(0);
      expect(report.batches_retried).toBe(0);
      expect(report.events_per_second).toBeGreaterThan(0);
      expect(report.cpu_us_per_event.pipeline).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

interface Phase {
  ok: number;
  errors: number;
  durationS: number;
  p99Ms: number;
  rps: number;
  loadavg: { start: number[]; end: number[] };
}
interface Roofline {
  batch: number;
  calls: number;
  timedS: number;
  msPerCall: { median: number; p10: number; p90: number };
  impliedMaxRps: number;
  loadavg: { start: number[]; end: number[] };
}
interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/**
 * CI's short run of `npm run bench:serving` (--quick: 10k items, 3 s load phases, 0.5 s of timed
 * MatMul calls per batch size; here with --runs 2, about a minute): the bench serves Recommend
 * with batching on and off for the whole phase, times the roofline call by call, records the load
 * average of every phase, and reports each ratio's median/min/max over the runs. Speed is not
 * asserted here: the full bench reports it (reports/bench-serving.json). It also serves the same calls
 * from a canned backend (the transport floor) the serving ratios are taken against.
 */
describe('bench:serving, quick', () => {
  it('runs timed load phases and a repeated roofline, and reports the spread over runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serving-ci-'));
    const out = path.join(dir, 'report.json');
    try {
      const args = ['tools/run-ts.js', 'tools/bench/serving/bench-serving.ts', '--quick', '--runs', '2', '--out', out];
      const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: 'true' }, maxBuffer: 16 << 20 }, (error, _stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
      expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(fs.readFileSync(out, 'utf8')) as {
        settings: { phaseSeconds: number; rooflineSeconds: number; runs: number };
        transportFloor: { rps: Spread; runs: Phase[] };
        results: Array<{ catalogSize: number; runs: Array<{ batchingOn: Phase; batchingOff: Phase; gemm: Roofline[]; ratios: Record<string, number> }>; overRuns: Record<string, Spread> }>;
      };
      expect(report.settings).toMatchObject({ phaseSeconds: 3, rooflineSeconds: 0.5, runs: 2 });
      expect(report.results.map((r) => r.catalogSize)).toEqual([10_000]);
      const [size] = report.results;
      expect(size.runs).toHaveLength(2);
      for (const run of size.runs) {
        for (const phase of [run.batchingOn, run.batchingOff]) {
          expect(phase.ok).toBeGreaterThan(0);
          expect(phase.errors).toBe(0);
          // A timed phase, not a request count: it lasts the phase length (ghz stops within a fraction of a second).
          expect(phase.durationS).toBeGreaterThanOrEqual(2.5);
          expect(phase.durationS).toBeLessThan(6);
          expect(phase.loadavg.start).toHaveLength(3);
          expect(phase.loadavg.end).toHaveLength(3);
        }
        expect(run.gemm.map((g) => g.batch)).toContain(1);
        for (const g of run.gemm) {
          expect(g.calls).toBeGreaterThanOrEqual(20);
          expect(g.timedS).toBeGreaterThanOrEqual(0.5);
          expect(g.msPerCall.p10).toBeLessThanOrEqual(g.msPerCall.median);
          expect(g.msPerCall.median).toBeLessThanOrEqual(g.msPerCall.p90);
          expect(g.impliedMaxRps).toBeCloseTo(g.batch / (g.msPerCall.median / 1000), 6);
          expect(g.loadavg.end).toHaveLength(3);
        }
      }
      const ratio = size.overRuns.batchingOnRps_over_gemmRooflineRps_atMeanBatch;
      expect(ratio.values).toEqual(size.runs.map((r) => r.ratios.batchingOnRps_over_gemmRooflineRps_atMeanBatch));
      expect(ratio.min).toBe(Math.min(...ratio.values));
      expect(ratio.max).toBe(Math.max(...ratio.values));
      expect(ratio.median).toBeCloseTo((ratio.values[0] + ratio.values[1]) / 2, 9);
      // The request path with a canned backend, timed like the serving phases; the serving ratios are taken against its median.
      expect(report.transportFloor.runs).toHaveLength(2);
      for (const phase of report.transportFloor.runs) {
        expect(phase.ok).toBeGreaterThan(0);
        expect(phase.errors).toBe(0);
        expect(phase.durationS).toBeGreaterThanOrEqual(2.5);
      }
      expect(report.transportFloor.rps.values).toEqual(report.transportFloor.runs.map((r) => r.rps));
      for (const run of size.runs) expect(run.ratios.batchingOnRps_over_transportFloorRps).toBeCloseTo(run.batchingOn.rps / report.transportFloor.rps.median, 9);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The serving bench's measuring stick: an onnxruntime MatMul [B,hidden] x [hidden,N] (the item matrix
// as an initializer, the cheapest form onnxruntime has) timed call by call over a fixed wall time,
// opened with the same session options as the serving kernel (scoreSessionOptions), so its thread
// settings cannot drift from what serving gets. One short timing gave 0.087 and 0.43 on the same
// commit (issue 15): per-call samples over seconds, reported as median and p10/p90, fix that.
import * as os from 'os';
import * as ort from 'onnxruntime-node';
import { ExecutionProvider, scoreSessionOptions } from '@recmesh/model-runtime';
import { gemmModel } from './synthetic-model';

export interface RooflinePoint {
  batch: number;
  calls: number;
  timedS: number;
  msPerCall: { median: number; p10: number; p90: number; min: number; max: number };
  /** batch / median time per call. */
  impliedMaxRps: number;
  loadavg: { start: number[]; end: number[] };
}

/** Value at quantile q of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Times MatMul calls per batch size for at least `seconds` each (and at least 20 calls), after a
 * warm-up of 5 calls. CUDA runs without a CPU fallback: a CUDA figure must never be a CPU one.
 */
export async function measureRoofline(n: number, hidden: number, batchSizes: readonly number[], provider: ExecutionProvider, seconds: number): Promise<RooflinePoint[]> {
  const options = scoreSessionOptions(provider);
  const session = await ort.InferenceSession.create(gemmModel(n, hidden), { ...options, executionProviders: [provider] });
  const out: RooflinePoint[] = [];
  try {
    for (const batch of batchSizes) {
      const users = new ort.Tensor('float32', Float32Array.from({ length: batch * hidden }, () => Math.random() * 2 - 1), [batch, hidden]);
      for (let i = 0; i < 5; i++) await session.run({ users });
      const start = os.loadavg();
      const samples: number[] = [];
      const t0 = process.hrtime.bigint();
      let elapsed = 0;
      while (samples.length < 20 || elapsed < seconds) {
        const c0 = process.hrtime.bigint();
        await session.run({ users });
        const c1 = process.hrtime.bigint();
        samples.push(Number(c1 - c0) / 1e6);
        elapsed = Number(c1 - t0) / 1e9;
      }
      samples.sort((a, b) => a - b);
      const median = quantile(samples, 0.5);
      out.push({
        batch, calls: samples.length, timedS: elapsed,
        msPerCall: { median, p10: quantile(samples, 0.1), p90: quantile(samples, 0.9), min: samples[0], max: samples[samples.length - 1] },
        impliedMaxRps: batch / (median / 1000),
        loadavg: { start, end: os.loadavg() },
      });
    }
  } finally {
    await session.release();
  }
  return out;
}

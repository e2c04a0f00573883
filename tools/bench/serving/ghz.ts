// ghz (github.com/bojand/ghz) for the benches that drive the gateway over gRPC: installs the pinned
// version with install-ghz.sh and runs it in its own process with `--format json`. bench-serving and
// bench-overload use it.
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';

export const RECOMMEND_METHOD = 'recmesh.gateway.v1.RecommendationService.Recommend';

/** The parts of ghz's `--format json` report used (durations in nanoseconds; latencyDistribution covers OK calls only). */
export interface GhzReport {
  count: number;
  total: number;
  average: number;
  slowest: number;
  rps: number;
  endReason?: string;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  latencyDistribution?: Array<{ percentage: number; latency: number }> | null;
}

export type GhzInstall = { ok: true; bin: string; version: string } | { ok: false; reason: string };

/** Runs install-ghz.sh (installs the pinned ghz if missing from the Go module proxy) and reads the installed version. */
export function installGhz(): GhzInstall {
  const script = path.join(__dirname, 'install-ghz.sh');
  const install = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const bin = install.stdout?.trim().split('\n').pop() ?? '';
  if (install.status !== 0 || !bin) return { ok: false, reason: `${script} failed (${install.error ? install.error.message : `exit ${install.status ?? install.signal}`})` };
  const buildInfo = spawnSync('go', ['version', '-m', bin], { encoding: 'utf8' });
  const version = /^\s*mod\s+github\.com\/bojand\/ghz\s+(\S+)/m.exec(buildInfo.stdout ?? '')?.[1] ?? 'unknown-version';
  return { ok: true, bin, version };
}

/** One ghz run; resolves with its JSON report (ghz exits non-zero when calls failed, which is no error here). */
export function runGhz(bin: string, args: readonly string[]): Promise<GhzReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out) as GhzReport);
      } catch {
        reject(new Error(`ghz exited ${code} without a JSON report: ${err.trim() || out.slice(0, 2000)}`));
      }
    });
  });
}

/** Latency of OK calls at percentile `p` in ms (NaN when ghz has none). */
export function ghzPercentileMs(report: GhzReport, p: number): number {
  const hit = (report.latencyDistribution ?? []).find((d) => d.percentage === p);
  return hit ? hit.latency / 1e6 : Number.NaN;
}

import { expectExactOutcome, FaultPipeline, FaultRecord } from '../support/fault-pipeline';

const RATE_PER_SECOND = 200;
const AWAY_MS = 6_000;
const RESUME_WITHIN_MS = 30_000;

/**
 * MariaDB restarted mid-stream, first gracefully, then by SIGKILL, on a MariaDB of the test's own
 * (the shared one on :3306 is never touched): ingest, feature-builder and feedback as separate
 * processes on the shared broker, a steady clickstream with served lists and clicks on them.
 * While the database is away every service says not ready on `store` and none exits; once it is
 * back they resume within seconds, and the tables hold every acknowledged record exactly once:
 * sequences, popularity, pair counts and metric buckets exactly what those records imply.
 */
describe('a MariaDB restart mid-stream (graceful, then SIGKILL)', () => {
  let pipeline: FaultPipeline | undefined;
  afterAll(async () => {
    await pipeline?.close();
  });

  it('loses no acknowledged record, applies none twice, says not ready while the database is away, and resumes within seconds', async () => {
    pipeline = await FaultPipeline.start({ apps: ['ingest', 'feature-builder', 'feedback'], rate: RATE_PER_SECOND, privateMariaDb: true });
    const db = pipeline.mariadb!;
    const records: FaultRecord[] = [];
    records.push(await pipeline.fault('MariaDB graceful restart', { takeAway: () => db.stop(), bringBack: () => db.up(), notReadyOn: 'store', minAwayMs: AWAY_MS }));
    expect(pipeline.allAlive).toBe(true);
    records.push(await pipeline.fault('MariaDB SIGKILL', { takeAway: () => db.kill(), bringBack: () => db.up(), notReadyOn: 'store', minAwayMs: AWAY_MS }));
    expect(pipeline.allAlive).toBe(true);

    const outcome = await pipeline.settle(120_000);
    expectExactOutcome(outcome);
    expect(pipeline.allAlive).toBe(true);
    console.info(`mariadb restart: ${outcome.acknowledged} acknowledged, ${outcome.stored} stored, ${outcome.clicks} clicks attributed; ${JSON.stringify(records)}`);
    expect(records.map((r) => [r.scenario, r.saidNotReady])).toEqual([['MariaDB graceful restart', true], ['MariaDB SIGKILL', true]]);
    for (const r of records) expect(r.resumedMs).toBeLessThan(RESUME_WITHIN_MS);
  }, 420_000);
});

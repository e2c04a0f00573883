import { expectExactOutcome, FaultPipeline, FaultRecord, PipelineApp } from '../support/fault-pipeline';

const RATE_PER_SECOND = 200;
/** A killed member keeps its partitions until Kafka's session timeout (30 s) evicts it; then the new process takes over. */
const RESUME_WITHIN_MS = 60_000;

/**
 * SIGKILL of ingest, then of feature-builder and feedback together, under a steady live clickstream
 * (served lists and clicks on them included), each started again as an orchestrator would. The
 * backlog versions are test/ingest/ingest.spec.ts (b), test/features/feature-builder.spec.ts and
 * test/feedback/attribution.spec.ts; here the stream keeps coming during the outage and the
 * tables are compared with what the acknowledged records imply: nothing lost, nothing applied
 * twice (sequences, popularity, pair counts, metric buckets, attribution rows), the other
 * processes never exit, and work resumes within the consumer-group timeout.
 */
describe('SIGKILL of each pipeline service under a steady stream', () => {
  let pipeline: FaultPipeline | undefined;
  afterAll(async () => {
    await pipeline?.close();
  });

  it('loses no acknowledged record, applies none twice, and resumes after each kill', async () => {
    const apps: PipelineApp[] = ['ingest', 'feature-builder', 'feedback'];
    pipeline = await FaultPipeline.start({ apps, rate: RATE_PER_SECOND });
    const records: FaultRecord[] = [];
    // feature-builder and feedback at once: their tables are apart, and one session timeout instead of two keeps the test short.
    for (const victims of [['ingest'], ['feature-builder', 'feedback']] as PipelineApp[][]) {
      records.push(await pipeline.fault(`SIGKILL ${victims.join(' + ')}`, pipeline.killAndRestart(...victims)));
      expect(pipeline.allAlive).toBe(true);
    }

    const outcome = await pipeline.settle(120_000);
    expectExactOutcome(outcome);
    console.info(`pipeline SIGKILL: ${outcome.acknowledged} acknowledged, ${outcome.stored} stored, ${outcome.clicks} clicks attributed; ${JSON.stringify(records)}`);
    // From the new process's start: ready (partitions assigned), then working.
    for (const r of records) expect(r.bringBackMs + r.resumedMs).toBeLessThan(RESUME_WITHIN_MS);
  }, 480_000);
});

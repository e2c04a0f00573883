import { Logger } from '@nestjs/common';
import * as fc from 'fast-check';
import { IngestFuzzTarget, rawRecords, RawStream } from './testing';

// Hostile raw events through the real IngestPipeline (issue 13): no crash (a batch that throws is
// redelivered forever), no hang, every rejection a dead letter with a documented reason and a detail,
// every accepted event storable in MySQL and valid again after its round trip. `npm run bench:fuzz`
// runs the same target on 100,000+ inputs per stream.
const RUNS = 1500;
const BUDGET_MS = 250;

describe.each<RawStream>(['clickstream', 'catalog'])('raw %s records under fuzzing', (stream) => {
  const target = new IngestFuzzTarget();
  let logs: jest.SpyInstance[];
  beforeAll(() => {
    logs = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) => jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined));
  });
  afterAll(() => jest.restoreAllMocks());

  it(`accepts or dead-letters ${RUNS} generated records with a reason, quietly and in time`, async () => {
    const reasons = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(rawRecords(stream), async (record) => {
        const started = performance.now();
        const reason = await target.check(stream, record);
        const ms = performance.now() - started;
        if (ms > BUDGET_MS) throw new Error(`took ${ms.toFixed(0)} ms, over the ${BUDGET_MS} ms budget`);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }),
      { numRuns: RUNS, seed: stream === 'catalog' ? 1302 : 1301, timeout: BUDGET_MS * 4 },
    );
    // Both paths are exercised, and no input logs a line of its own (dead letters are counted, not logged).
    expect(reasons.get('accepted') ?? 0).toBeGreaterThan(RUNS / 10);
    expect([...reasons.keys()].filter((r) => r !== 'accepted').length).toBeGreaterThanOrEqual(4);
    expect(logs.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(0);
  }, 120_000);
});

import * as fc from 'fast-check';
import { checkServingRequest, servingRequests } from './testing';

// Hostile requests through the one request validation (issue 13): every request is either a query
// within every limit or an InvalidRequestError naming the field, never another exception, and fast.
// The gateway's gRPC fuzzing sends the same requests over the wire; `npm run bench:fuzz` runs 100,000+.
const RUNS = 3000;
const BUDGET_MS = 50;

describe('request validation under fuzzing', () => {
  it(`answers ${RUNS} generated Recommend, SimilarItems, Bundle, Score and ScoreSimilar requests with a valid query or INVALID_ARGUMENT naming the field`, () => {
    const reasons = new Map<string, number>();
    fc.assert(
      fc.property(servingRequests, (input) => {
        const started = performance.now();
        const reason = checkServingRequest(input);
        const ms = performance.now() - started;
        if (ms > BUDGET_MS) throw new Error(`took ${ms.toFixed(1)} ms, over the ${BUDGET_MS} ms budget`);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }),
      { numRuns: RUNS, seed: 1303 },
    );
    expect(reasons.get('accepted') ?? 0).toBeGreaterThan(RUNS / 10);
    expect([...reasons.keys()].filter((r) => r.startsWith('invalid_argument:')).length).toBeGreaterThanOrEqual(6);
  }, 60_000);
});

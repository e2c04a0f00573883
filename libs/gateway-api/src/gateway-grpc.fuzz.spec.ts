import { Logger } from '@nestjs/common';
import * as fc from 'fast-check';
import { GatewayFuzzTarget, gatewayInputs } from './testing';

// The gateway's gRPC face under fuzzing (issue 13): valid-shaped requests, arbitrary request bytes and
// arbitrary HTTP/2 bodies through a real grpc-js server with an in-process backend. Each answer is the
// status the request validation implies (INVALID_ARGUMENT with a message for a bad or undecodable
// request), broken frames get a status with a message, no call hangs, the server keeps serving, and a
// bad request logs nothing. `npm run bench:fuzz` runs 100,000+ inputs.
const RUNS = 1500;
const BUDGET_MS = 1000;

describe('the gateway gRPC server under fuzzing', () => {
  let target: GatewayFuzzTarget;
  let logs: jest.SpyInstance[];
  beforeAll(async () => {
    target = await GatewayFuzzTarget.start();
    logs = (['log', 'warn', 'error', 'debug', 'verbose'] as const).map((level) => jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await target.stop();
  });

  it(`answers ${RUNS} generated requests, request bytes and HTTP/2 bodies with the right status, quietly and in time`, async () => {
    const verdicts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(gatewayInputs, async (input) => {
        const verdict = await target.check(input);
        verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
      }),
      { numRuns: RUNS, seed: 1304, timeout: BUDGET_MS },
    );
    expect(verdicts.get('message:OK') ?? 0).toBeGreaterThan(RUNS / 20);
    expect(verdicts.get('message:INVALID_ARGUMENT') ?? 0).toBeGreaterThan(RUNS / 20);
    expect(verdicts.get('message-bytes:INVALID_ARGUMENT') ?? 0).toBeGreaterThan(0);
    expect([...verdicts.keys()].some((v) => v.startsWith('http2-body:'))).toBe(true);
    expect(await target.stillServing()).toBe(true);
    expect(logs.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(0);
  }, 120_000);
});

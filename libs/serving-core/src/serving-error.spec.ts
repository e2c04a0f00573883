import { status } from '@grpc/grpc-js';
import { asServingError, DeadlineExceededError, FailureLog, grpcFailure, grpcStatusOf, ServingError, ServingErrorCode } from './serving-error';

function quietLog(): FailureLog & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  return { lines, error: (m) => lines.push(['error', m]), warn: (m) => lines.push(['warn', m]), debug: (m) => lines.push(['debug', m]) };
}

/** What Node and the MySQL driver throw when a peer is gone. */
function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('the serving error vocabulary', () => {
  it('gives every code its own gRPC status, and answers each without throwing', () => {
    const statuses = Object.values(ServingErrorCode).map((code) => grpcStatusOf(code));
    expect(new Set(statuses).size).toBe(statuses.length);
    for (const code of Object.values(ServingErrorCode)) {
      expect(grpcFailure(new ServingError(code, 'x'), quietLog(), { method: 'M', internalMessage: 'internal' }).code).toBe(grpcStatusOf(code));
    }
  });

  it('takes a failure once the deadline passed as DEADLINE_EXCEEDED, not INTERNAL, and keeps the cause out of the answer', () => {
    const log = quietLog();
    const deadlineMs = Date.now() - 1;
    const failure = grpcFailure(new Error('Query inactivity timeout on table item_pairs'), log, { method: 'Bundle', internalMessage: 'bundler failed', deadlineMs });
    expect(failure).toEqual({ code: status.DEADLINE_EXCEEDED, details: 'deadline passed before a downstream answered' });
    expect(log.lines).toEqual([['debug', 'Bundle: deadline passed before a downstream answered (Query inactivity timeout on table item_pairs)']]);
  });

  it('keeps a failure before the deadline internal, with its stack in the log only', () => {
    const log = quietLog();
    const failure = grpcFailure(new TypeError('x is undefined'), log, { method: 'Score', internalMessage: 'scorer failed', deadlineMs: Date.now() + 60_000 });
    expect(failure).toEqual({ code: status.INTERNAL, details: 'scorer failed' });
    expect(log.lines[0][0]).toBe('error');
    expect(log.lines[0][1]).toContain('TypeError: x is undefined\n');
  });

  it('takes an unreachable downstream as UNAVAILABLE: socket errors, a lost MySQL connection wrapped by the driver, a bare gRPC status', () => {
    expect(asServingError(systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3306')).code).toBe(ServingErrorCode.Unavailable);
    const queryFailed = Object.assign(new Error('Connection lost: The server closed the connection.'), { driverError: { code: 'PROTOCOL_CONNECTION_LOST' } });
    expect(asServingError(queryFailed).code).toBe(ServingErrorCode.Unavailable);
    expect(asServingError(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: status.UNAVAILABLE, details: 'No connection established' })).code).toBe(ServingErrorCode.Unavailable);
    // Unreachable stays unreachable after the deadline: the retriable status tells the client more.
    expect(asServingError(systemError('ECONNRESET', 'socket hang up'), Date.now() - 1).code).toBe(ServingErrorCode.Unavailable);
    const log = quietLog();
    expect(grpcFailure(systemError('ECONNREFUSED', 'connect ECONNREFUSED'), log, { method: 'Score', internalMessage: 'scorer failed' }).code).toBe(status.UNAVAILABLE);
    expect(log.lines).toEqual([['warn', 'Score: a downstream cannot be reached (ECONNREFUSED): connect ECONNREFUSED']]);
  });

  it('maps a bare gRPC DEADLINE_EXCEEDED from a downstream to DEADLINE_EXCEEDED', () => {
    const grpcError = Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
    expect(asServingError(grpcError).code).toBe(ServingErrorCode.DeadlineExceeded);
    expect(asServingError(new DeadlineExceededError()).code).toBe(ServingErrorCode.DeadlineExceeded);
  });
});

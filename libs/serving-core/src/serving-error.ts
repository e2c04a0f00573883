import { status } from '@grpc/grpc-js';

/** Why a call failed: the one vocabulary of scorer, bundler, gateway and the experiments admin API. */
export enum ServingErrorCode {
  /** The request asks for something impossible (bad field, size without room, ...). */
  InvalidRequest = 'invalid_request',
  /** Something the request names does not exist: an item not in the catalog, an experiment never created. */
  NotFound = 'not_found',
  /** What the request would create exists already (an experiment name is never reused). */
  Conflict = 'conflict',
  /** The call does not fit the current state (a surface already runs an experiment; it was stopped already). */
  FailedPrecondition = 'failed_precondition',
  /** Too much work queued; retry with backoff. */
  Overloaded = 'overloaded',
  /** The caller's deadline passed before an answer was ready. */
  DeadlineExceeded = 'deadline_exceeded',
  /** A backend cannot be reached (down, restarting, shutting down); retriable. */
  Unavailable = 'unavailable',
  /** This deployment does not offer the call (a gateway without a bundler). */
  Unimplemented = 'unimplemented',
  /** The caller gave up. */
  Cancelled = 'cancelled',
  /** A bug or an unexpected failure; the details are logged, not sent. */
  Internal = 'internal',
}

export class ServingError extends Error {
  constructor(
    readonly code: ServingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ServingError';
  }
}

/** Every code has exactly one gRPC status: a new code without an entry here does not compile. */
const GRPC_STATUS: Record<ServingErrorCode, status> = {
  [ServingErrorCode.InvalidRequest]: status.INVALID_ARGUMENT,
  [ServingErrorCode.NotFound]: status.NOT_FOUND,
  [ServingErrorCode.Conflict]: status.ALREADY_EXISTS,
  [ServingErrorCode.FailedPrecondition]: status.FAILED_PRECONDITION,
  [ServingErrorCode.Overloaded]: status.RESOURCE_EXHAUSTED,
  [ServingErrorCode.DeadlineExceeded]: status.DEADLINE_EXCEEDED,
  [ServingErrorCode.Unavailable]: status.UNAVAILABLE,
  [ServingErrorCode.Unimplemented]: status.UNIMPLEMENTED,
  [ServingErrorCode.Cancelled]: status.CANCELLED,
  [ServingErrorCode.Internal]: status.INTERNAL,
};

const CODE_OF_STATUS = new Map<status, ServingErrorCode>(Object.entries(GRPC_STATUS).map(([code, s]) => [s, code as ServingErrorCode]));

export function grpcStatusOf(code: ServingErrorCode): status {
  return GRPC_STATUS[code];
}

/** A failed gRPC call back into the vocabulary; statuses with no code of their own are internal. */
export function servingErrorFromGrpc(error: { code: status; details: string }, callee: string): ServingError {
  const code = CODE_OF_STATUS.get(error.code) ?? ServingErrorCode.Internal;
  const details = code === ServingErrorCode.Internal || code === ServingErrorCode.Unavailable ? `${callee}: ${status[error.code]} ${error.details}` : error.details;
  return new ServingError(code, details);
}

/**
 * Error codes of a downstream that cannot be reached (socket errors, the MySQL
 * driver's lost connection): an outage, retriable, not a bug.
 */
const UNREACHABLE_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR',
]);

/** The errno-style code of an error, also when a driver (TypeORM's QueryFailedError) or a cause wraps it. */
function errnoOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown }; cause?: { code?: unknown } } | null;
  for (const code of [e?.code, e?.driverError?.code, e?.cause?.code]) if (typeof code === 'string') return code;
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function classify(error: unknown): ServingError {
  if (error instanceof ServingError) return error;
  const e = error as { code?: unknown; details?: unknown } | null;
  // A gRPC call's failure that no client wrapped: its status says what happened.
  if (typeof e?.code === 'number' && typeof e.details === 'string') return servingErrorFromGrpc({ code: e.code, details: e.details }, 'downstream');
  const errno = errnoOf(error);
  if (errno !== undefined && UNREACHABLE_ERRNOS.has(errno)) return new ServingError(ServingErrorCode.Unavailable, `a downstream cannot be reached (${errno}): ${messageOf(error)}`);
  return new ServingError(ServingErrorCode.Internal, messageOf(error));
}

/**
 * Anything thrown, as a serving error: gRPC statuses by their code, a lost
 * connection as unavailable, and an unexpected failure once the caller's
 * deadline (epoch ms) passed as the deadline's: the downstream was cut short
 * or timed out waiting, which is not a bug. The rest is internal.
 */
export function asServingError(error: unknown, deadlineMs?: number, now = Date.now()): ServingError {
  const failure = classify(error);
  if (failure.code === ServingErrorCode.Internal && deadlineMs !== undefined && now >= deadlineMs) {
    return new ServingError(ServingErrorCode.DeadlineExceeded, 'deadline passed before a downstream answered');
  }
  return failure;
}

/** The named failures the serving code throws; each is a ServingError with its code. */
export class UnknownItemError extends ServingError {
  constructor(readonly itemId: string) {
    super(ServingErrorCode.NotFound, `item ${itemId} is not in the catalog`);
    this.name = 'UnknownItemError';
  }
}

export class QueueFullError extends ServingError {
  constructor(readonly limit: number, what = 'scoring queue') {
    super(ServingErrorCode.Overloaded, `${what} is full (${limit} requests waiting)`);
    this.name = 'QueueFullError';
  }
}

export class DeadlineExceededError extends ServingError {
  constructor(message = 'deadline passed before the request was scored') {
    super(ServingErrorCode.DeadlineExceeded, message);
    this.name = 'DeadlineExceededError';
  }
}

export class InvalidRequestError extends ServingError {
  constructor(message: string) {
    super(ServingErrorCode.InvalidRequest, message);
    this.name = 'InvalidRequestError';
  }
}

export interface FailureLog {
  error(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * The status a gRPC server answers for a failure, and the one logging policy:
 * only internal failures (bugs) are errors with a stack; the real message of
 * one is logged, never sent. Overload, deadlines and outages are expected.
 * `deadlineMs` is the call's deadline (epoch ms), when it has one.
 */
export function grpcFailure(error: unknown, log: FailureLog, context: { method: string; internalMessage: string; deadlineMs?: number }): { code: status; details: string } {
  const failure = asServingError(error, context.deadlineMs);
  const code = grpcStatusOf(failure.code);
  switch (failure.code) {
    case ServingErrorCode.Internal:
      log.error(`${context.method} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      return { code, details: context.internalMessage };
    case ServingErrorCode.Unavailable:
      // One line, no stack: an outage would otherwise repeat the same trace on every call.
      log.warn(`${context.method}: ${failure.message}`);
      return { code, details: failure.message };
    case ServingErrorCode.DeadlineExceeded:
    case ServingErrorCode.Cancelled:
      log.debug(`${context.method}: ${failure.message}${failure === error ? '' : ` (${messageOf(error)})`}`);
      return { code, details: failure.message };
    case ServingErrorCode.InvalidRequest:
    case ServingErrorCode.NotFound:
    case ServingErrorCode.Conflict:
    case ServingErrorCode.FailedPrecondition:
    case ServingErrorCode.Overloaded:
    case ServingErrorCode.Unimplemented:
      return { code, details: failure.message };
    default:
      return unreachable(failure.code);
  }
}

/** Ends an exhaustive switch: a new ServingErrorCode without its case does not compile. */
function unreachable(code: never): never {
  throw new Error(`unhandled serving error code ${String(code)}`);
}

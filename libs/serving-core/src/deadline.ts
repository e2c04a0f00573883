import type { Deadline } from '@grpc/grpc-js';

/** A gRPC deadline in epoch ms; Infinity when the client set none. */
export function deadlineToMs(deadline: Deadline | undefined): number {
  if (deadline === undefined) return Number.POSITIVE_INFINITY;
  const ms = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  return Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY;
}

/** The client's deadline of a call in epoch ms, if it set one. */
export function deadlineOf(call: { getDeadline(): Deadline } | undefined): number | undefined {
  const ms = deadlineToMs(call?.getDeadline());
  return Number.isFinite(ms) ? ms : undefined;
}

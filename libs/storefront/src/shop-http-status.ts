import * as grpc from '@grpc/grpc-js';
import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'http';
import type { ShopErrorBody } from './shop-api.types';

/** The HTTP status of each gRPC status the gateway answers with (Google's mapping; a cancelled call is the server's to retry). */
export const HTTP_STATUS_OF_GRPC: Readonly<Record<grpc.status, number>> = {
  [grpc.status.OK]: 200,
  [grpc.status.CANCELLED]: 503,
  [grpc.status.UNKNOWN]: 500,
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ALREADY_EXISTS]: 409,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.RESOURCE_EXHAUSTED]: 429,
  [grpc.status.FAILED_PRECONDITION]: 400,
  [grpc.status.ABORTED]: 409,
  [grpc.status.OUT_OF_RANGE]: 400,
  [grpc.status.UNIMPLEMENTED]: 501,
  [grpc.status.INTERNAL]: 500,
  [grpc.status.UNAVAILABLE]: 503,
  [grpc.status.DATA_LOSS]: 500,
  [grpc.status.UNAUTHENTICATED]: 401,
};

/** The answer for a status, with the gateway's message (which names the field for a bad request). */
export function shopHttpError(status: number, message: string): HttpException {
  const body: ShopErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
  return new HttpException(body, status);
}

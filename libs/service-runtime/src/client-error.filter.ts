import { STATUS_CODES } from 'http';
import { ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';
import { RateLimitedLog } from './rate-limited-log';

/** What Express's body parsers throw (http-errors): a status, a message safe to send, and for 413 the sizes. */
interface BodyParserError {
  readonly status: number;
  readonly message: string;
  readonly expose?: boolean;
  readonly type?: string;
  readonly length?: number;
  readonly limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  const e = error as Partial<BodyParserError> | null;
  return typeof e?.status === 'number' && typeof e.message === 'string' && e.expose === true;
}

/** A client's mistake as the HTTP exception it answers with; anything else (a 5xx, a bug) is not a client error. */
function clientError(error: unknown): HttpException | undefined {
  if (error instanceof HttpException) return error.getStatus() < 500 ? error : undefined;
  if (!isBodyParserError(error) || error.status < 400 || error.status >= 500) return undefined;
  const message = error.type === 'entity.too.large' && error.limit !== undefined
    ? `request body${error.length !== undefined ? ` of ${error.length} bytes` : ''} is over the limit of ${error.limit} bytes`
    : error.message;
  return new HttpException({ statusCode: error.status, error: STATUS_CODES[error.status] ?? 'Client Error', message }, error.status);
}

/**
 * Bad requests (a body over the limit, invalid JSON, an unsupported content
 * type, unknown paths) are answered with their 4xx and logged as one WARN line
 * without a stack, at most 10 per 10 s: a client must not be able to flood the
 * log. Everything else goes to Nest's own handling (a 5xx is an error with its stack).
 */
@Catch()
export class ClientErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('HttpClientErrors');
  private readonly log = new RateLimitedLog((line) => this.logger.warn(line));

  override catch(exception: unknown, host: ArgumentsHost): void {
    const answer = host.getType() === 'http' ? clientError(exception) : undefined;
    if (!answer) return super.catch(exception, host);
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const body = answer.getResponse();
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    this.log.log(`${request.method} ${request.originalUrl ?? request.url} ${answer.getStatus()}: ${Array.isArray(message) ? message.join('; ') : String(message ?? answer.message)}`);
    const response = http.getResponse<Response>();
    if (!response.headersSent) response.status(answer.getStatus()).json(typeof body === 'string' ? { statusCode: answer.getStatus(), message: body } : body);
  }
}

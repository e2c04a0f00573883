import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import { EraseUserResponse, EraseUserResponseSchema, ErasedRowsSchema, TopicNames, UserErasureCommand, UserErasureCommandSchema } from '@recmesh/contracts';
import { MessageBus } from '@recmesh/messaging';
import { UserErasureStore } from '@recmesh/persistence';
import type { Pseudonymize } from '@recmesh/service-config';
import { ServingError, ServingErrorCode } from '@recmesh/serving-core';
import { randomUUID } from 'crypto';
import { PrivacyMetrics } from './privacy-metrics';

/** As long as the stores' user id columns. */
const MAX_USER_ID_LENGTH = 128;

export interface UserEraserOptions {
  readonly bus: MessageBus;
  readonly topics: TopicNames;
  readonly store: UserErasureStore;
  readonly metrics: PrivacyMetrics;
  /** RECMESH_PSEUDONYM_KEY's pseudonyms: the stores hold those, not the shop's ids. */
  readonly pseudonymize?: Pseudonymize;
  readonly clock?: () => number;
}

/** The user id of a request, or why it is not one. */
export function validUserId(userId: string): string {
  if (userId.trim() === '') throw new ServingError(ServingErrorCode.InvalidRequest, 'user_id is required');
  if (userId.length > MAX_USER_ID_LENGTH) throw new ServingError(ServingErrorCode.InvalidRequest, `user_id is longer than ${MAX_USER_ID_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(userId)) throw new ServingError(ServingErrorCode.InvalidRequest, 'user_id has control characters');
  return userId;
}

/** A record of the command topic, or undefined when it is not a command with a user id. */
export function parseErasureCommand(value: Buffer | null): UserErasureCommand | undefined {
  if (!value) return undefined;
  try {
    const command = fromBinary(UserErasureCommandSchema, value);
    return command.userId.trim() === '' || command.userId.length > MAX_USER_ID_LENGTH ? undefined : command;
  } catch {
    return undefined;
  }
}

/**
 * Erases a user: the store's rows go, then the command goes on
 * recmesh.commands.erasure.v1 so every service forgets the user (caches) and
 * every instance runs the same idempotent erasure. A call cut short (a crash,
 * a lost connection) fails, and the caller retries: erasing again is safe.
 * The user id is never logged.
 */
export class UserEraser {
  private readonly logger = new Logger('UserErasure');
  private readonly clock: () => number;

  constructor(private readonly options: UserEraserOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The admin API's erasure. */
  async erase(userId: string): Promise<EraseUserResponse> {
    const pseudonymize = this.options.pseudonymize;
    const kept = pseudonymize ? pseudonymize(validUserId(userId)) : validUserId(userId);
    const command = create(UserErasureCommandSchema, { requestId: randomUUID(), userId: kept, requestedAtMs: BigInt(this.clock()), pseudonymized: pseudonymize !== undefined });
    // Rows first: a command published first would be carried out by the worker at the same
    // time, and the answer would count only the rows this call happened to remove.
    const answer = await this.eraseStored(command, 'grpc');
    await this.options.bus.publish(this.options.topics.erasureCommands, [{ key: command.userId, value: Buffer.from(toBinary(UserErasureCommandSchema, command)) }]);
    return answer;
  }

  /** Removes the user's rows from every table (again, if already done: idempotent). */
  async eraseStored(command: UserErasureCommand, source: 'grpc' | 'command'): Promise<EraseUserResponse> {
    const pseudonymize = this.options.pseudonymize;
    const counts = await this.options.store.erase(pseudonymize && !command.pseudonymized ? pseudonymize(command.userId) : command.userId);
    const total = counts.reduce((n, c) => n + c.rows, 0);
    for (const c of counts) if (c.rows > 0) this.options.metrics.erasedRows.inc({ table: c.table }, c.rows);
    this.options.metrics.erasures.inc({ source });
    this.logger.log(`erasure ${command.requestId} (${source}): ${total} rows removed${total > 0 ? ` (${counts.filter((c) => c.rows > 0).map((c) => `${c.table} ${c.rows}`).join(', ')})` : ''}`);
    return create(EraseUserResponseSchema, {
      requestId: command.requestId,
      tables: counts.map((c) => create(ErasedRowsSchema, { table: c.table, rows: BigInt(c.rows) })),
      rowsErased: BigInt(total),
    });
  }
}

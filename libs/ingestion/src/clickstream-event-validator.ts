import { JsonValue } from '@bufbuild/protobuf';
import { Action, ClickstreamEvent, ClickstreamEventSchema, EventContext, parseAction } from '@recmesh/contracts';
import { checkCurrency, checkId, checkNumber, checkStoredJson, checkText, checkTimestamp, firstFailure } from './field-checks';
import { decodeRawMessage } from './raw-message-decoder';
import { reject, Rejection } from './rejection';
import { MAX_PRICE, MAX_QUANTITY, ValidationLimits } from './validation-limits';

/** Lets JSON producers write "view" / "purchase" instead of the proto enum names. */
function acceptShortActionNames(json: Record<string, JsonValue>): void {
  const action = json['action'];
  if (typeof action === 'string' && !action.startsWith('ACTION_')) {
    const parsed = parseAction(action);
    if (parsed !== undefined) json['action'] = parsed;
  }
}

/** An event's context as clickstream_events.context stores it (JSON). */
export function storedContext(ctx: EventContext): { page: string; device: string; referrer: string; locale: string; extra: Record<string, string> } {
  return { page: ctx.page, device: ctx.device, referrer: ctx.referrer, locale: ctx.locale, extra: ctx.extra };
}

/** Decodes, checks and normalizes one raw clickstream record. */
export class ClickstreamEventValidator {
  constructor(
    private readonly limits: ValidationLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  parse(value: Buffer | null, headers: Readonly<Record<string, string>>): ClickstreamEvent | Rejection {
    if (value && value.length > this.limits.maxMessageBytes) {
      return reject.oversize(`${value.length} bytes, limit ${this.limits.maxMessageBytes}`);
    }
    const decoded = decodeRawMessage(ClickstreamEventSchema, value, headers, acceptShortActionNames);
    if (decoded instanceof Rejection) return decoded;
    return this.validate(decoded) ?? this.normalize(decoded);
  }

  validate(e: ClickstreamEvent): Rejection | undefined {
    const ctx = e.context;
    return firstFailure(
      () => checkId('event_id', e.eventId),
      () => checkId('user_id', e.userId),
      () => checkId('item_id', e.itemId),
      () => (e.action === Action.UNSPECIFIED ? reject.missing('action') : undefined),
      () => (Action[e.action] === undefined ? reject.range(`action ${e.action} is not a known Action`) : undefined),
      () => checkText('session_id', e.sessionId, 128, true),
      () => checkText('rec_id', e.recId, 128, true),
      () => checkNumber('quantity', e.quantity, 0, MAX_QUANTITY),
      () => checkNumber('price', e.price, 0, MAX_PRICE),
      () => checkCurrency(e.currency),
      () => (e.action === Action.RATE && e.rating === undefined ? reject.missing('rating (for action rate)') : undefined),
      () => checkNumber('rating', e.rating, 0, 5),
      () => checkTimestamp(e.tsMs, this.clock(), this.limits.maxEventAgeMs, this.limits.maxFutureSkewMs),
      () => (ctx ? checkText('context.page', ctx.page, 64) ?? checkText('context.device', ctx.device, 64) : undefined),
      () => (ctx && Object.keys(ctx.extra).length > 32 ? reject.range('context.extra has more than 32 entries') : undefined),
      () => (ctx ? checkStoredJson('context', JSON.stringify(storedContext(ctx))) : undefined),
    );
  }

  private normalize(e: ClickstreamEvent): ClickstreamEvent {
    if (e.quantity === 0) e.quantity = 1;
    return e;
  }
}

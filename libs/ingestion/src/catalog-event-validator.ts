import { toJsonString } from '@bufbuild/protobuf';
import { CatalogEvent, CatalogEventSchema } from '@recmesh/contracts';
import { checkCurrency, checkId, checkNumber, checkStoredJson, checkText, checkTimestamp, firstFailure } from './field-checks';
import { decodeRawMessage } from './raw-message-decoder';
import { reject, Rejection } from './rejection';
import { MAX_PRICE, ValidationLimits } from './validation-limits';

const MAX_CATEGORY_DEPTH = 10;
const MAX_ATTRIBUTES = 64;

/** Decodes and checks one raw catalog record (upsert or delete). */
export class CatalogEventValidator {
  constructor(
    private readonly limits: ValidationLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  parse(value: Buffer | null, headers: Readonly<Record<string, string>>): CatalogEvent | Rejection {
    if (value && value.length > this.limits.maxMessageBytes) {
      return reject.oversize(`${value.length} bytes, limit ${this.limits.maxMessageBytes}`);
    }
    const decoded = decodeRawMessage(CatalogEventSchema, value, headers);
    if (decoded instanceof Rejection) return decoded;
    return this.validate(decoded) ?? decoded;
  }

  validate(e: CatalogEvent): Rejection | undefined {
    const common = firstFailure(
      () => checkId('event_id', e.eventId),
      () => checkTimestamp(e.tsMs, this.clock(), this.limits.maxEventAgeMs, this.limits.maxFutureSkewMs),
    );
    if (common) return common;
    switch (e.change.case) {
      case 'delete':
        return checkId('delete.item_id', e.change.value.itemId);
      case 'upsert': {
        const item = e.change.value;
        return firstFailure(
          () => checkId('upsert.item_id', item.itemId),
          () => (item.title.trim() === '' ? reject.missing('upsert.title') : checkText('upsert.title', item.title, 512)),
          () => checkText('upsert.description', item.description, 20_000),
          () => checkText('upsert.brand', item.brand, 128),
          () => (item.categoryPath.length > MAX_CATEGORY_DEPTH ? reject.range(`category_path deeper than ${MAX_CATEGORY_DEPTH}`) : undefined),
          () => (item.categoryPath.some((c) => c.trim() === '' || c.length > 128) ? reject.range('category_path has an empty or overlong level') : undefined),
          () => checkNumber('upsert.price', item.price, 0, MAX_PRICE),
          () => checkCurrency(item.currency),
          () => (Object.keys(item.attributes).length > MAX_ATTRIBUTES ? reject.range(`more than ${MAX_ATTRIBUTES} attributes`) : undefined),
          () => Object.entries(item.attributes).map(([k, v]) => checkText(`attributes.${k.slice(0, 32)}`, k.length > 64 ? k : v, k.length > 64 ? 64 : 512)).find(Boolean),
          // catalog_events.payload keeps the whole event as JSON; it covers description, category_path and attributes too.
          () => checkStoredJson('the event', toJsonString(CatalogEventSchema, e)),
        );
      }
      default:
        return reject.missing('change (upsert or delete)');
    }
  }
}

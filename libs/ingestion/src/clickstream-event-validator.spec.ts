import { create, toBinary } from '@bufbuild/protobuf';
import { Action, ClickstreamEventSchema } from '@recmesh/contracts';
import { ClickstreamEventValidator } from './clickstream-event-validator';
import { Rejection } from './rejection';
import { DEFAULT_VALIDATION_LIMITS } from './validation-limits';

const NOW = 1_763_800_000_000;
const validator = new ClickstreamEventValidator(DEFAULT_VALIDATION_LIMITS, () => NOW);
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const base = { event_id: 'e1', user_id: 'u1', session_id: 's1', item_id: 'i1', action: 'view', ts_ms: NOW - 1000 };

function rejectionCode(value: Buffer | null, headers: Record<string, string> = {}): string {
  const result = validator.parse(value, headers);
  if (!(result instanceof Rejection)) throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result.code;
}

describe('ClickstreamEventValidator', () => {
  it('accepts JSON with short action names and proto field names', () => {
    const e = validator.parse(json({ ...base, action: 'add_to_cart', price: 12.5, currency: 'EUR', context: { page: 'product' } }), {});
    expect(e).not.toBeInstanceOf(Rejection);
    const event = e as Exclude<typeof e, Rejection>;
    expect(event.action).toBe(Action.ADD_TO_CART);
    expect(event.quantity).toBe(1);
    expect(event.tsMs).toBe(BigInt(NOW - 1000));
    expect(event.context?.page).toBe('product');
  });

  it('accepts lowerCamelCase JSON and the proto enum name', () => {
    const e = validator.parse(json({ eventId: 'e2', userId: 'u', itemId: 'i', action: 'ACTION_PURCHASE', tsMs: String(NOW), quantity: 2 }), {});
    expect(e).not.toBeInstanceOf(Rejection);
  });

  it('accepts binary protobuf', () => {
    const msg = create(ClickstreamEventSchema, { eventId: 'e3', userId: 'u', itemId: 'i', action: Action.RATE, rating: 4, tsMs: BigInt(NOW) });
    const e = validator.parse(Buffer.from(toBinary(ClickstreamEventSchema, msg)), { 'content-type': 'application/x-protobuf' });
    expect(e).not.toBeInstanceOf(Rejection);
  });

  it.each([
    ['non-JSON garbage', Buffer.from('\x00\x01garbage\xff\xfe'), 'undecodable'],
    ['broken JSON', Buffer.from('{"event_id": "e1", '), 'undecodable'],
    ['empty body', Buffer.alloc(0), 'undecodable'],
    ['a JSON array', json([base]), 'schema_violation'],
    ['a wrong type', json({ ...base, ts_ms: 'yesterday' }), 'schema_violation'],
    ['an unknown field', json({ ...base, colour: 'red' }), 'schema_violation'],
    ['an unknown action', json({ ...base, action: 'steal' }), 'schema_violation'],
    ['a missing user_id', json({ ...base, user_id: undefined }), 'missing_field'],
    ['a blank event_id', json({ ...base, event_id: '  ' }), 'missing_field'],
    ['no action', json({ ...base, action: undefined }), 'missing_field'],
    ['a rate without rating', json({ ...base, action: 'rate' }), 'missing_field'],
    ['a negative price', json({ ...base, price: -1 }), 'out_of_range'],
    ['a rating of 11', json({ ...base, action: 'rate', rating: 11 }), 'out_of_range'],
    ['a huge quantity', json({ ...base, quantity: 1_000_000 }), 'out_of_range'],
    ['a bad currency', json({ ...base, currency: 'euro' }), 'out_of_range'],
    ['an overlong id', json({ ...base, item_id: 'x'.repeat(200) }), 'out_of_range'],
    ['a timestamp in 1970', json({ ...base, ts_ms: 1000 }), 'timestamp_out_of_range'],
    ['a timestamp next year', json({ ...base, ts_ms: NOW + 365 * 86_400_000 }), 'timestamp_out_of_range'],
    ['a missing timestamp', json({ ...base, ts_ms: undefined }), 'missing_field'],
    ['an oversize body', json({ ...base, session_id: 'x'.repeat(70_000) }), 'oversize'],
  ])('rejects %s', (_name, value, code) => {
    expect(rejectionCode(value)).toBe(code);
  });

  it('rejects truncated protobuf and protobuf of another shape', () => {
    const full = Buffer.from(
      toBinary(ClickstreamEventSchema, create(ClickstreamEventSchema, { eventId: 'e4', userId: 'user-4', itemId: 'item-4', action: Action.VIEW, tsMs: BigInt(NOW) })),
    );
    expect(rejectionCode(full.subarray(0, full.length - 3), { 'content-type': 'application/x-protobuf' })).toBe('undecodable');
    // field 15 (unknown) as a varint
    expect(rejectionCode(Buffer.from([0x78, 0x01]))).toBe('undecodable');
  });

  // Found by fuzzing (issue 13): context.referrer, locale and extra have no length limit of their own, and
  // control characters grow sixfold in the JSON clickstream_events.context stores, past a MySQL TEXT
  // column: the batch failed on every redelivery. Such an event is now dead-lettered with the size.
  it('rejects an event whose stored context would not fit a TEXT column, though its raw bytes are under the limit', () => {
    const msg = create(ClickstreamEventSchema, { eventId: 'e5', userId: 'u', itemId: 'i', action: Action.VIEW, tsMs: BigInt(NOW), context: { referrer: '\u0001'.repeat(20_000) } });
    const bytes = Buffer.from(toBinary(ClickstreamEventSchema, msg));
    expect(bytes.length).toBeLessThan(DEFAULT_VALIDATION_LIMITS.maxMessageBytes);
    const result = validator.parse(bytes, { 'content-type': 'application/x-protobuf' });
    expect(result).toBeInstanceOf(Rejection);
    expect((result as Rejection).code).toBe('out_of_range');
    expect((result as Rejection).detail).toMatch(/^context is \d+ bytes as stored JSON, more than 65535$/);
    // Within the limit, the same context is stored as it came.
    const fits = create(ClickstreamEventSchema, { eventId: 'e6', userId: 'u', itemId: 'i', action: Action.VIEW, tsMs: BigInt(NOW), context: { referrer: '\u0001'.repeat(10_000) } });
    expect(validator.parse(Buffer.from(toBinary(ClickstreamEventSchema, fits)), { 'content-type': 'application/x-protobuf' })).not.toBeInstanceOf(Rejection);
  });
});

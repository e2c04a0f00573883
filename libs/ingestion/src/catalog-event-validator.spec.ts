import { create, toBinary } from '@bufbuild/protobuf';
import { CatalogEventSchema } from '@recmesh/contracts';
import { CatalogEventValidator } from './catalog-event-validator';
import { Rejection } from './rejection';
import { DEFAULT_VALIDATION_LIMITS } from './validation-limits';

const NOW = 1_763_800_000_000;
const validator = new CatalogEventValidator(DEFAULT_VALIDATION_LIMITS, () => NOW);
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const upsert = { item_id: 'p1', title: 'Phone X', category_path: ['Electronics', 'Phones'], brand: 'Acme', price: 499, currency: 'EUR', in_stock: true, attributes: { color: 'black' } };

describe('CatalogEventValidator', () => {
  it('accepts an upsert and a delete', () => {
    const up = validator.parse(json({ event_id: 'c1', ts_ms: NOW, upsert }), {});
    expect(up).not.toBeInstanceOf(Rejection);
    if (!(up instanceof Rejection)) expect(up.change.case).toBe('upsert');
    const del = validator.parse(json({ event_id: 'c2', ts_ms: NOW, delete: { item_id: 'p1' } }), {});
    expect(del).not.toBeInstanceOf(Rejection);
  });

  it.each([
    ['no change', { event_id: 'c', ts_ms: NOW }, 'missing_field'],
    ['no title', { event_id: 'c', ts_ms: NOW, upsert: { ...upsert, title: '' } }, 'missing_field'],
    ['no item id', { event_id: 'c', ts_ms: NOW, delete: {} }, 'missing_field'],
    ['a negative price', { event_id: 'c', ts_ms: NOW, upsert: { ...upsert, price: -5 } }, 'out_of_range'],
    ['a deep category path', { event_id: 'c', ts_ms: NOW, upsert: { ...upsert, category_path: Array(11).fill('x') } }, 'out_of_range'],
    ['in_stock as a string', { event_id: 'c', ts_ms: NOW, upsert: { ...upsert, in_stock: 'yes' } }, 'schema_violation'],
  ])('rejects %s', (_name, body, code) => {
    const result = validator.parse(json(body), {});
    expect(result).toBeInstanceOf(Rejection);
    expect((result as Rejection).code).toBe(code);
  });

  // Found by fuzzing (issue 13): a description of control characters is 1 byte each in protobuf but
  // "\u0001" (6 bytes) in the JSON catalog_events.payload stores, past what a MySQL TEXT column holds:
  // the batch failed on every redelivery. Such an event is now dead-lettered with the size.
  it('rejects an event whose stored JSON would not fit a TEXT column, though its raw bytes are under the limit', () => {
    const event = create(CatalogEventSchema, { eventId: 'c', tsMs: BigInt(NOW), change: { case: 'upsert', value: { itemId: 'p1', title: 'Phone X', description: '\u0001'.repeat(12_000) } } });
    const bytes = Buffer.from(toBinary(CatalogEventSchema, event));
    expect(bytes.length).toBeLessThan(DEFAULT_VALIDATION_LIMITS.maxMessageBytes);
    const result = validator.parse(bytes, { 'content-type': 'application/x-protobuf' });
    expect(result).toBeInstanceOf(Rejection);
    expect((result as Rejection).code).toBe('out_of_range');
    expect((result as Rejection).detail).toMatch(/^the event is \d+ bytes as stored JSON, more than 65535$/);
    // 64 attribute values of 512 quotes: within every per-field limit, 33 kB in protobuf, 66 kB escaped.
    const attributes = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`a${i}`, '"'.repeat(512)]));
    const quotes = create(CatalogEventSchema, { eventId: 'c', tsMs: BigInt(NOW), change: { case: 'upsert', value: { itemId: 'p1', title: 'Phone X', attributes } } });
    expect((validator.parse(Buffer.from(toBinary(CatalogEventSchema, quotes)), { 'content-type': 'application/x-protobuf' }) as Rejection).code).toBe('out_of_range');
  });
});

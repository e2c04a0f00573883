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
});

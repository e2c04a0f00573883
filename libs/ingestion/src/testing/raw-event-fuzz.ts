// Hostile raw events for property-based fuzzing (issue 13): fast-check arbitraries for raw clickstream
// and catalog records (valid-shaped JSON and protobuf, mutated encodings, arbitrary bytes and JSON) and
// a target that runs each one through the real IngestPipeline (validators, dead letters, normalized
// records) with stores that check every row against its MySQL column. Used by the *.fuzz.spec.ts
// (short, seeded runs in CI) and by tools/bench/fuzz (100,000+ inputs per surface).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  Action,
  CatalogEventSchema,
  ClickstreamEventSchema,
  ContentTypeHeader,
  ContentTypes,
  DeadLetterHeaders,
  DeadLetterReason,
  resolveTopicNames,
} from '@recmesh/contracts';
import { BusMessage, MessageBus, OutgoingMessage } from '@recmesh/messaging';
import { CatalogEventEntity, CatalogItemEntity, CatalogStore, ClickstreamEventEntity, ClickstreamEventStore } from '@recmesh/persistence';
import * as fc from 'fast-check';
import { Registry } from 'prom-client';
import { getMetadataArgsStorage } from 'typeorm';
import { CatalogEventValidator } from '../catalog-event-validator';
import { ClickstreamEventValidator } from '../clickstream-event-validator';
import { IngestMetrics } from '../ingest-metrics';
import { IngestPipeline } from '../ingest-pipeline';
import { DEFAULT_VALIDATION_LIMITS, ValidationLimits } from '../validation-limits';

/** The ingest clock of every fuzz run: timestamps are generated around it. */
export const FUZZ_NOW_MS = 1_763_800_000_000;

/** One raw record as it arrives on a raw topic. */
export interface RawRecord {
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export type RawStream = 'clickstream' | 'catalog';

/** The reason codes a dead letter may carry: the proto enum without UNSPECIFIED. */
export const DEAD_LETTER_CODES: ReadonlySet<string> = new Set(
  Object.values(DeadLetterReason)
    .filter((v): v is DeadLetterReason => typeof v === 'number' && v !== DeadLetterReason.UNSPECIFIED)
    .map((v) => DeadLetterReason[v].toLowerCase()),
);

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Any UTF-16 code unit, lone surrogates included (JSON.parse makes them from "\ud800"). */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Characters that grow when stored: JSON escapes (6 bytes for a control), 3- and 4-byte UTF-8. */
const EXPANDING = ['"', '\\', '\u0001', '\u001f', '\u007f', '\u0085', 'é', '€', '😀', '\u2028', ' '];

/** Free text: short and plain most of the time, sometimes hostile or long enough to overflow a column. */
export function hostileText(maxLength = 200): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.string({ maxLength: 24 }), weight: 6 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }), weight: 2 },
    { arbitrary: fc.string({ unit: codeUnit, maxLength: 24 }), weight: 2 },
    { arbitrary: fc.constantFrom('', ' ', '\t\n', '\u0000', '\ud800', '\udc00x', '😀', 'NaN', 'null', '__proto__', 'constructor'), weight: 2 },
    { arbitrary: fc.string({ minLength: Math.min(100, maxLength), maxLength: Math.min(400, maxLength) }), weight: 1 },
    {
      arbitrary: fc.tuple(fc.constantFrom(...EXPANDING), fc.integer({ min: 1, max: maxLength })).map(([c, n]) => c.repeat(n)),
      weight: 1,
    },
  );
}

/** Identifiers: mostly valid, sometimes blank, overlong (128 is the limit) or with control characters. */
export const idText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9-]{1,24}$/), weight: 12 },
  { arbitrary: hostileText(140), weight: 3 },
  { arbitrary: fc.constantFrom('x'.repeat(128), 'x'.repeat(129), '😀'.repeat(64), '😀'.repeat(65)), weight: 1 },
);

/** Numbers as a JSON producer might send them: in range, off range, as strings, non-finite. */
function jsonNumber(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.double({ min, max, noNaN: true }), weight: 6 },
    { arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, 2 ** 31)) }), weight: 4 },
    { arbitrary: fc.constantFrom(-1, -0, 0, 1e308, -1e308, 2 ** 32, 2 ** 53 + 1, 0.5, 'NaN', 'Infinity', '-Infinity', '1e3', '12', '', null, true), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  );
}

/** ts_ms in JSON: mostly inside the accepted window, else anywhere (strings, floats, huge). */
const jsonTimestamp: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: FUZZ_NOW_MS - 29 * 86_400_000, max: FUZZ_NOW_MS + 60_000 }), weight: 8 },
  { arbitrary: fc.integer({ min: FUZZ_NOW_MS - 29 * 86_400_000, max: FUZZ_NOW_MS }).map(String), weight: 2 },
  { arbitrary: fc.constantFrom(0, -1, 1, 1.5, 1e19, -1e19, 9.3e18, '9223372036854775807', '-9223372036854775808', '9223372036854775808', '0x10', ' 1 ', '', 'yesterday', null), weight: 2 },
  { arbitrary: fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

const ACTION_WORDS = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase', 'rate', 'VIEW', 'ACTION_VIEW', 'ACTION_RATE', 'action_purchase', 'ACTION_UNSPECIFIED', 'unspecified', 'steal', ''];
const jsonAction: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...ACTION_WORDS), weight: 8 },
  { arbitrary: fc.integer({ min: -2, max: 9 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
);

const currency = fc.oneof({ arbitrary: fc.constantFrom('', 'EUR', 'USD', 'eur', 'EURO', '€'), weight: 5 }, { arbitrary: hostileText(8), weight: 1 });

/** A JSON object's keys in proto (snake_case) or JSON (lowerCamelCase) spelling, with a stray key now and then. */
function spelled(record: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(record, fc.boolean(), fc.option(fc.tuple(hostileText(16), fc.jsonValue({ maxDepth: 2 })), { freq: 10 }))
    .map(([r, camel, stray]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) out[camel ? k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) : k] = v;
      if (stray) out[stray[0]] = stray[1];
      return out;
    });
}

const contextJson = fc.record(
  {
    page: hostileText(80),
    device: hostileText(80),
    referrer: hostileText(70_000),
    locale: hostileText(70_000),
    extra: fc.oneof({ arbitrary: fc.dictionary(hostileText(40), hostileText(4000), { maxKeys: 6 }), weight: 4 }, { arbitrary: fc.dictionary(fc.string(), fc.string(), { minKeys: 30, maxKeys: 40 }), weight: 1 }),
  },
  { requiredKeys: [] },
);

const validId = fc.stringMatching(/^[a-z0-9-]{1,24}$/);
const validTimestamp = fc.integer({ min: FUZZ_NOW_MS - 29 * 86_400_000, max: FUZZ_NOW_MS + 60_000 });

/** A clickstream event whose fields are all valid but for the free text of its context (unbounded, stored as JSON). */
const validClickstreamJson = fc.record(
  {
    event_id: validId,
    user_id: validId,
    session_id: validId,
    item_id: validId,
    action: fc.constantFrom('view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase'),
    quantity: fc.integer({ min: 0, max: 10 }),
    price: fc.double({ min: 0, max: 1e6, noNaN: true }),
    currency: fc.constantFrom('', 'EUR'),
    ts_ms: validTimestamp,
    rec_id: validId,
    context: fc.record(
      {
        page: fc.string({ maxLength: 64 }),
        device: fc.string({ maxLength: 64 }),
        referrer: hostileText(70_000),
        locale: hostileText(70_000),
        extra: fc.dictionary(hostileText(40), hostileText(20_000), { maxKeys: 32 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['event_id', 'user_id', 'item_id', 'action', 'ts_ms'] },
);

/** A clickstream event as a JSON object: valid but for its free text, or hostile field by field. */
export const clickstreamJson: fc.Arbitrary<Record<string, unknown>> = fc.oneof(validClickstreamJson, spelled(
  fc.record(
    {
      event_id: idText,
      user_id: idText,
      session_id: idText,
      item_id: idText,
      action: jsonAction,
      quantity: jsonNumber(0, 20_000),
      price: jsonNumber(-10, 2e9),
      currency,
      rating: jsonNumber(-1, 6),
      ts_ms: jsonTimestamp,
      rec_id: idText,
      context: fc.oneof({ arbitrary: contextJson, weight: 4 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 }),
    },
    { requiredKeys: ['event_id', 'user_id', 'item_id', 'action', 'ts_ms'] },
  ),
));

const protoTimestamp: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.bigInt({ min: BigInt(FUZZ_NOW_MS - 29 * 86_400_000), max: BigInt(FUZZ_NOW_MS + 60_000) }), weight: 8 },
  { arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), weight: 2 },
);

const protoDouble: fc.Arbitrary<number | undefined> = fc.option(
  fc.oneof({ arbitrary: fc.double({ min: -1, max: 1e6, noNaN: true }), weight: 6 }, { arbitrary: fc.double(), weight: 1 }),
  { freq: 3 },
);

/** A clickstream event built field by field and encoded as binary protobuf. */
export const clickstreamProto: fc.Arbitrary<Uint8Array> = fc
  .record({
    eventId: idText,
    userId: idText,
    sessionId: idText,
    itemId: idText,
    action: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 6 }), weight: 8 }, { arbitrary: fc.integer({ min: -3, max: 1000 }), weight: 1 }),
    quantity: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 20 }), weight: 6 }, { arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }), weight: 1 }),
    price: protoDouble,
    currency,
    rating: protoDouble,
    tsMs: protoTimestamp,
    recId: idText,
    context: fc.option(
      fc.record({ page: hostileText(80), device: hostileText(80), referrer: hostileText(70_000), locale: hostileText(200), extra: fc.dictionary(hostileText(40), hostileText(4000), { maxKeys: 36 }) }),
      { freq: 2 },
    ),
  })
  .map((init) => toBinary(ClickstreamEventSchema, create(ClickstreamEventSchema, { ...init, action: init.action as Action, context: init.context ?? undefined })));

const categoryPath = fc.oneof(
  { arbitrary: fc.array(fc.stringMatching(/^[A-Za-z &]{1,20}$/), { maxLength: 4 }), weight: 6 },
  { arbitrary: fc.array(hostileText(140), { maxLength: 12 }), weight: 2 },
);

const attributes = fc.oneof(
  { arbitrary: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.string({ maxLength: 20 }), { maxKeys: 5 }), weight: 6 },
  { arbitrary: fc.dictionary(hostileText(70), hostileText(600), { maxKeys: 70 }), weight: 2 },
  {
    // Many values at the 512-character limit, made of characters JSON escapes.
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 64 }), fc.constantFrom(...EXPANDING)).map(([n, c]) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, c.repeat(512)]))),
    weight: 1,
  },
);

const catalogItemFields = {
  title: fc.oneof({ arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 6 }, { arbitrary: hostileText(600), weight: 2 }),
  description: fc.oneof({ arbitrary: fc.string({ maxLength: 80 }), weight: 4 }, { arbitrary: hostileText(21_000), weight: 2 }),
  brand: hostileText(140),
  currency,
};

/** A catalog upsert whose fields are all valid but for its free text (description, brand, attribute values). */
const validCatalogJson = fc.record({
  event_id: validId,
  ts_ms: validTimestamp,
  upsert: fc.record(
    {
      item_id: validId,
      title: fc.stringMatching(/^[A-Za-z0-9 ]{1,40}$/),
      description: hostileText(20_000),
      brand: fc.string({ maxLength: 128 }),
      category_path: fc.array(fc.stringMatching(/^[A-Za-z]{1,20}$/), { maxLength: 4 }),
      price: fc.double({ min: 0, max: 1e6, noNaN: true }),
      attributes,
    },
    { requiredKeys: ['item_id', 'title'] },
  ),
});

/** A catalog event (upsert, delete or neither) as a JSON object: valid but for its free text, or hostile field by field. */
export const catalogJson: fc.Arbitrary<Record<string, unknown>> = fc.oneof(validCatalogJson, spelled(
  fc.record(
    {
      event_id: idText,
      ts_ms: jsonTimestamp,
      upsert: spelled(
        fc.record(
          { item_id: idText, ...catalogItemFields, category_path: categoryPath, price: jsonNumber(-10, 2e9), in_stock: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })), attributes },
          { requiredKeys: ['item_id', 'title'] },
        ),
      ),
      delete: fc.record({ item_id: idText }, { requiredKeys: [] }),
    },
    { requiredKeys: ['event_id', 'ts_ms'] },
  ),
).map((e) => {
  // Usually one change, as the oneof wants; both or neither now and then.
  const both = 'upsert' in e && 'delete' in e && JSON.stringify(e).length % 7 !== 0;
  if (both) delete e[e.event_id === undefined || String(e.event_id).length % 2 === 0 ? 'delete' : 'upsert'];
  return e;
}));

/** A catalog event built field by field and encoded as binary protobuf. */
export const catalogProto: fc.Arbitrary<Uint8Array> = fc
  .record({
    eventId: idText,
    tsMs: protoTimestamp,
    change: fc.oneof(
      {
        arbitrary: fc
          .record({ itemId: idText, ...catalogItemFields, categoryPath, price: protoDouble, inStock: fc.option(fc.boolean()), attributes })
          .map((value) => ({ case: 'upsert' as const, value: { ...value, inStock: value.inStock ?? undefined } })),
        weight: 6,
      },
      { arbitrary: idText.map((itemId) => ({ case: 'delete' as const, value: { itemId } })), weight: 2 },
      { arbitrary: fc.constant({ case: undefined }), weight: 1 },
    ),
  })
  .map((init) => toBinary(CatalogEventSchema, create(CatalogEventSchema, init)));

/** A valid encoding damaged: bytes flipped, cut, inserted or repeated. */
export function mutatedBytes(source: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  );
  return fc.tuple(source, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([bytes, edits]) => {
    let b = Buffer.from(bytes);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip' && b.length > 0) b[at] = e.value;
      else if (e.kind === 'cut') b = b.subarray(0, at);
      else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
      else if (e.kind === 'repeat') b = Buffer.concat([b.subarray(0, at + e.length), b.subarray(at)]);
    }
    return new Uint8Array(b);
  });
}

const jsonHeaders = fc.constantFrom<Record<string, string>>({}, { [ContentTypeHeader]: ContentTypes.json }, { [ContentTypeHeader]: 'Application/JSON; charset=utf-8' });
const protobufHeaders = fc.constantFrom<Record<string, string>>({}, { [ContentTypeHeader]: ContentTypes.protobuf });
const anyHeaders = fc.oneof(
  jsonHeaders,
  protobufHeaders,
  fc.record({ [ContentTypeHeader]: fc.string({ maxLength: 40 }) }),
  fc.dictionary(fc.string({ maxLength: 16 }), fc.string({ maxLength: 16 }), { maxKeys: 3 }),
);

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Every kind of raw record for one stream, weighted towards the valid-shaped ones. */
export function rawRecords(stream: RawStream): fc.Arbitrary<RawRecord> {
  const json = stream === 'clickstream' ? clickstreamJson : catalogJson;
  const proto = stream === 'clickstream' ? clickstreamProto : catalogProto;
  const jsonBytes = json.map((o) => new Uint8Array(utf8(JSON.stringify(o))));
  const record = (value: fc.Arbitrary<Uint8Array | Buffer | null>, headers: fc.Arbitrary<Record<string, string>>) =>
    fc.tuple(value, headers).map(([v, h]): RawRecord => ({ value: v === null ? null : Buffer.from(v), headers: h }));
  return fc.oneof(
    { arbitrary: record(jsonBytes, jsonHeaders), weight: 6 },
    { arbitrary: record(proto, protobufHeaders), weight: 6 },
    { arbitrary: record(mutatedBytes(jsonBytes), jsonHeaders), weight: 2 },
    { arbitrary: record(mutatedBytes(proto), protobufHeaders), weight: 2 },
    { arbitrary: record(fc.jsonValue({ maxDepth: 4 }).map((v) => new Uint8Array(utf8(JSON.stringify(v) ?? 'null'))), anyHeaders), weight: 1 },
    { arbitrary: record(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constant(null), fc.constant(new Uint8Array(0))), anyHeaders), weight: 1 },
    {
      // Deep nesting: JSON arrays and protobuf start-group tags (field 1, wire type 3).
      arbitrary: record(
        fc.tuple(fc.constantFrom('[', '{"a":', '\x0b'), fc.integer({ min: 1, max: 60_000 })).map(([open, n]) => new Uint8Array(utf8(open.repeat(n)))),
        anyHeaders,
      ),
      weight: 1,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// The target

/** What MySQL refuses of a row (strict mode): what the stub stores check, so an accepted event that cannot be stored is a crash. */
interface ColumnRule {
  readonly property: string;
  readonly column: string;
  readonly type: string;
  readonly length?: number;
  readonly nullable: boolean;
}

/** MySQL TEXT: 65,535 bytes. */
export const MYSQL_TEXT_BYTES = 65_535;

function columnRules(entity: object): ColumnRule[] {
  return getMetadataArgsStorage()
    .columns.filter((c) => c.target === entity)
    .map((c) => ({
      property: c.propertyName,
      column: (c.options.name as string | undefined) ?? c.propertyName,
      type: String(c.options.type),
      length: c.options.length === undefined ? undefined : Number(c.options.length),
      nullable: c.options.nullable === true,
    }));
}

const INT_RANGES: Record<string, [number, number]> = { smallint: [-32_768, 32_767], int: [-(2 ** 31), 2 ** 31 - 1], bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

/** The first reason MySQL would refuse `row` for `entity`'s table, or undefined. */
export function mysqlRowProblem(entity: object, row: Record<string, unknown>): string | undefined {
  for (const rule of columnRules(entity)) {
    const value = row[rule.property];
    if (value === undefined) continue; // the column default
    if (value === null) {
      if (!rule.nullable) return `${rule.column} is NULL but NOT NULL`;
      continue;
    }
    switch (rule.type) {
      case 'varchar':
        if (typeof value !== 'string') return `${rule.column} is ${typeof value}, not a string`;
        if (rule.length !== undefined && [...value].length > rule.length) return `${rule.column} has ${[...value].length} characters, VARCHAR(${rule.length})`;
        break;
      case 'text':
      case 'simple-json': {
        const stored = rule.type === 'simple-json' ? JSON.stringify(value) : value;
        if (typeof stored !== 'string') return `${rule.column} is not text`;
        const bytes = Buffer.byteLength(stored, 'utf8');
        if (bytes > MYSQL_TEXT_BYTES) return `${rule.column} is ${bytes} bytes, more than a TEXT column holds (${MYSQL_TEXT_BYTES})`;
        break;
      }
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) return `${rule.column}=${String(value)} is not a finite double`;
        break;
      default: {
        const range = INT_RANGES[rule.type];
        if (range && (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1])) {
          return `${rule.column}=${String(value)} does not fit ${rule.type.toUpperCase()}`;
        }
      }
    }
  }
  return undefined;
}

/** A store that keeps nothing and throws what MySQL would throw for a row that does not fit. */
function checkRows(entity: object, rows: readonly object[]): void {
  for (const row of rows) {
    const problem = mysqlRowProblem(entity, row as Record<string, unknown>);
    if (problem) throw new Error(`MySQL would refuse the row (the batch would fail and be redelivered forever): ${problem}`);
  }
}

function stored(ids: readonly string[]) {
  return { inserted: [...ids], toForward: new Set(ids), duplicates: [] };
}

class CapturingBus implements Pick<MessageBus, 'publish'> {
  published: Array<{ topic: string; message: OutgoingMessage }> = [];
  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.published.push({ topic, message });
  }
}

/**
 * Runs raw records through the real IngestPipeline, one record a batch, and checks what came
 * out: exactly one record, either a normalized event that validates again after its binary
 * round trip, or a dead letter whose reason is a documented code with a non-empty detail. The
 * stores check every row against its MySQL column. Anything else throws: a crash.
 */
export class IngestFuzzTarget {
  private readonly bus = new CapturingBus();
  private readonly topics = resolveTopicNames('fuzz.');
  private readonly pipeline: IngestPipeline;
  private readonly clickstream: ClickstreamEventValidator;
  private readonly catalog: CatalogEventValidator;
  private offset = 0;

  constructor(limits: ValidationLimits = DEFAULT_VALIDATION_LIMITS) {
    const clock = () => FUZZ_NOW_MS;
    const clickstreamStore = {
      storeBatch: async (rows: readonly ClickstreamEventEntity[]) => (checkRows(ClickstreamEventEntity, rows), stored(rows.map((r) => r.eventId))),
    } as unknown as ClickstreamEventStore;
    const catalogStore = {
      applyBatch: async (rows: readonly CatalogEventEntity[], changes: ReadonlyArray<{ kind: string; item?: CatalogItemEntity }>) => {
        checkRows(CatalogEventEntity, rows);
        const items = changes.flatMap((c) => (c.item ? [{ ...c.item, leafCategory: c.item.categoryPath[c.item.categoryPath.length - 1] ?? '' }] : []));
        checkRows(CatalogItemEntity, items);
        return stored(rows.map((r) => r.eventId));
      },
    } as unknown as CatalogStore;
    this.pipeline = new IngestPipeline({
      bus: this.bus as unknown as MessageBus,
      clickstreamStore,
      catalogStore,
      metrics: new IngestMetrics(new Registry()),
      limits,
      clock,
      topics: this.topics,
    });
    this.clickstream = new ClickstreamEventValidator(limits, clock);
    this.catalog = new CatalogEventValidator(limits, clock);
  }

  /** 'accepted', or the dead-letter reason code; throws on anything the contract does not allow. */
  async check(stream: RawStream, record: RawRecord): Promise<string> {
    this.bus.published = [];
    const topic = stream === 'catalog' ? this.topics.catalogRaw : this.topics.clickstreamRaw;
    const message: BusMessage = { topic, partition: 0, offset: String(this.offset++), key: null, value: record.value, headers: record.headers, timestampMs: FUZZ_NOW_MS };
    await this.pipeline.handle({ topic, partition: 0, messages: [message] });
    if (this.bus.published.length !== 1) throw new Error(`expected one record out of ingest, got ${this.bus.published.length}`);
    const [{ topic: out, message: result }] = this.bus.published;
    if (out === this.topics.ingestDeadLetter) {
      const code = result.headers?.[DeadLetterHeaders.reason];
      const detail = result.headers?.[DeadLetterHeaders.detail];
      if (code === undefined || !DEAD_LETTER_CODES.has(code)) throw new Error(`dead letter with reason ${JSON.stringify(code)}, not one of ${[...DEAD_LETTER_CODES].join(', ')}`);
      if (!detail || detail.trim() === '') throw new Error(`dead letter (${code}) without a detail`);
      return code;
    }
    const normalized = stream === 'catalog' ? this.topics.catalogNormalized : this.topics.clickstreamNormalized;
    if (out !== normalized) throw new Error(`record published to ${out}`);
    const bytes = result.value as Buffer;
    const again =
      stream === 'catalog' ? this.catalog.validate(fromBinary(CatalogEventSchema, bytes)) : this.clickstream.validate(fromBinary(ClickstreamEventSchema, bytes));
    if (again) throw new Error(`the normalized event no longer validates: ${again.code} ${again.detail}`);
    return 'accepted';
  }
}

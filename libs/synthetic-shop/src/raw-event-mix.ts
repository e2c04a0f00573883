import { create, toBinary } from '@bufbuild/protobuf';
import { ClickstreamEventSchema, ContentTypeHeader, ContentTypes, parseAction } from '@recmesh/contracts';
import { SeededRandom } from './random';
import { ShopEvent } from './synthetic-shop';

export type MalformedKind = 'wrong_type' | 'missing_id' | 'absurd_timestamp' | 'oversize' | 'garbage' | 'truncated_protobuf';

/** The dead-letter reason ingest must give each kind of malformed input. */
export const ExpectedReason: Record<MalformedKind, string> = {
  wrong_type: 'schema_violation',
  missing_id: 'missing_field',
  absurd_timestamp: 'timestamp_out_of_range',
  oversize: 'oversize',
  garbage: 'undecodable',
  truncated_protobuf: 'undecodable',
};

export interface RawRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  readonly kind: 'valid' | 'duplicate' | 'malformed';
  /** For valid and duplicate records. */
  readonly eventId?: string;
  readonly malformed?: MalformedKind;
}

export interface RawMixOptions {
  readonly malformedRate: number;
  readonly duplicateRate: number;
  readonly seed?: number;
  /** Bytes of an oversize record; must exceed ingest's limit. */
  readonly oversizeBytes?: number;
}

function encodeValid(e: ShopEvent, asProtobuf: boolean): { value: Buffer; headers: Record<string, string> } {
  if (asProtobuf) {
    const msg = create(ClickstreamEventSchema, {
      eventId: e.eventId, userId: e.userId, sessionId: e.sessionId, itemId: e.itemId,
      action: parseAction(e.action), quantity: e.quantity, price: e.price, currency: 'EUR', rating: e.rating, tsMs: BigInt(e.tsMs),
    });
    return { value: Buffer.from(toBinary(ClickstreamEventSchema, msg)), headers: { [ContentTypeHeader]: ContentTypes.protobuf } };
  }
  const body = {
    event_id: e.eventId, user_id: e.userId, session_id: e.sessionId, item_id: e.itemId, action: e.action,
    quantity: e.quantity, price: e.price, currency: 'EUR', rating: e.rating, ts_ms: e.tsMs, context: { page: 'product', device: 'mobile' },
  };
  return { value: Buffer.from(JSON.stringify(body)), headers: {} };
}

function encodeMalformed(kind: MalformedKind, e: ShopEvent, rng: SeededRandom, oversizeBytes: number): { value: Buffer; headers: Record<string, string> } {
  // Exactly one defect per record, so the expected reason is unambiguous.
  const body: Record<string, unknown> = { event_id: `bad-${e.eventId}`, user_id: e.userId, item_id: e.itemId, action: 'view', ts_ms: e.tsMs };
  switch (kind) {
    case 'wrong_type':
      return { value: Buffer.from(JSON.stringify({ ...body, quantity: 'three' })), headers: {} };
    case 'missing_id':
      return { value: Buffer.from(JSON.stringify({ ...body, user_id: '' })), headers: {} };
    case 'absurd_timestamp':
      return { value: Buffer.from(JSON.stringify({ ...body, ts_ms: 4_102_444_800_000 + rng.int(1e9) })), headers: {} };
    case 'oversize':
      return { value: Buffer.from(JSON.stringify({ ...body, session_id: 'x'.repeat(oversizeBytes) })), headers: {} };
    case 'garbage':
      return { value: Buffer.from(`\u0000\u0013not an event ${rng.next()} \u00ff`, 'latin1'), headers: {} };
    case 'truncated_protobuf': {
      const full = encodeValid({ ...e, eventId: `bad-${e.eventId}` }, true);
      return { value: full.value.subarray(0, Math.max(1, full.value.length - 4)), headers: full.headers };
    }
  }
}

const KINDS: readonly MalformedKind[] = ['wrong_type', 'missing_id', 'absurd_timestamp', 'oversize', 'garbage', 'truncated_protobuf'];

/**
 * Raw clickstream as a messy producer would send it: valid events (JSON and
 * protobuf), exact re-sends of earlier ones, and every kind of malformed input.
 * Each record says what it is, so a test knows exactly what must come out.
 */
export function buildRawClickstreamMix(events: readonly ShopEvent[], options: RawMixOptions): RawRecord[] {
  const rng = new SeededRandom(options.seed ?? 7);
  const out: RawRecord[] = [];
  const sent: RawRecord[] = [];
  let malformedIndex = 0;
  for (const e of events) {
    const roll = rng.next();
    if (roll < options.malformedRate) {
      const kind = KINDS[malformedIndex++ % KINDS.length];
      out.push({ key: e.userId, ...encodeMalformed(kind, e, rng, options.oversizeBytes ?? 70_000), kind: 'malformed', malformed: kind });
    } else if (roll < options.malformedRate + options.duplicateRate && sent.length > 0) {
      const original = sent[sent.length - 1 - rng.int(Math.min(sent.length, 200))];
      out.push({ ...original, kind: 'duplicate' });
    } else {
      const record: RawRecord = { key: e.userId, ...encodeValid(e, rng.chance(0.5)), kind: 'valid', eventId: e.eventId };
      out.push(record);
      sent.push(record);
    }
  }
  return out;
}

import { DescMessage, fromBinary, fromJson, JsonValue, MessageShape } from '@bufbuild/protobuf';
import { ContentTypeHeader, ContentTypes } from '@recmesh/contracts';
import { reject, Rejection } from './rejection';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

function firstNonWhitespace(bytes: Buffer): number | undefined {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

/** Friendlier JSON: `"action": "view"` for `"ACTION_VIEW"`. */
export type JsonPreprocessor = (json: Record<string, JsonValue>) => void;

/**
 * Decodes a raw record as JSON (proto3 JSON mapping, unknown keys refused) or
 * binary protobuf (unknown field numbers refused: garbage often parses as
 * "valid" protobuf made only of unknown fields). The content-type header wins;
 * without one, a body starting with `{` is JSON.
 */
export function decodeRawMessage<Desc extends DescMessage>(
  schema: Desc,
  value: Buffer | null,
  headers: Readonly<Record<string, string>>,
  preprocess?: JsonPreprocessor,
): MessageShape<Desc> | Rejection {
  if (value === null || value.length === 0) return reject.undecodable('empty message');
  const contentType = headers[ContentTypeHeader]?.toLowerCase();
  const first = firstNonWhitespace(value);
  const asJson = contentType ? contentType.startsWith(ContentTypes.json) : first === OPEN_BRACE || first === OPEN_BRACKET;
  if (asJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString('utf8'));
    } catch (error) {
      return reject.undecodable(`not valid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return reject.schema(`expected a JSON object for ${schema.typeName}`);
    }
    try {
      preprocess?.(parsed as Record<string, JsonValue>);
      return fromJson(schema, parsed as JsonValue, { ignoreUnknownFields: false });
    } catch (error) {
      return reject.schema((error as Error).message);
    }
  }
  let message: MessageShape<Desc>;
  try {
    message = fromBinary(schema, new Uint8Array(value.buffer, value.byteOffset, value.length), { readUnknownFields: true });
  } catch (error) {
    return reject.undecodable(`not a ${schema.typeName} protobuf: ${(error as Error).message}`);
  }
  const unknown = findUnknownFields(message as unknown as Record<string, unknown>);
  if (unknown.length > 0) {
    return reject.undecodable(`not a ${schema.typeName} protobuf: unknown field numbers ${unknown.join(', ')}`);
  }
  return message;
}

function findUnknownFields(message: Record<string, unknown>, depth = 0): number[] {
  const found: number[] = [];
  const unknown = message['$unknown'] as Array<{ no: number }> | undefined;
  if (unknown) found.push(...unknown.map((u) => u.no));
  if (depth > 3) return found;
  for (const value of Object.values(message)) {
    if (value && typeof value === 'object' && '$typeName' in (value as object)) {
      found.push(...findUnknownFields(value as Record<string, unknown>, depth + 1));
    }
    // oneof cases hold the sub-message under `value`
    const inner = (value as { value?: unknown } | null)?.value;
    if (inner && typeof inner === 'object' && '$typeName' in (inner as object)) {
      found.push(...findUnknownFields(inner as Record<string, unknown>, depth + 1));
    }
  }
  return found;
}

import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, MessageInitShape, toBinary } from '@bufbuild/protobuf';
import type { DescMessage } from '@bufbuild/protobuf';
import { mulberry32 } from '@recmesh/numerics';

function decodes(schema: DescMessage, bytes: Uint8Array): boolean {
  try {
    fromBinary(schema, bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Request bytes that do not decode as `schema`: random buffers, every invalid
 * truncation of `valid`, and `valid` with its first string ("@@" marks it)
 * turned into invalid UTF-8. Inputs that happen to decode are left out.
 */
export function malformedRequests<Schema extends DescMessage>(schema: Schema, valid: MessageInitShape<Schema>, options: { random?: number; seed?: number } = {}): Uint8Array[] {
  const random = mulberry32(options.seed ?? 7); // seeded: every run sends the same inputs
  const out: Uint8Array[] = [];
  for (let i = 0; i < (options.random ?? 100); i++) {
    out.push(Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
  }
  const bytes = toBinary(schema, create(schema, valid));
  for (let n = 1; n < bytes.length; n++) out.push(bytes.subarray(0, n));
  const marker = Buffer.from(bytes).indexOf('@@');
  if (marker >= 0) {
    const utf8 = Uint8Array.from(bytes);
    utf8.set([0xff, 0xfe], marker);
    out.push(utf8);
  }
  return out.filter((b) => !decodes(schema, b));
}

/** Sends raw bytes to a unary method and resolves with the status it answered (OK included). */
export function sendRawUnary(client: grpc.Client, path: string, bytes: Uint8Array): Promise<{ code: grpc.status; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(bytes),
      { deadline: Date.now() + 5000 },
      (error) => resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

/** The distinct status codes `address` answered to every malformed request for `path` (sent 50 at a time). */
export async function statusesForMalformed<Schema extends DescMessage>(address: string, path: string, schema: Schema, valid: MessageInitShape<Schema>): Promise<{ sent: number; codes: string[] }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    const requests = malformedRequests(schema, valid);
    const codes = new Set<string>();
    for (let i = 0; i < requests.length; i += 50) {
      for (const answer of await Promise.all(requests.slice(i, i + 50).map((b) => sendRawUnary(client, path, b)))) codes.add(grpc.status[answer.code]);
    }
    return { sent: requests.length, codes: [...codes] };
  } finally {
    client.close();
  }
}

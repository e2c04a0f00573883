import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from 'zlib';
import { LogRecord, PartitionLog, StoredRecord } from './partition-log';

/**
 * Record frame on disk: u32 body length, u32 CRC-32 of the body, then the body:
 * f64 timestamp, i32 key length (-1 = null), key, i32 value length (-1 = null),
 * value, u32 headers length, headers as JSON. The CRC tells a torn or
 * half-written tail (a crash mid-append) from a record.
 */
const FRAME_HEADER = 8;
const MIN_BODY = 8 + 4 + 4 + 4;
/** Larger than any record the bus accepts; a length above it is garbage. */
const MAX_BODY = 256 * 1024 * 1024;
const SCAN_CHUNK = 4 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{20})\.log$/;

export interface SegmentLogOptions {
  /** A segment closes once it holds this many bytes; only closed segments are deleted. */
  readonly segmentBytes: number;
  /** Consumed segments stay this long after their newest record (0 = deleted once consumed). */
  readonly retentionMs: number;
  /** Told when opening cut a torn tail off. */
  readonly onRecovery?: (message: string) => void;
  readonly now?: () => number;
}

/** Byte offsets of a segment's records: 4 bytes each, so memory per record stays small. */
class Positions {
  private data = new Uint32Array(1024);
  length = 0;

  push(position: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = position;
  }

  at(index: number): number {
    return this.data[index];
  }
}

interface Segment {
  readonly base: number;
  readonly file: string;
  readonly fd: number;
  readonly positions: Positions;
  size: number;
  newestTimestampMs: number;
}

export function encodeRecord(record: LogRecord): Buffer {
  const headers = Buffer.from(JSON.stringify(record.headers ?? {}));
  const keyLength = record.key ? record.key.length : 0;
  const valueLength = record.value ? record.value.length : 0;
  const body = MIN_BODY + keyLength + valueLength + headers.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER + body);
  let at = FRAME_HEADER;
  at = frame.writeDoubleLE(record.timestampMs, at);
  at = frame.writeInt32LE(record.key ? keyLength : -1, at);
  if (record.key) at += record.key.copy(frame, at);
  at = frame.writeInt32LE(record.value ? valueLength : -1, at);
  if (record.value) at += record.value.copy(frame, at);
  at = frame.writeUInt32LE(headers.length, at);
  headers.copy(frame, at);
  frame.writeUInt32LE(body, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER)), 4);
  return frame;
}

/** The body of a frame whose CRC matched. Key and value are copies, so the read buffer is not kept alive by them. */
function decodeBody(body: Buffer): LogRecord {
  let at = 0;
  const timestampMs = body.readDoubleLE(at);
  at += 8;
  const keyLength = body.readInt32LE(at);
  at += 4;
  const key = keyLength < 0 ? null : Buffer.from(body.subarray(at, at + keyLength));
  at += Math.max(0, keyLength);
  const valueLength = body.readInt32LE(at);
  at += 4;
  const value = valueLength < 0 ? null : Buffer.from(body.subarray(at, at + valueLength));
  at += Math.max(0, valueLength);
  const headersLength = body.readUInt32LE(at);
  at += 4;
  const headers = JSON.parse(body.subarray(at, at + headersLength).toString()) as Record<string, string>;
  return { key, value, headers, timestampMs };
}

function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A topic-partition as append-only segment files in one directory, named by
 * the offset of their first record. Memory holds only 4 bytes per stored
 * record (its position); records are read back from the file when a consumer
 * asks for them, and segments every reader is past are deleted.
 */
export class SegmentLog implements PartitionLog {
  private readonly segments: Segment[] = [];
  private written = 0;
  private durable = 0;
  private syncing: Promise<void> | null = null;

  private constructor(
    private readonly dir: string,
    private readonly options: SegmentLogOptions,
  ) {}

  /** Opens (or creates) the log in `dir`, cutting a torn last record off the newest segment. */
  static open(dir: string, options: SegmentLogOptions): SegmentLog {
    fs.mkdirSync(dir, { recursive: true });
    const log = new SegmentLog(dir, options);
    const names = fs.readdirSync(dir).filter((n) => SEGMENT_NAME.test(n)).sort();
    names.forEach((name, i) => log.segments.push(log.scan(name, i === names.length - 1)));
    if (log.segments.length === 0) log.segments.push(log.createSegment(0));
    const last = log.segments[log.segments.length - 1];
    log.written = log.durable = last.base + last.positions.length;
    return log;
  }

  get start(): number {
    return this.segments[0].base;
  }

  get end(): number {
    return this.durable;
  }

  append(records: readonly LogRecord[]): void {
    if (records.length === 0) return;
    let segment = this.active;
    if (segment.size >= this.options.segmentBytes && segment.positions.length > 0) segment = this.roll();
    const frames = records.map(encodeRecord);
    const buffer = Buffer.concat(frames);
    let done = 0;
    while (done < buffer.length) done += fs.writeSync(segment.fd, buffer, done, buffer.length - done, segment.size + done);
    let position = segment.size;
    for (const frame of frames) {
      segment.positions.push(position);
      position += frame.length;
    }
    segment.size = position;
    segment.newestTimestampMs = Math.max(segment.newestTimestampMs, ...records.map((r) => r.timestampMs));
    this.written += records.length;
  }

  /**
   * Group commit: one fdatasync covers every append made before it started,
   * so publishers waiting together share it instead of each paying one.
   */
  async sync(): Promise<void> {
    const target = this.written;
    while (this.durable < target) {
      if (this.syncing) {
        await this.syncing.catch(() => undefined);
        continue;
      }
      const upTo = this.written;
      const fd = this.active.fd;
      this.syncing = new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())))
        .then(() => {
          this.durable = Math.max(this.durable, upTo);
        })
        .finally(() => {
          this.syncing = null;
        });
      await this.syncing;
    }
  }

  read(from: number, max: number): StoredRecord[] {
    const first = Math.max(from, this.start);
    const index = this.segmentIndexOf(first);
    if (index < 0 || first >= this.durable || max <= 0) return [];
    const segment = this.segments[index];
    const count = segment.positions.length;
    const startIndex = first - segment.base;
    const endIndex = Math.min(count, startIndex + max, this.durable - segment.base);
    const startByte = segment.positions.at(startIndex);
    const endByte = endIndex < count ? segment.positions.at(endIndex) : segment.size;
    const buffer = Buffer.allocUnsafe(endByte - startByte);
    let done = 0;
    while (done < buffer.length) {
      const n = fs.readSync(segment.fd, buffer, done, buffer.length - done, startByte + done);
      if (n === 0) throw new Error(`${segment.file} ends before byte ${startByte + buffer.length}`);
      done += n;
    }
    const out: StoredRecord[] = [];
    let at = 0;
    for (let i = startIndex; i < endIndex; i++) {
      const length = buffer.readUInt32LE(at);
      out.push({ ...decodeBody(buffer.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length)), offset: segment.base + i });
      at += FRAME_HEADER + length;
    }
    return out;
  }

  /** Deletes closed segments that lie wholly before `before` and are past retention; the active segment stays, so offsets keep counting up after a restart. */
  release(before: number): void {
    const oldestKept = (this.options.now ?? Date.now)() - this.options.retentionMs;
    while (this.segments.length > 1) {
      const [oldest, next] = this.segments;
      if (next.base > before || oldest.newestTimestampMs > oldestKept) return;
      fs.closeSync(oldest.fd);
      fs.unlinkSync(oldest.file);
      this.segments.shift();
    }
  }

  close(): void {
    for (const s of this.segments) fs.closeSync(s.fd);
    this.segments.length = 0;
  }

  /** The segment files, oldest first (for tests and diagnostics). */
  get segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private segmentIndexOf(offset: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.segments[mid].base <= offset) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  }

  /** Closes the active segment (made durable first: later syncs only cover the new one) and starts the next. */
  private roll(): Segment {
    fs.fdatasyncSync(this.active.fd);
    const segment = this.createSegment(this.written);
    this.segments.push(segment);
    return segment;
  }

  private createSegment(base: number): Segment {
    const file = path.join(this.dir, `${String(base).padStart(20, '0')}.log`);
    const fd = fs.openSync(file, 'w+');
    fsyncDirectory(this.dir);
    return { base, file, fd, positions: new Positions(), size: 0, newestTimestampMs: 0 };
  }

  /** Indexes a segment's records; a frame that does not check out ends the newest segment there (a crash mid-append) and is an error anywhere else. */
  private scan(name: string, newest: boolean): Segment {
    const file = path.join(this.dir, name);
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    const segment: Segment = { base: Number(SEGMENT_NAME.exec(name)![1]), file, fd, positions: new Positions(), size: 0, newestTimestampMs: 0 };
    let chunk = Buffer.alloc(0);
    let chunkStart = 0;
    let position = 0;
    const bytesAt = (from: number, length: number): Buffer | null => {
      if (from + length > size) return null;
      if (from < chunkStart || from + length > chunkStart + chunk.length) {
        chunk = Buffer.allocUnsafe(Math.min(size - from, Math.max(SCAN_CHUNK, length)));
        fs.readSync(fd, chunk, 0, chunk.length, from);
        chunkStart = from;
      }
      return chunk.subarray(from - chunkStart, from - chunkStart + length);
    };
    let problem: string | undefined;
    while (position < size) {
      const header = bytesAt(position, FRAME_HEADER);
      const length = header?.readUInt32LE(0) ?? 0;
      const body = header && length >= MIN_BODY && length <= MAX_BODY ? bytesAt(position + FRAME_HEADER, length) : null;
      if (!header || !body || crc32(body) !== header.readUInt32LE(4)) {
        problem = `record at byte ${position} of ${size} is torn or corrupt`;
        break;
      }
      segment.positions.push(position);
      segment.newestTimestampMs = Math.max(segment.newestTimestampMs, body.readDoubleLE(0));
      position += FRAME_HEADER + length;
    }
    segment.size = position;
    if (problem) {
      if (!newest) {
        fs.closeSync(fd);
        throw new Error(`bus log ${file}: ${problem}; only the newest segment can end torn, so this one is damaged (move the data directory away to start afresh)`);
      }
      fs.ftruncateSync(fd, position);
      fs.fsyncSync(fd);
      this.options.onRecovery?.(`bus log ${file}: ${problem}, cut off at byte ${position} (a crash mid-append; it was never acknowledged)`);
    }
    return segment;
  }
}

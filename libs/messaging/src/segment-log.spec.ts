import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LogRecord } from './partition-log';
import { SegmentLog } from './segment-log';

const record = (i: number, bytes = 10): LogRecord => ({
  key: i % 3 === 0 ? null : Buffer.from(`k${i}`),
  value: Buffer.from(`v${i}:`.padEnd(bytes, 'x')),
  headers: { n: String(i) },
  timestampMs: 1_000 + i,
});

describe('SegmentLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'segment-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const open = (options: Partial<Parameters<typeof SegmentLog.open>[1]> = {}) => SegmentLog.open(dir, { segmentBytes: 1 << 20, retentionMs: 0, ...options });

  it('shows appended records only once synced, and reads them back with their offsets, keys and headers', async () => {
    const log = open();
    log.append([record(0), record(1), record(2)]);
    expect(log.end).toBe(0);
    expect(log.read(0, 10)).toEqual([]);
    await log.sync();
    expect(log.end).toBe(3);
    expect(log.read(1, 10).map((r) => r.offset)).toEqual([1, 2]);
    const read = log.read(0, 2);
    expect(read).toEqual([{ ...record(0), offset: 0 }, { ...record(1), offset: 1 }]);
    expect(read[0].key).toBeNull();
    log.close();
  });

  it('reopens with every record and keeps counting offsets from there', async () => {
    const first = open();
    first.append(Array.from({ length: 50 }, (_, i) => record(i)));
    await first.sync();
    first.close();
    const second = open();
    expect([second.start, second.end]).toEqual([0, 50]);
    second.append([record(50)]);
    await second.sync();
    expect(second.read(48, 10).map((r) => r.value!.toString())).toEqual(['v48:xxxxxx', 'v49:xxxxxx', 'v50:xxxxxx']);
    second.close();
  });

  it('cuts a torn last record off on reopen and reports it, keeping everything before it', async () => {
    const recoveries: string[] = [];
    const log = open();
    log.append([record(0), record(1), record(2)]);
    await log.sync();
    log.close();
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    const whole = fs.statSync(file).size;
    fs.truncateSync(file, whole - 5);
    const reopened = open({ onRecovery: (m) => recoveries.push(m) });
    expect(reopened.end).toBe(2);
    expect(reopened.read(0, 10).map((r) => r.headers.n)).toEqual(['0', '1']);
    expect(recoveries).toEqual([expect.stringMatching(/torn or corrupt, cut off at byte \d+/)]);
    expect(fs.statSync(file).size).toBeLessThan(whole - 5);
    // appends continue at offset 2 where the torn record was
    reopened.append([record(9)]);
    await reopened.sync();
    expect(reopened.read(2, 1)).toEqual([{ ...record(9), offset: 2 }]);
    reopened.close();
  });

  it('treats a record whose bytes changed (CRC mismatch) in the newest segment as the end', async () => {
    const log = open();
    log.append([record(0), record(1)]);
    await log.sync();
    log.close();
    const file = path.join(dir, fs.readdirSync(dir)[0]);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const reopened = open();
    expect(reopened.end).toBe(1);
    reopened.close();
  });

  it('refuses to open when a segment other than the newest is damaged', async () => {
    const log = open({ segmentBytes: 200 });
    for (let i = 0; i < 20; i++) log.append([record(i, 50)]);
    await log.sync();
    log.close();
    const oldest = path.join(dir, fs.readdirSync(dir).sort()[0]);
    fs.truncateSync(oldest, fs.statSync(oldest).size - 1);
    expect(() => open({ segmentBytes: 200 })).toThrow(/only the newest segment can end torn/);
  });

  it('rolls segments, reads across them, and deletes the closed ones every reader is past and that are past retention', async () => {
    let now = 1_029 + 1_000;
    const log = open({ segmentBytes: 300, retentionMs: 5_000, now: () => now });
    for (let i = 0; i < 30; i++) log.append([record(i, 60)]);
    await log.sync();
    const segments = log.segmentFiles.length;
    expect(segments).toBeGreaterThan(3);
    const all: number[] = [];
    for (let from = 0; from < log.end; ) {
      const batch = log.read(from, 100);
      all.push(...batch.map((r) => r.offset));
      from += batch.length;
    }
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));

    log.release(15);
    expect(log.segmentFiles).toHaveLength(segments); // the newest records are 1 s old: retention keeps them
    now = 1_029 + 5_000;
    log.release(15);
    expect(log.start).toBeLessThanOrEqual(15);
    expect(log.start).toBeGreaterThan(0);
    expect(log.segmentFiles.length).toBeLessThan(segments);
    expect(fs.readdirSync(dir)).toHaveLength(log.segmentFiles.length);
    expect(log.read(15, 1)[0].offset).toBe(15);

    log.release(1_000);
    expect(log.segmentFiles).toHaveLength(1); // the active segment stays: offsets keep counting after a restart
    log.close();
    const reopened = open({ segmentBytes: 300 });
    expect(reopened.end).toBe(30);
    expect(reopened.start).toBeGreaterThan(15);
    reopened.close();
  });

  it('shares one fdatasync between publishers that wait together', async () => {
    const log = open();
    const spy = jest.spyOn(fs, 'fdatasync');
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      log.append([record(i)]);
      waits.push(log.sync());
    }
    await Promise.all(waits);
    expect(log.end).toBe(20);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    spy.mockRestore();
    log.close();
  });
});

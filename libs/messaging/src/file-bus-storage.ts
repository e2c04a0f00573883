import * as fs from 'fs';
import * as path from 'path';
import { BusStorage, CommittedOffsets } from './bus-storage';
import { PartitionLog } from './partition-log';
import { SegmentLog, SegmentLogOptions } from './segment-log';

const TOPIC_NAME = /^[A-Za-z0-9._-]+$/;
const OFFSETS_FILE = 'offsets.json';
const LOCK_FILE = 'LOCK';

export interface FileBusStorageOptions extends SegmentLogOptions {
  /** Directory of the bus: `<topic>/<partition>/<segment>.log`, `offsets.json`, `LOCK`. */
  readonly dir: string;
}

/**
 * The in-process bus on disk: one segment log per topic-partition and the
 * committed offsets in one small file replaced atomically (temp file, fsync,
 * rename, fsync of the directory), so a crash leaves the old or the new one.
 * A lock file with the owner's pid keeps a second process off the directory.
 */
export class FileBusStorage implements BusStorage {
  private readonly logs: SegmentLog[] = [];
  private readonly offsets: CommittedOffsets;
  private writing: Promise<void> | null = null;
  private dirty = false;

  private constructor(private readonly options: FileBusStorageOptions) {
    this.offsets = this.readOffsets();
  }

  static open(options: FileBusStorageOptions): FileBusStorage {
    fs.mkdirSync(options.dir, { recursive: true });
    takeLock(path.join(options.dir, LOCK_FILE));
    try {
      return new FileBusStorage(options);
    } catch (error) {
      fs.rmSync(path.join(options.dir, LOCK_FILE), { force: true });
      throw error;
    }
  }

  existingPartitions(topic: string): number {
    const dir = this.topicDir(topic);
    if (!fs.existsSync(dir)) return 0;
    const partitions = fs.readdirSync(dir).filter((n) => /^\d+$/.test(n)).map(Number);
    return partitions.length === 0 ? 0 : Math.max(...partitions) + 1;
  }

  partition(topic: string, partition: number): PartitionLog {
    const log = SegmentLog.open(path.join(this.topicDir(topic), String(partition)), this.options);
    this.logs.push(log);
    return log;
  }

  loadOffsets(): CommittedOffsets {
    return new Map([...this.offsets].map(([group, committed]) => [group, new Map(committed)]));
  }

  commitOffset(groupId: string, key: string, next: number): void {
    let group = this.offsets.get(groupId);
    if (!group) this.offsets.set(groupId, (group = new Map()));
    group.set(key, next);
    this.dirty = true;
    if (!this.writing) this.writing = this.writeOffsets();
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    for (const log of this.logs) log.close();
    fs.rmSync(path.join(this.options.dir, LOCK_FILE), { force: true });
  }

  private topicDir(topic: string): string {
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') throw new Error(`topic name ${JSON.stringify(topic)} is not a Kafka topic name ([A-Za-z0-9._-])`);
    return path.join(this.options.dir, topic);
  }

  /** One writer; commits made while it writes are picked up by its next round, so a burst of commits costs a few file replacements, not one each. */
  private async writeOffsets(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const snapshot = Object.fromEntries([...this.offsets].map(([group, committed]) => [group, Object.fromEntries(committed)]));
        await replaceAtomically(path.join(this.options.dir, OFFSETS_FILE), JSON.stringify({ version: 1, groups: snapshot }));
      }
    } catch (error) {
      // The offsets stay in memory and are written with the next commit; until then a crash only redelivers.
      this.dirty = true;
      this.options.onRecovery?.(`cannot write the bus offsets: ${(error as Error).message}`);
    } finally {
      this.writing = null;
    }
  }

  private readOffsets(): CommittedOffsets {
    const file = path.join(this.options.dir, OFFSETS_FILE);
    if (!fs.existsSync(file)) return new Map();
    let parsed: { groups?: Record<string, Record<string, number>> };
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`bus offsets ${file} do not parse (${(error as Error).message}); it is only ever replaced whole, so the file was changed by hand`);
    }
    return new Map(Object.entries(parsed.groups ?? {}).map(([group, committed]) => [group, new Map(Object.entries(committed))]));
  }
}

async function replaceAtomically(file: string, content: string): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await fs.promises.open(temp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temp, file);
  const dir = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** A lock left by a process that died (the crash this storage exists for) is taken over; one held by a live process is an error. */
function takeLock(file: string): void {
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number(fs.readFileSync(file, 'utf8').trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new Error(`the bus directory ${path.dirname(file)} is in use by process ${owner}; stop it or give this one another RECMESH_DATA_DIR`);
  }
  fs.writeFileSync(file, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

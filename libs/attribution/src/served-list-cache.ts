import { ServedListRecord } from '@recmesh/persistence';

/**
 * The most recently used served lists, in front of the store: clicks arrive
 * soon after their list, so most joins never read the tables. Bounded: past
 * `capacity` lists the least recently used one is dropped (it stays in the store).
 * Served lists never change once stored, so an entry is never stale.
 */
export class ServedListCache {
  private readonly lists = new Map<string, ServedListRecord>();

  constructor(readonly capacity: number) {}

  get(recId: string): ServedListRecord | undefined {
    const list = this.lists.get(recId);
    if (list) {
      this.lists.delete(recId);
      this.lists.set(recId, list);
    }
    return list;
  }

  /** Call only with committed lists. */
  set(list: ServedListRecord): void {
    if (this.capacity <= 0) return;
    this.lists.delete(list.recId);
    this.lists.set(list.recId, list);
    while (this.lists.size > this.capacity) this.lists.delete(this.lists.keys().next().value as string);
  }

  /** Drops the lists served to a user (erasure); returns how many. */
  forgetUser(userId: string): number {
    let n = 0;
    for (const [recId, list] of this.lists) {
      if (list.userId === userId) {
        this.lists.delete(recId);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.lists.size;
  }
}

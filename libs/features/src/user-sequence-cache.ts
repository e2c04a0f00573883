import { SequenceStep } from '@recmesh/persistence';

/**
 * Least-recently-used cache of user sequences in front of the store, bounded
 * by entry count (FEATURE_CACHE_MAX_USERS) so memory stays flat whatever the
 * number of users. Written through after each committed batch.
 */
export class UserSequenceCache {
  private readonly entries = new Map<string, readonly SequenceStep[]>();
  private hits = 0;
  private misses = 0;

  constructor(readonly maxUsers: number) {
    if (!Number.isInteger(maxUsers) || maxUsers < 1) throw new Error(`cache size must be a positive integer, got ${maxUsers}`);
  }

  get(userId: string): readonly SequenceStep[] | undefined {
    const steps = this.entries.get(userId);
    if (steps === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(userId);
    this.entries.set(userId, steps);
    return steps;
  }

  set(userId: string, steps: readonly SequenceStep[]): void {
    this.entries.delete(userId);
    this.entries.set(userId, steps);
    while (this.entries.size > this.maxUsers) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): { size: number; hits: number; misses: number } {
    return { size: this.entries.size, hits: this.hits, misses: this.misses };
  }
}

import { Logger } from '@nestjs/common';

/**
 * The set of "head" items (the top 20% by popularity) that defines the long
 * tail, read from the popularity feature-builder keeps and refreshed at most
 * every `refreshMs`. Only the first load is waited for: later refreshes run
 * in the background (on a 100k-item catalog the query takes a while and the
 * attribution batches should not wait for it). A failed refresh keeps the
 * previous set.
 */
export class PopularityHead {
  private readonly logger = new Logger('PopularityHead');
  private head = new Set<string>();
  private loadedAtMs: number | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly load: (atMs: number) => Promise<Set<string>>,
    private readonly refreshMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The head as of the last refresh; starts a refresh when it is older than refreshMs. */
  async current(): Promise<ReadonlySet<string>> {
    const now = this.clock();
    if (this.loadedAtMs === undefined) {
      await (this.refreshing ??= this.refresh(now));
    } else if (now - this.loadedAtMs >= this.refreshMs) {
      this.refreshing ??= this.refresh(now);
    }
    return this.head;
  }

  private async refresh(now: number): Promise<void> {
    try {
      const next = await this.load(now);
      if (next.size === 0 && this.loadedAtMs === undefined) this.logger.warn('no item popularity yet: no click counts as a long-tail click until there is');
      this.head = next;
    } catch (error) {
      this.logger.warn(`could not refresh the popularity head, keeping the previous one: ${(error as Error).message}`);
    } finally {
      this.loadedAtMs = now;
      this.refreshing = undefined;
    }
  }
}

/** Outside the head; with no popularity known at all, nothing is called tail. */
export function isTail(head: ReadonlySet<string>, itemId: string): boolean {
  return head.size > 0 && !head.has(itemId);
}

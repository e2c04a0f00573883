import { TopKSelection } from '@recmesh/model-runtime';
import type { RetrievalOptions, VectorSource } from './item-retriever';

/**
 * Exact scores of candidate rows for one user, offered to a selection that keeps the best k.
 * Each score is one sequential float64 sum over the hidden dimension, as in exactTopK, so a row
 * scores the same whichever retriever found it. Padding, masked and excluded rows are dropped.
 * @returns how many candidates passed (were offered)
 */
export function offerCandidates(
  selection: TopKSelection,
  source: VectorSource,
  users: Float32Array,
  u: number,
  candidates: ArrayLike<number>,
  mask: RetrievalOptions['mask'],
  excluded: ReadonlySet<number> | undefined,
): number {
  const { hidden, matrix, rowCount } = source;
  const a = u * hidden;
  let passed = 0;
  for (let i = 0; i < candidates.length; i++) {
    const row = candidates[i];
    if (row <= 0 || row >= rowCount || isMasked(mask, row) || excluded?.has(row)) continue;
    const o = row * hidden;
    let s = 0;
    for (let j = 0; j < hidden; j++) s += users[a + j] * matrix[o + j];
    selection.offer(u, s, row);
    passed++;
  }
  return passed;
}

export function isMasked(mask: Uint8Array | undefined, row: number): boolean {
  return mask !== undefined && row < mask.length && mask[row] !== 0;
}

/** The call's mask with the removed rows added (a new array; the caller's mask is not touched). */
export function maskWithRemoved(mask: Uint8Array | undefined, removed: ReadonlySet<number>, rowCount: number): Uint8Array | undefined {
  if (removed.size === 0) return mask;
  const merged = new Uint8Array(Math.max(rowCount, mask?.length ?? 0));
  if (mask) merged.set(mask);
  for (const row of removed) if (row < merged.length) merged[row] = 1;
  return merged;
}

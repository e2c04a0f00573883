/**
 * Indices of the n largest values, skipping flagged indices; ties broken by
 * the lower index; result ordered best first. A bounded binary min-heap keeps
 * it O(len · log n) worst case and about O(len) in practice.
 */
export function topIndices(values: ArrayLike<number>, n: number, skip?: Uint8Array): Int32Array {
  if (n <= 0) return new Int32Array(0);
  const heap = new Int32Array(n);
  let size = 0;
  // "a is worse than b": lower value, or equal value and higher index.
  const worse = (a: number, b: number) => {
    const va = values[a];
    const vb = values[b];
    return va < vb || (va === vb && a > b);
  };
  for (let i = 0; i < values.length; i++) {
    if (skip !== undefined && skip[i] !== 0) continue;
    if (size < n) {
      let c = size++;
      heap[c] = i;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c], heap[p])) break;
        const tmp = heap[c];
        heap[c] = heap[p];
        heap[p] = tmp;
        c = p;
      }
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        const r = l + 1;
        let m = c;
        if (l < size && worse(heap[l], heap[m])) m = l;
        if (r < size && worse(heap[r], heap[m])) m = r;
        if (m === c) break;
        const tmp = heap[c];
        heap[c] = heap[m];
        heap[m] = tmp;
        c = m;
      }
    }
  }
  const out = Array.from(heap.subarray(0, size));
  out.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  return Int32Array.from(out);
}

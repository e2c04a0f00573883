import { gaussianSource, mulberry32 } from '@recmesh/numerics';

export interface SyntheticVectorsOptions {
  /** Vectors to draw. */
  count: number;
  hidden: number;
  /** 0: independent standard normals; otherwise vectors scattered around this many centres. */
  clusters: number;
  seed: number;
  /** Spread around a centre relative to the centres' own spread (default 0.35). */
  spread?: number;
}

/**
 * Seeded item or user vectors for tests and the bench, row-major [count, hidden]. Clustered
 * vectors resemble trained item embeddings (categories form clumps, norms vary with popularity),
 * the case where recall of a graph index means something; independent normals are its worst case
 * (no structure, every neighbour about as far as any other).
 */
export function syntheticVectors(options: SyntheticVectorsOptions): Float32Array {
  const { count, hidden, clusters, seed } = options;
  const normal = gaussianSource(mulberry32(seed));
  const out = new Float32Array(count * hidden);
  if (clusters <= 0) {
    for (let i = 0; i < out.length; i++) out[i] = normal();
    return out;
  }
  const centres = clusterCentres(clusters, hidden, seed);
  const spread = options.spread ?? 0.35;
  const uniform = mulberry32(seed ^ 0x5bd1e995);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(uniform() * clusters);
    // Norms between 0.6 and 1.4 of the centre's: popular items score higher for everyone.
    const scale = 0.6 + 0.8 * uniform();
    for (let j = 0; j < hidden; j++) out[i * hidden + j] = scale * (centres[c * hidden + j] + (spread * normal()) / Math.sqrt(hidden));
  }
  return out;
}

/** The centres syntheticVectors draws for (clusters, hidden, seed): queries near them hit real clumps. */
export function clusterCentres(clusters: number, hidden: number, seed: number): Float32Array {
  const normal = gaussianSource(mulberry32(seed * 31 + 7));
  const centres = new Float32Array(clusters * hidden);
  for (let i = 0; i < centres.length; i++) centres[i] = normal() / Math.sqrt(hidden);
  return centres;
}

/** An item matrix as the model holds it: row 0 padding (zeros), then the vectors. */
export function withPaddingRow(vectors: Float32Array, hidden: number): Float32Array {
  const matrix = new Float32Array(vectors.length + hidden);
  matrix.set(vectors, hidden);
  return matrix;
}

/**
 * Recall@k of approximate answers against exact ones: the share of the exact top-k rows that the
 * approximate top-k also holds, over all users.
 */
export function recallAtK(exact: ReadonlyArray<{ rows: Int32Array }>, approximate: ReadonlyArray<{ rows: Int32Array }>, k: number): number {
  let hit = 0;
  let total = 0;
  exact.forEach((e, u) => {
    const truth = e.rows.subarray(0, k);
    const found = new Set(approximate[u].rows.subarray(0, k));
    for (const row of truth) if (found.has(row)) hit++;
    total += truth.length;
  });
  return total === 0 ? 1 : hit / total;
}

import * as ort from 'onnxruntime-node';
import { ExactTopKOptions, TopKRows, TopKSelection } from './exact-top-k';
import { encodeOnnxModel, OnnxGraph } from './onnx-graph-writer';
import { ExecutionProvider, NO_SPINNING } from './onnx-session';

/** The scoring session's options; the serving bench times its MatMul roofline with the same ones. */
export function scoreSessionOptions(provider: ExecutionProvider, intraOpNumThreads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    ...(intraOpNumThreads ? { intraOpNumThreads } : {}),
    ...NO_SPINNING,
  };
}

export interface ItemScoreKernelOptions extends ExactTopKOptions {
  /**
   * Rows 0..immutableRows-1 never change for the life of this kernel (a model's trained items):
   * they are copied once into a session of their own as a constant, which onnxruntime pre-packs
   * (about 2x faster at 100k-1M items than passing them per call) and CUDA keeps on the GPU. Later
   * rows (cold items, added or replaced at runtime) are passed on every call.
   */
  immutableRows?: number;
}

/**
 * Candidates fetched beyond k + exclusions: onnxruntime ranks by float32 scores, the final order
 * uses float64 ones, so a row just outside a float32 cut can belong in the float64 top k.
 */
const FLOAT32_MARGIN = 16;

/** ONNX files are protobuf, limited to 2 GB: larger item matrices stay per-call inputs. */
const MAX_FROZEN_BYTES = 1 << 30;

const OUTPUTS: OnnxGraph['outputs'] = [
  { name: 'top_scores', type: 'float32', shape: ['batch', 'fetched'] },
  { name: 'top_rows', type: 'int64', shape: ['batch', 'fetched'] },
];

/** Gemm(users, items^T) + bias, then TopK over rows; `items` an input, or an initializer when given. */
function scoreGraph(hidden: number, frozen?: { rows: number; data: Float32Array }): OnnxGraph {
  return {
    inputs: [
      ...(frozen ? [] : [{ name: 'items', type: 'float32' as const, shape: ['rows', hidden] }]),
      { name: 'users', type: 'float32', shape: ['batch', hidden] },
      { name: 'bias', type: 'float32', shape: [frozen ? frozen.rows : 'rows'] },
      { name: 'fetch', type: 'int64', shape: [1] },
    ],
    outputs: OUTPUTS,
    initializers: frozen ? [{ name: 'items', dims: [frozen.rows, hidden], data: frozen.data }] : [],
    nodes: [
      // transB: the [rows, hidden] matrix is read as is, never transposed in memory.
      { op: 'Gemm', inputs: ['users', 'items', 'bias'], outputs: ['scores'], intAttrs: { transB: 1 } },
      // Unsorted: the candidates are re-ranked in float64 anyway.
      { op: 'TopK', inputs: ['scores', 'fetch'], outputs: ['top_scores', 'top_rows'], intAttrs: { axis: -1, largest: 1, sorted: 0 } },
    ],
  };
}

/**
 * Exact top-K over the whole item matrix, scored and selected inside onnxruntime:
 * Gemm(users, items^T) + bias, then TopK over the rows (issue 15: the previous JavaScript
 * selection read every score of every user and was linear in the catalog per user). The bias is 0
 * for live rows and -Infinity for the padding row and masked rows; per-user exclusions cannot be a
 * shared bias, so TopK over-fetches k + the largest exclusion count (+ a float32 margin). The few
 * candidates are then rescored in float64 and pass through exactTopK's selection (TopKSelection), so
 * rows, order, tie rule and scores are exactTopK's; only a near-tie exactly at the float32 cut
 * could differ. Rows that may change are passed as a tensor over the caller's buffer (no copy) on
 * every call, so appended or replaced cold items are always seen; immutable rows (see
 * ItemScoreKernelOptions) move into a session of their own once it is built.
 */
export class ItemScoreKernel {
  /** Unmasked bias per part length: only the padding row is pushed out. */
  private readonly unmaskedBias = new Map<string, Float32Array>();
  /** The immutable rows' session; `ready` is unset while it is being built. */
  private frozen?: { rows: number; building: Promise<void>; ready?: ort.InferenceSession; failed?: unknown };
  /** Frozen sessions replaced by another immutableRows: a call may still be using one, so they go at release(). */
  private readonly retired: Array<Promise<void>> = [];

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly hidden: number,
    private readonly sessionOptions: ort.InferenceSession.SessionOptions,
  ) {}

  static async open(hidden: number, provider: ExecutionProvider, intraOpNumThreads?: number): Promise<ItemScoreKernel> {
    const options = scoreSessionOptions(provider, intraOpNumThreads);
    return new ItemScoreKernel(await ort.InferenceSession.create(encodeOnnxModel(scoreGraph(hidden)), options), hidden, options);
  }

  /** Rows scored from the frozen session now (0 until it is built). */
  get frozenRows(): number {
    return this.frozen?.ready ? this.frozen.rows : 0;
  }

  /**
   * Builds the session of rows 0..immutableRows-1 (a copy of them) and resolves when it is in use.
   * topK starts this by itself and scores everything per call until it is ready; call it to wait.
   */
  freeze(items: Float32Array, immutableRows: number): Promise<void> {
    if (this.frozen?.rows === immutableRows && !this.frozen.failed) return this.frozen.building;
    const previous = this.frozen;
    if (previous) this.retired.push(previous.building.then(() => previous.ready?.release(), () => undefined));
    const frozen: NonNullable<ItemScoreKernel['frozen']> = { rows: immutableRows, building: Promise.resolve() };
    frozen.building = (async () => {
      try {
        // A view: encodeOnnxModel copies it synchronously into the model bytes.
        const data = items.subarray(0, immutableRows * this.hidden);
        frozen.ready = await ort.InferenceSession.create(encodeOnnxModel(scoreGraph(this.hidden, { rows: immutableRows, data })), this.sessionOptions);
      } catch (e) {
        frozen.failed = e; // scoring stays per call; topK does not retry, an explicit freeze() does
        throw e;
      }
    })();
    this.frozen = frozen;
    return frozen.building;
  }

  /**
   * @param items row-major, at least [rowCount, hidden] (a larger buffer's extra rows are ignored); row 0 is padding and is never returned
   * @param users row-major [batch, hidden]
   */
  async topK(items: Float32Array, rowCount: number, hidden: number, users: Float32Array, k: number, options: ItemScoreKernelOptions = {}): Promise<TopKRows[]> {
    const selection = new TopKSelection(items, rowCount, hidden, users, k, options);
    const { batch } = selection;
    if (selection.done || rowCount <= 1) return selection.results();
    if (hidden !== this.hidden) throw new RangeError(`this kernel scores hidden=${this.hidden}, not ${hidden}`);
    const { mask, excludeRows, immutableRows } = options;
    if (immutableRows !== undefined && immutableRows > 1 && immutableRows <= rowCount && immutableRows * hidden * 4 <= MAX_FROZEN_BYTES) {
      if (this.frozen?.rows !== immutableRows) this.freeze(items, immutableRows).catch(() => undefined);
    }
    const frozenSession = this.frozen?.ready;
    const frozenRows = frozenSession ? this.frozenRows : 0;
    const excluded = Math.max(0, ...(excludeRows ?? []).map((rows) => rows?.size ?? 0));
    const wanted = k + excluded + FLOAT32_MARGIN;
    const runs: Array<Promise<{ start: number; fetch: number; rows: BigInt64Array }>> = [];
    const run = async (session: ort.InferenceSession, start: number, end: number, feeds: Record<string, ort.Tensor>) => {
      const fetch = Math.min(end - start, wanted);
      const out = await session.run({
        ...feeds,
        users: new ort.Tensor('float32', users, [batch, hidden]),
        bias: new ort.Tensor('float32', this.bias(start, end, mask), [end - start]),
        fetch: new ort.Tensor('int64', BigInt64Array.of(BigInt(fetch)), [1]),
      });
      return { start, fetch, rows: out['top_rows'].data as BigInt64Array };
    };
    if (frozenSession) runs.push(run(frozenSession, 0, frozenRows, {}));
    if (rowCount > frozenRows) {
      const tail = items.subarray(frozenRows * hidden, rowCount * hidden);
      runs.push(run(this.session, frozenRows, rowCount, { items: new ort.Tensor('float32', tail, [rowCount - frozenRows, hidden]) }));
    }
    for (const { start, fetch, rows } of await Promise.all(runs)) {
      for (let u = 0; u < batch; u++) {
        const user = u * hidden;
        for (let i = u * fetch; i < (u + 1) * fetch; i++) {
          const row = start + Number(rows[i]);
          // -Infinity bias only ranks these last: when fetch exceeds the live rows they come back too.
          if (row === 0 || (mask !== undefined && row < mask.length && mask[row] !== 0)) continue;
          // The float64 sequential sum exactTopK computes, so scores and order are exactly its own.
          let score = 0;
          const base = row * hidden;
          for (let j = 0; j < hidden; j++) score += users[user + j] * items[base + j];
          selection.offer(u, score, row);
        }
      }
    }
    return selection.results();
  }

  async release(): Promise<void> {
    const frozen = this.frozen;
    await Promise.allSettled([this.session.release(), frozen?.building.then(() => frozen.ready?.release()), ...this.retired]);
  }

  /** Rows start..end-1: 0 where they may be returned, -Infinity for the padding row and masked rows. */
  private bias(start: number, end: number, mask: Uint8Array | undefined): Float32Array {
    if (mask === undefined) {
      // Cached per part: rebuilt when the catalog grows, since the bias has one entry per row.
      const key = `${start}:${end}`;
      let bias = this.unmaskedBias.get(key);
      if (!bias) {
        if (this.unmaskedBias.size > 4) this.unmaskedBias.clear();
        bias = new Float32Array(end - start);
        if (start === 0) bias[0] = Number.NEGATIVE_INFINITY;
        this.unmaskedBias.set(key, bias);
      }
      return bias;
    }
    const bias = new Float32Array(end - start);
    if (start === 0) bias[0] = Number.NEGATIVE_INFINITY;
    for (let row = Math.max(1, start); row < Math.min(end, mask.length); row++) if (mask[row] !== 0) bias[row - start] = Number.NEGATIVE_INFINITY;
    return bias;
  }
}

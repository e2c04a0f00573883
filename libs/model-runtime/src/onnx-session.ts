import * as ort from 'onnxruntime-node';
import { CudaProbe, cudaUnavailableReason, explainCudaLoadError } from './cuda-availability';
import { errorMessage, ModelLoadError } from './model-load-error';

export type ExecutionProvider = 'cuda' | 'cpu';

export interface ModelRuntimeLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const consoleLogger: ModelRuntimeLogger = {
  info: (message) => console.info(`[model-runtime] ${message}`),
  warn: (message) => console.warn(`[model-runtime] ${message}`),
};

export interface SessionSettings {
  preferCuda: boolean;
  logger: ModelRuntimeLogger;
  /** onnxruntime intra-op threads; onnxruntime's default (all cores) when undefined. */
  intraOpNumThreads?: number;
  /** Where to look for a GPU and the CUDA provider library (this host's by default). */
  cudaProbe?: CudaProbe;
}

/**
 * Opens the sessions of one model on a single execution provider. The CUDA/CPU decision is made
 * on the first session and reused, so a CPU-only host logs exactly one fallback line per model.
 */
export class SessionFactory {
  private provider: ExecutionProvider | null = null;
  private reason: string | null = null;

  constructor(private readonly settings: SessionSettings) {}

  /** The provider chosen so far (null before the first session). */
  get executionProvider(): ExecutionProvider | null {
    return this.provider;
  }

  /** Why that provider was chosen, for the service's start-up line (null before the first session). */
  get executionProviderReason(): string | null {
    return this.reason;
  }

  async open(file: string): Promise<ort.InferenceSession> {
    if (this.provider !== null) return createSession(file, this.provider, this.settings.intraOpNumThreads);
    if (!this.settings.preferCuda) {
      this.provider = 'cpu';
      this.reason = 'CUDA not requested';
      return createSession(file, 'cpu', this.settings.intraOpNumThreads);
    }
    let reason = cudaUnavailableReason(this.settings.cudaProbe);
    if (reason === null) {
      try {
        const session = await createSession(file, 'cuda', this.settings.intraOpNumThreads);
        this.provider = 'cuda';
        this.reason = 'CUDA requested, GPU found and CUDA provider loaded';
        this.settings.logger.info('onnxruntime: using the CUDA execution provider');
        return session;
      } catch (e) {
        reason = explainCudaLoadError(errorMessage(e instanceof ModelLoadError ? e.cause : e));
      }
    }
    // If the CPU attempt fails too, the file is the problem, not CUDA: that error propagates and
    // no misleading fallback line is logged.
    const session = await createSession(file, 'cpu', this.settings.intraOpNumThreads);
    this.provider = 'cpu';
    this.reason = `CUDA requested but unavailable: ${reason}`;
    this.settings.logger.warn(`CUDA execution provider unavailable (${reason}); running on CPU`);
    return session;
  }

  /** Sessions that gain nothing from a GPU (one-off lookups at load time). */
  openOnCpu(file: string): Promise<ort.InferenceSession> {
    return createSession(file, 'cpu', this.settings.intraOpNumThreads);
  }
}

/**
 * onnxruntime's intra-op threads spin after each run by default. A serving process shares its cores
 * with its own JavaScript thread (gRPC, stores) and, here, other processes: spinning threads took
 * those cores, and at 100k items (2 cores, under load) turning it off made both the MatMul and
 * Recommend several times faster (issue 15, reports/bench-serving.json).
 */
export const NO_SPINNING: Pick<ort.InferenceSession.SessionOptions, 'extra'> = { extra: { session: { intra_op: { allow_spinning: '0' } } } };

async function createSession(file: string, provider: ExecutionProvider, intraOpNumThreads?: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(file, {
      executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      ...(intraOpNumThreads ? { intraOpNumThreads } : {}),
      ...NO_SPINNING,
    });
  } catch (e) {
    const onProvider = provider === 'cuda' ? ' with the CUDA execution provider' : '';
    throw new ModelLoadError(file, `not a loadable ONNX model${onProvider} (${errorMessage(e)})`, { cause: e });
  }
}

/**
 * Load-time runs whose failures become ModelLoadErrors (carrying onnxruntime's message): keep
 * onnxruntime from also printing them natively to stderr.
 */
export const QUIET_RUN: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 };

/** A dimension the model must have: a fixed size taken from the manifest, or a dynamic one (batch). */
export type DimSpec = { size: number; source: string } | 'dynamic';

export interface TensorSpec {
  name: string;
  type: 'int64' | 'float32';
  shape: DimSpec[];
}

export interface GraphSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export const fixed = (size: number, source: string): DimSpec => ({ size, source });

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/**
 * Checks input/output names, element types and declared static sizes against what the manifest
 * promises. Sizes the model leaves symbolic are checked later on real outputs (checkOutputDims).
 */
export function checkSignature(session: ort.InferenceSession, file: string, signature: GraphSignature): void {
  const expectedInputs = signature.inputs.map((t) => t.name);
  const unexpected = session.inputNames.filter((n) => !expectedInputs.includes(n));
  const missing = expectedInputs.filter((n) => !session.inputNames.includes(n));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ModelLoadError(
      file,
      `inputs are [${session.inputNames.join(', ')}] but the recmesh-model/1 layout requires [${expectedInputs.join(', ')}]`,
    );
  }
  const missingOutputs = signature.outputs.filter((t) => !session.outputNames.includes(t.name)).map((t) => t.name);
  if (missingOutputs.length > 0) {
    throw new ModelLoadError(file, `outputs are [${session.outputNames.join(', ')}] but [${missingOutputs.join(', ')}] is required`);
  }
  const check = (spec: TensorSpec, metadata: readonly ort.InferenceSession.ValueMetadata[], kind: string) => {
    const meta = metadata.find((m) => m.name === spec.name);
    if (!meta) return; // older runtimes without metadata: the probes still check real outputs
    if (!meta.isTensor) throw new ModelLoadError(file, `${kind} "${spec.name}" must be a tensor`);
    if (meta.type !== spec.type) throw new ModelLoadError(file, `${kind} "${spec.name}" is ${meta.type} but must be ${spec.type}`);
    if (meta.shape.length === 0) return; // shape not declared
    if (meta.shape.length !== spec.shape.length) {
      throw new ModelLoadError(file, `${kind} "${spec.name}" has shape ${shapeText(meta.shape)} but must have ${spec.shape.length} dimensions`);
    }
    spec.shape.forEach((want, axis) => {
      const got = meta.shape[axis];
      if (want === 'dynamic') {
        if (typeof got === 'number' && got > 0) {
          throw new ModelLoadError(file, `${kind} "${spec.name}" has shape ${shapeText(meta.shape)}: dimension ${axis} is fixed to ${got} but must be dynamic (batch)`);
        }
      } else if (typeof got === 'number' && got > 0 && got !== want.size) {
        throw new ModelLoadError(
          file,
          `${kind} "${spec.name}" has shape ${shapeText(meta.shape)}: dimension ${axis} is ${got} but manifest ${want.source} is ${want.size}`,
        );
      }
    });
  };
  for (const spec of signature.inputs) check(spec, session.inputMetadata, 'input');
  for (const spec of signature.outputs) check(spec, session.outputMetadata, 'output');
}

/** Checks the dims of a computed output (covers sizes the graph declares symbolically). */
export function checkOutputDims(file: string, output: string, dims: readonly number[], expected: readonly number[], what: string): void {
  if (dims.length !== expected.length || dims.some((d, i) => d !== expected[i])) {
    throw new ModelLoadError(file, `output "${output}" has shape ${shapeText(dims)} but ${what} requires ${shapeText(expected)}`);
  }
}

export function int64Tensor(values: BigInt64Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', values, dims);
}

export function float32Tensor(values: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', values, dims);
}

/** Reads a float32 output, failing with the file name when the graph produced something else. */
export function float32Output(results: ort.InferenceSession.ReturnType, name: string, file: string): { data: Float32Array; dims: readonly number[] } {
  const t = results[name];
  if (!t || t.type !== 'float32' || !(t.data instanceof Float32Array)) {
    throw new ModelLoadError(file, `output "${name}" is missing or not float32`);
  }
  return { data: t.data, dims: t.dims };
}

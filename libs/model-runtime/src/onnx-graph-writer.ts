// Writes valid ONNX models from TypeScript: the runtime's own scoring graph, the MiniLM text encoder
// built from its safetensors (text-encoder-build.ts), and test graphs without Python. Only the handful
// of protobuf fields these graphs need are encoded (see onnx/onnx.proto).

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

function varintBytes(value: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Buffer.from(out);
}

/** Collects Buffer chunks, so initializers of hundreds of MB (benchmarks) encode as cheaply as tiny ones. */
class ProtoWriter {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  varint(field: number, value: number | bigint): this {
    this.push(varintBytes(BigInt((field << 3) | WIRE_VARINT)));
    this.push(varintBytes(BigInt(value)));
    return this;
  }

  float(field: number, value: number): this {
    this.push(varintBytes(BigInt((field << 3) | WIRE_FIXED32)));
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Uint8Array): this {
    this.push(varintBytes(BigInt((field << 3) | WIRE_BYTES)));
    this.push(varintBytes(BigInt(value.length)));
    this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
}

export type OnnxElemType = 'float32' | 'int64';
const ELEM_TYPE: Record<OnnxElemType, number> = { float32: 1, int64: 7 };

/** A dimension is a fixed size (number) or a symbolic name such as 'batch'. */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  type: OnnxElemType;
  shape: OnnxDim[];
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  intAttrs?: Record<string, number>;
  floatAttrs?: Record<string, number>;
  intsAttrs?: Record<string, number[]>;
}

export interface OnnxGraph {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers: OnnxInitializer[];
  nodes: OnnxNode[];
}

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.varint(1, ELEM_TYPE[v.type]).message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
        }
      }),
    ),
  );
}

export function encodeOnnxModel(graph: OnnxGraph, opset = 17, producer = 'recmesh-model-runtime-tests'): Buffer {
  const w = new ProtoWriter();
  w.varint(1, 8); // ir_version
  w.string(2, producer);
  w.message(8, (o) => o.string(1, '').varint(2, opset));
  w.message(7, (g) => {
    graph.nodes.forEach((n, i) => {
      g.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input);
        for (const output of n.outputs) node.string(2, output);
        node.string(3, `${n.op.toLowerCase()}_${i}`).string(4, n.op);
        for (const [name, value] of Object.entries(n.intAttrs ?? {})) {
          node.message(5, (a) => a.string(1, name).varint(3, value).varint(20, ATTR_INT));
        }
        for (const [name, value] of Object.entries(n.floatAttrs ?? {})) {
          node.message(5, (a) => a.string(1, name).float(2, value).varint(20, ATTR_FLOAT));
        }
        for (const [name, values] of Object.entries(n.intsAttrs ?? {})) {
          node.message(5, (a) => {
            a.string(1, name);
            for (const v of values) a.varint(8, v);
            a.varint(20, ATTR_INTS);
          });
        }
      });
    });
    g.string(2, 'tiny');
    for (const t of graph.initializers) {
      g.message(5, (tensor) => {
        for (const d of t.dims) tensor.varint(1, d);
        tensor.varint(2, t.data instanceof Float32Array ? ELEM_TYPE.float32 : ELEM_TYPE.int64);
        tensor.string(8, t.name);
        tensor.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
    }
    for (const v of graph.inputs) g.message(11, (x) => writeValueInfo(x, v));
    for (const v of graph.outputs) g.message(12, (x) => writeValueInfo(x, v));
  });
  return w.finish();
}

export const int64Const = (name: string, values: number[]): OnnxInitializer => ({
  name,
  dims: [values.length],
  data: BigInt64Array.from(values.map(BigInt)),
});

/** A float32 scalar (dims []) initializer. */
export const float32Scalar = (name: string, value: number): OnnxInitializer => ({ name, dims: [], data: Float32Array.of(value) });

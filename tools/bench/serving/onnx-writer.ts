// Streaming variant of libs/model-runtime/src/testing/tiny-onnx.ts for large initializers: the
// tests' writer pushes one JS number per byte, which cannot hold a 1M x 64 float32 table (256 MB).
// Same graph description types (OnnxGraph from tiny-onnx), same protobuf fields, Buffer chunks.
import { OnnxGraph, OnnxValueInfo } from '../../../libs/model-runtime/src/testing/tiny-onnx';

const ELEM_TYPE = { float32: 1, int64: 7 } as const;
const ATTR_INT = 2;

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

class ChunkWriter {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  varint(field: number, value: number | bigint): this {
    this.push(varintBytes(BigInt((field << 3) | 0)));
    this.push(varintBytes(BigInt(value)));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.push(varintBytes(BigInt((field << 3) | 2)));
    this.push(varintBytes(BigInt(value.length)));
    this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, build: (w: ChunkWriter) => void): this {
    const inner = new ChunkWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

function writeValueInfo(w: ChunkWriter, v: OnnxValueInfo): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.varint(1, ELEM_TYPE[v.type]).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.varint(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

export function encodeLargeOnnxModel(graph: OnnxGraph, opset = 17): Buffer {
  const w = new ChunkWriter();
  w.varint(1, 8);
  w.string(2, 'recmesh-bench-serving');
  w.message(8, (o) => o.string(1, '').varint(2, opset));
  w.message(7, (g) => {
    graph.nodes.forEach((n, i) => {
      g.message(1, (node) => {
        for (const input of n.inputs) node.string(1, input);
        for (const output of n.outputs) node.string(2, output);
        node.string(3, `${n.op.toLowerCase()}_${i}`).string(4, n.op);
        for (const [name, value] of Object.entries(n.intAttrs ?? {})) node.message(5, (a) => a.string(1, name).varint(3, value).varint(20, ATTR_INT));
      });
    });
    g.string(2, 'bench');
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

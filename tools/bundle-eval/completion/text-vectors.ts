// Text vectors for the completion eval: the MiniLM sentence encoder on item texts, cached on disk.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { itemTextForEncoder, SentenceEncoder } from '@recmesh/model-runtime';
import { Dataset } from './dataset';
import { log, seconds } from './log';

export function textEncoderDir(): string {
  return path.join(process.env.RECMESH_CACHE ?? path.join(os.homedir(), '.cache/recmesh'), 'text_encoder');
}

export async function textVectors(ds: Dataset): Promise<{ vectors: Map<string, Float32Array>; seconds: number; cached: boolean; file: string }> {
  const started = Date.now();
  const dir = textEncoderDir();
  if (!fs.existsSync(path.join(dir, 'text_encoder.onnx')) || !fs.existsSync(path.join(dir, 'vocab.txt'))) {
    throw new Error(`text encoder not found in ${dir} (text_encoder.onnx + vocab.txt); build it with: npm run model:text-encoder`);
  }
  const texts: { id: string; text: string }[] = [];
  ds.ids.forEach((id, i) => {
    const text = itemTextForEncoder({ title: ds.titles[i], category: ds.leaf.get(id) });
    if (text) texts.push({ id, text });
  });
  const onnx = fs.statSync(path.join(dir, 'text_encoder.onnx'));
  const hash = createHash('sha256')
    .update(`${onnx.size}:${onnx.mtimeMs}\n`)
    .update(texts.map((t) => `${t.id}\t${t.text}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = path.join(os.homedir(), '.cache/recmesh/bundle-eval');
  const file = path.join(cacheDir, `${ds.name.replace(/\//g, '-')}-text-${hash}.f32`);
  let data: Float32Array;
  let cached = false;
  if (fs.existsSync(file)) {
    const buf = fs.readFileSync(file);
    data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    cached = true;
  } else {
    log(`${ds.name}: encoding ${texts.length} item texts with MiniLM (${dir}); cached afterwards in ${file}`);
    const encoder = await SentenceEncoder.loadFromDir(dir, { preferCuda: false, intraOpNumThreads: 2 });
    try {
      data = await encoder.encode(
        texts.map((t) => t.text),
        64,
      );
    } finally {
      await encoder.release();
    }
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  const dim = data.length / Math.max(1, texts.length);
  if (!Number.isInteger(dim)) throw new Error(`text vector cache ${file} has a bad size; delete it`);
  const vectors = new Map<string, Float32Array>();
  texts.forEach((t, i) => vectors.set(t.id, data.subarray(i * dim, (i + 1) * dim)));
  return { vectors, seconds: seconds(started), cached, file };
}

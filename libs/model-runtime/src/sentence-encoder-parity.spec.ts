import { existsSync, readFileSync } from 'fs';
import { SentenceEncoder } from './sentence-encoder';
import { describeWithFixtures, findTextEncoderDir, maxAbsDiff, requireFiles, TOKENIZER_CASES_FILE } from './testing/reference-fixtures';
import { recordingLogger } from './testing/temp-dirs';

// The exported MiniLM text_encoder.onnx + our tokenizer vs sentence-transformers' encode()
// (normalised embeddings recorded by tools/model/make_fixtures.py). The ~90 MB encoder is not
// committed: this runs when RECMESH_TEXT_ENCODER_DIR (or the cache folder) provides it.

interface SentenceVectorCases {
  sentence_vectors?: { case: number; text: string; tolerance: number; sentence_vec: number[] }[];
}

const encoderDir = findTextEncoderDir();
const reference: SentenceVectorCases = existsSync(TOKENIZER_CASES_FILE) ? (JSON.parse(readFileSync(TOKENIZER_CASES_FILE, 'utf8')) as SentenceVectorCases) : {};
const missing =
  requireFiles(TOKENIZER_CASES_FILE) ??
  encoderDir.reason ??
  (reference.sentence_vectors?.length ? undefined : `${TOKENIZER_CASES_FILE} has no sentence_vectors`);

describeWithFixtures('SentenceEncoder vs sentence-transformers', missing, () => {
  let encoder: SentenceEncoder;
  beforeAll(async () => {
    console.info(`sentence encoder parity: text encoder from ${encoderDir.value}`);
    encoder = await SentenceEncoder.loadFromDir(encoderDir.value!, { logger: recordingLogger() });
  }, 60_000);
  afterAll(() => encoder?.release());

  it('reproduces the reference sentence vectors, batched together (padding must not leak)', async () => {
    const cases = reference.sentence_vectors!;
    const vecs = await encoder.encode(cases.map((c) => c.text));
    cases.forEach((c, i) => {
      expect(maxAbsDiff(vecs.subarray(i * 384, (i + 1) * 384), c.sentence_vec)).toBeLessThanOrEqual(c.tolerance);
    });
  });

  it('gives the same vector for a text alone and inside a batch of different lengths', async () => {
    const text = reference.sentence_vectors![0].text;
    const alone = await encoder.encode([text]);
    const batched = await encoder.encode(['x', text, 'a much longer product title, with punctuation: and numbers 1234'], 2);
    expect(maxAbsDiff(batched.subarray(384, 768), alone)).toBeLessThanOrEqual(1e-5);
  });
});

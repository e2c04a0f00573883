import { existsSync, readFileSync } from 'fs';
import { describeWithFixtures, findMiniLmVocab, requireFiles, TOKENIZER_CASES_FILE } from './testing/reference-fixtures';
import { WordPieceTokenizer } from './wordpiece-tokenizer';

// Token ids from the Python (Hugging Face) tokenizer of the text encoder, recorded by
// tools/model/make_fixtures.py, must be reproduced exactly with the real MiniLM vocabulary.

interface TokenizerCases {
  tokenizer: { lowercase: boolean; max_length: number; cls: string; sep: string; pad: string; unk: string };
  cases: { text: string; input_ids: number[]; tokens: string[] }[];
}

const vocab = findMiniLmVocab();
const cases: TokenizerCases | null = existsSync(TOKENIZER_CASES_FILE) ? (JSON.parse(readFileSync(TOKENIZER_CASES_FILE, 'utf8')) as TokenizerCases) : null;

describeWithFixtures('WordPieceTokenizer vs the Python tokenizer', requireFiles(TOKENIZER_CASES_FILE) ?? vocab.reason, () => {
  let tokenizer: WordPieceTokenizer;
  beforeAll(async () => {
    const t = cases!.tokenizer;
    console.info(`tokenizer parity: vocabulary from ${vocab.value}`);
    tokenizer = await WordPieceTokenizer.fromVocabFile(vocab.value!, { lowercase: t.lowercase, maxLength: t.max_length, cls: t.cls, sep: t.sep, pad: t.pad, unk: t.unk });
  });

  it('has cases', () => {
    expect(cases!.cases.length).toBeGreaterThan(0);
  });

  const table = (cases?.cases ?? []).map((c, i) => [i, JSON.stringify(c.text).slice(0, 60), c] as const);
  if (table.length > 0) {
    it.each(table)('case %i: %s', (_i, _label, c) => {
      expect(tokenizer.encode(c.text)).toEqual(c.input_ids);
      expect(tokenizer.tokenize(c.text).slice(0, c.tokens.length - 2)).toEqual(c.tokens.slice(1, -1));
    });
  }
});

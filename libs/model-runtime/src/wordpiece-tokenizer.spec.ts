import { promises as fs } from 'fs';
import * as path from 'path';
import { ModelLoadError } from './model-load-error';
import { tempDirs } from './testing/temp-dirs';
import { parseVocab, WordPieceTokenizer } from './wordpiece-tokenizer';

// Hand-written cases of BERT's documented behaviour on a tiny vocabulary. Parity with the real
// MiniLM vocabulary and the Python tokenizer is checked in tokenizer-parity.spec.ts.

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'hello', 'world', ',', '!', '[', ']', 'mask',
  'un', '##aff', '##able', 'unaff',
  'cafe', 'cr', '##eme', 'a', '##a', 'b', 'c',
  '中', '文', 'abc', 'naive', 'οδοσ',
];
const tokenizer = new WordPieceTokenizer(VOCAB, { maxLength: 64 });
const id = (t: string) => VOCAB.indexOf(t);

describe('WordPieceTokenizer', () => {
  it('lower-cases, splits punctuation and adds [CLS]/[SEP]', () => {
    expect(tokenizer.tokenize('Hello, World!')).toEqual(['hello', ',', 'world', '!']);
    expect(tokenizer.encode('Hello, World!')).toEqual([2, id('hello'), id(','), id('world'), id('!'), 3]);
  });

  it('strips accents after NFD (both precomposed and combining forms)', () => {
    expect(tokenizer.tokenize('Café Crème')).toEqual(['cafe', 'cr', '##eme']);
    expect(tokenizer.tokenize('Cafe\u0301 NAI\u0308VE')).toEqual(['cafe', 'naive']);
    expect(tokenizer.normalize('Ñandú')).toBe('nandu');
  });

  it('matches greedily, longest first, with ## continuations', () => {
    expect(tokenizer.tokenize('unaffable')).toEqual(['unaff', '##able']);
    expect(tokenizer.tokenize('unable')).toEqual(['un', '##able']);
  });

  it('turns a word with an unmatched remainder into a single [UNK]', () => {
    expect(tokenizer.tokenize('unaffablex hello')).toEqual(['[UNK]', 'hello']);
  });

  it('turns words longer than 100 characters into [UNK]', () => {
    expect(tokenizer.tokenize('a'.repeat(100))).toEqual(['a', ...Array(99).fill('##a')]);
    expect(tokenizer.tokenize('a'.repeat(101))).toEqual(['[UNK]']);
  });

  it('isolates CJK ideographs as words', () => {
    expect(tokenizer.tokenize('中文abc')).toEqual(['中', '文', 'abc']);
  });

  it('drops control and format characters and treats Unicode spaces as separators', () => {
    expect(tokenizer.tokenize('hel\u0000lo wor\u200bld\u00ad')).toEqual(['hello', 'world']);
    expect(tokenizer.tokenize('hello\u00a0world\tabc\r\n!')).toEqual(['hello', 'world', 'abc', '!']);
    expect(tokenizer.tokenize('   ')).toEqual([]);
    expect(tokenizer.encode('')).toEqual([2, 3]);
  });

  it('keeps special tokens written verbatim in the text, case-sensitively', () => {
    expect(tokenizer.tokenize('hello [MASK] world')).toEqual(['hello', '[MASK]', 'world']);
    expect(tokenizer.tokenize('hello[MASK]world')).toEqual(['hello', '[MASK]', 'world']);
    expect(tokenizer.tokenize('[mask]')).toEqual(['[', 'mask', ']']);
  });

  it('lower-cases code point by code point (no final-sigma rule)', () => {
    expect(tokenizer.normalize('ΟΔΟΣ')).toBe('οδοσ');
    expect(tokenizer.tokenize('ΟΔΟΣ')).toEqual(['οδοσ']);
  });

  it('keeps case and accents when lowercase is false', () => {
    const cased = new WordPieceTokenizer(VOCAB, { lowercase: false });
    expect(cased.normalize('Café')).toBe('Café');
  });

  it('truncates the content to maxLength - 2 tokens', () => {
    const short = new WordPieceTokenizer(VOCAB, { maxLength: 5 });
    expect(short.encode('a b c a b c')).toEqual([2, id('a'), id('b'), id('c'), 3]);
    expect(() => new WordPieceTokenizer(VOCAB, { maxLength: 1 })).toThrow(RangeError);
  });

  it('pads a batch on the right with [PAD], mask 0 and token types 0', () => {
    const batch = tokenizer.encodeBatch(['hello world', 'abc']);
    expect(batch.batchSize).toBe(2);
    expect(batch.sequenceLength).toBe(4);
    expect(Array.from(batch.inputIds, Number)).toEqual([2, id('hello'), id('world'), 3, 2, id('abc'), 3, 0]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(batch.tokenTypeIds, Number)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('requires the special tokens to be in the vocabulary', () => {
    expect(() => new WordPieceTokenizer(['hello'])).toThrow('special token [CLS] is not in the vocabulary');
  });
});

describe('vocab.txt', () => {
  const dirs = tempDirs();
  afterAll(() => dirs.cleanup());

  it('one token per line, any newline style, no token for the final newline', () => {
    expect(parseVocab('[PAD]\r\n[UNK]\nx\ry\n')).toEqual(['[PAD]', '[UNK]', 'x', 'y']);
    expect(parseVocab('a\n\nb')).toEqual(['a', '', 'b']);
  });

  it('loads from a file, and reports unreadable or unusable files as ModelLoadError', async () => {
    const dir = await dirs.make();
    const file = path.join(dir, 'vocab.txt');
    await fs.writeFile(file, VOCAB.join('\n') + '\n');
    const loaded = await WordPieceTokenizer.fromVocabFile(file);
    expect(loaded.vocabSize).toBe(VOCAB.length);
    expect(loaded.encode('hello')).toEqual([2, id('hello'), 3]);

    await expect(WordPieceTokenizer.fromVocabFile(path.join(dir, 'missing.txt'))).rejects.toBeInstanceOf(ModelLoadError);
    await fs.writeFile(file, 'only\nwords\n');
    await expect(WordPieceTokenizer.fromVocabFile(file)).rejects.toThrow(`${file}: unusable tokenizer vocabulary (special token [CLS] is not in the vocabulary)`);
  });
});

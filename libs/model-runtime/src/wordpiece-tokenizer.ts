import { promises as fs } from 'fs';
import { CONTROL_RANGES, NONSPACING_MARK_RANGES, PUNCTUATION_RANGES, WHITESPACE_RANGES } from './bert-char-tables.generated';
import { errorMessage, ModelLoadError } from './model-load-error';

/**
 * BERT uncased WordPiece tokenizer, token-for-token identical to the Hugging Face BERT tokenizer
 * the text encoder was trained with (tokenizer.json: BertNormalizer with clean_text,
 * handle_chinese_chars, lowercase and accent stripping; BertPreTokenizer; WordPiece with "##").
 * Where the slow Python BertTokenizer and the fast Rust one disagree (U+2028/U+2029 count as
 * whitespace, Greek final sigma lower-cases to "σ", Unicode version of the character classes), this
 * follows the fast one, which is what transformers' AutoTokenizer loads and what the reference
 * fixtures were produced with. Character classes come from tables generated from that library
 * (scripts/generate_bert_char_tables.py), not from the JavaScript engine's newer Unicode data.
 */

export interface WordPieceTokenizerOptions {
  /** Lower-case and strip accents (BERT "uncased"). Default true. */
  lowercase?: boolean;
  /** Maximum sequence length including [CLS] and [SEP]. Default 64. */
  maxLength?: number;
  cls?: string;
  sep?: string;
  pad?: string;
  unk?: string;
  mask?: string;
  /** Longer words become [UNK] as a whole. Default 100 (BERT). */
  maxInputCharsPerWord?: number;
}

export interface EncodedBatch {
  batchSize: number;
  /** Longest encoded text of the batch; shorter ones are right-padded with [PAD]. */
  sequenceLength: number;
  /** Row-major [batchSize, sequenceLength] int64 tensors, ready for onnxruntime. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

const CONTINUATION = '##';

export class WordPieceTokenizer {
  readonly lowercase: boolean;
  readonly maxLength: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;
  private readonly ids: Map<string, number>;
  private readonly tokens: readonly string[];
  private readonly maxInputCharsPerWord: number;
  /** Longest vocabulary entry in code points: bounds the greedy longest-match search. */
  private readonly longestTokenChars: number;
  /** Special tokens matched verbatim in the raw text, as the HF tokenizer does for added tokens. */
  private readonly specialTokenPattern: RegExp | null;

  constructor(vocab: readonly string[], options: WordPieceTokenizerOptions = {}) {
    this.lowercase = options.lowercase ?? true;
    this.maxLength = options.maxLength ?? 64;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 2) throw new RangeError(`maxLength must be an integer >= 2 (got ${this.maxLength})`);
    this.tokens = vocab;
    this.ids = new Map();
    let longest = 0;
    vocab.forEach((token, id) => {
      this.ids.set(token, id); // a duplicate keeps the last id, like HF's load_vocab
      longest = Math.max(longest, [...token].length);
    });
    this.longestTokenChars = longest;
    const required = (token: string) => {
      const id = this.ids.get(token);
      if (id === undefined) throw new RangeError(`special token ${token} is not in the vocabulary`);
      return id;
    };
    this.clsId = required(options.cls ?? '[CLS]');
    this.sepId = required(options.sep ?? '[SEP]');
    this.padId = required(options.pad ?? '[PAD]');
    this.unkId = required(options.unk ?? '[UNK]');
    const specials = [options.cls ?? '[CLS]', options.sep ?? '[SEP]', options.pad ?? '[PAD]', options.unk ?? '[UNK]', options.mask ?? '[MASK]']
      .filter((t) => this.ids.has(t))
      .sort((a, b) => b.length - a.length);
    this.specialTokenPattern = specials.length ? new RegExp(`(${specials.map(escapeRegExp).join('|')})`) : null;
  }

  /** Reads a vocab.txt (one token per line, id = line number). Failures are ModelLoadErrors naming the file. */
  static async fromVocabFile(file: string, options: WordPieceTokenizerOptions = {}): Promise<WordPieceTokenizer> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      throw new ModelLoadError(file, `cannot read the tokenizer vocabulary (${errorMessage(e)})`, { cause: e });
    }
    try {
      return new WordPieceTokenizer(parseVocab(text), options);
    } catch (e) {
      throw new ModelLoadError(file, `unusable tokenizer vocabulary (${errorMessage(e)})`, { cause: e });
    }
  }

  get vocabSize(): number {
    return this.tokens.length;
  }

  tokenId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** WordPiece tokens of the text, without [CLS]/[SEP] and without truncation. */
  tokenize(text: string): string[] {
    return this.contentIds(text).map((id) => this.tokens[id]);
  }

  /** [CLS] ids… [SEP], the content truncated to maxLength - 2 tokens. */
  encode(text: string): number[] {
    const ids = this.contentIds(text);
    if (ids.length > this.maxLength - 2) ids.length = this.maxLength - 2;
    return [this.clsId, ...ids, this.sepId];
  }

  encodeBatch(texts: readonly string[]): EncodedBatch {
    return this.padBatch(texts.map((t) => this.encode(t)));
  }

  /** Right-pads encoded sequences to the longest one, as int64 tensors with attention mask. */
  padBatch(encoded: readonly (readonly number[])[]): EncodedBatch {
    const sequenceLength = encoded.reduce((m, ids) => Math.max(m, ids.length), 0);
    const size = encoded.length * sequenceLength;
    const inputIds = new BigInt64Array(size).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(size);
    encoded.forEach((ids, b) => {
      ids.forEach((id, i) => {
        inputIds[b * sequenceLength + i] = BigInt(id);
        attentionMask[b * sequenceLength + i] = 1n;
      });
    });
    return { batchSize: encoded.length, sequenceLength, inputIds, attentionMask, tokenTypeIds: new BigInt64Array(size) };
  }

  /** BertNormalizer: clean text, isolate CJK ideographs, then (uncased) strip accents and lower-case. */
  normalize(text: string): string {
    const out: string[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp >= 0x21 && cp <= 0x7e) {
        out.push(ch); // printable ASCII: the common case
        continue;
      }
      if (inRanges(cp, CONTROL_RANGES)) continue;
      if (inRanges(cp, WHITESPACE_RANGES)) out.push(' ');
      else if (isChineseChar(cp)) out.push(' ', ch, ' ');
      else out.push(ch);
    }
    const cleaned = out.join('');
    if (!this.lowercase) return cleaned;
    if (/^[ -~]*$/.test(cleaned)) return cleaned.toLowerCase(); // ASCII: nothing to strip
    const lowered: string[] = [];
    for (const ch of cleaned.normalize('NFD')) {
      // Code point by code point, like Rust's char::to_lowercase: no context-dependent final sigma.
      if (!inRanges(ch.codePointAt(0) ?? 0, NONSPACING_MARK_RANGES)) lowered.push(ch.toLowerCase());
    }
    return lowered.join('');
  }

  private contentIds(text: string): number[] {
    const ids: number[] = [];
    const segments = this.specialTokenPattern ? text.split(this.specialTokenPattern) : [text];
    // split() with a capturing group alternates plain text (even indices) and special tokens (odd).
    segments.forEach((segment, i) => {
      if (i % 2 === 1) ids.push(this.ids.get(segment) ?? this.unkId);
      else for (const word of preTokenize(this.normalize(segment))) this.wordPiece(word, ids);
    });
    return ids;
  }

  /** Greedy longest-match-first; a word with any unmatched remainder becomes a single [UNK]. */
  private wordPiece(word: string, out: number[]): void {
    const chars = Array.from(word);
    if (chars.length > this.maxInputCharsPerWord) {
      out.push(this.unkId);
      return;
    }
    const pieces: number[] = [];
    for (let start = 0; start < chars.length; ) {
      let end = Math.min(chars.length, start + this.longestTokenChars);
      let id: number | undefined;
      for (; end > start; end--) {
        const piece = chars.slice(start, end).join('');
        id = this.ids.get(start > 0 ? CONTINUATION + piece : piece);
        if (id !== undefined) break;
      }
      if (id === undefined) {
        out.push(this.unkId);
        return;
      }
      pieces.push(id);
      start = end;
    }
    out.push(...pieces);
  }
}

/** vocab.txt lines, with the universal newlines of Python's text mode; a final newline adds no token. */
export function parseVocab(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** BertPreTokenizer: split on whitespace and make every punctuation character its own word. */
function preTokenize(text: string): string[] {
  const words: string[] = [];
  for (const chunk of text.split(' ')) {
    if (chunk === '') continue;
    let current = '';
    for (const ch of chunk) {
      if (isPunctuation(ch.codePointAt(0) ?? 0)) {
        if (current) words.push(current);
        words.push(ch);
        current = '';
      } else {
        current += ch;
      }
    }
    if (current) words.push(current);
  }
  return words;
}

/** BERT's ASCII symbols are tested inline; everything else comes from the generated table. */
function isPunctuation(cp: number): boolean {
  if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return inRanges(cp, PUNCTUATION_RANGES);
}

/** Whether cp lies in one of the flat [first, last, ...] ranges (binary search). */
function inRanges(cp: number, ranges: readonly number[]): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The CJK Unified Ideographs blocks BERT splits into single-character words (not Hiragana, Katakana
 * or Hangul). 0x2B920 (not Python's 0x2B820) is the Rust tokenizer's bound, which the reference uses.
 */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

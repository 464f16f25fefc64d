import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { countTokens, encode, encodeWithOffsets } from '../src/tokenizer/gpt2.js';
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

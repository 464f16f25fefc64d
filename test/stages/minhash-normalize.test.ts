/**
 * The native MinHash normalizer (native/src/normalize.cc) equals the JS reference
 * normalizeForMinhash on every code point, alone and in the contexts its tables cannot see
 * (Final_Sigma, canonical reordering, surrogates, whitespace collapse and trim), on random
 * mixed-script strings and on real documents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeForMinhash, normalizeForMinhashNative } from '../../stages/minhash/normalize.js';
import { seededRandom } from '../../src/random.js';
import { benchTexts } from '../../bench/corpus.js';

const hex = (s: string) => [...s].map((c) => c.codePointAt(0)!.toString(16).padStart(4, '0')).join(' ');

function assertSame(text: string, digitsToZero: boolean): void {
  const want = normalizeForMinhash(text, digitsToZero);
  const got = normalizeForMinhashNative(text, digitsToZero);
  if (got !== want) assert.fail(`digitsToZero=${digitsToZero}, input [${hex(text)}]: native [${hex(got)}], JS [${hex(want)}]`);
}

/** Every scalar value, then the surrogate code units alone (lone surrogates). */
function* allCodePoints(): Generator<string> {
  for (let cp = 0; cp < 0x110000; cp++) if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp);
  for (let u = 0xd800; u <= 0xdfff; u++) yield String.fromCharCode(u);
}

// Contexts of a character x: Σ looking back and ahead across it (cased 'A', uncased '1'),
// marks around it (U+0345 has the highest combining class, U+0334 the lowest: NFD reorders
// them around any non-mark with a non-zero class), digits, spaces and x twice.
const contexts: ((x: string) => string)[] = [
  (x) => `A${x}\u03a3`,
  (x) => `1${x}\u03a3`,
  (x) => `A\u03a3${x}a`,
  (x) => `A\u03a3${x}`,
  (x) => `\u0345${x}\u0334${x}\u0301`,
  (x) => `\t${x}9\u3000${x}${x}`,
];

test('native normalize equals JS on every code point alone', () => {
  for (const digits of [false, true]) for (const x of allCodePoints()) assertSame(x, digits);
});

test('native normalize equals JS on every code point in context', () => {
  // Blocks of 64 code points, each in every context, separated by spaces (which end the
  // Final_Sigma look-around and are starters for NFD): one call per block; a failing block is
  // retried per context to name the code point.
  const blocks: string[][] = [];
  let block: string[] = [];
  for (const x of allCodePoints()) {
    block.push(...contexts.map((c) => c(x)));
    if (block.length === 64 * contexts.length) blocks.push(block), (block = []);
  }
  blocks.push(block);
  for (const digits of [false, true]) {
    for (const parts of blocks) {
      const text = parts.join(' ');
      if (normalizeForMinhashNative(text, digits) === normalizeForMinhash(text, digits)) continue;
      for (const p of parts) assertSame(p, digits);
      assertSame(text, digits); // the block differs while no part does
    }
  }
});

test('native normalize: lone surrogates joined by removing the marks between them', () => {
  // JS removes marks after toLowerCase and NFD, so a lone high and a lone low surrogate with
  // only marks between them become a pair, which the P/S and Nd steps then see as one code
  // point: U+1F600 (So) becomes a space, U+1D7CE (Nd) a digit.
  for (const d of [false, true]) {
    for (const s of ['a\ud83d\u0301\ude00b', 'a \ud83d\u0301\u0302\ude00 b', '\ud83d\u0301\ude00', 'x\ud835\u0301\udfce', '\ud801\u{1d165}\udc00', 'a\ud83d!\ude00', '\ud83d \u0301\ude00', '\ud83d\u0301\ud83d\ude00\u0301\ude00']) {
      assertSame(s, d);
    }
  }
  assert.equal(normalizeForMinhashNative('a\ud83d\u0301\ude00b', false), 'a b');
});

test('native normalize equals JS on random mixed-script strings', () => {
  const pools: string[][] = [
    [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?\'"()-'],
    [...'àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßµ¡¿«»°±²³¹¼½¾'],
    [...'ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώΐΰϊϋΆΈΉΊΌΎΏ΅ͅ'],
    ['\u03a3', '\u03a3', '\u03a3', 'ΣΣ', '\'', '\u00ad', '\u0345', 'ʰ', '.', '\u2019', '\u200d'],
    [...'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯїієґЇІЄҐ'],
    [...'的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年，。、「」々〆ヶアイウエオカキクケコ'],
    [...'한국어가나다라마바사아자차카타파하각갂갃힣각'],
    ['\u0300', '\u0301', '\u0302', '\u0308', '\u0323', '\u0327', '\u0334', '\u0345', '\u05b0', '\u064b', '\u093c', '\u20dd', '\ufe0f', '\u{1d165}', '\u{e0100}'],
    ['😀', '👍🏽', '👨‍👩‍👧', '🇩🇪', '𝐀', '𝟎', '𝟗', '𐐀', '𐐨', '𞤀', '𞤢', '𖹀', '𑃐', '𝄞', '\u{2f800}', '\u{1109a}', '\u{20000}'],
    ['٣', '۴', '५', '৬', '๗', '၈', '０', '９', '\u{104a0}', '\u{1d7ce}', '\u{1e950}', '²', '①', 'Ⅻ'],
    ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00', '\ud835', '\udfce', '\u0301', '\u{1d165}', '\u{e0100}'],
    [' ', '  ', '\t', '\n', '\r\n', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u2003', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', '\u200b', '\u180e'],
    ['İ', 'ẞ', 'ǅ', 'Ω', 'K', 'Å', 'ﬁ', 'ŉ', 'ΐ', 'ᾼ', 'ᾈ', 'Ϊ', 'ϓ', 'Ⓐ', 'Ａ'],
  ];
  const rnd = seededRandom(5);
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
  for (let i = 0; i < 100_000; i++) {
    const mix = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(pools));
    const len = Math.floor(rnd() * 40);
    let s = '';
    for (let k = 0; k < len; k++) s += pick(pick(mix));
    assertSame(s, i % 2 === 0);
  }
});

test('native normalize: long input and buffer reuse across calls', () => {
  const long = 'Ünïcödé ΣΟΦΟΣ 한국어 ９９ '.repeat(20_000);
  // Hangul triples the output: the buffer grows, also between a lone high surrogate and a low one.
  const growing = Array.from({ length: 40 }, (_, k) => '각'.repeat(k * 50) + '\ud83d\u{e0100}\u0301\ude00' + '힣'.repeat(k));
  for (const s of [long, 'x', '', '  ', long.slice(0, 1001), 'ΌΣΟΣ', ...growing]) for (const d of [false, true]) assertSame(s, d);
  assert.equal(normalizeForMinhashNative('  Héllo,   WÖRLD!!\n\nÇa va? 2023 — «ok»  ', true), 'hello world ca va 0000 ok');
  assert.throws(() => normalizeForMinhashNative(42 as unknown as string, false), TypeError);
});

const docs = benchTexts();
test('native normalize equals JS on real documents', { skip: docs ? false : 'shared data absent' }, () => {
  for (const d of docs!) for (const digits of [false, true]) assertSame(d, digits);
});

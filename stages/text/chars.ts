/**
 * Character classes for the text utilities, as one 64K lookup table over the BMP (built once
 * at load, ~5 ms) so the hot loops test a bit instead of running a Unicode regex per char.
 * Astral code points (emoji, CJK extension B, ...) are rare and classified by regex.
 */

export const WS = 1; // \s
export const ALPHA = 2; // \p{L}  (Python's str.isalpha)
export const UPPER = 4; // \p{Lu}
export const LOWER = 8; // \p{Ll}
export const NUM = 16; // \p{N}
export const MARK = 32; // \p{M}
/** Split off a token's start or end, like spaCy's prefix/suffix punctuation (not '-', '.', '@', '/', '%'). */
export const SPLIT = 64;
/** Han, Hiragana, Katakana: scripts written without spaces; one character = one word. */
export const CJK = 128;
/** Symbols (\p{So}: emoji, arrows, ©): always a token of their own. */
export const ICON = 256;
/** ASCII digit 0-9 (spaCy's rules use [0-9]). */
export const DIGIT = 512;
/** Unicode punctuation (\p{P}): what spaCy's `is_punct` checks. */
export const PUNCT = 1024;
/** Currency symbols (\p{Sc}): split off the front of a token, or off the end after a digit. */
export const CURRENCY = 2048;
/**
 * A letter of a script without case (Arabic, Devanagari, Tamil, Thai...) or a combining mark:
 * spaCy's rules treat these as both lower- and uppercase (its `_uncased` character group).
 */
export const UNCASED = 8192;
/** A letter, digit or mark that never splits a token (not CJK): a chunk of only these is one word. */
export const PLAIN = 4096;
/**
 * A letter or mark of Thai, Lao, Khmer or Myanmar: scripts written without spaces between
 * words whose words are several characters long; words.ts segments runs of them with
 * Intl.Segmenter (ICU's dictionary word breaker).
 */
export const SEGMENT = 16384;

const table = new Uint16Array(65536);

/** The classes of one character, straight from its Unicode properties (the table's oracle; astral code points). */
export function classify(ch: string): number {
  let c = 0;
  if (/\s/u.test(ch)) c |= WS;
  if (/\p{L}/u.test(ch)) c |= ALPHA;
  if (/\p{Lu}/u.test(ch)) c |= UPPER;
  if (/\p{Ll}/u.test(ch)) c |= LOWER;
  if (/\p{N}/u.test(ch)) c |= NUM;
  if (/\p{M}/u.test(ch)) c |= MARK;
  if (/[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]/u.test(ch) && /[\p{L}\p{N}]/u.test(ch)) c |= CJK;
  if (/[\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}]/u.test(ch) && /[\p{L}\p{M}]/u.test(ch)) c |= SEGMENT;
  if (/\p{So}/u.test(ch)) c |= ICON;
  if (/\p{P}/u.test(ch)) c |= PUNCT;
  if (/\p{Sc}/u.test(ch)) c |= CURRENCY;
  // Prefix/suffix punctuation: spaCy's LIST_PUNCT + LIST_QUOTES + dashes (its `— –` rules).
  // Kept inside tokens: '-' (hyphenated words), '.' (own rule), '@' '/' (emails, paths), '%'.
  if ((/[\p{P}<>=]/u.test(ch) && !/[-.@/\\%]/u.test(ch)) || /\p{So}/u.test(ch)) c |= SPLIT;
  return c;
}

// The BMP table, built property by property from the runs of code points each pattern matches
// in one string of the whole BMP (index = code point; surrogate halves stand as U+0000, which
// matches no class): a few thousand runs instead of 65,536 classify() calls, which took ~55 ms
// of every process's start-up. Equal to classify() on every BMP code point (test).
const bmp = String.fromCharCode(...Array.from({ length: 65536 }, (_, i) => (i >= 0xd800 && i <= 0xdfff ? 0 : i)));
function mark(pattern: RegExp, bits: number, into: Uint16Array = table): void {
  for (const m of bmp.matchAll(pattern)) orRun(into, m.index, m.index + m[0].length, bits);
}
function orRun(into: Uint16Array, from: number, to: number, bits: number): void {
  for (let i = from; i < to; i++) into[i]! |= bits;
}
mark(/\s+/gu, WS);
mark(/\p{L}+/gu, ALPHA);
mark(/\p{Lu}+/gu, UPPER);
mark(/\p{Ll}+/gu, LOWER);
mark(/\p{N}+/gu, NUM);
mark(/\p{M}+/gu, MARK);
mark(/\p{So}+/gu, ICON | SPLIT);
mark(/\p{P}+/gu, PUNCT);
mark(/\p{Sc}+/gu, CURRENCY);
// Classes that need two properties: each one in a scratch table, kept where both hold.
{
  const a = new Uint16Array(65536);
  mark(/[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+/gu, 1, a);
  mark(/[\p{L}\p{N}]+/gu, 2, a);
  mark(/[\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}]+/gu, 4, a);
  mark(/[\p{L}\p{M}]+/gu, 8, a);
  mark(/[\p{P}<>=]+/gu, 16, a);
  mark(/[-.@/\\%]+/gu, 32, a);
  for (let i = 0; i < 65536; i++) {
    const c = a[i]!;
    if ((c & 3) === 3) table[i]! |= CJK;
    if ((c & 12) === 12) table[i]! |= SEGMENT;
    if ((c & 48) === 16) table[i]! |= SPLIT;
  }
}
for (let i = 48; i <= 57; i++) table[i]! |= DIGIT;
for (let i = 0; i < 65536; i++) {
  const c = table[i]!;
  if ((c & ALPHA && !(c & (UPPER | LOWER))) || c & MARK) table[i] = c | UNCASED;
}
for (let i = 0; i < 65536; i++) {
  const c = table[i]!;
  if (c & (ALPHA | NUM | MARK) && !(c & (CJK | SEGMENT | SPLIT | ICON | PUNCT | WS))) table[i] = c | PLAIN;
}

/** Class bits of the code point at `text[i]` (a high surrogate reads the pair). */
export function classAt(text: string, i: number): number {
  const u = text.charCodeAt(i);
  if (u < 0xd800 || u > 0xdbff) return table[u]!;
  const cp = text.codePointAt(i)!;
  return cp > 0xffff ? classify(String.fromCodePoint(cp)) : 0;
}

/** Class bits of a BMP code unit (surrogates give 0). */
export function classOf(unit: number): number {
  return table[unit]!;
}

/** UTF-16 length of the code point at `text[i]` (2 for a surrogate pair). */
export function unitsAt(text: string, i: number): number {
  const u = text.charCodeAt(i);
  return u >= 0xd800 && u <= 0xdbff && i + 1 < text.length ? 2 : 1;
}

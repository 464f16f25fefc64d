import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countSentences, countWhitespaceWords, findDuplicates, lineSpans, paragraphSpans, whitespaceWordStats, splitLines, splitLinesKeepEmpty, splitLinesUniversal,
  splitParagraphs, tokenize, tokenizeReference, wordStrings, words, isWordLike, hasAlpha, hashSpan,
} from '../../stages/text/words.js';
import { NgramScanner, duplicateSpans, wordIds } from '../../stages/text/ngrams.js';
import { seededRandom } from '../../src/random.js';
import { bigText } from './helpers.js';
import { readFileSync } from 'node:fs';
import { sharedData } from '../../src/paths.js';

const split = (t: string) => wordStrings(tokenize(t));

test('words: punctuation marks are split off as their own tokens (spaCy-style)', () => {
  assert.deepEqual(split('Hello, world!'), ['Hello', ',', 'world', '!']);
  assert.deepEqual(split('"Quoted" (text).'), ['"', 'Quoted', '"', '(', 'text', ')', '.']);
  assert.deepEqual(split('end...'), ['end', '...']);
});

test('words: abbreviations, initials, decimals keep their periods; clitics split', () => {
  assert.deepEqual(split('Mr. Smith lives in the U.S. now.'), ['Mr.', 'Smith', 'lives', 'in', 'the', 'U.S.', 'now', '.']);
  assert.deepEqual(split('e.g. 3.5 kg'), ['e.g.', '3.5', 'kg']);
  assert.deepEqual(split("Smith's don't we're"), ['Smith', "'s", 'do', "n't", 'we', "'re"]);
});

test('words: hyphenated words split at the hyphen, numbers with units split', () => {
  assert.deepEqual(split('well-known 5km 10-20'), ['well', '-', 'known', '5', 'km', '10', '-', '20']);
});

test('words: URLs and e-mails stay whole, trailing punctuation is split', () => {
  assert.deepEqual(split('See https://example.com/a?b=1. Mail bob@example.org!'), [
    'See', 'https://example.com/a?b=1', '.', 'Mail', 'bob@example.org', '!',
  ]);
});

test('words: lower.Upper is split at the period (a missing space), lowercase domains are not', () => {
  assert.deepEqual(split('Options.Builder visit example.com'), ['Options', '.', 'Builder', 'visit', 'example.com']);
});

test('words: a final period splits after uncased scripts too (Tamil, Devanagari)', () => {
  assert.deepEqual(split('இருந்து. नमस्ते.'), ['இருந்து', '.', 'नमस्ते', '.']);
});

test('words: CJK text without spaces is one word per character, not one word per paragraph', () => {
  assert.deepEqual(split('我爱北京天安门。'), ['我', '爱', '北', '京', '天', '安', '门', '。']);
  assert.deepEqual(split('東京タワーは2020年'), ['東', '京', 'タ', 'ワ', 'ー', 'は', '2020', '年']);
  // Hangul uses spaces: words stay whole.
  assert.deepEqual(split('한국어 문장'), ['한국어', '문장']);
});

test('words: edge cases (empty, whitespace, one word, only punctuation, emoji)', () => {
  assert.equal(tokenize('').count, 0);
  assert.equal(tokenize(' \n\t ').count, 0);
  assert.deepEqual(split('word'), ['word']);
  assert.deepEqual(split('!?!'), ['!', '?', '!']);
  assert.deepEqual(split('nice😀'), ['nice', '😀']);
  const w = tokenize('a1 ! ß');
  assert.deepEqual([0, 1, 2].map((i) => isWordLike(w, i)), [true, false, true]);
  assert.deepEqual([0, 1, 2].map((i) => hasAlpha(w, i)), [true, false, true]);
});

test('words: the memo returns the same split for the same text', () => {
  const t = 'one two three';
  assert.equal(words(t), words(t));
  assert.deepEqual(wordStrings(words(t)), ['one', 'two', 'three']);
});

test('words: a 10 MB document splits in one pass', () => {
  const t = bigText(10_000_000);
  const w = tokenize(t);
  assert.ok(w.count > 1_500_000, `got ${w.count} words`);
  assert.equal(w.end[w.count - 1], t.length - 1); // the last token is the final '.' before '\n' or a word
});

test('lines and paragraphs: \\n+ lines, \\n{2,} paragraphs, Python splitlines', () => {
  assert.deepEqual(splitLines('a\n\n\nb\nc'), ['a', 'b', 'c']);
  assert.deepEqual(splitLinesKeepEmpty('a\n\nb'), ['a', '', 'b']);
  assert.deepEqual(splitParagraphs('\n p1\nl2\n\n\np2 \n'), ['p1\nl2', 'p2']);
  assert.deepEqual(splitLinesUniversal('a\r\nb\rc\u2028d\n'), ['a', 'b', 'c', 'd']);
  assert.equal(countWhitespaceWords('  a b\u00a0c\n d '), 4);
});

test('findDuplicates counts repeats beyond the first and their characters', () => {
  assert.deepEqual(findDuplicates(['ab', 'c', 'ab', 'ab', 'c']), { count: 3, chars: 2 + 2 + 1 });
});

test('countSentences: a sentence starts after . ! ? (abbreviations and decimals end nothing)', () => {
  assert.equal(countSentences('Mr. Smith went to Washington. He saw 3.5 things! Really?'), 3);
  assert.equal(countSentences('No end mark here'), 1);
  assert.equal(countSentences('"Quoted." Next one.'), 2);
  assert.equal(countSentences(''), 0);
});

/** Oracle: datatrove's string-joining definitions, written plainly. */
function topOracle(ws: string[], n: number): number {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= ws.length; i++) {
    const g = ws.slice(i, i + n).join(' ');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  let best = '';
  let bestCount = 0;
  for (const [g, c] of counts) if (c > bestCount) [best, bestCount] = [g, c]; // Map keeps first-seen order
  return best.length * bestCount;
}
function dupOracle(ws: string[], n: number): number {
  const seen = new Set<string>();
  let chars = 0;
  let i = 0;
  while (i < ws.length - n + 1) {
    const g = ws.slice(i, i + n).join('\u0000');
    if (seen.has(g)) {
      chars += ws.slice(i, i + n).join('').length;
      i += n;
    } else {
      seen.add(g);
      i++;
    }
  }
  return chars;
}

test('n-grams: top n-gram characters = joined length x count; duplicate n-grams skip overlaps', () => {
  // words: ab cd ab cd ab cd x: "ab cd" occurs 3 times, 5 chars each
  const w = wordIds(tokenize('ab cd ab cd ab cd x'));
  const s = new NgramScanner(w);
  assert.equal(s.topNgramChars(2), 5 * 3);
  // 3-grams: "ab cd ab" x2 and "cd ab cd" x2: tie, the first seen wins: 8 chars x 2
  assert.equal(s.topNgramChars(3), 8 * 2);
  // 5-gram scan: (ab cd ab cd ab) new, (cd ab cd ab cd) new, (ab cd ab cd x) new: 0
  assert.equal(s.duplicateNgramChars(5), 0);
  assert.equal(new NgramScanner(wordIds(tokenize('one'))).topNgramChars(2), 0);
  // all unique: the first n-gram, once
  assert.equal(new NgramScanner(wordIds(tokenize('a bb ccc dddd'))).topNgramChars(2), 4);
  assert.throws(() => s.topNgramChars(2), /n must increase/);
});

test('n-grams: the scanner equals the plain string definitions on random and repetitive texts', () => {
  const rnd = seededRandom(11);
  for (let doc = 0; doc < 60; doc++) {
    const vocab = 3 + Math.floor(rnd() * 30); // small vocabularies repeat a lot
    const len = Math.floor(rnd() * 300);
    const ws = Array.from({ length: len }, () => `w${Math.floor(rnd() * vocab)}`);
    const w = wordIds(tokenize(ws.join(' ')));
    const s = new NgramScanner(w);
    for (const n of [2, 3, 4]) assert.equal(s.topNgramChars(n), topOracle(ws, n), `doc ${doc} top ${n}`);
    for (const n of [5, 6, 7, 8, 9, 10]) assert.equal(s.duplicateNgramChars(n), dupOracle(ws, n), `doc ${doc} dup ${n}`);
  }
});

test('words: the plain-word shortcut splits exactly like the full path (parity texts and generated text)', () => {
  const texts = [bigText(200_000, 7), 'Hello, world! 5km away; "quoted": yes? (no) x,y well-known'];
  const file = sharedData('parity', 'datatrove-filters.jsonl');
  if (file) for (const l of readFileSync(file, 'utf8').split('\n')) if (l.trim()) texts.push((JSON.parse(l) as { text: string }).text);
  for (const t of texts) {
    const fast = tokenize(t);
    assert.deepEqual(wordStrings(fast), wordStrings(tokenizeReference(t)));
    assert.deepEqual(fast.hash, tokenizeReference(t).hash);
    for (let i = 0; i < Math.min(fast.count, 2000); i++) assert.equal(fast.hash[i], hashSpan(t, fast.start[i]!, fast.end[i]!));
  }
});

test('lineSpans / paragraphSpans cut exactly what splitLines / splitParagraphs cut', () => {
  const cases = ['', '\n', 'a', 'a\n', '\na\n\n\nb\nc\n', '  \n\n p1\nl2\n\n\np2 \n\n', 'x\n\n\n\n'];
  const file = sharedData('parity', 'datatrove-filters.jsonl');
  if (file) for (const l of readFileSync(file, 'utf8').split('\n')) if (l.trim()) cases.push((JSON.parse(l) as { text: string }).text);
  const cut = (t: string, s: { start: number[]; end: number[] }) => s.start.map((a, i) => t.slice(a, s.end[i]));
  for (const t of cases) {
    assert.deepEqual(cut(t, lineSpans(t)), splitLines(t));
    assert.deepEqual(cut(t, paragraphSpans(t)), splitParagraphs(t));
  }
});

test('duplicateSpans counts like findDuplicates', () => {
  const t = 'ab\ncd\nab\nab\ncd';
  const s = lineSpans(t);
  assert.deepEqual(duplicateSpans(t, s.start, s.end, s.count), findDuplicates(splitLines(t)));
});

test('whitespaceWordStats: counts words up to the limit; finds a word over maxLength', () => {
  assert.deepEqual(whitespaceWordStats('a b c d e', 3, 1000), { count: 3, tooLong: false });
  assert.deepEqual(whitespaceWordStats('a b', 3, 1000), { count: 2, tooLong: false });
  assert.deepEqual(whitespaceWordStats(`a b c ${'x'.repeat(11)}`, 3, 10), { count: 4, tooLong: true });
  assert.deepEqual(whitespaceWordStats('', 3, 10), { count: 0, tooLong: false });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDoc } from '../../src/doc.js';
import { isDrop, type Drop } from '../../src/stage.js';
import { gopherRepetition, checkRepetition, defaults } from '../../stages/gopher_repetition/index.js';
import { bigText, recordingContext } from './helpers.js';

const check = (t: string) => checkRepetition(t, defaults) as Drop | undefined;

test('gopher_repetition: dup_para_frac > 0.3 drops (1 of 3 paragraphs repeated = 0.333)', () => {
  const t = 'first paragraph here\n\nfirst paragraph here\n\nsecond one is different';
  const d = check(t)!;
  assert.equal(d.reason, 'dup_para_frac');
  assert.equal(d.value, 1 / 3);
  assert.equal(d.detail, '0.3333>0.3');
});

test('gopher_repetition: dup_para_char_frac > 0.2 drops (repeated paragraph chars / doc chars)', () => {
  // 4 paragraphs, 1 repeated (0.25 <= 0.3), its 30 chars over the document's chars
  const p = 'a repeated paragraph of thirty'; // 30 chars
  const t = [p, 'x one', p, 'y two'].join('\n\n');
  const d = check(t)!;
  assert.equal(d.reason, 'dup_para_char_frac');
  assert.equal(d.value, 30 / t.length);
});

test('gopher_repetition: dup_line_frac > 0.3 drops (2 of 4 lines repeat = 0.5)', () => {
  const d = check('same line\nsame line\nsame line\nother line')!;
  assert.equal(d.reason, 'dup_line_frac');
  assert.equal(d.value, 0.5);
});

test('gopher_repetition: dup_line_char_frac > 0.2 drops (1 of 4 lines repeats, 0.25 <= 0.3 by count)', () => {
  const t = 'a b c d e\na b c d e\nf g\nh i'; // repeated line: 9 chars
  const d = check(t)!;
  assert.equal(d.reason, 'dup_line_char_frac');
  assert.equal(d.value, 9 / t.length);
});

test('gopher_repetition: top_2_gram > 0.20 drops ("ab cd" x3 = 15 chars)', () => {
  const t = 'ab cd ab cd ab cd x y z w';
  const d = check(t)!;
  assert.equal(d.reason, 'top_2_gram');
  assert.equal(d.value, 15 / t.length);
});

test('gopher_repetition: duplicated_5_n_grams > 0.15 drops (50 of 150 words re-used)', () => {
  const vocab = Array.from({ length: 100 }, (_, i) => `w${String(i).padStart(3, '0')}`); // 4 chars each
  const t = [...vocab, ...vocab.slice(0, 50)].join(' ');
  assert.equal(t.length, 150 * 4 + 149);
  // top 2/3/4-grams occur twice: (4*4+3)*2 = 38 chars at most, far under 0.16
  // duplicate 5-grams: the scan jumps 10 times over 5 seen words: 10 * 20 chars
  const d = check(t)!;
  assert.equal(d.reason, 'duplicated_5_n_grams');
  assert.equal(d.value, 200 / t.length);
});

test('gopher_repetition: a normal paragraph is kept and its measures observed', async () => {
  const ctx = recordingContext();
  const stage = await gopherRepetition.create(defaults, ctx);
  const doc = newDoc({ id: '1', text: 'The committee met on Tuesday to discuss the budget.\nIt approved two proposals and rejected a third.\n\nA vote on the rest is planned for May.' });
  const r = await stage.apply(doc);
  assert.equal(isDrop(r), false);
  assert.equal(ctx.observed['dup_line_frac']![0], 0);
  assert.ok(ctx.observed['duplicated_10_n_grams']);
});

test('gopher_repetition: edge cases: empty, one word, no newline kept; only punctuation drops', () => {
  assert.equal(check(''), undefined);
  assert.equal(check('word'), undefined);
  const sentence = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';
  assert.equal(check(sentence), undefined);
  // The top n-gram of a short text counts even when it occurs once (as in datatrove):
  // "one two" is 7 of 13 characters.
  assert.equal(check('one two three')!.reason, 'top_2_gram');
  // "! ! ! !" -> the 2-gram "! !" x3 = 9 chars over 4
  const d = check('!!!!')!;
  assert.equal(d.reason, 'top_2_gram');
  assert.equal(d.value, 9 / 4);
});

test('gopher_repetition: CJK without spaces is split per character, so its repetition is seen', () => {
  const distinct = Array.from({ length: 50 }, (_, i) => String.fromCharCode(0x4e00 + i)).join('');
  assert.equal(check(distinct), undefined); // 50 one-character words, no n-gram repeats
  const d = check('好好好好好好好好好好')!; // one "word" per character: "好 好" x9 = 27 chars / 10
  assert.equal(d.reason, 'top_2_gram');
  assert.equal(d.value, 27 / 10);
});

test('gopher_repetition: a 10 MB document is measured, and 0 disables a rule', () => {
  const t = bigText(10_000_000);
  const r = checkRepetition(t, defaults);
  assert.ok(r === undefined || isDrop(r));
  const off = { ...defaults, dup_line_frac: 0, dup_line_char_frac: 0 };
  assert.notEqual(check('same line\nsame line\nsame line\nother line'), undefined);
  const d = checkRepetition('same line\nsame line\nsame line\nother line', off) as Drop;
  assert.equal(d.reason, 'top_2_gram'); // lines no longer checked; "same line" x3 dominates
});

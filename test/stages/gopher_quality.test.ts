import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDoc } from '../../src/doc.js';
import { isDrop, type Drop } from '../../src/stage.js';
import { checkQuality, defaults, gopherQuality } from '../../stages/gopher_quality/index.js';
import { bigText, recordingContext } from './helpers.js';

const check = (t: string, c = defaults) => checkQuality(t, c) as Drop | undefined;
const n = (k: number, w = 'word') => Array(k).fill(w).join(' ');
/** 60 words with two stop words, mean length ~4: passes every rule. */
const GOOD = `the ${n(57)} of text`;

test('gopher_quality: a plain document passes every rule', () => {
  assert.equal(check(GOOD), undefined);
});

test('gopher_quality: fewer than 50 words drops (49 words)', () => {
  const d = check(`the of ${n(47)}`)!;
  assert.equal(d.reason, 'gopher_short_doc');
  assert.equal(d.value, 49);
});

test('gopher_quality: more than max_words drops (config 10, 11 words)', () => {
  const d = check(`the of ${n(9)}`, { ...defaults, min_words: 1, max_words: 10 })!;
  assert.equal(d.reason, 'gopher_long_doc');
  assert.equal(d.value, 11);
});

test('gopher_quality: mean word length outside [3, 10] drops', () => {
  assert.equal(check(n(60, 'ab'))!.reason, 'gopher_below_avg_threshold');
  assert.equal(check(n(60, 'ab'))!.value, 2);
  const d = check(n(60, 'extraordinarily'))!; // 15 chars
  assert.equal(d.reason, 'gopher_above_avg_threshold');
  assert.equal(d.value, 15);
});

test('gopher_quality: # to words > 0.1 drops (10 "#" tokens / 60 tokens)', () => {
  const d = check(`${n(50)} ##########`)!;
  assert.equal(d.reason, 'gopher_too_many_hashes');
  assert.equal(d.value, 10 / 60);
});

test('gopher_quality: ellipses to words > 0.1 drops (6 "..." / 56 tokens)', () => {
  const d = check(`${n(50)} ... ... ... ... ... ...`)!;
  assert.equal(d.reason, 'gopher_too_many_ellipsis');
  assert.equal(d.value, 6 / 56);
});

test('gopher_quality: more than 90% bullet lines drops (10 of 10)', () => {
  const t = Array.from({ length: 10 }, () => `• ${n(6)}`).join('\n');
  const d = check(t)!;
  assert.equal(d.reason, 'gopher_too_many_bullets');
  assert.equal(d.value, 1);
});

test('gopher_quality: more than 30% of lines ending with an ellipsis drops (4 of 10)', () => {
  const t = Array.from({ length: 10 }, (_, i) => n(6) + (i < 4 ? '...' : '')).join('\n');
  const d = check(t)!;
  assert.equal(d.reason, 'gopher_too_many_end_ellipsis');
  assert.equal(d.value, 0.4);
});

test('gopher_quality: fewer than 80% alphabetic words drops (50 of 65)', () => {
  const d = check(`the of ${n(48)} ${n(15, '123')}`)!;
  assert.equal(d.reason, 'gopher_below_alpha_threshold');
  assert.equal(d.value, 50 / 65);
});

test('gopher_quality: fewer than 2 distinct stop words drops (case-sensitive, distinct)', () => {
  assert.equal(check(n(60))!.reason, 'gopher_enough_stop_words');
  assert.equal(check(n(60))!.value, 0);
  const repeated = check(`the the the ${n(57)}`)!; // one distinct stop word
  assert.equal(repeated.reason, 'gopher_enough_stop_words');
  assert.equal(repeated.value, 1);
  assert.equal(check(`The Of ${n(58)}`)!.reason, 'gopher_enough_stop_words');
  assert.equal(check(`the with ${n(58)}`), undefined);
});

test('gopher_quality: edge cases: empty, one word, only punctuation, CJK, 10 MB', async () => {
  assert.equal(check('')!.reason, 'gopher_short_doc');
  assert.equal(check('word')!.value, 1);
  assert.equal(check('!!! ??? ...')!.value, 0); // punctuation is not a word
  // CJK: one word per character, so a 60-character sentence is 60 words (mean length 1)
  const cjk = '我爱北京天安门'.repeat(10);
  assert.equal(check(cjk)!.reason, 'gopher_below_avg_threshold');
  const ctx = recordingContext();
  const stage = await gopherQuality.create(defaults, ctx);
  const r = await stage.apply(newDoc({ id: 'big', text: bigText(10_000_000) }));
  assert.ok(isDrop(r) && r.reason === 'gopher_long_doc'); // ~1.6M words > 100,000
  assert.ok(ctx.observed['words']![0]! > 100_000);
});

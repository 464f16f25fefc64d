import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDoc, type Doc } from '../../src/doc.js';
import { isDrop, type Drop } from '../../src/stage.js';
import { correctLine, correctLines, defaults, lineCorrections } from '../../stages/line_corrections/index.js';
import { bigText, recordingContext } from './helpers.js';

const BODY = Array(20).fill('this is a normal line of text').join('\n'); // 20 lines x 7 words = 140

async function run(text: string) {
  const ctx = recordingContext();
  const stage = await lineCorrections.create(defaults, ctx);
  return { r: await stage.apply(newDoc({ id: 'x', text })), ctx };
}

test('line_corrections: a mainly uppercase line (> 50% uppercase chars) is dropped; 2 of 142 words = 1.4% keeps the doc', async () => {
  const { r, ctx } = await run(`BUY NOW\n${BODY}`);
  assert.equal(isDrop(r), false);
  assert.equal((r as Doc).text, BODY);
  assert.equal(ctx.observed['removed_words_frac']![0], 2 / 142);
  assert.equal(ctx.counted['lines_uppercase'], 1);
});

test('line_corrections: uppercase ratio is over the line\'s characters: "NASA launches a rocket" (4/22) stays', () => {
  assert.deepEqual(correctLine('NASA launches a rocket', defaults), { line: 'NASA launches a rocket', words: 4 });
  assert.equal(correctLine('ABC DEF', defaults).rule, 'uppercase'); // 6/7
});

test('line_corrections: digit-only, counter and one-word lines are dropped', () => {
  assert.equal(correctLine('2023', defaults).rule, 'numeric');
  assert.equal(correctLine('12 345', defaults).rule, 'numeric');
  assert.equal(correctLine('12 likes', defaults).rule, 'counter');
  assert.equal(correctLine('1.2K shares', defaults).rule, 'counter');
  assert.equal(correctLine('5 comments »', defaults).rule, 'counter');
  assert.equal(correctLine('Menu', defaults).rule, 'short');
  assert.equal(correctLine('12 likes of cheese in my fridge', defaults).line, '12 likes of cheese in my fridge');
});

test('line_corrections: boilerplate is stripped from lines of <= 10 words (prefix, suffix, anywhere)', () => {
  assert.deepEqual(correctLine('Sign-in to see your orders', defaults), { line: 'to see your orders', rule: 'boilerplate', words: 5 });
  assert.deepEqual(correctLine('A great story. Read more...', defaults), { line: 'A great story.', rule: 'boilerplate', words: 5 });
  assert.deepEqual(correctLine('You have 3 items in cart now', defaults), { line: 'You have 3 now', rule: 'boilerplate', words: 7 });
  const long = 'Sign-in is what this very long line of more than ten words talks about';
  assert.deepEqual(correctLine(long, defaults), { line: long, words: 14 });
});

test('line_corrections: removed words > 5% drops the document (3 of 38 = 7.9%)', async () => {
  const text = `BREAKING NEWS TODAY\n${Array(5).fill('this is a normal line of text').join('\n')}`;
  const { r } = await run(text);
  assert.ok(isDrop(r));
  assert.equal((r as Drop).reason, 'removed_words_frac');
  assert.equal((r as Drop).value, 3 / 38);
  assert.equal((r as Drop).detail, '0.0789>0.05');
});

test('line_corrections: words removed by stripping count (1 word "Sign-in" of 141)', () => {
  const out = correctLines(`Sign-in to see your orders\n${BODY.split('\n').slice(1).join('\n')}\nthis is a normal line`, defaults);
  // 5 + 19*7 + 5 = 143 words, 1 removed
  assert.equal(out.words, 143);
  assert.equal(out.removedWords, 1);
  assert.ok(out.text.startsWith('to see your orders\n'));
});

test('line_corrections: edge cases: empty, one word, no newline, only punctuation, CJK, 10 MB', async () => {
  const empty = await run('');
  assert.equal(isDrop(empty.r), false);
  const one = await run('word');
  assert.ok(isDrop(one.r)); // the one-word line is all of the document's words
  const line = 'a sentence without any newline in it at all';
  assert.equal(((await run(line)).r as Doc).text, line);
  assert.equal(correctLine('!!! ???', defaults).line, '!!! ???'); // no letters: not uppercase
  // CJK lines have no spaces: a whole line is one whitespace word -> dropped as one-word line
  assert.equal(correctLine('我爱北京天安门', defaults).rule, 'short');
  const big = bigText(10_000_000);
  const out = correctLines(big, defaults);
  assert.equal(out.removedWords, 0);
  assert.equal(out.text, big.trim());
});

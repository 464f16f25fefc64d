import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDoc, type Doc } from '../../src/doc.js';
import { isDrop, type Drop } from '../../src/stage.js';
import { c4Filters, checkC4, defaults } from '../../stages/c4_filters/index.js';
import { bigText, recordingContext } from './helpers.js';

const FIVE = 'The cat sat on the mat. It was warm there.\nThe dog slept on the rug.\nBirds sang in the trees. The sun was out.';

test('c4_filters: 5 sentences in kept lines keeps the document; lines under 3 words are dropped', async () => {
  const ctx = recordingContext();
  const stage = await c4Filters.create(defaults, ctx);
  const r = await stage.apply(newDoc({ id: '1', text: `Home\nMenu bar\n${FIVE}` }));
  assert.equal(isDrop(r), false);
  assert.equal((r as Doc).text, FIVE);
  assert.equal(ctx.counted['line_too_few_words'], 2);
});

test('c4_filters: fewer than 5 sentences drops (4 < 5)', () => {
  const d = checkC4('One sentence here. Two sentences here.\nThree is here too. And four.', defaults).result as Drop;
  assert.equal(d.reason, 'too_few_sentences');
  assert.equal(d.value, 4);
});

test('c4_filters: javascript and policy lines are dropped; citations are stripped', () => {
  const t = `${FIVE}\nPlease enable JavaScript to view.\nRead our privacy policy here.\nThe war ended in 1945.[1][citation needed]`;
  const out = checkC4(t, defaults);
  assert.equal(out.result, undefined);
  assert.equal(out.text, `${FIVE}\nThe war ended in 1945.`);
  assert.equal(out.linesDropped['line_javascript'], 1);
  assert.equal(out.linesDropped['line_policy'], 1);
});

test('c4_filters: "lorem ipsum" and "{" in a kept line drop the document', () => {
  assert.equal((checkC4(`${FIVE}\nLorem ipsum dolor sit amet.`, defaults).result as Drop).reason, 'lorem_ipsum');
  assert.equal((checkC4(`${FIVE}\nvar x = { a: 1 } in code`, defaults).result as Drop).reason, 'curly_bracket');
  // "{" in a line that was already dropped (too few words) does not count
  assert.equal(checkC4(`${FIVE}\n{}`, defaults).result, undefined);
});

test('c4_filters: a line with a word over 1000 chars is dropped', () => {
  const out = checkC4(`${FIVE}\nshort words and ${'x'.repeat(1001)}`, defaults);
  assert.equal(out.text, FIVE);
  assert.equal(out.linesDropped['line_too_long_word'], 1);
});

test('c4_filters: terminal punctuation rule (C4 on, FineWeb off by default)', () => {
  const t = `${FIVE}\nA line without an end mark`;
  assert.equal(checkC4(t, defaults).text, `${FIVE}\nA line without an end mark`);
  const on = checkC4(t, { ...defaults, filter_no_terminal_punct: true });
  assert.equal(on.text, FIVE);
  assert.equal(on.linesDropped['line_no_terminal_punct'], 1);
});

test('c4_filters: edge cases: empty, one word, only punctuation, CJK, 10 MB', () => {
  assert.equal((checkC4('', defaults).result as Drop).value, 0);
  assert.equal((checkC4('word', defaults).result as Drop).reason, 'too_few_sentences');
  // 3 "words" of marks: one sentence (a sentence starts only at a non-punctuation word)
  assert.equal((checkC4('!!! ??? ...', defaults).result as Drop).value, 1);
  // CJK lines are one whitespace word: dropped as too short
  assert.equal((checkC4('我爱北京天安门。我爱北京天安门。', defaults).result as Drop).value, 0);
  const out = checkC4(bigText(10_000_000), defaults);
  assert.equal(out.result, undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDoc } from '../../src/doc.js';
import { isDrop, type Drop } from '../../src/stage.js';
import { checkFineweb, defaults, finewebQuality } from '../../stages/fineweb_quality/index.js';
import { bigText, recordingContext } from './helpers.js';

const LONG = 'this line is long enough to not be short at all'; // 47 chars, no end mark
const check = (t: string) => checkFineweb(t, defaults) as Drop | undefined;
const lines = (xs: string[]) => xs.join('\n');

test('fineweb_quality: line_punct_ratio <= 0.12 drops (1 of 10 non-blank lines ends in punctuation)', () => {
  const xs = Array.from({ length: 10 }, (_, i) => `${LONG} ${i}`);
  xs[0] += '.';
  const d = check(lines(xs))!;
  assert.equal(d.reason, 'line_punct_ratio');
  assert.equal(d.value, 0.1);
  xs[1] += '!'; // 0.2 passes this rule
  assert.notEqual(check(lines(xs))?.reason, 'line_punct_ratio');
});

test('fineweb_quality: blank lines do not count as lines', () => {
  const xs = Array.from({ length: 5 }, (_, i) => `${LONG} number ${i} here.`);
  assert.equal(check(xs.join('\n\n\n')), undefined);
});

test('fineweb_quality: short_line_ratio >= 0.67 drops (3 of 4 lines <= 30 chars; 2 of 3 = 0.6667 keeps)', () => {
  const d = check(lines(['Short one.', 'Short two.', 'Short three.', `${LONG}.`]))!;
  assert.equal(d.reason, 'short_line_ratio');
  assert.equal(d.value, 3 / 4);
  assert.notEqual(check(lines(['Short one.', 'Short two.', `${LONG}.`]))?.reason, 'short_line_ratio');
});

test('fineweb_quality: char_dup_ratio >= 0.01 drops (a repeated line, chars over non-newline chars)', () => {
  const xs = Array.from({ length: 8 }, (_, i) => `${LONG} number ${i} here.`);
  xs.push(xs[0]!);
  const t = lines(xs);
  const d = check(t)!;
  assert.equal(d.reason, 'char_dup_ratio');
  assert.equal(d.value, xs[0]!.length / (t.length - 8));
});

test('fineweb_quality: list_ratio: newlines / words > 0.3 drops', () => {
  // 4 lines of 3 words + "." (4 tokens each): 3 newlines... use blank lines to add newlines
  const t = 'Alpha beta gamma delta epsilon zeta eta theta iota kappa.\n\n\n\n\n\nLambda mu nu xi omicron pi rho sigma tau upsilon.';
  // words: 10 + 1 + 10 + 1 = 22 tokens; newlines: 6 -> 0.2727 keeps
  assert.equal(check(t), undefined);
  const t2 = t.replace('\n\n\n\n\n\n', '\n\n\n\n\n\n\n\n');
  const d = check(t2)!; // 8 / 22
  assert.equal(d.reason, 'list_ratio');
  assert.equal(d.value, 8 / 22);
});

test('fineweb_quality: edge cases: empty, one word, only punctuation, CJK, 10 MB', async () => {
  assert.equal(check('')!.reason, 'empty');
  assert.equal(check('\n \n')!.reason, 'empty');
  assert.equal(check('word')!.reason, 'line_punct_ratio');
  assert.equal(check('!!!')!.reason, 'short_line_ratio'); // ends in punctuation, but short
  // CJK sentence ends count as punctuation
  const cjk = '我爱北京天安门，天安门上太阳升，伟大领袖毛主席，指引我们向前进。';
  assert.equal(check(lines([cjk, cjk.replace('我', '你'), cjk.replace('我', '他')])), undefined);
  const ctx = recordingContext();
  const stage = await finewebQuality.create(defaults, ctx);
  const r = await stage.apply(newDoc({ id: 'big', text: bigText(10_000_000) }));
  assert.equal(isDrop(r), false);
  assert.equal(ctx.observed['line_punct_ratio']![0]! > 0.9, true);
});

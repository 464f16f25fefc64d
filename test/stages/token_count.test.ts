import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get_encoding } from 'tiktoken';
import { tokenCount } from '../../stages/token_count/index.js';
import { newDoc } from '../../src/doc.js';
import type { Doc } from '../../src/doc.js';

const ctx = () => {
  const observed: number[] = [];
  return { observed, ctx: { observe: (_m: string, v: number) => observed.push(v), count: () => {}, log: () => {} } };
};

test('token_count sets doc.tokenCount to the tiktoken gpt2 count, alone and in a batch', async () => {
  const ref = get_encoding('gpt2');
  const texts = ['Hello world', '', "It's 2023: naïve café 😀", 'a '.repeat(1000)];
  const { observed, ctx: c } = ctx();
  const stage = await tokenCount.create(tokenCount.defaults, c);
  const one = (await stage.apply(newDoc({ id: '0', text: texts[0]! }))) as Doc;
  assert.equal(one.tokenCount, 2);
  const batch = (await stage.applyBatch!(texts.map((text, i) => newDoc({ id: String(i), text })))) as Doc[];
  assert.deepEqual(batch.map((d) => d.tokenCount), texts.map((t) => ref.encode_ordinary(t).length));
  assert.equal(observed.length, 1 + texts.length);
});

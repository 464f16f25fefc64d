import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALPHA, CJK, DIGIT, LOWER, MARK, NUM, PLAIN, SEGMENT, SPLIT, UNCASED, UPPER, WS, classAt, classOf, classify } from '../../stages/text/chars.js';

// Bits the table derives from others (digits, uncased letters, plain word characters).
const DERIVED = DIGIT | UNCASED | PLAIN;

test('chars: the BMP table built from property runs equals classify() on every code point', () => {
  let differ = 0;
  for (let i = 0; i < 65536; i++) {
    if (i >= 0xd800 && i <= 0xdfff) continue;
    if ((classOf(i) & ~DERIVED) !== classify(String.fromCharCode(i))) differ++;
  }
  assert.equal(differ, 0);
  for (let i = 0xd800; i <= 0xdfff; i++) assert.equal(classOf(i), 0, 'surrogate halves have no class');
});

test('chars: classes of a few characters, BMP and astral', () => {
  assert.equal(classOf(' '.charCodeAt(0)) & WS, WS);
  assert.equal(classOf('É'.charCodeAt(0)) & (ALPHA | UPPER), ALPHA | UPPER);
  assert.equal(classOf('ß'.charCodeAt(0)) & (ALPHA | LOWER | PLAIN), ALPHA | LOWER | PLAIN);
  assert.equal(classOf('7'.charCodeAt(0)) & (NUM | DIGIT), NUM | DIGIT);
  assert.equal(classOf('٣'.charCodeAt(0)) & (NUM | DIGIT), NUM, 'an Arabic-Indic digit is a number, not an ASCII digit');
  assert.equal(classOf('\u0301'.charCodeAt(0)) & (MARK | UNCASED), MARK | UNCASED);
  assert.equal(classOf('漢'.charCodeAt(0)) & (CJK | PLAIN), CJK);
  assert.equal(classOf('ก'.charCodeAt(0)) & SEGMENT, SEGMENT);
  assert.equal(classOf('('.charCodeAt(0)) & SPLIT, SPLIT);
  assert.equal(classOf('-'.charCodeAt(0)) & SPLIT, 0, 'a hyphen stays inside words');
  assert.equal(classAt('𝐀x', 0) & (ALPHA | UPPER), ALPHA | UPPER, 'an astral letter through its surrogate pair');
  assert.equal(classAt('😀', 0) & SPLIT, SPLIT, 'an emoji (So) splits');
});

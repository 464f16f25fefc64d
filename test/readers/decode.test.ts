import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import {
  chooseCharset,
  charsetFromBom,
  charsetFromContentType,
  charsetFromMeta,
  decodeBody,
  undoContentEncoding,
  META_PRESCAN_BYTES,
} from '../../src/readers/decode.js';
import { RefineryError } from '../../src/errors.js';

const CAP = 1 << 20;

test('charset parameter of a Content-Type, quoted or not', () => {
  assert.equal(charsetFromContentType('text/html; charset=UTF-8'), 'UTF-8');
  assert.equal(charsetFromContentType('text/html;charset="Shift_JIS"'), 'Shift_JIS');
  assert.equal(charsetFromContentType('text/html'), undefined);
  assert.equal(charsetFromContentType(undefined), undefined);
});

test('BOMs: UTF-8, UTF-16 BE and LE', () => {
  assert.deepEqual(charsetFromBom(Buffer.from([0xef, 0xbb, 0xbf, 0x3c])), { charset: 'utf-8', length: 3 });
  assert.deepEqual(charsetFromBom(Buffer.from([0xfe, 0xff])), { charset: 'utf-16be', length: 2 });
  assert.deepEqual(charsetFromBom(Buffer.from([0xff, 0xfe])), { charset: 'utf-16le', length: 2 });
  assert.equal(charsetFromBom(Buffer.from('<html>')), undefined);
});

test('<meta charset> and <meta http-equiv> forms, attribute order free, only in the first bytes', () => {
  assert.equal(charsetFromMeta(Buffer.from('<html><head><meta charset="windows-1251">')), 'windows-1251');
  assert.equal(charsetFromMeta(Buffer.from("<meta http-equiv='Content-Type' content='text/html; charset=euc-kr'>")), 'euc-kr');
  assert.equal(charsetFromMeta(Buffer.from('<meta content="text/html; charset=KOI8-R" http-equiv="content-type">')), 'koi8-r');
  // WHATWG prescan: a meta that claims UTF-16 was readable as ASCII, so it is UTF-8.
  assert.equal(charsetFromMeta(Buffer.from('<meta charset="utf-16">')), 'utf-8');
  const late = Buffer.concat([Buffer.alloc(META_PRESCAN_BYTES, 0x20), Buffer.from('<meta charset="gbk">')]);
  assert.equal(charsetFromMeta(late), undefined);
});

test('precedence: header, then BOM, then meta, then UTF-8; unknown labels are passed over', () => {
  const bomAndMeta = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<meta charset="koi8-r">')]);
  assert.deepEqual(chooseCharset(bomAndMeta, 'text/html; charset=gbk'), { label: 'gbk', source: 'header' });
  assert.deepEqual(chooseCharset(bomAndMeta, 'text/html'), { label: 'utf-8', source: 'bom' });
  assert.deepEqual(chooseCharset(Buffer.from('<meta charset="koi8-r">'), 'text/html; charset=no-such-charset'), { label: 'koi8-r', source: 'meta' });
  assert.deepEqual(chooseCharset(Buffer.from('<p>plain</p>'), null), { label: 'utf-8', source: 'default' });
});

test('legacy charsets decode: shift_jis, gb2312 (as gbk), euc-kr, koi8-r, windows-1252, iso-8859-2', () => {
  const cases: [string, string][] = [
    ['shift_jis', '日本語のページです'],
    ['gb2312', '这是一个中文网页'],
    ['euc-kr', '한국어 웹 페이지'],
    ['koi8-r', 'Русская страница'],
    ['windows-1252', '“Smart quotes” — and €5'],
    ['iso-8859-2', 'Zażółć gęślą jaźń'],
  ];
  for (const [cs, text] of cases) {
    const body = iconv.encode(`<p>${text}</p>`, cs);
    const d = decodeBody(body, { contentType: `text/html; charset=${cs}` }, CAP);
    assert.equal(d.html, `<p>${text}</p>`, cs);
    assert.equal(d.charsetSource, 'header');
    assert.equal(d.replaced, 0);
  }
});

test('UTF-16 with a BOM decodes, and the BOM is not part of the text', () => {
  const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<p>hi ✓</p>', 'utf16le')]);
  const d = decodeBody(body, { contentType: 'text/html' }, CAP);
  assert.equal(d.html, '<p>hi ✓</p>');
  assert.equal(d.charsetSource, 'bom');
});

test('undecodable bytes: a few become U+FFFD, mostly-junk is ERR_DECODE', () => {
  const d = decodeBody(Buffer.from([0x3c, 0x70, 0x3e, 0xff, 0x61]), { contentType: 'text/html; charset=utf-8' }, CAP);
  assert.equal(d.html, '<p>\ufffda');
  assert.equal(d.replaced, 1);
  assert.throws(
    () => decodeBody(Buffer.alloc(1000, 0xfe), { contentType: 'text/html; charset=utf-8' }, CAP),
    (e: unknown) => e instanceof RefineryError && e.code === 'ERR_DECODE',
  );
});

test('Content-Encoding: caps, corrupt streams, identity and already-decoded bodies', () => {
  const html = Buffer.from('<p>' + 'x'.repeat(5000) + '</p>');
  assert.deepEqual(undoContentEncoding(zlib.gzipSync(html), 'gzip', CAP), html);
  assert.deepEqual(undoContentEncoding(zlib.gzipSync(zlib.deflateSync(html)), 'deflate, gzip', CAP), html);
  assert.deepEqual(undoContentEncoding(html, 'identity', CAP), html);
  // Labelled gzip but not gzip: a writer decoded it and kept the header.
  assert.deepEqual(undoContentEncoding(html, 'gzip', CAP), html);
  assert.throws(() => undoContentEncoding(zlib.gzipSync(html), 'gzip', 1000), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_TOO_LARGE');
  assert.throws(() => undoContentEncoding(zlib.brotliCompressSync(html), 'br', 1000), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_TOO_LARGE');
  const broken = zlib.gzipSync(html);
  broken.fill(0xff, 12, 40);
  assert.throws(() => undoContentEncoding(broken, 'gzip', CAP), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_DECODE');
  assert.throws(() => decodeBody(Buffer.alloc(2000, 0x20), {}, 1000), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_TOO_LARGE');
});

test('a body labelled deflate or br that is plain markup is taken as already decoded', () => {
  const html = Buffer.from('  <!doctype html><p>already decoded</p>');
  assert.deepEqual(undoContentEncoding(html, 'deflate', CAP), html);
  assert.deepEqual(undoContentEncoding(html, 'br', CAP), html);
  assert.throws(() => undoContentEncoding(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 'deflate', CAP), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_DECODE');
});

test('CRC-32: the fallback agrees with zlib on the standard check value and random data', async () => {
  const { crc32, crc32js } = await import('../../src/formats/crc32.js');
  assert.equal(crc32js(Buffer.from('123456789')), 0xcbf43926);
  const b = Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 7919) & 0xff));
  assert.equal(crc32js(b), crc32(b));
});

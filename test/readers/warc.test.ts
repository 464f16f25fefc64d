import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { readWarcDocs, warcReadDefaults, cleanTargetUri, dumpAndSegmentFromPath, type WarcReadOptions } from '../../src/readers/warc.js';
import { emptyReaderStats, type ReaderStats } from '../../src/stats.js';
import type { Doc } from '../../src/doc.js';
import { sharedData } from '../../src/paths.js';
import { gzipMember, httpMessage, warcRecord } from '../../src/formats/warc-writer.js';
import { RefineryError } from '../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// helpers

async function* chunked(buf: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function readAll(buf: Uint8Array, opts: Partial<WarcReadOptions> = {}, chunkSize?: number): Promise<{ docs: Doc[]; stats: ReaderStats }> {
  const stats = emptyReaderStats();
  const docs: Doc[] = [];
  for await (const d of readWarcDocs(chunked(buf, chunkSize), { file: 'test.warc.gz', ...warcReadDefaults, ...opts }, stats)) docs.push(d);
  return { docs, stats };
}

/** The reader's accounting rule: every record (or unreadable stretch) is a doc or a skip. */
function assertAllCounted(stats: ReaderStats): void {
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  assert.equal(stats.records, stats.docs + skipped, `records ${stats.records} != docs ${stats.docs} + skipped ${skipped}`);
}

let n = 0;
function id(): string {
  return `<urn:uuid:00000000-0000-4000-8000-${String(++n).padStart(12, '0')}>`;
}

function response(url: string, body: Uint8Array | string, httpHeaders: [string, string][] = [['Content-Type', 'text/html']], status = '200 OK'): Buffer {
  return warcRecord({ type: 'response', recordId: id(), date: '2023-02-01T00:00:00Z', targetUri: url, block: httpMessage(`HTTP/1.1 ${status}`, httpHeaders, body) });
}

function info(isPartOf: string): Buffer {
  return warcRecord({ type: 'warcinfo', recordId: id(), date: '2023-02-01T00:00:00Z', block: Buffer.from(`isPartOf: ${isPartOf}\r\npublisher: test\r\n`) });
}

const gz = (...records: Buffer[]): Buffer => Buffer.concat(records.map((r) => gzipMember(r)));

// ---------------------------------------------------------------------------------------------
// small unit behaviour

test('target URIs: <...> (wget) and spaces are cleaned', () => {
  assert.equal(cleanTargetUri(' <http://example.com/> '), 'http://example.com/');
  assert.equal(cleanTargetUri('file:///example with spaces.png'), 'file:///example%20with%20spaces.png');
  assert.equal(cleanTargetUri(undefined), '');
});

test('dump and segment come from a CommonCrawl path', () => {
  assert.deepEqual(
    dumpAndSegmentFromPath('s3://commoncrawl/crawl-data/CC-MAIN-2023-06/segments/1674764494826.10/warc/CC-MAIN-20230126210844-20230127000844-00000.warc.gz'),
    { dump: 'CC-MAIN-2023-06', segment: '1674764494826.10' },
  );
  assert.deepEqual(dumpAndSegmentFromPath('CC-MAIN-20230201000000-20230201030000-00000.warc.gz'), { dump: undefined, segment: undefined });
});

test('a response yields a Doc with every field; other records are counted by reason', async () => {
  const file = 'crawl-data/CC-MAIN-2023-06/segments/1674764494826.10/warc/x.warc.gz';
  const html = '<html><body><p>Hello</p></body></html>';
  const recs = [
    info('CC-MAIN-2099-01'),
    warcRecord({ type: 'request', recordId: id(), date: '2023-02-01T00:00:00Z', targetUri: 'https://a.example/', block: httpMessage('GET / HTTP/1.1', [['Host', 'a.example']], '') }),
    warcRecord({
      type: 'response',
      recordId: '<urn:uuid:aaaaaaaa-0000-4000-8000-000000000001>',
      date: '2023-02-01T00:00:26Z',
      targetUri: '<https://a.example/page>',
      headers: [['WARC-Payload-Digest', 'sha1:ABC']],
      block: httpMessage('HTTP/1.1 200 OK', [['Content-Type', 'text/html; charset=utf-8']], html),
    }),
    warcRecord({ type: 'metadata', recordId: id(), date: '2023-02-01T00:00:00Z', targetUri: 'https://a.example/', block: Buffer.from('fetchTimeMs: 1\r\n') }),
    response('https://a.example/gone', 'not here', [['Content-Type', 'text/html']], '404 Not Found'),
    response('https://a.example/moved', '', [['Location', 'https://b.example/']], '301 Moved Permanently'),
    response('https://a.example/doc.pdf', '%PDF-1.4', [['Content-Type', 'application/pdf']]),
    response('https://a.example/x.xhtml', '<html/>', [['Content-Type', 'application/xhtml+xml']]),
    warcRecord({ type: 'resource', recordId: id(), date: '2023-02-01T00:00:00Z', targetUri: 'file:///a', block: Buffer.from('x') }),
  ];
  const { docs, stats } = await readAll(gz(...recs), { file });
  assert.equal(docs.length, 2);
  const d = docs[0]!;
  assert.equal(d.id, '<urn:uuid:aaaaaaaa-0000-4000-8000-000000000001>');
  assert.equal(d.warcRecordId, d.id);
  assert.equal(d.url, 'https://a.example/page');
  assert.equal(d.timestamp, '2023-02-01T00:00:26.000Z');
  assert.equal(d.digest, 'sha1:ABC');
  assert.equal(d.dump, 'CC-MAIN-2023-06', 'the path wins over isPartOf');
  assert.equal(d.segment, '1674764494826.10');
  assert.equal(d.html, html);
  assert.equal(d.text, '');
  const off = gzipMember(recs[0]!).length + gzipMember(recs[1]!).length;
  assert.deepEqual(d.source, { file, offset: off, record: 2 }, "the third record (warcinfo, request before it)");
  assert.deepEqual(stats.skipped, { warcinfo: 1, request: 1, metadata: 1, http_404: 1, http_301: 1, not_html: 1, not_response: 1 });
  assert.equal(stats.records, recs.length);
  assert.equal(stats.files, 1);
  assert.equal(stats.bytes, gz(...recs).length);
  assert.deepEqual(stats.problems, []);
  assertAllCounted(stats);
});

test('dump falls back to warcinfo isPartOf when the path has none', async () => {
  const { docs } = await readAll(gz(info('CC-MAIN-2023-06'), response('https://a.example/', '<p>x</p>')), { file: 'local.warc.gz' });
  assert.equal(docs[0]!.dump, 'CC-MAIN-2023-06');
  assert.equal(docs[0]!.segment, undefined);
});

test('uncompressed WARC reads the same as gzip per record, for any chunking', async () => {
  const recs = [info('CC-MAIN-2023-06'), response('https://a.example/1', '<p>one</p>'), response('https://a.example/2', '<p>two</p>')];
  for (const size of [1, 7, 100, 65536]) {
    const plain = await readAll(Buffer.concat(recs), {}, size);
    const packed = await readAll(gz(...recs), {}, size);
    assert.deepEqual(plain.docs.map((d) => d.html), ['<p>one</p>', '<p>two</p>']);
    assert.deepEqual(packed.docs.map((d) => d.html), ['<p>one</p>', '<p>two</p>']);
    assert.equal(plain.docs[1]!.source!.offset, recs[0]!.length + recs[1]!.length);
  }
});

test('chunked transfer coding is undone (warcio), a malformed one is a located problem', async () => {
  const good = response('https://a.example/c', '5\r\n<p>hi\r\n4\r\n</p>\r\n0\r\n\r\n', [['Content-Type', 'text/html'], ['Transfer-Encoding', 'chunked']]);
  const bad = response('https://a.example/b', '5\r\n<p>hi\r\nzz\r\nxxxxxxx', [['Content-Type', 'text/html'], ['Transfer-Encoding', 'chunked']]);
  const { docs, stats } = await readAll(gz(good, bad, response('https://a.example/after', '<p>after</p>')));
  assert.deepEqual(docs.map((d) => d.html), ['<p>hi</p>', '<p>after</p>']);
  assert.equal(stats.skipped.bad_chunked, 1);
  assert.equal(stats.problems[0]!.record, 1);
  assert.equal(stats.problems[0]!.offset, gzipMember(good).length);
});

// ---------------------------------------------------------------------------------------------
// decoding inside records

test('charset: HTTP header beats BOM and meta; BOM beats meta; meta beats the UTF-8 default', async () => {
  const cafe1252 = Buffer.concat([Buffer.from('<meta charset="utf-8"><p>caf'), Buffer.from([0xe9]), Buffer.from('</p>')]);
  const sjis = Buffer.from([...Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>'), 0x93, 0xfa, 0x96, 0x7b, ...Buffer.from('</p>')]);
  const bomUtf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<meta charset="windows-1252"><p>naïve</p>')]);
  const { docs, stats } = await readAll(
    gz(
      response('https://a.example/1252', cafe1252, [['Content-Type', 'text/html; charset=windows-1252']]),
      response('https://a.example/sjis', sjis),
      response('https://a.example/bom', bomUtf8, [['Content-Type', 'text/html']]),
      response('https://a.example/latin1', Buffer.from([0x3c, 0x70, 0x3e, 0x93, 0x71, 0x94]), [['Content-Type', 'text/html; charset=iso-8859-1']]),
    ),
  );
  assert.equal(stats.docs, 4);
  assert.equal(docs[0]!.html, '<meta charset="utf-8"><p>café</p>');
  assert.equal(docs[1]!.html!.includes('<p>日本</p>'), true);
  assert.equal(docs[2]!.html, '<meta charset="windows-1252"><p>naïve</p>');
  // WHATWG: the iso-8859-1 label means windows-1252 (0x93/0x94 are curly quotes).
  assert.equal(docs[3]!.html, '<p>\u201cq\u201d');
});

test('undecodable bytes become U+FFFD; a body that is mostly undecodable is counted as decode_error', async () => {
  const fewBad = Buffer.concat([Buffer.from('<p>ok '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' text that is otherwise fine</p>')]);
  const junk = Buffer.alloc(4000, 0xff);
  const { docs, stats } = await readAll(
    gz(
      response('https://a.example/few', fewBad, [['Content-Type', 'text/html; charset=utf-8']]),
      response('https://a.example/junk', junk, [['Content-Type', 'text/html; charset=utf-8']]),
      response('https://a.example/after', '<p>after</p>'),
    ),
  );
  assert.equal(docs.length, 2);
  assert.match(docs[0]!.html!, /ok \ufffd+ text/);
  assert.equal(stats.skipped.decode_error, 1);
  assert.equal(stats.problems[0]!.code, 'ERR_DECODE');
  assert.equal(stats.problems[0]!.record, 1);
  assertAllCounted(stats);
});

test('a still-present Content-Encoding is undone (gzip, deflate, br); X-Crawler-Content-Encoding is not', async () => {
  const html = '<p>' + 'compressible words '.repeat(50) + '</p>';
  const { docs } = await readAll(
    gz(
      response('https://a.example/gz', zlib.gzipSync(html), [['Content-Type', 'text/html'], ['Content-Encoding', 'gzip']]),
      response('https://a.example/deflate', zlib.deflateRawSync(html), [['Content-Type', 'text/html'], ['Content-Encoding', 'deflate']]),
      response('https://a.example/zdeflate', zlib.deflateSync(html), [['Content-Type', 'text/html'], ['Content-Encoding', 'deflate']]),
      response('https://a.example/br', zlib.brotliCompressSync(html), [['Content-Type', 'text/html'], ['Content-Encoding', 'br']]),
      response('https://a.example/cc', html, [['Content-Type', 'text/html'], ['X-Crawler-Content-Encoding', 'gzip']]),
      // truncated by a crawler's size limit: the prefix is kept
      response('https://a.example/cut', zlib.gzipSync(html).subarray(0, 60), [['Content-Type', 'text/html'], ['Content-Encoding', 'gzip']]),
    ),
  );
  assert.deepEqual(docs.slice(0, 5).map((d) => d.html), [html, html, html, html, html]);
  assert.ok(docs[5]!.html!.length > 0 && html.startsWith(docs[5]!.html!.replace(/\ufffd.*$/s, '')));
});

test('gzip bomb: a body inflating past the page cap is too_large, located, and reading goes on', async () => {
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x41), { level: 9 });
  assert.ok(bomb.length < 200_000);
  const first = response('https://a.example/ok', '<p>before</p>');
  const { docs, stats } = await readAll(
    gz(first, response('https://a.example/bomb', bomb, [['Content-Type', 'text/html'], ['Content-Encoding', 'gzip']]), response('https://a.example/after', '<p>after</p>')),
    { maxPageBytes: 1024 * 1024 },
  );
  assert.deepEqual(docs.map((d) => d.url), ['https://a.example/ok', 'https://a.example/after']);
  assert.equal(stats.skipped.too_large, 1);
  assert.deepEqual({ ...stats.problems[0]!, message: '' }, { code: 'ERR_TOO_LARGE', file: 'test.warc.gz', record: 1, offset: gzipMember(first).length, message: '' });
});

test('a gzip member inflating past maxInflatedBytes is too_large and the next member is found', async () => {
  const big = response('https://a.example/big', Buffer.alloc(8 * 1024 * 1024, 0x20));
  const { docs, stats } = await readAll(gz(response('https://a.example/a', '<p>a</p>'), big, response('https://a.example/b', '<p>b</p>')), {
    maxInflatedBytes: 1024 * 1024,
  });
  assert.deepEqual(docs.map((d) => d.url), ['https://a.example/a', 'https://a.example/b']);
  assert.equal(stats.skipped.too_large, 1);
  assertAllCounted(stats);
});

test('a 50 MB page over the page cap is too_large (gzip and uncompressed), the next record is read', async () => {
  const page = Buffer.alloc(50 * 1024 * 1024, 'x');
  page.write('<html><body><p>');
  const recs = [response('https://a.example/huge', page), response('https://a.example/next', '<p>next</p>')];
  const packed = await readAll(Buffer.concat(recs.map((r) => gzipMember(r, 1))), { maxPageBytes: 4 * 1024 * 1024 });
  assert.deepEqual(packed.docs.map((d) => d.url), ['https://a.example/next']);
  assert.equal(packed.stats.skipped.too_large, 1);
  // Uncompressed, over maxInflatedBytes too: skipped without being held in memory.
  const plain = await readAll(Buffer.concat(recs), { maxPageBytes: 4 * 1024 * 1024, maxInflatedBytes: 8 * 1024 * 1024 });
  assert.deepEqual(plain.docs.map((d) => d.url), ['https://a.example/next']);
  assert.equal(plain.stats.skipped.too_large, 1);
  assert.equal(plain.stats.problems[0]!.offset, 0);
});

test('a failing input stream propagates as ERR_STORAGE (not bad data)', async () => {
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield gz(response('https://a.example/a', '<p>a</p>'));
    throw new Error('connection reset');
  }
  const stats = emptyReaderStats();
  await assert.rejects(
    async () => {
      for await (const _ of readWarcDocs(failing(), { file: 'x', ...warcReadDefaults }, stats));
    },
    (err: unknown) => err instanceof RefineryError && err.code === 'ERR_STORAGE',
  );
});

test('made-up bad input: garbage, wrong Content-Length, truncation (uncompressed)', async () => {
  const a = response('https://a.example/a', '<p>a</p>');
  const b = response('https://a.example/b', '<p>b</p>');
  const c = response('https://a.example/c', '<p>c</p>');
  const longer = warcRecord({ type: 'response', recordId: id(), date: '2023-02-01T00:00:00Z', targetUri: 'https://a.example/lie', block: httpMessage('HTTP/1.1 200 OK', [], '<p>x</p>'), contentLength: 70 });
  const garbage = Buffer.from('this is not a record\r\n\r\n');
  const file = Buffer.concat([a, garbage, b, longer, c.subarray(0, 0), c, a.subarray(0, a.length - 30)]);
  const { docs, stats } = await readAll(file);
  assert.deepEqual(docs.map((d) => d.url), ['https://a.example/a', 'https://a.example/b', 'https://a.example/c']);
  assert.deepEqual(stats.skipped, { corrupt: 1, bad_length: 1, truncated: 1 });
  assert.deepEqual(
    stats.problems.map((p) => [p.code, p.record, p.offset]),
    [
      ['ERR_WARC_FORMAT', 1, a.length],
      ['ERR_WARC_FORMAT', 3, a.length + garbage.length + b.length],
      ['ERR_WARC_TRUNCATED', 5, a.length + garbage.length + b.length + longer.length + c.length],
    ],
  );
  assertAllCounted(stats);
});

// ---------------------------------------------------------------------------------------------
// the shared real data

const realDir = sharedData('warc', 'real');
const malformedDir = sharedData('warc', 'malformed');
const benchFile = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');

/**
 * Record counts obtained independently of this reader:
 *   WARC: `zcat -f FILE | grep -a -c '^WARC-Type:'` (and `'^WARC-Type: response'`);
 *   ARC:  `zcat -f FILE | grep -a -c -E '^(http|https|dns|filedesc|ftp)[^ ]* [0-9.]+ [0-9]{14}'`
 *         (the header lines, filedesc included).
 * `docs`: responses with HTTP 200 and an HTML type, as the reader counts them (the rest of the
 * responses are in `skipped` by reason, checked to add up to the response count).
 */
const REAL: Record<string, { records: number; responses: number; docs: number; truncated?: number }> = {
  'CC-MAIN-2020-34-excerpt.warc.gz': { records: 50, responses: 16, docs: 16 },
  'CC-MAIN-2024-22-whirlwind.warc.gz': { records: 4, responses: 1, docs: 1 },
  'IAH-urls-wget.warc.gz': { records: 36, responses: 16, docs: 2 },
  'commoncrawl-org-single.warc.gz': { records: 1, responses: 1, docs: 1 },
  'heritrix-2008-warc017.warc.gz': { records: 822, responses: 299, docs: 94 },
  'wayback-topic-02.warc.gz': { records: 129, responses: 128, docs: 128 },
  'wget-2024-sample-0000.warc.gz': { records: 48, responses: 22, docs: 22 },
  'wget-2024-sample-0001.warc.gz': { records: 34, responses: 15, docs: 15 },
  // The file ends inside its last response (Content-Length 24745, 19496 bytes left): one
  // truncated record, located, the 11 before it read.
  'CC-MAIN-2014-35-sample.warc': { records: 12, responses: 4, docs: 3, truncated: 1 },
  'heritrix-2008.arc.gz': { records: 300, responses: 299, docs: 94 },
  'small-sample-1213893279526_0.arc': { records: 146, responses: 145, docs: 125 },
  'small-sample-1262850551027_8.arc': { records: 9, responses: 8, docs: 8 },
};

for (const [name, want] of Object.entries(REAL)) {
  test(`real: ${name} reads with exact record counts`, { skip: !realDir && 'shared data absent' }, async () => {
    const { docs, stats } = await readAll(readFileSync(join(realDir!, name)), { file: name });
    assert.equal(stats.records, want.records);
    assert.equal(stats.docs, want.docs);
    assert.equal(docs.length, want.docs);
    const nonResponse = ['warcinfo', 'request', 'metadata', 'revisit', 'not_response'];
    const responses = Object.entries(stats.skipped)
      .filter(([k]) => !nonResponse.includes(k))
      .reduce((s, [, v]) => s + v, stats.docs);
    assert.equal(responses, want.responses);
    assert.equal(stats.skipped.truncated, want.truncated);
    assert.equal(stats.problems.length, want.truncated ?? 0);
    assertAllCounted(stats);
    for (const d of docs) {
      assert.ok(d.id && d.url && d.html !== undefined, `doc fields in ${name}`);
      assert.equal(d.source!.file, name);
    }
  });
}

test('real: the WET file is a WARC of conversion records, and a paths listing is not a WARC (located, no throw)', { skip: !realDir && 'shared data absent' }, async () => {
  const wet = await readAll(readFileSync(join(realDir!, 'CC-MAIN-2024-22-whirlwind.warc.wet.gz')));
  assert.deepEqual(wet.stats.skipped, { warcinfo: 1, not_response: 1 });
  const paths = await readAll(readFileSync(join(realDir!, 'CC-MAIN-2024-22.warc.paths.gz')));
  assert.deepEqual(paths.stats.skipped, { corrupt: 1 });
  assert.equal(paths.stats.problems[0]!.offset, 0);
});

/** What each malformed file gives: counts by reason and the located problems [code, record, offset]. */
const MALFORMED: Record<string, { docs: number; skipped: Record<string, number>; problems: [string, number, number][] }> = {
  // ARC with lengths -1 and "abc": each bad header located; the valid record between them read.
  'bad.arc': { docs: 0, skipped: { corrupt: 3, not_html: 1 }, problems: [['ERR_WARC_FORMAT', 0, 0], ['ERR_WARC_FORMAT', 1, 134], ['ERR_WARC_FORMAT', 3, 262]] },
  'example-bad-non-chunked.warc.gz': { docs: 1, skipped: { warcinfo: 2, request: 2, revisit: 1 }, problems: [] },
  'example-bad.warc.gz.bad': { docs: 1, skipped: { warcinfo: 1, request: 2, revisit: 1, http_302: 1 }, problems: [] },
  'example-space-in-target-uri.warc.gz': { docs: 0, skipped: { warcinfo: 1, not_response: 1 }, problems: [] },
  // The response's Content-Length (973) is not where its block ends: located (byte 1197 is its
  // `WARC/1.0` line, `grep -b`), and the request after it is read.
  'example-trunc.warc': { docs: 0, skipped: { warcinfo: 2, bad_length: 1, request: 1 }, problems: [['ERR_WARC_FORMAT', 2, 1197]] },
  'example-wget-bad-target-uri.warc.gz': { docs: 1, skipped: { warcinfo: 1, request: 1, metadata: 1, not_response: 2 }, problems: [] },
  // One record split over three gzip members: read across them.
  'example-wrong-chunks.warc.gz': { docs: 1, skipped: { request: 1 }, problems: [] },
  'gzip_extra_sl.warc.gz': { docs: 0, skipped: { warcinfo: 1 }, problems: [] },
  // A single gzip member cut short.
  'truncated-record.warc.gz': { docs: 0, skipped: { truncated: 1 }, problems: [['ERR_WARC_TRUNCATED', 0, 0]] },
};

for (const [name, want] of Object.entries(MALFORMED)) {
  test(`malformed: ${name} gives located problems and reads the records around them`, { skip: !malformedDir && 'shared data absent' }, async () => {
    const { docs, stats } = await readAll(readFileSync(join(malformedDir!, name)), { file: name });
    assert.equal(docs.length, want.docs);
    assert.deepEqual(stats.skipped, want.skipped);
    assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), want.problems);
    for (const p of stats.problems) assert.equal(p.file, name);
    assertAllCounted(stats);
  });
}

test('malformed: every file in the folder is covered by the table above', { skip: !malformedDir && 'shared data absent' }, async () => {
  const { readdirSync } = await import('node:fs');
  assert.deepEqual(readdirSync(malformedDir!).sort(), Object.keys(MALFORMED).sort());
});

// ---------------------------------------------------------------------------------------------
// the bench WARC and made-up corruptions of it

/** Counts for the bench file, independently: `zcat | grep -c '^WARC-Type: <t>'` gives 1 warcinfo and
 * 567 each of request/response/metadata; `zcat | grep '^HTTP/' | sort | uniq -c` gives 553 200s,
 * 7 301s, 7 404s; `zcat | grep -c '^Content-Type: application/pdf'` gives the 7 non-HTML 200s. */
const BENCH_SKIPPED = { warcinfo: 1, request: 567, metadata: 567, not_html: 7, http_301: 7, http_404: 7 };

let benchCache: { bytes: Buffer; docs: Doc[] } | undefined;
async function bench(): Promise<{ bytes: Buffer; docs: Doc[] }> {
  if (!benchCache) {
    const bytes = readFileSync(benchFile!);
    benchCache = { bytes, docs: (await readAll(bytes)).docs };
  }
  return benchCache;
}

/** Start and length of the gzip member at `start` (header without optional fields, as the bench writes it). */
function memberAt(bytes: Buffer, start: number): { start: number; length: number; data: Buffer } {
  assert.equal(bytes[start + 3], 0, 'bench members have no optional header fields');
  const r = zlib.inflateRawSync(bytes.subarray(start + 10), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  return { start, length: 10 + r.engine.bytesWritten + 8, data: r.buffer };
}

/** Index of the member starting at `at` (the bench has one record per member), by walking them all. */
function recordIndexAt(bytes: Buffer, at: number): number {
  let i = 0;
  for (let p = 0; p < at; i++) p += memberAt(bytes, p).length;
  return i;
}

test('bench: 546 pages, every other record counted by reason', { skip: !benchFile && 'shared data absent' }, async () => {
  const { stats, docs } = await readAll(readFileSync(benchFile!), { file: 'bench.warc.gz' });
  assert.equal(stats.docs, 546);
  assert.equal(docs.length, 546);
  assert.equal(stats.records, 1702);
  assert.deepEqual(stats.skipped, BENCH_SKIPPED);
  assert.deepEqual(stats.problems, []);
  assert.ok(docs.every((d) => d.dump === 'CC-MAIN-2023-06' && d.digest?.startsWith('sha1:') && d.timestamp?.startsWith('2023-02-01T')));
  assert.equal(new Set(docs.map((d) => d.id)).size, 546);
});

test('bench corrupted: cut mid-member', { skip: !benchFile && 'shared data absent' }, async () => {
  const { bytes, docs } = await bench();
  const at = docs[100]!.source!.offset;
  const { docs: got, stats } = await readAll(bytes.subarray(0, at + 1000));
  assert.equal(got.length, 100);
  assert.deepEqual(got.map((d) => d.id), docs.slice(0, 100).map((d) => d.id));
  assert.equal(stats.skipped.truncated, 1);
  assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), [['ERR_WARC_TRUNCATED', recordIndexAt(bytes, at), at]]);
  assertAllCounted(stats);
});

test('bench corrupted: garbage bytes between members', { skip: !benchFile && 'shared data absent' }, async () => {
  const { bytes, docs } = await bench();
  const at = docs[200]!.source!.offset;
  let seed = 12345;
  const garbage = Buffer.alloc(5000, 0).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
  garbage[100] = 0x1f; // a false gzip magic inside the garbage must not fool the resync
  garbage[101] = 0x8b;
  garbage[102] = 0x08;
  garbage[103] = 0x00;
  const corrupted = Buffer.concat([bytes.subarray(0, at), garbage, bytes.subarray(at)]);
  const { docs: got, stats } = await readAll(corrupted);
  assert.equal(got.length, 546);
  assert.equal(got[200]!.source!.offset, at + garbage.length);
  assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), [['ERR_WARC_FORMAT', recordIndexAt(bytes, at), at]]);
  assert.deepEqual(stats.skipped, { ...BENCH_SKIPPED, corrupt: 1 });
  assertAllCounted(stats);
});

test('bench corrupted: a flipped byte inside a member loses that record only', { skip: !benchFile && 'shared data absent' }, async () => {
  const { bytes, docs } = await bench();
  const at = docs[300]!.source!.offset;
  const m = memberAt(bytes, at);
  const corrupted = Buffer.from(bytes);
  corrupted[at + Math.floor(m.length / 2)]! ^= 0x5a;
  const { docs: got, stats } = await readAll(corrupted);
  assert.equal(got.length, 545);
  assert.ok(!got.some((d) => d.id === docs[300]!.id));
  assert.equal(got[300]!.id, docs[301]!.id);
  assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), [['ERR_WARC_FORMAT', recordIndexAt(bytes, at), at]]);
  assert.equal(stats.skipped.corrupt, 1);
  assert.equal(stats.records, 1702);
  assertAllCounted(stats);
});

for (const delta of [+100, -100]) {
  test(`bench corrupted: a Content-Length ${delta > 0 ? 'too large' : 'too small'} by ${Math.abs(delta)}`, { skip: !benchFile && 'shared data absent' }, async () => {
    const { bytes, docs } = await bench();
    const at = docs[400]!.source!.offset;
    const m = memberAt(bytes, at);
    const text = m.data.toString('latin1');
    const cl = /\r\nContent-Length: (\d+)\r\n/.exec(text)!;
    const edited = Buffer.from(text.replace(cl[0], `\r\nContent-Length: ${Number(cl[1]) + delta}\r\n`), 'latin1');
    const corrupted = Buffer.concat([bytes.subarray(0, at), gzipMember(edited), bytes.subarray(at + m.length)]);
    const { docs: got, stats } = await readAll(corrupted);
    assert.equal(got.length, 545);
    assert.equal(got[400]!.id, docs[401]!.id);
    assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), [['ERR_WARC_FORMAT', recordIndexAt(bytes, at), at]]);
    assert.deepEqual(stats.skipped, { ...BENCH_SKIPPED, bad_length: 1 });
    assertAllCounted(stats);
  });
}

// ---------------------------------------------------------------------------------------------
// a Content-Length that lies past the cap or past the end (issue #14, item 1)

/** `n` HTML responses of ~`size` bytes each, with record `liar`'s Content-Length replaced by `claim`. */
function lyingRecords(n: number, size: number, liar: number, claim: string): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const r = response(`https://lie.example/${i}`, `<html><body><p>page ${i}</p>${'<p>filler text</p>'.repeat(size / 18)}</body></html>`);
    if (i !== liar) return r;
    const text = r.toString('latin1');
    const cl = /\r\nContent-Length: (\d+)\r\n/.exec(text)!;
    return Buffer.from(text.replace(cl[0], `\r\nContent-Length: ${claim}\r\n`), 'latin1');
  });
}

for (const claim of ['2000000', '99999999999999']) {
  for (const packing of ['uncompressed', 'gzip per record'] as const) {
    test(`a Content-Length of ${claim} past the 1 MB cap (${packing}) is bad_length at its offset; the records inside it are read`, async () => {
      const recs = lyingRecords(300, 10_000, 11, claim);
      const parts = packing === 'uncompressed' ? recs : recs.map((r) => gzipMember(r));
      const at = parts.slice(0, 11).reduce((a, b) => a + b.length, 0);
      const { docs, stats } = await readAll(Buffer.concat(parts), { maxInflatedBytes: 1_000_000 });
      assert.equal(docs.length, 299);
      assert.equal(docs[11]!.url, 'https://lie.example/12');
      assert.equal(stats.records, 300);
      assert.deepEqual(stats.skipped, { bad_length: 1 });
      assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), [['ERR_WARC_FORMAT', 11, at]]);
      assertAllCounted(stats);
    });
  }
}

test('a Content-Length under the cap that runs past the end of the file is bad_length, not the end of the file', async () => {
  for (const packing of ['uncompressed', 'gzip per record'] as const) {
    const recs = lyingRecords(30, 2_000, 26, '500000');
    const parts = packing === 'uncompressed' ? recs : recs.map((r) => gzipMember(r));
    const { docs, stats } = await readAll(Buffer.concat(parts));
    assert.deepEqual(docs.slice(26).map((d) => d.url), ['https://lie.example/27', 'https://lie.example/28', 'https://lie.example/29'], packing);
    assert.deepEqual(stats.skipped, { bad_length: 1 });
    assert.equal(stats.records, 30);
  }
});

test('a record really larger than the cap is still too_large (its bytes are scanned, not taken for a lie)', async () => {
  const big = response('https://big.example/', `<html><body>${'<p>WARC/1.0 in the text</p>\r\n'.repeat(80_000)}</body></html>`);
  const recs = [response('https://a.example/', '<p>a</p>'), big, response('https://b.example/', '<p>b</p>')];
  for (const parts of [recs, recs.map((r) => gzipMember(r))]) {
    const { docs, stats } = await readAll(Buffer.concat(parts), { maxInflatedBytes: 1_000_000 });
    assert.deepEqual(docs.map((d) => d.url), ['https://a.example/', 'https://b.example/']);
    assert.deepEqual(stats.skipped, { too_large: 1 });
  }
});

test('bench: record 11 of 300 claiming Content-Length 2,000,000 with a 1 MB cap loses that record only', { skip: !benchFile && 'shared data absent' }, async () => {
  const { bytes } = await bench();
  const members: Buffer[] = [];
  for (let p = 0; members.length < 300; ) {
    const m = memberAt(bytes, p);
    members.push(bytes.subarray(p, p + m.length));
    p += m.length;
  }
  const clean = await readAll(Buffer.concat(members), { maxInflatedBytes: 1_000_000 });
  const m11 = memberAt(members[11]!, 0);
  const text = m11.data.toString('latin1');
  const type = /\r\nWARC-Type: (\w+)\r\n/.exec(text)![1]!;
  const cl = /\r\nContent-Length: (\d+)\r\n/.exec(text)!;
  const oldLength = members[11]!.length;
  members[11] = gzipMember(Buffer.from(text.replace(cl[0], '\r\nContent-Length: 2000000\r\n'), 'latin1'));
  const shift = members[11].length - oldLength;
  const at = members.slice(0, 11).reduce((a, b) => a + b.length, 0);
  const { docs, stats } = await readAll(Buffer.concat(members), { maxInflatedBytes: 1_000_000 });
  assert.equal(stats.records, 300);
  const lost = type === 'response' ? 1 : 0;
  assert.equal(docs.length, clean.docs.length - lost);
  const want: Record<string, number> = { ...clean.stats.skipped, bad_length: 1 };
  if (!lost && --want[type]! === 0) delete want[type];
  assert.deepEqual(stats.skipped, want);
  // The clean 300 already hold a member over the 1 MB cap (too_large), located as before.
  const others = clean.stats.problems.map((p) => [p.record, p.offset! + shift]);
  assert.deepEqual(stats.problems.map((p) => [p.record, p.offset]), [[11, at], ...others]);
  assertAllCounted(stats);
});

test('a WARC gzipped twice is one corrupt record that says "compressed twice"', async () => {
  const twice = gzipMember(gz(response('https://a.example/a', '<p>a</p>'), response('https://a.example/b', '<p>b</p>')));
  const { docs, stats } = await readAll(twice);
  assert.equal(docs.length, 0);
  assert.deepEqual(stats.skipped, { corrupt: 1 });
  assert.match(stats.problems[0]!.message, /compressed twice/);
  assertAllCounted(stats);
});

// ---------------------------------------------------------------------------------------------
// the bundled sample data

test('data-samples/sample.warc.gz is what scripts/make-samples.ts builds, and reads as documented', async () => {
  const { buildSampleWarc, sampleCaptures, SAMPLE_DUMP } = await import('../../scripts/make-samples.js');
  const { projectRoot } = await import('../../src/paths.js');
  const built = buildSampleWarc();
  assert.deepEqual(buildSampleWarc(), built, 'deterministic');
  const committed = await readAll(readFileSync(join(projectRoot, 'data-samples', 'sample.warc.gz')), { file: 'sample.warc.gz' });
  const fresh = await readAll(built, { file: 'sample.warc.gz' });
  // Same documents (the gzip bytes, hence the offsets, may differ between zlib builds; the
  // records may not).
  const noSource = (docs: Doc[]): Doc[] => docs.map(({ source: _s, ...d }) => d as Doc);
  assert.deepEqual(noSource(committed.docs), noSource(fresh.docs));
  assert.deepEqual(committed.stats.skipped, fresh.stats.skipped);
  const captures = sampleCaptures().length;
  const { docs, stats } = fresh;
  // 1 warcinfo + per capture request/response/metadata, minus the metadata of the cut-off last one.
  assert.equal(stats.records, 1 + 3 * captures - 1);
  assert.deepEqual(stats.skipped, { warcinfo: 1, request: captures, metadata: captures - 1, http_404: 1, http_301: 1, not_html: 1, truncated: 1 });
  assert.equal(stats.docs, captures - 4);
  assert.ok(docs.every((d) => d.dump === SAMPLE_DUMP));
  const byUrl = new Map(docs.map((d) => [d.url, d.html!]));
  assert.match(byUrl.get('https://www.machi-dayori.jp/news/2023/toshokan')!, /図書館に新しい読書室ができました/);
  assert.match(byUrl.get('https://www.oldtownchronicle.co.uk/features/the-last-cobbler-on-bridge-street')!, /“People think nobody repairs things any more,” .* €45/s);
  assert.match(byUrl.get('https://www.circuitnotes.io/explainers/why-phone-batteries-wear-out')!, /lithium-ion battery/);
});

test('junk before the first gzip member is located and the members after it are read', async () => {
  const body = gz(response('https://a.example/a', '<p>a</p>'), response('https://a.example/b', '<p>b</p>'));
  const junk = Buffer.from('HTTP proxy error page that got prepended\n');
  const { docs, stats } = await readAll(Buffer.concat([junk, body]));
  assert.deepEqual(docs.map((d) => d.url), ['https://a.example/a', 'https://a.example/b']);
  assert.equal(docs[0]!.source!.offset, junk.length);
  assert.deepEqual(stats.problems.map((p) => [p.code, p.record, p.offset]), [['ERR_WARC_FORMAT', 0, 0]]);
  assertAllCounted(stats);
});

// Random corruptions of WARCs (and of JSONL/Parquet corpora): test/readers/fuzz.test.ts.

test('real: the same Heritrix crawl as WARC/0.17 and as ARC gives the same documents', { skip: !realDir && 'shared data absent' }, async () => {
  const warc = await readAll(readFileSync(join(realDir!, 'heritrix-2008-warc017.warc.gz')), { file: 'heritrix-2008-warc017.warc.gz' });
  const arc = await readAll(readFileSync(join(realDir!, 'heritrix-2008.arc.gz')), { file: 'heritrix-2008.arc.gz' });
  const key = (d: Doc): string => `${d.url} ${d.timestamp} ${d.dump} ${d.html}`;
  assert.equal(arc.docs.length, 94);
  assert.deepEqual(arc.docs.map(key), warc.docs.map(key));
  assert.match(arc.docs[0]!.id, /^<arc:heritrix-2008\.arc\.gz#\d+>$/);
  assert.equal(arc.docs[0]!.dump, 'archive.org-shallow');
});

test('WARC/1.1 records (sub-second WARC-Date) read like 1.0', async () => {
  const rec = warcRecord({
    version: 'WARC/1.1',
    type: 'response',
    recordId: '<urn:uuid:11111111-0000-4000-8000-000000000001>',
    date: '2023-02-01T00:00:26.123456Z',
    targetUri: 'https://a.example/v11',
    block: httpMessage('HTTP/1.1 200 OK', [['Content-Type', 'text/html']], '<p>1.1</p>'),
  });
  for (const bytes of [rec, gzipMember(rec)]) {
    const { docs } = await readAll(bytes);
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.timestamp, '2023-02-01T00:00:26.123Z');
    assert.equal(docs[0]!.html, '<p>1.1</p>');
  }
});

test('problems kept are capped at MAX_PROBLEMS_KEPT, all are counted', async () => {
  const { MAX_PROBLEMS_KEPT } = await import('../../src/stats.js');
  const parts: Buffer[] = [];
  const n = MAX_PROBLEMS_KEPT + 50;
  for (let i = 0; i < n; i++) parts.push(response(`https://a.example/${i}`, '<p>x</p>'), Buffer.from(`junk ${i}\r\n\r\n`));
  const { docs, stats } = await readAll(Buffer.concat(parts));
  assert.equal(docs.length, n);
  assert.equal(stats.skipped.corrupt, n);
  assert.equal(stats.problems.length, MAX_PROBLEMS_KEPT);
  assertAllCounted(stats);
});

test('a whole file gzipped as one member (under the cap) reads record by record; an empty 200 body is counted as empty', async () => {
  const recs = [info('CC-MAIN-2023-06'), response('https://a.example/1', '<p>one</p>'), response('https://a.example/empty', ''), response('https://a.example/2', '<p>two</p>')];
  const { docs, stats } = await readAll(gzipMember(Buffer.concat(recs)));
  assert.deepEqual(docs.map((d) => d.url), ['https://a.example/1', 'https://a.example/2']);
  assert.ok(docs.every((d) => d.source!.offset === 0), 'records inside one member are located at the member');
  assert.deepEqual(stats.skipped, { warcinfo: 1, empty: 1 });
  assertAllCounted(stats);
});

test('fuzz: random corruptions of real ARC and ARC.gz files are all counted and located', { skip: !realDir && 'shared data absent', timeout: 120_000 }, async () => {
  const sources = ['small-sample-1262850551027_8.arc', 'heritrix-2008.arc.gz'].map((f) => readFileSync(join(realDir!, f)).subarray(0, 300_000));
  let seed = 7;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  for (let i = 0; i < 60; i++) {
    let b = Buffer.from(sources[i % 2]!);
    for (let e = 1 + rnd(4); e > 0; e--) {
      const at = rnd(b.length);
      const op = rnd(3);
      if (op === 0) b[at]! ^= 1 + rnd(255);
      else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + rnd(300) }, () => rnd(256))), b.subarray(at)]);
      else b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(2000)))]);
    }
    const { stats } = await readAll(b, {}, 1 + rnd(70000));
    assertAllCounted(stats);
    assert.ok(stats.problems.length >= 1, `case ${i}: a cut ARC always has at least one located problem`);
  }
});

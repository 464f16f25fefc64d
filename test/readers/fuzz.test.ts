/**
 * Fuzz of every reader (WARC/ARC framing, JSONL plain and gzip, Parquet) on small inputs made
 * here: random truncations, byte flips, inserted junk, deleted stretches and lying
 * Content-Lengths, from a fixed seed (src/random.ts), so a failure reproduces. The assertion
 * is the accounting rule: records read = documents passed on + records counted with a reason,
 * and no exception escapes the reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { seededRandom } from '../../src/random.js';
import { readWarcDocs, warcReadDefaults } from '../../src/readers/warc.js';
import { readJsonlDocs, readParquetDocs } from '../../src/readers/corpus.js';
import { emptyReaderStats, type ReaderStats } from '../../src/stats.js';
import { gzipMember, httpMessage, warcRecord } from '../../src/formats/warc-writer.js';

const rnd = seededRandom(14);
const int = (n: number): number => Math.floor(rnd() * n);

function assertAllCounted(stats: ReaderStats, yielded: number, what: string): void {
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  assert.equal(stats.records, stats.docs + skipped, `${what}: records ${stats.records} != docs ${stats.docs} + skipped ${skipped}`);
  assert.equal(yielded, stats.docs, `${what}: documents yielded = documents counted`);
}

async function* chunked(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** Up to four random edits: flip, cut, insert junk, delete a stretch. */
function mutate(src: Buffer): Buffer {
  let b = Buffer.from(src);
  for (let e = 1 + int(4); e > 0 && b.length > 0; e--) {
    const at = int(b.length);
    switch (int(4)) {
      case 0:
        b[at]! ^= 1 + int(255);
        break;
      case 1:
        b = b.subarray(0, at);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256))), b.subarray(at)]);
        break;
      default:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(2000)))]);
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// WARC

let n = 0;
const rec = (type: 'warcinfo' | 'request' | 'response' | 'metadata', block: Buffer, contentLength?: number): Buffer =>
  warcRecord({ type, recordId: `<urn:uuid:fuzz-${++n}>`, date: '2023-02-01T00:00:00Z', targetUri: `https://f.example/${n}`, block, contentLength });

/** A small crawl: warcinfo, then request/response/metadata triples (one a 404); record `liar` lies about its length. */
function warcRecords(liar: number, claim: number): { records: Buffer[]; responses: number } {
  const blocks: [Parameters<typeof rec>[0], Buffer][] = [['warcinfo', Buffer.from('isPartOf: CC-MAIN-2023-06\r\n')]];
  for (let i = 0; i < 4; i++) {
    const page = `<html><body><p>page ${i}</p>${'<p>some text for the page</p>'.repeat(20 + int(200))}</body></html>`;
    blocks.push(['request', httpMessage('GET / HTTP/1.1', [['Host', 'f.example']], '')]);
    blocks.push(['response', httpMessage(i === 2 ? 'HTTP/1.1 404 Not Found' : 'HTTP/1.1 200 OK', [['Content-Type', 'text/html']], page)]);
    blocks.push(['metadata', Buffer.from('fetchTimeMs: 12\r\n')]);
  }
  return { records: blocks.map(([t, b], i) => rec(t, b, i === liar ? claim : undefined)), responses: 4 };
}

test('fuzz: 700 damaged WARCs (plain and gzip, lying lengths, small caps) count every record and never throw', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 700; i++) {
    // Half the cases have a record claiming a wrong length: a little off, past the cap, or absurd.
    const claims = [int(5000), 100_000 + int(3_000_000), 99_999_999_999_999];
    const liar = i % 2 ? 1 + int(12) : -1;
    const { records, responses } = warcRecords(liar, claims[int(3)]!);
    const packed = i % 4 < 2 ? Buffer.concat(records) : Buffer.concat(records.map((r) => gzipMember(r)));
    const input = i % 3 === 0 ? packed : mutate(packed);
    const opts = { ...warcReadDefaults, file: `fuzz-${i}.warc`, maxInflatedBytes: int(2) ? 1024 + int(16_000) : warcReadDefaults.maxInflatedBytes };
    const stats = emptyReaderStats();
    let docs = 0;
    for await (const _ of readWarcDocs(chunked(input, 1 + int(70_000)), opts, stats)) docs++;
    assertAllCounted(stats, docs, `warc case ${i}`);
    assert.ok(docs <= responses, `warc case ${i}: at most the responses present`);
    // Undamaged but for the lie: the liar is one counted record, the records it claims are read.
    if (i % 3 === 0) assert.equal(stats.records, records.length, `warc case ${i}: every record accounted for`);
    for (const p of stats.problems) {
      assert.ok(p.offset !== undefined && p.offset >= 0 && p.offset <= input.length && p.record !== undefined, `warc case ${i}: located`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// JSONL and Parquet corpora

function jsonlRows(k: number): Buffer {
  const rows = Array.from({ length: k }, (_, i) => JSON.stringify({ id: `d${i}`, text: `document ${i} ` + 'words '.repeat(int(400)), timestamp: [1675209600, 1.7e18, null, 'x'][i % 4] }));
  return Buffer.from(rows.join('\n') + '\n');
}

test('fuzz: 300 damaged JSONL files (plain and .gz, small line caps) count every line and never throw', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 300; i++) {
    const k = 3 + int(8);
    const plain = jsonlRows(k);
    const gz = i % 2 === 1;
    const src = gz ? zlib.gzipSync(plain) : plain;
    const input = i % 5 === 0 ? src : mutate(src);
    const stats = emptyReaderStats();
    let docs = 0;
    const file = `fuzz-${i}.jsonl${gz ? '.gz' : ''}`;
    for await (const _ of readJsonlDocs(chunked(input, 1 + int(4096)), file, stats, { maxLineBytes: 200 + int(3000) })) docs++;
    assertAllCounted(stats, docs, `jsonl case ${i}`);
    assert.ok(docs <= k, `jsonl case ${i}: at most the lines written`);
    for (const p of stats.problems) assert.ok(p.file === file && p.record !== undefined, `jsonl case ${i}: located`);
  }
});

function parquetFile(k: number, groupRows: number): Uint8Array {
  const table = new arrow.Table({
    text: arrow.vectorFromArray(Array.from({ length: k }, (_, i) => `document ${i} ` + 'words '.repeat(int(100))), new arrow.Utf8()),
    timestamp: arrow.vectorFromArray(Array.from({ length: k }, (_, i) => (i % 3 ? BigInt(1675209600 + i) : 1700000000000000000n)), new arrow.Int64()),
  });
  const props = new pw.WriterPropertiesBuilder().setCompression(int(2) ? pw.Compression.ZSTD : pw.Compression.UNCOMPRESSED).setMaxRowGroupSize(groupRows).build();
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}

test('fuzz: 200 damaged Parquet files count every row (row groups from the footer) and never throw', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 200; i++) {
    const k = 10 + int(40);
    const src = Buffer.from(parquetFile(k, 5 + int(10)));
    const input = i % 5 === 0 ? src : mutate(src);
    const stats = emptyReaderStats();
    let docs = 0;
    for await (const _ of readParquetDocs(input, `fuzz-${i}.parquet`, stats)) docs++;
    assertAllCounted(stats, docs, `parquet case ${i}`);
    assert.ok(docs <= k, `parquet case ${i}: at most the rows written`);
    if (i % 5 === 0) assert.equal(docs, k, `parquet case ${i}: an undamaged file is read whole`);
  }
});

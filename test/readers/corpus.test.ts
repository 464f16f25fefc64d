import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { parquetMetadata } from 'hyparquet';
import { readJsonlDocs, readParquetDocs } from '../../src/readers/corpus.js';
import { readInputDocs } from '../../src/readers/input.js';
import { READER_DEFAULTS } from '../../src/config.js';
import { emptyReaderStats, type ReaderStats } from '../../src/stats.js';
import { RefineryError } from '../../src/errors.js';
import type { Doc } from '../../src/doc.js';

// ---------------------------------------------------------------------------------------------
// helpers

async function* chunked(buf: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) {
    // A real stream waits for I/O between chunks; so do we, which also lets a test's timeout fire.
    await new Promise(setImmediate);
    yield buf.subarray(i, i + size);
  }
}

export function assertAllCounted(stats: ReaderStats): void {
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0);
  assert.equal(stats.records, stats.docs + skipped, `records ${stats.records} != docs ${stats.docs} + skipped ${skipped}`);
}

async function jsonl(bytes: Uint8Array, file: string, opts?: { maxLineBytes?: number; chunk?: number }): Promise<{ docs: Doc[]; stats: ReaderStats }> {
  const stats = emptyReaderStats();
  const docs: Doc[] = [];
  const o = opts?.maxLineBytes === undefined ? undefined : { maxLineBytes: opts.maxLineBytes };
  for await (const d of readJsonlDocs(chunked(bytes, opts?.chunk), file, stats, o)) docs.push(d);
  return { docs, stats };
}

async function parquet(bytes: Uint8Array, file = 'x.parquet'): Promise<{ docs: Doc[]; stats: ReaderStats }> {
  const stats = emptyReaderStats();
  const docs: Doc[] = [];
  for await (const d of readParquetDocs(bytes, file, stats)) docs.push(d);
  return { docs, stats };
}

const lines = (rows: object[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

/** A Parquet file as another tool writes it: `text` plus an int64 `timestamp` in whatever unit it likes. */
function foreignParquet(n: number, rowGroupRows: number, timestamp: (i: number) => bigint | null): Uint8Array {
  const text = arrow.vectorFromArray(
    Array.from({ length: n }, (_, i) => `document ${i} ` + 'lorem ipsum dolor sit amet '.repeat(5 + (i % 7))),
    new arrow.Utf8(),
  );
  const ts = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => timestamp(i)), new arrow.Int64());
  const table = new arrow.Table({ text, timestamp: ts });
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(rowGroupRows).build();
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}

// ---------------------------------------------------------------------------------------------
// timestamps in any unit (item 2 of #14)

test('a nanosecond timestamp (pandas/Arrow) is read in its unit; every later line is read (JSONL)', async () => {
  const rows = [
    { text: 'a', timestamp: 1675209600 }, // seconds
    { text: 'b', timestamp: 1700000000000000000 }, // nanoseconds
    { text: 'c', timestamp: 1700000000000 }, // milliseconds
    { text: 'd', timestamp: 1700000000000000 }, // microseconds
    { text: 'e', timestamp: '2023-02-01T00:00:00Z' },
  ];
  const { docs, stats } = await jsonl(lines(rows), 'ts.jsonl');
  assert.equal(docs.length, 5);
  assert.deepEqual(docs.map((d) => d.timestamp), [
    '2023-02-01T00:00:00.000Z',
    '2023-11-14T22:13:20.000Z',
    '2023-11-14T22:13:20.000Z',
    '2023-11-14T22:13:20.000Z',
    '2023-02-01T00:00:00.000Z',
  ]);
  assertAllCounted(stats);
});

test('a timestamp no unit makes a date is left empty and counted; the document is kept', async () => {
  const { docs, stats } = await jsonl(lines([{ text: 'a', timestamp: 1e300 }, { text: 'b', timestamp: -1e30 }, { text: 'c' }]), 'ts.jsonl');
  assert.equal(docs.length, 3);
  assert.deepEqual(docs.map((d) => d.timestamp), [undefined, undefined, undefined]);
  assert.deepEqual(stats.fieldsDropped, { timestamp: 2 });
  assertAllCounted(stats);
});

test('Parquet: an int64 nanosecond timestamp at row 1500 of 2000 is read in its unit, all 2000 rows read', async () => {
  const bytes = foreignParquet(2000, 500, (i) => (i === 1500 ? 1700000000000000000n : BigInt(1675209600 + i)));
  const { docs, stats } = await parquet(bytes);
  assert.equal(docs.length, 2000);
  assert.equal(docs[1500]!.timestamp, '2023-11-14T22:13:20.000Z');
  assert.equal(docs[1501]!.timestamp, new Date((1675209600 + 1501) * 1000).toISOString());
  assertAllCounted(stats);
});

// ---------------------------------------------------------------------------------------------
// a damaged row group (item 3)

test('Parquet: a damaged row group is skipped with its exact row count, located; the groups after it are read', async () => {
  const bytes = foreignParquet(5000, 500, (i) => BigInt(1675209600 + i));
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  assert.equal(meta.row_groups.length, 10);
  // 200 bytes in the middle of row group 5's text column chunk.
  const chunk = meta.row_groups[5]!.columns[0]!.meta_data!;
  const start = Number(chunk.dictionary_page_offset ?? chunk.data_page_offset);
  const mid = start + Math.floor(Number(chunk.total_compressed_size) / 2);
  const damaged = Buffer.from(bytes);
  for (let i = 0; i < 200; i++) damaged[mid + i] = 0x5a ^ damaged[mid + i]!;
  const { docs, stats } = await parquet(damaged, 'damaged.parquet');
  assert.equal(docs.length, 4500);
  assert.equal(stats.records, 5000);
  assert.equal(stats.skipped.corrupt, 500);
  assert.equal(docs[2500]!.text.startsWith('document 3000 '), true);
  const p = stats.problems[0]!;
  assert.equal(p.file, 'damaged.parquet');
  assert.equal(p.record, 2500);
  assert.equal(p.offset, start);
  assert.match(p.message, /row group 5 .*rows 2500-2999/);
  assertAllCounted(stats);
});

// ---------------------------------------------------------------------------------------------
// long lines (item 5)

test('a line over max_line_bytes is too_large, located, and the next line is read', async () => {
  const rows = Buffer.concat([lines([{ text: 'first' }]), Buffer.from(JSON.stringify({ text: 'x'.repeat(50_000) }) + '\n'), lines([{ text: 'after' }])]);
  for (const chunk of [7, 1000, 65536]) {
    const { docs, stats } = await jsonl(rows, 'long.jsonl', { maxLineBytes: 10_000, chunk });
    assert.deepEqual(docs.map((d) => d.text), ['first', 'after']);
    assert.equal(stats.skipped.too_large, 1);
    assert.equal(stats.problems[0]!.record, 1);
    assert.equal(stats.problems[0]!.offset, 17);
    assert.match(stats.problems[0]!.message, /50011 bytes.*max_line_bytes/);
    assertAllCounted(stats);
  }
});

test('max_line_bytes is a reader option with a default', () => {
  assert.equal(typeof (READER_DEFAULTS as unknown as Record<string, unknown>).max_line_bytes, 'number');
});

test('a 16 MB line arriving 1 KB at a time is read in linear time (quadratic took minutes)', { timeout: 30_000 }, async () => {
  const big = Buffer.from(JSON.stringify({ text: 'y'.repeat(16 * 1024 * 1024) }) + '\n' + JSON.stringify({ text: 'z' }) + '\n');
  const { docs, stats } = await jsonl(big, 'big.jsonl', { chunk: 1024, maxLineBytes: 64 * 1024 * 1024 });
  assert.equal(docs.length, 2);
  assert.equal(docs[0]!.text.length, 16 * 1024 * 1024);
  assert.equal(docs[1]!.source?.offset, big.length - 13);
  assertAllCounted(stats);
});

// ---------------------------------------------------------------------------------------------
// the count identity on stream errors (item 7)

test('a truncated .jsonl.gz: what was read is kept, the cut is counted as a record (records = docs + skipped)', async () => {
  const rows = Array.from({ length: 91 }, (_, i) => ({ text: `doc ${i} ` + 'filler '.repeat(40 + i) }));
  const gz = zlib.gzipSync(lines(rows));
  const cut = gz.subarray(0, Math.floor(gz.length * 0.8));
  const { docs, stats } = await jsonl(cut, 'cut.jsonl.gz');
  assert.ok(docs.length > 50 && docs.length < 91, `${docs.length} docs`);
  assert.equal(stats.skipped.truncated, 1);
  assert.equal(stats.records, docs.length + 1);
  assert.match(stats.problems.at(-1)!.message, /cut short|ended/);
  assertAllCounted(stats);
});

test('an unreadable or empty Parquet file is one counted record with a clear message', async () => {
  const junk = await parquet(Buffer.from('this is not parquet at all, not even close'), 'junk.parquet');
  assert.equal(junk.docs.length, 0);
  assert.equal(junk.stats.records, 1);
  assertAllCounted(junk.stats);
  const empty = await parquet(new Uint8Array(0), 'empty.parquet');
  assert.equal(empty.stats.records, 1);
  assert.match(empty.stats.problems[0]!.message, /empty file \(0 bytes\)/);
  assertAllCounted(empty.stats);
});

test('a failing input stream under a .jsonl.gz propagates as ERR_STORAGE (not bad data, no hang)', { timeout: 10_000 }, async () => {
  const gz = zlib.gzipSync(lines(Array.from({ length: 2000 }, (_, i) => ({ text: `doc ${i} ${Math.random()}` }))));
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield gz.subarray(0, 5000);
    throw new RefineryError('ERR_STORAGE', 'read failed after 6 retries', { file: 'x' });
  }
  const stats = emptyReaderStats();
  await assert.rejects(
    (async () => {
      for await (const _ of readInputDocs({ name: 'x.jsonl.gz', read: failing }, READER_DEFAULTS, stats));
    })(),
    (e: unknown) => e instanceof RefineryError && e.code === 'ERR_STORAGE',
  );
});

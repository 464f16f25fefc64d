import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeParquet, parquetRowCount, readParquetRows } from '../src/formats/parquet.js';
import { docToRow, rowToDoc } from '../src/formats/schema.js';
import { newDoc } from '../src/doc.js';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { parquetMetadata } from 'hyparquet';

test('a document survives a Parquet round trip (written by parquet-wasm, read by hyparquet)', async () => {
  const doc = newDoc({
    id: '<urn:uuid:1>',
    url: 'https://example.com/a',
    text: 'Hello\nwörld ✓',
    timestamp: '2023-02-01T00:01:02.000Z',
    dump: 'CC-MAIN-2023-06',
    segment: '1674764494826.10',
    imageUrls: [['https://example.com/i.png', 'an image']],
    language: 'en',
    languageScore: 0.93,
    tokenCount: 7,
    meta: { k: 1 },
  });
  const bytes = encodeParquet([docToRow(doc), docToRow(newDoc({ id: 'x' }))], false);
  assert.equal(await parquetRowCount(bytes), 2);
  const rows = [];
  for await (const r of readParquetRows(bytes)) rows.push(r);
  const back = rowToDoc(rows[0]!, 'fallback');
  assert.deepEqual(back, { ...doc, warcRecordId: undefined, digest: undefined });
  assert.equal(rowToDoc(rows[1]!, 'f').timestamp, undefined);
});

test('timestamp is a Parquet TIMESTAMP (UTC, milliseconds) in the footer, so other readers show a time', async () => {
  const doc = newDoc({ id: 'a', url: 'u', text: 't', timestamp: '2023-02-01T00:01:02.000Z' });
  const bytes = encodeParquet([docToRow(doc)], false);
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  const col = meta.schema.find((s) => s.name === 'timestamp')!;
  assert.equal(col.type, 'INT64');
  assert.deepEqual(col.logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' });
  const rows = [];
  for await (const r of readParquetRows(bytes)) rows.push(r);
  assert.ok(rows[0]!.timestamp instanceof Date);
  assert.equal(rowToDoc(rows[0]!, 'f').timestamp, '2023-02-01T00:01:02.000Z');
});

test('runs written before: an int64 timestamp column of seconds still reads as the right time', async () => {
  // What earlier versions wrote: arrow timestamp[s], which the Parquet writer stores as plain INT64.
  const table = new arrow.Table({
    id: arrow.vectorFromArray(['a'], new arrow.Utf8()),
    content: arrow.vectorFromArray(['t'], new arrow.Utf8()),
    timestamp: arrow.vectorFromArray([1675209662000], new arrow.TimestampSecond()),
  });
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')));
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  assert.equal(meta.schema.find((s) => s.name === 'timestamp')!.logical_type, undefined, 'an old-style file');
  const rows = [];
  for await (const r of readParquetRows(bytes)) rows.push(r);
  assert.equal(rowToDoc(rows[0]!, 'f').timestamp, '2023-02-01T00:01:02.000Z');
});

test('text read back exactly as written: a leading U+FEFF is kept (hyparquet alone drops it); as bytes, the same UTF-8', async () => {
  const texts = ['\ufeffstarts with a byte order mark', 'x\ufeff inside', 'plain'];
  const file = encodeParquet(texts.map((text, i) => docToRow(newDoc({ id: String(i), text }))), false);
  const rows: string[] = [];
  for await (const r of readParquetRows(file, { columns: ['content'] })) rows.push(r.content as string);
  assert.deepEqual(rows, texts);
  const bytes: Uint8Array[] = [];
  for await (const r of readParquetRows(file, { columns: ['content'], textAsBytes: true })) bytes.push(r.content as Uint8Array);
  assert.deepEqual(bytes.map((b) => Buffer.from(b).toString('utf8')), texts);
});

test('zstd pages: the native decoder (system libzstd, when present) gives the bytes fzstd gives', async () => {
  const { compressors: jsCompressors } = await import('hyparquet-compressors');
  const { compressors } = await import('../src/formats/parquet.js');
  const { parquetReadObjects } = await import('hyparquet');
  const texts = Array.from({ length: 3000 }, (_, i) => `document ${i} ${'wörds and more words '.repeat(i % 40)}`);
  const file = encodeParquet(texts.map((text, i) => docToRow(newDoc({ id: String(i), text }))), false);
  const ab = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  let nativeCalls = 0;
  const counting = { ...compressors, ZSTD: (input: Uint8Array, n: number) => (nativeCalls++, compressors.ZSTD!(input, n)) };
  const a = await parquetReadObjects({ file: ab, compressors: counting });
  const b = await parquetReadObjects({ file: ab, compressors: jsCompressors });
  assert.ok(nativeCalls > 0);
  assert.deepEqual(a, b);
  assert.deepEqual(a.map((r) => r.content), texts);
});

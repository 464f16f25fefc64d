import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeParquet, parquetRowCount, readParquetRows } from '../src/formats/parquet.js';
import { docToRow, rowToDoc } from '../src/formats/schema.js';
import { newDoc } from '../src/doc.js';

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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileNumber, inputShardFiles, inputShards, readByteRange, shardDocs, taskDocsWriter } from '../src/pass-io.js';
import type { Storage } from '../src/storage/storage.js';
import type { RefineryError } from '../src/errors.js';
import { DEFAULT_PARQUET, encodeParquet } from '../src/formats/parquet.js';
import { docToRow } from '../src/formats/schema.js';
import { localStorage } from '../src/storage/local.js';
import { newDoc } from '../src/doc.js';

test('fileNumber: the number a per-task file is named by', () => {
  assert.equal(fileNumber('url_dedup_keys/00002/00017.jsonl'), 17);
  assert.equal(fileNumber('exact_substring_index/windows/00003/00000.bin'), 0);
  assert.equal(fileNumber('a/b/00120.parquet'), 120);
});

test('inputShards: the parquet files under <input>/data/, sorted, as files or paths', async () => {
  const run = localStorage(await mkdtemp(join(tmpdir(), 'refinery-passio-')));
  for (const name of ['00001.parquet', '00000.parquet', 'notes.txt']) await run.writeAll(`filter/data/${name}`, Buffer.from('x'));
  await run.writeAll('filter/excluded/00000.parquet', Buffer.from('x'));
  assert.deepEqual(await inputShards(run, 'filter'), ['filter/data/00000.parquet', 'filter/data/00001.parquet']);
  assert.deepEqual((await inputShardFiles(run, 'filter')).map((o) => o.path), ['filter/data/00000.parquet', 'filter/data/00001.parquet']);
});

test('taskDocsWriter: kept and excluded documents streamed to one Parquet file each, byte for byte what encodeParquet writes; counts and task stats', async () => {
  const run = localStorage(await mkdtemp(join(tmpdir(), 'refinery-passio-')));
  // More rows than a row group, so the file is written in several batches.
  const docs = Array.from({ length: DEFAULT_PARQUET.rowGroupRows * 2 + 17 }, (_, i) => newDoc({ id: `d${i}`, text: `text ${i} `.repeat((i % 5) + 1), url: `https://x.example/${i}`, tokenCount: i % 3 }));
  const out = taskDocsWriter(run, 'demo', 4, 'demo_stage');
  const kept = docs.filter((_, i) => i % 7 !== 3);
  const dropped = docs.filter((_, i) => i % 7 === 3);
  for (const [i, d] of docs.entries()) {
    out.read(d);
    if (i % 7 === 3) await out.exclude(d, { reason: 'short', value: i, detail: `row ${i}` });
    else await out.keep(d);
  }
  const s = await out.close('filter/data/00004.parquet', 3);
  assert.equal(s.docsWritten, kept.length);
  assert.equal(s.tokensWritten, kept.reduce((a, d) => a + d.tokenCount!, 0));
  const st = s.stages[0]!.stats;
  assert.deepEqual([s.pass, s.rank, s.input, s.stages[0]!.name, st.docsIn, st.docsOut], ['demo', 4, 'filter/data/00004.parquet', 'demo_stage', docs.length, kept.length]);
  assert.deepEqual(st.dropped, { short: { docs: dropped.length, chars: dropped.reduce((a, d) => a + d.text.length, 0) } });
  assert.ok((await run.readAll('demo/data/00004.parquet')).equals(Buffer.from(encodeParquet(kept.map(docToRow), false))));
  const excludedRows = dropped.map((d) => ({ ...docToRow(d), stage: 'demo_stage', reason: 'short', value: Number(d.id.slice(1)), detail: `row ${d.id.slice(1)}` }));
  assert.ok((await run.readAll('demo/excluded/00004.parquet')).equals(Buffer.from(encodeParquet(excludedRows, true))));
  // Nothing excluded on a rerun: the stale excluded file goes, an empty data file is written.
  const again = taskDocsWriter(run, 'demo', 4, 'demo_stage');
  await again.close('filter/data/00004.parquet', 1);
  assert.deepEqual((await run.list('demo/excluded/')).map((o) => o.path), []);
  assert.ok((await run.readAll('demo/data/00004.parquet')).equals(Buffer.from(encodeParquet([], false))));
  // And the documents read back, in order, through shardDocs.
  const back: string[] = [];
  await run.writeAll('demo/data/00005.parquet', encodeParquet(kept.map(docToRow), false));
  for await (const d of shardDocs(run, (await run.list('demo/data/')).find((o) => o.path.endsWith('00005.parquet'))!)) back.push(d.id);
  assert.deepEqual(back, kept.map((d) => d.id));
});

test('readByteRange: bytes of a range, into a reused buffer or a fresh one, through fill (local disk) or chunks (a wrapper); a cut file is ERR_CORRUPT', async () => {
  const run = localStorage(await mkdtemp(join(tmpdir(), 'refinery-passio-')));
  // Larger than one chunk of a local ranged read (8 MB), so the chunked path joins several.
  const bytes = Buffer.alloc(9 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  await run.writeAll('f.bin', bytes);
  // A storage whose reads are plain chunks (no fill), as a counting or remote storage's are.
  const chunked: Storage = {
    ...run,
    async *read(path, range) {
      for await (const c of run.read(path, range)) yield c;
    },
  };
  for (const s of [run, chunked]) {
    assert.ok((await readByteRange(s, 'f.bin', 0, bytes.length)).equals(bytes));
    assert.ok((await readByteRange(s, 'f.bin', 12345, 12345 + 700)).equals(bytes.subarray(12345, 12345 + 700)));
    const into = new Uint8Array(1 << 20);
    const got = await readByteRange(s, 'f.bin', 5000, 6000, into);
    assert.ok(got.equals(bytes.subarray(5000, 6000)));
    assert.equal(got.buffer, into.buffer, 'read into the given buffer');
    await assert.rejects(readByteRange(s, 'f.bin', 10, 20, new Uint8Array(5)), RangeError);
    for (const buf of [undefined, new Uint8Array(200)]) {
      await assert.rejects(readByteRange(s, 'f.bin', bytes.length - 100, bytes.length + 100, buf), (e: RefineryError) => e.code === 'ERR_CORRUPT' && e.location?.offset === bytes.length);
    }
    assert.equal((await readByteRange(s, 'f.bin', 7, 7)).length, 0);
  }
  // A ranged read past the end yields the bytes up to it, in chunks of at most 8 MB.
  const chunks: number[] = [];
  for await (const c of run.read('f.bin', { start: 1, end: bytes.length + 10 })) chunks.push(c.length);
  assert.deepEqual(chunks, [8 << 20, bytes.length - 1 - (8 << 20)]);
});

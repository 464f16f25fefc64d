import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileNumber, filterStats, filterTaskStats, inputShardFiles, inputShards } from '../src/pass-io.js';
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

test('filterTaskStats: one stage, kept documents and tokens written', () => {
  const docs = [newDoc({ id: 'a', text: 'aaaa' }), newDoc({ id: 'b', text: 'bb' })];
  const stage = { name: 'demo', stats: filterStats(docs, [docs[0]!], [{ doc: docs[1]!, drop: { reason: 'short' } }], 3) };
  const s = filterTaskStats('demo', 4, 'filter/data/00004.parquet', stage, [docs[0]!], 9, 3);
  assert.deepEqual(s, { pass: 'demo', rank: 4, input: 'filter/data/00004.parquet', stages: [stage], docsWritten: 1, tokensWritten: 9, retries: {}, ms: 3 });
  assert.deepEqual(s.stages[0]!.stats.dropped, { short: { docs: 1, chars: 2 } });
});

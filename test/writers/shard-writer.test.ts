import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_DEFAULTS } from '../../src/config.js';
import { newDoc } from '../../src/doc.js';
import { encodeParquet } from '../../src/formats/parquet.js';
import { docToRow, type DocRow } from '../../src/formats/schema.js';
import { localStorage } from '../../src/storage/local.js';
import { createShardWriter } from '../../src/writers/shard-writer.js';
import { seededRandom } from '../../src/random.js';

function rows(n: number): DocRow[] {
  const rng = seededRandom(7);
  return Array.from({ length: n }, (_, i) =>
    docToRow(newDoc({ id: `d${i}`, url: `https://example.com/${i}`, text: 'word '.repeat(1 + Math.floor(rng() * 40)), timestamp: '2023-02-01T00:00:00Z', tokenCount: i })),
  );
}

/** The shards the writer must produce: a new one once the text bytes (+64 a row) reach shard_bytes. */
function expectedShards(all: DocRow[], shardBytes: number): DocRow[][] {
  const out: DocRow[][] = [[]];
  let chars = 0;
  for (const r of all) {
    out[out.length - 1]!.push(r);
    chars += r.content.length + r.url.length + 64;
    if (chars >= shardBytes) {
      out.push([]);
      chars = 0;
    }
  }
  return out.filter((s) => s.length > 0);
}

test('streamed Parquet shards (several row groups each) have the bytes of each shard encoded at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-shard-writer-'));
  try {
    const opts = { ...OUTPUT_DEFAULTS, format: 'parquet', shard_bytes: 20_000, row_group_rows: 7 };
    const all = rows(500);
    const w = createShardWriter<DocRow>(localStorage(dir), 'data', 3, opts, false);
    for (const r of all) await w.add(r);
    const files = await w.close();
    const want = expectedShards(all, opts.shard_bytes);
    assert.ok(want.length >= 3, 'the input spans several shards');
    assert.deepEqual(files, want.map((_, i) => `data/00003-${String(i).padStart(4, '0')}.parquet`));
    assert.deepEqual(readdirSync(join(dir, 'data')).sort(), files.map((f) => f.slice(5)));
    for (let i = 0; i < want.length; i++) {
      const expected = encodeParquet(want[i]!, false, { rowGroupRows: opts.row_group_rows, zstdLevel: opts.zstd_level });
      assert.ok(Buffer.from(readFileSync(join(dir, files[i]!))).equals(Buffer.from(expected)), `shard ${i} equals encodeParquet of its rows`);
    }
    assert.equal(w.rows, 500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSONL shards roll at the same places and hold one row a line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-shard-writer-'));
  try {
    const opts = { ...OUTPUT_DEFAULTS, format: 'jsonl', shard_bytes: 20_000 };
    const all = rows(300);
    const w = createShardWriter<DocRow>(localStorage(dir), 'data', 0, opts, false);
    for (const r of all) await w.add(r);
    const files = await w.close();
    const want = expectedShards(all, opts.shard_bytes);
    assert.equal(files.length, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.equal(readFileSync(join(dir, files[i]!), 'utf8'), want[i]!.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a task with no documents writes no shard', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-shard-writer-'));
  try {
    const w = createShardWriter<DocRow>(localStorage(dir), 'data', 0, { ...OUTPUT_DEFAULTS, format: 'parquet' }, false);
    assert.deepEqual(await w.close(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('row groups larger than the encoder hand-over (2,048 rows), of any size, keep the bytes of encoding at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-shard-writer-'));
  try {
    const all = rows(7_500);
    for (const rowGroupRows of [5_000, 4_096, 3_001]) {
      const opts = { ...OUTPUT_DEFAULTS, format: 'parquet', shard_bytes: 2 ** 40, row_group_rows: rowGroupRows };
      const w = createShardWriter<DocRow>(localStorage(dir), `data-${rowGroupRows}`, 0, opts, false);
      for (const r of all) await w.add(r);
      const [file] = await w.close();
      const expected = encodeParquet(all, false, { rowGroupRows, zstdLevel: opts.zstd_level });
      assert.ok(Buffer.from(readFileSync(join(dir, file!))).equals(Buffer.from(expected)), `row groups of ${rowGroupRows}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

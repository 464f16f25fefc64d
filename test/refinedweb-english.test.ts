// The English corpus of configs/refinedweb.yaml must not change when per-language rules are
// added (issue #13): the final shard of a run on data-samples/ is pinned (its sha256, as the
// run before per-language options wrote it). A change that moves this hash changes
// RefinedWeb-English: say so and why, then update the pin. Moved once (#14 item 17): the
// timestamp column became a Parquet TIMESTAMP(ms, UTC); every other column of the 18 rows is equal.
// Since the hand-written Parquet writer (src/formats/parquet-writer.ts) the file's bytes
// depend on the system's libzstd version (zstd does not promise the same compressed bytes
// across versions), so the pin is taken on the rows: read back and written by parquet-wasm
// (the writer the pin was taken with, its zstd built in), they give the pinned bytes on any
// machine. The rows were equal to the previous pin's when the writer changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../src/config.js';
import { executeRun } from '../src/run.js';
import { localExecutor } from '../src/executors/local.js';
import { localStorage } from '../src/storage/local.js';
import { projectRoot } from '../src/paths.js';
import * as registry from '../stages/index.js';
import { readParquetRows } from '../src/formats/parquet.js';
import { encodeParquetWasm } from '../src/formats/parquet-wasm-writer.js';
import { docToRow, rowToDoc, type DocRow } from '../src/formats/schema.js';

const registryModule = new URL('../stages/index.js', import.meta.url).href;
const PINNED = { rows: 18, tokens: 3945 };
/** sha256 of the final shard's rows as parquet-wasm writes them. */
const ROWS_PINNED = '76a12d85c4b1daae9c3e592e4df12105e4c4f8b8aadb07df1255ba5ea393f0b9';

test('configs/refinedweb.yaml on data-samples/: the English final shard holds the pinned rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-en-'));
  const executor = localExecutor(1);
  try {
    const config = await loadConfigFile(join(projectRoot, 'configs/refinedweb.yaml'), registry);
    const inputs = [join(projectRoot, 'data-samples/sample.warc.gz')];
    await executeRun({ config, inputs, runDir: dir, run: localStorage(dir), registry, registryModule, executor, progress: false, log: () => {} });
    const manifest = JSON.parse(readFileSync(join(dir, 'final/manifest.json'), 'utf8'));
    assert.equal(manifest.files.length, 1);
    const bytes = readFileSync(join(dir, 'final', manifest.files[0].path));
    assert.deepEqual({ rows: manifest.rows, tokens: manifest.tokens }, PINNED);
    const rows: DocRow[] = [];
    for await (const r of readParquetRows(bytes)) rows.push(docToRow(rowToDoc(r, 'unused')));
    const reference = encodeParquetWasm(rows, false, { rowGroupRows: 10_000, zstdLevel: 3 });
    assert.equal(createHash('sha256').update(reference).digest('hex'), ROWS_PINNED, 'the rows are the pinned ones');
  } finally {
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

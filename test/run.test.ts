import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { RefineryError } from '../src/errors.js';
import { executeRun } from '../src/run.js';
import { localExecutor } from '../src/executors/local.js';
import { localStorage } from '../src/storage/local.js';
import { readParquetRows } from '../src/formats/parquet.js';
import * as toy from './helpers/toy-registry.js';

const registryModule = new URL('./helpers/toy-registry.js', import.meta.url).href;

test('config errors name the key and what was expected', () => {
  const bad = (raw: unknown, re: RegExp) =>
    assert.throws(() => resolveConfig(raw, toy), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && re.test(e.message));
  bad({ stages: [{ drop_word: { word: 3 } }] }, /stages\[0\]\.drop_word\.word: expected a string/);
  bad({ stages: [{ nope: {} }] }, /unknown stage "nope"/);
  bad({ stages: [{ drop_word: { wrd: 'x' } }] }, /drop_word\.wrd: unknown option \(known: word\)/);
  bad({ output: { format: 'csv' } }, /output\.format: expected one of parquet/);
  bad({ outptu: {} }, /outptu: unknown section/);
  const ok = resolveConfig({ stages: ['upper', { drop_word: { word: 'x' } }] }, toy);
  assert.deepEqual(ok.stages, [
    { name: 'upper', options: { tokens_per_char: 0.25 } },
    { name: 'drop_word', options: { word: 'x' } },
  ]);
});

function makeInputs(dir: string): string[] {
  const files: string[] = [];
  for (let f = 0; f < 4; f++) {
    const lines = [];
    for (let i = 0; i < 50; i++) lines.push(JSON.stringify({ id: `f${f}-${i}`, text: `document ${i} of file ${f}${i % 7 === 0 ? ' spam' : ''}`, url: `https://e.com/${f}/${i}` }));
    if (f === 2) lines.splice(10, 0, '{not json', '{"no_text": 1}');
    const p = join(dir, `in-${f}.jsonl`);
    writeFileSync(p, lines.join('\n') + '\n');
    files.push(p);
  }
  return files;
}

async function runOnce(inputs: string[], out: string, workers: number) {
  const config = resolveConfig({ stages: [{ drop_word: { word: 'spam' } }, 'upper'], output: { excluded: true, shard_bytes: 1500, final_shard_rows: 25, final_parts_per_task: 2 } }, toy);
  const executor = localExecutor(workers);
  try {
    return await executeRun({ config, inputs, runDir: out, run: localStorage(out), registry: toy, registryModule, executor, progress: false, log: () => {} });
  } finally {
    await executor.close();
  }
}

function dataFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of ['filter/data', 'filter/excluded', 'final']) {
    for (const f of readdirSync(join(dir, sub)).sort()) out.set(`${sub}/${f}`, readFileSync(join(dir, sub, f)).toString('base64'));
  }
  return out;
}

test('a run counts every record, writes kept and excluded shards, and is identical for 1 and 3 workers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-run-'));
  try {
    const inputs = makeInputs(dir);
    const s1 = await runOnce(inputs, join(dir, 'o1'), 1);
    const s3 = await runOnce(inputs, join(dir, 'o3'), 3);
    const pass = s1.passes[0]!;
    assert.equal(pass.reader!.records, 202);
    assert.equal(pass.reader!.docs, 200);
    assert.equal(pass.reader!.skipped.corrupt, 2);
    assert.equal(pass.reader!.problems[0]!.file, inputs[2]);
    assert.equal(pass.reader!.problems[0]!.record, 10);
    const [drop, up] = pass.stages;
    assert.equal(drop!.stats.docsIn, 200);
    assert.equal(drop!.stats.dropped.has_word!.docs, 4 * 8); // i = 0, 7, ..., 49
    assert.equal(up!.stats.docsOut, 200 - 32);
    assert.equal(pass.docsWritten, 168);
    assert.equal(drop!.stats.histograms.word_hits!.n, 200);
    // Output bytes do not depend on the number of workers.
    assert.deepEqual(dataFiles(join(dir, 'o1')), dataFiles(join(dir, 'o3')));
    assert.ok([...dataFiles(join(dir, 'o1')).keys()].filter((k) => k.startsWith('filter/data')).length > 4, 'shards roll over');
    // The kept rows are the documents, transformed, in input order.
    const rows = [];
    for await (const r of readParquetRows(readFileSync(join(dir, 'o1/filter/data/00000-0000.parquet')))) rows.push(r);
    assert.equal(rows[0]!.content, 'DOCUMENT 1 OF FILE 0');
    assert.equal(rows[0]!.id, 'f0-1');
    const ex = [];
    for await (const r of readParquetRows(readFileSync(join(dir, 'o1/filter/excluded/00000-0000.parquet')))) ex.push(r);
    assert.equal(ex[0]!.stage, 'drop_word');
    assert.equal(ex[0]!.reason, 'has_word');
    assert.equal(ex[0]!.detail, '1>0');
    // stats.json equals the returned merge.
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'o1/stats.json'), 'utf8')), JSON.parse(JSON.stringify(s1)));
    assert.equal(s3.passes[0]!.docsWritten, 168);
    // Final training shards: 168 rows in parts of 25, with a manifest a loader can check.
    const manifest = JSON.parse(readFileSync(join(dir, 'o1/final/manifest.json'), 'utf8'));
    assert.equal(manifest.rows, 168);
    assert.equal(manifest.files.length, 7);
    assert.deepEqual(manifest.files.map((f: { rows: number }) => f.rows), [25, 25, 25, 25, 25, 25, 18]);
    assert.equal(manifest.tokens, manifest.files.reduce((a: number, f: { tokens: number }) => a + f.tokens, 0));
    assert.ok(manifest.tokens > 0);
    const finalRows = [];
    for await (const r of readParquetRows(readFileSync(join(dir, 'o1/final/part-00001.parquet')))) finalRows.push(r);
    assert.equal(finalRows.length, 25);
    assert.equal(finalRows[0]!.id, 'f0-30'); // global row 25 (0-based) of the kept: file 0 drops i%7==0, so 1-6,8-13,15-20,22-27 are rows 0-23, 29 is 24
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rerun resumes: finished tasks are skipped, an unfinished one is redone to the same bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-resume-'));
  try {
    const inputs = makeInputs(dir);
    const out = join(dir, 'o');
    await runOnce(inputs, out, 2);
    const before = dataFiles(out);
    // Simulate a task killed mid-way: its marker is gone and a shard is half written.
    rmSync(join(out, 'filter/done/00001'));
    writeFileSync(join(out, 'filter/data/00001-0000.parquet'), 'garbage');
    const statsBefore = readFileSync(join(out, 'filter/stats/00000.json'), 'utf8');
    await runOnce(inputs, out, 2);
    assert.deepEqual(dataFiles(out), before);
    assert.equal(readFileSync(join(out, 'filter/stats/00000.json'), 'utf8'), statsBefore, 'task 0 was not rerun');
    // A different config in the same directory is refused.
    const config = resolveConfig({ stages: ['upper'] }, toy);
    const executor = localExecutor(1);
    await assert.rejects(
      executeRun({ config, inputs, runDir: out, run: localStorage(out), registry: toy, registryModule, executor, progress: false, log: () => {} }),
      /holds a different run/,
    );
    await executor.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an existing Parquet corpus is an input: ids and fields are kept, filters run again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-corpus-'));
  try {
    const inputs = makeInputs(dir);
    await runOnce(inputs, join(dir, 'first'), 2);
    const shards = readdirSync(join(dir, 'first/filter/data')).map((f) => join(dir, 'first/filter/data', f));
    const config = resolveConfig({ stages: [{ drop_word: { word: 'FILE 3' } }] }, toy);
    const executor = localExecutor(2);
    const out = join(dir, 'second');
    const stats = await executeRun({ config, inputs: shards.sort(), runDir: out, run: localStorage(out), registry: toy, registryModule, executor, progress: false, log: () => {} });
    await executor.close();
    const pass = stats.passes[0]!;
    assert.equal(pass.reader!.docs, 168);
    assert.equal(pass.stages[0]!.stats.dropped.has_word!.docs, 42); // file 3's 50 documents less its 8 spam ones
    const rows = [];
    for await (const r of readParquetRows(readFileSync(join(out, 'final/part-00000.parquet')))) rows.push(r);
    assert.equal(rows.length, 126);
    assert.equal(rows[0]!.id, 'f0-1');
    assert.equal(rows[0]!.url, 'https://e.com/0/1');
    assert.equal(rows[0]!.token_count, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a probability a hair above 1 (fastText's 1e-5 smoothing) gets the fraction buckets, so every task's histogram merges", async () => {
  const { stageContext } = await import('../src/pipeline.js');
  const { emptyStageStats, FRACTION_EDGES, mergeStageStats } = await import('../src/stats.js');
  const sure = emptyStageStats();
  stageContext(sure, () => {}).observe('language_score', 1.00001);
  const other = emptyStageStats();
  stageContext(other, () => {}).observe('language_score', 0.7);
  assert.deepEqual(sure.histograms.language_score!.edges, FRACTION_EDGES);
  assert.equal(mergeStageStats(other, sure).histograms.language_score!.n, 2);
});

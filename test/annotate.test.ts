import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

test('mode: annotate keeps every document with text and records each stage\'s rule and measured value as columns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-annotate-'));
  try {
    const input = join(dir, 'in.jsonl');
    const texts = ['clean text', 'spam and spam', 'more spam', '', 'fine'];
    writeFileSync(input, texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
    assert.throws(() => resolveConfig({ mode: 'score' }, toy), (e: unknown) => e instanceof RefineryError && /mode: expected filter or annotate/.test(e.message));
    const config = resolveConfig({ mode: 'annotate', stages: [{ drop_word: { word: 'spam' } }] }, toy);
    const out = join(dir, 'out');
    const executor = localExecutor(1);
    let stats;
    try {
      stats = await executeRun({ config, inputs: [input], runDir: out, run: localStorage(out), registry: toy, registryModule, executor, progress: false, log: () => {} });
    } finally {
      await executor.close();
    }
    const rows: Record<string, unknown>[] = [];
    for (const f of readdirSync(join(out, 'final')).filter((x) => x.endsWith('.parquet')).sort()) {
      for await (const r of readParquetRows(new Uint8Array(readFileSync(join(out, 'final', f))))) rows.push(r);
    }
    assert.deepEqual(rows.map((r) => r.content), texts);
    assert.deepEqual(rows.map((r) => r.drop_word_reason), [null, 'has_word', 'has_word', null, null]);
    assert.deepEqual(rows.map((r) => r.drop_word_value), [null, 2, 1, null, null]);
    const stage = stats.passes[0]!.stages[0]!.stats;
    assert.equal(stage.events['annotated:has_word'], 2);
    assert.equal(stage.dropped.has_word, undefined, 'nothing removed by the rule');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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

test('mode: annotate records every measured value of a filter as a column <stage>_<metric>: a document breaking several rules has them all, equal to what the stage measures in filter mode', async () => {
  const registry = await import('../stages/index.js');
  const { recordingContext } = await import('./stages/helpers.js');
  const { newDoc } = await import('../src/doc.js');
  const { isDrop } = await import('../src/stage.js');
  const dir = mkdtempSync(join(tmpdir(), 'refinery-annotate-'));
  try {
    // Too short (10 words), too many `#`, too few alphabetic words and stop words: four Gopher
    // quality rules, of which filter mode reports the first; line 2 repeats line 1.
    const bad = '#tag #tag #tag #tag #tag\n#tag #tag #tag #tag #tag';
    const good = Array.from({ length: 12 }, (_, i) => `The committee considered ${i + 2} important questions about the budget and the schedule of the project, which have to be settled with care.`).join('\n');
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, [bad, good].map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
    const config = resolveConfig({ mode: 'annotate', stages: ['gopher_repetition', 'gopher_quality'] }, registry);
    const out = join(dir, 'out');
    const executor = localExecutor(1);
    try {
      await executeRun({ config, inputs: [input], runDir: out, run: localStorage(out), registry, registryModule: new URL('../stages/index.js', import.meta.url).href, executor, progress: false, log: () => {} });
    } finally {
      await executor.close();
    }
    const rows: Record<string, unknown>[] = [];
    for (const f of readdirSync(join(out, 'final')).filter((x) => x.endsWith('.parquet')).sort()) {
      for await (const r of readParquetRows(new Uint8Array(readFileSync(join(out, 'final', f))))) rows.push(r);
    }
    assert.deepEqual(rows.map((r) => r.content), [bad, good]);
    const [b, g] = rows as [Record<string, unknown>, Record<string, unknown>];

    // Filter mode, stage by stage: the default config drops for the first broken rule ...
    const apply = async (name: 'gopher_quality' | 'gopher_repetition', opts: Record<string, unknown>, text: string) => {
      const ctx = recordingContext();
      const mod = registry.stageModules[name]!;
      const stage = await mod.create({ ...mod.defaults, ...opts }, ctx);
      const r = await stage.apply(newDoc({ id: 'x', text }));
      return { drop: isDrop(r) ? r : undefined, observed: ctx.observed };
    };
    const first = await apply('gopher_quality', {}, bad);
    assert.equal(first.drop?.reason, 'gopher_short_doc');
    assert.equal(b.gopher_quality_reason, 'gopher_short_doc');
    assert.equal(b.gopher_quality_value, first.drop!.value);
    assert.equal(b.gopher_quality_words, 10);
    // ... and with that rule out of the way, for the next one: the value annotate mode recorded too.
    const second = await apply('gopher_quality', { min_words: 0 }, bad);
    assert.equal(second.drop?.reason, 'gopher_too_many_hashes');
    assert.equal(b.gopher_quality_hash_word_ratio, second.drop!.value);
    assert.ok((b.gopher_quality_hash_word_ratio as number) > 0.1);
    // With no rule in force, filter mode measures everything: every value is the column's.
    const lenient = { min_words: 0, min_mean_word_length: 0, max_hash_word_ratio: 100, max_ellipsis_word_ratio: 100, max_bullet_lines_ratio: 1, max_ellipsis_lines_ratio: 1, min_alpha_words_ratio: 0, min_stop_words: 0 };
    for (const [name, opts] of [['gopher_quality', lenient], ['gopher_repetition', { dup_line_frac: 0, dup_para_frac: 0, dup_line_char_frac: 0, dup_para_char_frac: 0, top_ngram_char_frac: [0, 0, 0], dup_ngram_char_frac: [0, 0, 0, 0, 0, 0] }]] as const) {
      for (const [row, text] of [[b, bad], [g, good]] as const) {
        const all = await apply(name, opts, text);
        assert.equal(all.drop, undefined);
        const metrics = Object.keys(all.observed);
        assert.ok(metrics.length >= (name === 'gopher_quality' ? 8 : 6), `${name}: ${metrics.join(', ')}`);
        for (const metric of metrics) assert.equal(row[`${name}_${metric}`], all.observed[metric]![0], `${name}_${metric}`);
      }
    }
    // Filter mode stops gopher_repetition at dup_line_frac; annotate mode measured the rest.
    assert.equal((await apply('gopher_repetition', {}, bad)).drop?.reason, 'dup_line_frac');
    assert.equal(b.gopher_repetition_reason, 'dup_line_frac');
    assert.equal(b.gopher_repetition_dup_line_frac, 0.5);
    assert.equal(typeof b.gopher_repetition_dup_line_char_frac, 'number');
    assert.equal(typeof b.gopher_repetition_duplicated_10_n_grams, 'number', 'measured past the first broken rule');
    assert.equal(g.gopher_quality_reason, null, 'a document breaking no rule has values but no reason');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

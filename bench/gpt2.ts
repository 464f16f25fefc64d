/**
 * GPT-2 tokenizer throughput on one core: refinery's native BPE vs gpt-tokenizer (pure JS)
 * and tiktoken (Rust via WASM), on real web documents (raw, and as the RefinedWeb MinHash preset
 * normalizes them before tokenizing) and lingua sentences in 75 languages.
 * Run: `npm run bench:gpt2` (after `npx tsc -p .`). Prints medians of 5 runs. The native
 * tokenizer keeps a per-thread cache of recent pieces, so repeated runs over the same texts
 * are warm; `--cold` also times the first pass over each corpus in a fresh process (cold cache),
 * `--native` skips the npm tokenizers.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { get_encoding } from 'tiktoken';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { countTokens, encode } from '../src/tokenizer/gpt2.js';
import { normalizeForMinhash } from '../stages/minhash/normalize.js';
import { MINHASH_PRESETS } from '../stages/minhash/config.js';
import { benchTexts, medianSeconds, utf8Bytes } from './corpus.js';

const texts = benchTexts();
if (!texts) {
  console.log('bench:gpt2 skipped: shared data absent');
  process.exit(0);
}
const tiktoken = get_encoding('gpt2');
// The first 350 texts are the parity web documents; the rest lingua sentences (75 languages).
const corpora: [string, string[]][] = [
  ['web documents (parity)', texts.slice(0, 350)],
  ['web documents, MinHash-normalized', texts.slice(0, 350).map((t) => normalizeForMinhash(t, MINHASH_PRESETS.refinedweb.digits_to_zero))],
  ['lingua, 75 languages', texts.slice(350)],
  ['all', texts],
];
const childAt = process.argv.indexOf('--cold-child');
if (childAt >= 0) {
  // One first pass over one corpus in this fresh process: the piece cache starts empty.
  const set = corpora[Number(process.argv[childAt + 1])]![1];
  encode(''); // loads the ranks
  const t = process.cpuUsage();
  countTokens(set);
  const d = process.cpuUsage(t);
  console.log(((utf8Bytes(set) / 1e6) / ((d.user + d.system) / 1e6)).toFixed(1));
  process.exit(0);
}
const nativeOnly = process.argv.includes('--native');
const cold = process.argv.includes('--cold');
for (const [i, [what, set]] of corpora.entries()) {
  const bytes = utf8Bytes(set);
  let tokens = 0;
  for (const n of countTokens(set)) tokens += n;
  console.log(`${what}: ${set.length} texts, ${(bytes / 1e6).toFixed(1)} MB UTF-8, ${tokens} GPT-2 tokens (CPU time, median of 5)`);
  if (cold) {
    // Median of 5 fresh processes, each timing its first pass.
    const rates = Array.from({ length: 5 }, () =>
      Number(spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cold-child', String(i)], { encoding: 'utf8' }).stdout.trim()),
    ).sort((a, b) => a - b);
    console.log(`  ${'refinery native countTokens, first pass'.padEnd(40)} ${rates[2]!.toFixed(1).padStart(7)} MB/s`);
  }
  const runs: [string, () => void][] = [
    ['refinery native countTokens (batch)', () => countTokens(set)],
    ['refinery native encode (per text)', () => set.forEach((t) => encode(t))],
  ];
  if (!nativeOnly) {
    runs.push(
      ['tiktoken (WASM) encode_ordinary', () => set.forEach((t) => tiktoken.encode_ordinary(t))],
      ['gpt-tokenizer r50k_base encode', () => set.forEach((t) => gptTokenizerEncode(t))],
    );
  }
  for (const [name, fn] of runs) {
    fn(); // warm up (loads ranks, JIT)
    const s = medianSeconds(fn, 5);
    console.log(`  ${name.padEnd(40)} ${(bytes / 1e6 / s).toFixed(1).padStart(7)} MB/s ${(tokens / 1e6 / s).toFixed(2).padStart(7)} M tokens/s`);
  }
}

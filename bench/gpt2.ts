/**
 * GPT-2 tokenizer throughput on one core: refinery's native BPE vs gpt-tokenizer (pure JS)
 * and tiktoken (Rust via WASM), on real web documents and lingua sentences in 75 languages.
 * Run: `npm run bench:gpt2` (after `npx tsc -p .`). Prints medians of 5 runs.
 */
import { get_encoding } from 'tiktoken';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { countTokens, encode } from '../src/tokenizer/gpt2.js';
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
  ['lingua, 75 languages', texts.slice(350)],
  ['all', texts],
];
for (const [what, set] of corpora) {
  const bytes = utf8Bytes(set);
  let tokens = 0;
  for (const n of countTokens(set)) tokens += n;
  console.log(`${what}: ${set.length} texts, ${(bytes / 1e6).toFixed(1)} MB UTF-8, ${tokens} GPT-2 tokens (CPU time, median of 5)`);
  const runs: [string, () => void][] = [
    ['refinery native countTokens (batch)', () => countTokens(set)],
    ['refinery native encode (per text)', () => set.forEach((t) => encode(t))],
    ['tiktoken (WASM) encode_ordinary', () => set.forEach((t) => tiktoken.encode_ordinary(t))],
    ['gpt-tokenizer r50k_base encode', () => set.forEach((t) => gptTokenizerEncode(t))],
  ];
  for (const [name, fn] of runs) {
    fn(); // warm up (loads ranks, JIT)
    const s = medianSeconds(fn, 5);
    console.log(`  ${name.padEnd(40)} ${(bytes / 1e6 / s).toFixed(1).padStart(7)} MB/s ${(tokens / 1e6 / s).toFixed(2).padStart(7)} M tokens/s`);
  }
}

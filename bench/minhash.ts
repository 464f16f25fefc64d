/**
 * MinHash benchmark (issue #5):
 *  1. signature throughput per core, docs/s and MB/s of input text, for the RefinedWeb preset
 *     (GPT-2 token 5-grams, 450 x 20 = 9,000 components) and FineWeb's (word 5-grams, 14 x 8):
 *     the native kernel (normalization, tokenizer and the race in C++, one call per batch, as
 *     the signature pass runs it) and its parts, next to a straightforward TypeScript
 *     implementation (gpt-tokenizer + stages/minhash/reference.ts);
 *  2. pass 3 (union-find clustering) peak memory and time on a synthetic 10M-document
 *     pair list, in a child process so its max RSS is its own.
 * Run: `npm run bench:minhash` (after `npx tsc -p .`); `-- --docs 10000000 --pairs 1000000`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { bandKeys } from '../stages/minhash/kernel.js';
import { referenceBands } from '../stages/minhash/reference.js';
import { normalizeForMinhash, normalizeForMinhashNative } from '../stages/minhash/normalize.js';
import { MINHASH_PRESETS } from '../stages/minhash/config.js';
import { countTokens } from '../src/tokenizer/gpt2.js';
import { benchTexts, benchWarcTexts, medianSeconds, utf8Bytes } from './corpus.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

const all = benchTexts();
if (!all) {
  console.log('bench:minhash signatures skipped: shared data absent');
} else {
  // The web documents (the parity set is CC text; lingua sentences are short and not web-like).
  const texts = all.slice(0, 350);
  const bytes = utf8Bytes(texts);
  console.log(`signatures: ${texts.length} web documents, ${(bytes / 1e6).toFixed(2)} MB UTF-8, one core, median of 3`);
  const line = (name: string, docs: number, mb: number, s: number) =>
    console.log(`  ${name.padEnd(62)} ${(docs / s).toFixed(0).padStart(7)} docs/s ${(mb / s).toFixed(2).padStart(7)} MB/s`);
  for (const [preset, c] of Object.entries(MINHASH_PRESETS)) {
    const norm = texts.map((t) => normalizeForMinhash(t, c.digits_to_zero));
    bandKeys(texts.slice(0, 5), c, { normalize: true });
    line(`${preset} ${c.bands}x${c.rows} native, whole (normalize + sign)`, texts.length, bytes / 1e6, medianSeconds(() => bandKeys(texts, c, { normalize: true }), 3));
    line(`  the same without AVX-512 (portable path)`, texts.length, bytes / 1e6, medianSeconds(() => bandKeys(texts, c, { normalize: true, portable: true }), 3));
    line(`  of which normalize (native)`, texts.length, bytes / 1e6, medianSeconds(() => texts.map((t) => normalizeForMinhashNative(t, c.digits_to_zero)), 3));
    if (c.shingle === 'gpt2') line(`  of which GPT-2 tokens (native)`, texts.length, bytes / 1e6, medianSeconds(() => countTokens(norm), 3));
    line(`  of which ${c.shingle === 'gpt2' ? 'tokens + ' : ''}shingles + ${c.bands * c.rows}-component race (native)`, texts.length, bytes / 1e6, medianSeconds(() => bandKeys(norm, c), 3));
    line(`  (normalize in JavaScript, same output)`, texts.length, bytes / 1e6, medianSeconds(() => texts.map((t) => normalizeForMinhash(t, c.digits_to_zero)), 3));
    // The TypeScript implementation is slow: time a slice of the documents.
    const few = texts.slice(0, c.bands * c.rows > 1000 ? 12 : 350);
    const fewBytes = utf8Bytes(few);
    line(
      `${preset} TypeScript (gpt-tokenizer + reference.ts), ${few.length} docs`,
      few.length,
      fewBytes / 1e6,
      medianSeconds(() => referenceBands(few.map((t) => normalizeForMinhash(t, c.digits_to_zero)), { ...c, shingle: c.shingle as 'gpt2' | 'words' }, gptTokenizerEncode), 3),
    );
  }
  const warc = await benchWarcTexts();
  if (warc) {
    const c = MINHASH_PRESETS.refinedweb;
    line(`refinedweb 450x20 whole, main text of the bench WARC's ${warc.length} pages`, warc.length, utf8Bytes(warc) / 1e6, medianSeconds(() => bandKeys(warc, c, { normalize: true }), 3));
  }
  // A signature's cost has a per-document part (the race), so the rate depends on length:
  // 300 windows of the same words, at each length.
  const words = texts.join(' ').split(/\s+/);
  console.log('refinedweb 450x20 whole, by document length:');
  for (const n of [20, 100, 500, 2000]) {
    const docs = Array.from({ length: 300 }, (_, i) => words.slice(i * 37, i * 37 + n).join(' '));
    line(`  ${n} words`, docs.length, utf8Bytes(docs) / 1e6, medianSeconds(() => bandKeys(docs, MINHASH_PRESETS.refinedweb, { normalize: true }), 3));
  }
}

// Pass 3 in a child process (bench/minhash-clusters.ts) for its own peak RSS.
const docs = arg('docs', 10_000_000);
const pairs = arg('pairs', 1_000_000);
const child = fileURLToPath(new URL('./minhash-clusters.js', import.meta.url));
const r = spawnSync(process.execPath, [child, String(docs), String(pairs)], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

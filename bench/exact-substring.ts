/**
 * Exact-substring benchmark (issues #6, #15): the whole exact_substring step (index, match,
 * apply; one process, so per core) in MB/s of input text, per pass and in all (CPU seconds),
 * and the bytes each pass writes to the run directory per input token.
 *
 *   node dist/bench/exact-substring.js [--stage-mb 20] [--json]
 *
 * Source text: the main text of the bench WARC's pages (../shared/data/warc/bench, through
 * the project's reader and extractor), else generated words. The passes run in a child process,
 * six times: the rate is the median of the last five (a worker's steady state; one run
 * alone moved by ~15% between runs on an idle machine), the first one's (one-time JIT and
 * GPT-2 loading included) is printed beside it. The tokenizer's share is timed in
 * another child (GPT-2 loaded first, as in the warm runs); the parent hands the texts over in
 * a temporary file named by $REFINERY_BENCH_TEXTS.
 */
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchWarcTexts } from './corpus.js';
import { encodeDocsWithOffsets } from '../src/tokenizer/gpt2.js';
import { exactSubstring } from '../stages/exact_substring/index.js';
import { localStorage } from '../src/storage/local.js';
import { newDoc } from '../src/doc.js';
import { encodeParquet, readParquetRows } from '../src/formats/parquet.js';
import { docToRow } from '../src/formats/schema.js';
import { validateOptions } from '../src/options.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};

function sourceTexts(): { texts: string[]; source: string } {
  const file = process.env.REFINERY_BENCH_TEXTS;
  if (file) return { texts: JSON.parse(readFileSync(file, 'utf8')) as string[], source: 'main text of the bench WARC (warc/bench)' };
  // Generated: Zipf-ish words, deterministic.
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
  const texts = Array.from({ length: 400 }, () => Array.from({ length: 800 }, () => words[Math.floor(words.length * rand() ** 3)]).join(' '));
  return { texts, source: 'generated words' };
}

async function inChild(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(import.meta.url), ['--child', ...args], { execArgv: ['--max-old-space-size=8192'] });
    p.on('message', resolve);
    p.on('error', reject);
    p.on('exit', (code) => code && reject(new Error(`bench child exited with ${code}`)));
  });
}

/** The whole step on a corpus built from the source: copies of documents, half of them edited. */
function stageCorpus(targetMB: number) {
  const { texts } = sourceTexts();
  let seed = 3;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const docs = [];
  let bytes = 0;
  // Each document: a source document with every word changed with probability 1/6 (so its
  // own 50-token windows are unique), and with probability 0.4 a verbatim passage (300-3000
  // characters at word boundaries) of another source document: shared boilerplate/quotes.
  for (let i = 0; bytes < targetMB * 1e6; i++) {
    const src = texts[i % texts.length]!;
    let text = src.split(' ').map((w) => (rand() < 1 / 6 ? `${w}${Math.floor(rand() * 1e6)}` : w)).join(' ');
    if (rand() < 0.4) {
      const other = texts[Math.floor(rand() * texts.length)]!;
      const a = other.indexOf(' ', Math.floor(rand() * other.length * 0.5));
      const len = 300 + Math.floor(rand() * 2700);
      const b = other.indexOf(' ', a + len);
      if (a >= 0 && b > a) text += `\n\n${other.slice(a + 1, b)}`;
    }
    docs.push(newDoc({ id: `d${i}`, url: `https://example.com/${i}`, text }));
    bytes += Buffer.byteLength(text);
  }
  return { docs, bytes };
}

/** Child: CPU seconds of tokenizing the stage corpus as pass 1 does (UTF-8 bytes, a batch per call; GPT-2's ranks loaded, as in the timed run). */
function tokenizeChild(targetMB: number): number {
  const { docs } = stageCorpus(targetMB);
  const bytes = docs.map((d) => new TextEncoder().encode(d.text));
  encodeDocsWithOffsets(['warm']);
  const c0 = process.cpuUsage();
  for (let i = 0; i < bytes.length; i += 1000) encodeDocsWithOffsets(bytes.slice(i, i + 1000));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

interface StageRun {
  passMs: Record<string, number>;
  tokens: number;
  seconds: number;
  wallSeconds: number;
}

/** Runs of the step in the child: the first one cold, the others a worker's steady state. */
const STAGE_RUNS = 6;

/** Child: the step's three passes on the shards in `dir`, STAGE_RUNS times; CPU seconds of each run. */
async function stageChild(dir: string): Promise<StageRun[]> {
  const run = localStorage(dir);
  const options = validateOptions('exact_substring', exactSubstring.defaults, {});
  const runs: StageRun[] = [];
  for (let rep = 0; rep < STAGE_RUNS; rep++) {
    for (const pass of exactSubstring.passes) await rm(join(dir, pass.name), { recursive: true, force: true });
    const passMs: Record<string, number> = {};
    let tokens = 0;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const pass of exactSubstring.passes) {
      const ctx = { run, input: 'filter', options: options as typeof options & Record<string, unknown>, runConfig: {}, log: () => {} };
      const p0 = process.cpuUsage();
      const n = await pass.plan(ctx);
      for (let r = 0; r < n; r++) {
        const st = await pass.run(r, ctx);
        if (pass.name === 'exact_substring_index') tokens += st.tokensWritten;
      }
      const pc = process.cpuUsage(p0);
      passMs[pass.name] = (pc.user + pc.system) / 1000;
    }
    const cpu = process.cpuUsage(c0);
    runs.push({ passMs, tokens, seconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - t0) / 1000 });
  }
  return runs;
}

async function stageBench(targetMB: number, shards: number) {
  const { docs, bytes } = stageCorpus(targetMB);
  const dir = await mkdtemp(join(tmpdir(), 'refinery-bench-'));
  const run = localStorage(dir);
  const per = Math.ceil(docs.length / shards);
  for (let s = 0; s < shards; s++) await run.writeAll(`filter/data/${String(s).padStart(5, '0')}.parquet`, encodeParquet(docs.slice(s * per, (s + 1) * per).map(docToRow), false));
  // The passes run in a fresh process (this one holds the corpus: its heap would tax their GC),
  // STAGE_RUNS times: the first run pays the process's one-time costs (JIT, GPT-2's ranks),
  // the others are the steady state of a worker that
  // runs many tasks; the one of median CPU time is reported.
  const [cold, ...warm] = (await inChild(['stage', dir])) as StageRun[];
  warm.sort((a, b) => a.seconds - b.seconds);
  const { passMs, tokens, seconds, wallSeconds } = warm[(warm.length - 1) >> 1]!;
  // Its share spent tokenizing (native GPT-2 BPE with offsets, as pass 1 does), CPU-timed in another process.
  const tokenizeSeconds = (await inChild(['tokenize', String(targetMB)])) as number;
  // Bytes each pass wrote (the shuffle volume), per input token.
  const passBytesPerToken: Record<string, number> = {};
  for (const pass of exactSubstring.passes) {
    const files = await run.list(`${pass.name}/`);
    passBytesPerToken[pass.name] = +(files.reduce((a, f) => a + f.size, 0) / tokens).toFixed(2);
  }
  // Intermediates: what the index and match passes leave in the run directory (the apply
  // pass writes the step's output documents).
  const intermediateBytesPerToken = +(passBytesPerToken.exact_substring_index! + passBytesPerToken.exact_substring_match!).toFixed(2);
  let outChars = 0;
  let inChars = 0;
  for (const d of docs) inChars += d.text.length;
  for (const f of await run.list('exact_substring/data/')) for await (const row of readParquetRows(await run.readAll(f.path))) outChars += String(row.content).length;
  await rm(dir, { recursive: true, force: true });
  return {
    textMB: bytes / 1e6,
    docs: docs.length,
    shards,
    seconds,
    wallSeconds,
    mbPerS: bytes / 1e6 / seconds,
    tokenizeSeconds,
    mbPerSWithoutTokenizer: bytes / 1e6 / (seconds - tokenizeSeconds),
    tokens,
    removedCharFraction: 1 - outChars / inChars,
    passBytesPerToken,
    intermediateBytesPerToken,
    coldSeconds: cold!.seconds,
    coldMbPerS: bytes / 1e6 / cold!.seconds,
    coldPassSeconds: Object.fromEntries(Object.entries(cold!.passMs).map(([k, v]) => [k, +(v / 1000).toFixed(2)])),
    passSeconds: Object.fromEntries(Object.entries(passMs).map(([k, v]) => [k, +(v / 1000).toFixed(2)])),
    passMBPerS: Object.fromEntries(Object.entries(passMs).map(([k, v]) => [k, +(bytes / 1e6 / (v / 1000)).toFixed(1)])),
  };
}

async function main() {
  if (args[0] === '--child') {
    process.send!(args[1] === 'stage' ? await stageChild(args[2]!) : tokenizeChild(Number(args[2])));
    return;
  }
  const stageMB = arg('--stage-mb', 20);
  const warcTexts = await benchWarcTexts();
  const tmp = await mkdtemp(join(tmpdir(), 'refinery-bench-texts-'));
  if (warcTexts) {
    process.env.REFINERY_BENCH_TEXTS = join(tmp, 'texts.json');
    writeFileSync(process.env.REFINERY_BENCH_TEXTS, JSON.stringify(warcTexts));
  }
  try {
    const { source } = sourceTexts();
    console.log(`exact-substring bench: source ${source}; stage on ${stageMB} MB`);
    const stage = await stageBench(stageMB, 4);
    console.log(
      `exact_substring step: ${stage.textMB.toFixed(1)} MB, ${stage.docs} docs, ${(stage.tokens / 1e6).toFixed(2)}M tokens, ${stage.shards} shards: ${stage.seconds.toFixed(2)} s CPU (${stage.wallSeconds.toFixed(1)} s wall) = ${stage.mbPerS.toFixed(2)} MB/s per core; ` +
        `of which tokenizing once ${stage.tokenizeSeconds.toFixed(2)} s (without it: ${stage.mbPerSWithoutTokenizer.toFixed(2)} MB/s); ` +
        `removed ${(stage.removedCharFraction * 100).toFixed(2)}% of characters`,
    );
    console.log(`per pass: CPU s ${JSON.stringify(stage.passSeconds)}; MB/s ${JSON.stringify(stage.passMBPerS)}`);
    console.log(`first run in a fresh process (one-time JIT and GPT-2 loading included): ${stage.coldSeconds.toFixed(2)} s CPU = ${stage.coldMbPerS.toFixed(2)} MB/s; per pass CPU s ${JSON.stringify(stage.coldPassSeconds)}`);
    console.log(`bytes written per input token: ${JSON.stringify(stage.passBytesPerToken)}; intermediates (index + match): ${stage.intermediateBytesPerToken} B/token`);
    if (args.includes('--json')) console.log(JSON.stringify({ stage }));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();

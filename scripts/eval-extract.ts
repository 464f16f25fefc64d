/**
 * `npm run eval:extract`: quality and speed of the extractor on every main-text extraction set
 * under ../shared/data/extraction/ (scrapinghub, and each folder of extraction/dev/).
 *
 * Each page is decoded as a crawl would decode it (src/readers/decode.ts: BOM, else <meta>,
 * else UTF-8; no HTTP headers are stored with these pages), and the CleanEval-format sets keep
 * their `<text id=... encoding=...>` wrapper line: the extractor sees the bytes the source has.
 *
 * Per set it prints precision / recall / F1 (± bootstrap std) exactly as the ScrapingHub
 * benchmark's evaluate.py computes them (stages/extract/shingle-eval.ts), for the default
 * options and for `includeComments: true`, beside trafilatura's figures on the same set and
 * metric; the number of empty outputs where the gold is not empty; then pages/s and MB/s of
 * extraction alone on one thread (CPU time, median of --rounds runs) and, as the yardstick, of
 * htmlparser2's Tokenizer doing nothing with its tokens on the same pages.
 *
 * Options: --set NAME (only this set; repeatable), --rounds N (default 5; 0 = no timing),
 *          --worst K (list the K pages with the lowest F1 per set and mode),
 *          --dump DIR (write DIR/<set>/<id>.txt and DIR/<set>/<id>.comments.txt),
 *          --data DIR (one set folder), --no-baselines (no tokenizer timing),
 *          --digits N (decimals of the quality figures, default 3).
 */
import { readFileSync, readdirSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { decodeBody } from '../src/readers/decode.js';
import { Tokenizer } from 'htmlparser2';
import { extractMainContent, type ExtractOptions } from '../stages/extract/extract.js';
import { shingleMatching, metricsOf, bootstrapStd, accuracy, tokenize, type TpFpFn } from '../stages/extract/shingle-eval.js';

export interface Page { id: string; url: string; html: string; bytes: number; truth: string }
export interface EvalSet { name: string; pages: Page[] }

/**
 * trafilatura's F1 on each set with this metric: 2.2.0 with its default settings (comments
 * included) and 1.11.0 with datatrove's settings (no comments), as measured for issue #12.
 */
export const TRAFILATURA_F1: Record<string, { v22: number; v111: number }> = {
  scrapinghub: { v22: 0.953, v111: 0.953 },
  'cleaneval-dev': { v22: 0.792, v111: 0.732 },
  cleanportaleval: { v22: 0.908, v111: 0.926 },
  'dragnet-train': { v22: 0.887, v111: 0.832 },
  readability: { v22: 0.926, v111: 0.914 },
};

const noop = (): void => {};
const NOOP_CALLBACKS = {
  onattribdata: noop, onattribentity: noop, onattribend: noop, onattribname: noop, oncdata: noop,
  onclosetag: noop, oncomment: noop, ondeclaration: noop, onend: noop, onopentagend: noop,
  onopentagname: noop, onprocessinginstruction: noop, onselfclosingtag: noop, ontext: noop,
  ontextentity: noop,
};

/** htmlparser2's Tokenizer with no-op callbacks: the least any HTML extractor pays, a yardstick. */
export function tokenizeOnly(html: string): void {
  const tok = new Tokenizer({ decodeEntities: true }, NOOP_CALLBACKS);
  tok.write(html);
  tok.end();
}

const MAX_PAGE_BYTES = 64 * 1024 * 1024;

/**
 * The page's bytes as text, the way the WARC reader decodes a body it has no HTTP header for.
 * A page the reader would reject (mostly U+FFFD) is still scored, decoded as UTF-8 with
 * replacements, so that a set's page count never silently shrinks.
 */
function decodePage(buf: Buffer): string {
  try {
    return decodeBody(buf, {}, MAX_PAGE_BYTES).html;
  } catch {
    return buf.toString('utf8');
  }
}

/** One set folder: html/<id>.html.gz and ground-truth.json (id -> {articleBody, url}). */
export function loadBenchmark(dir: string): Page[] {
  const truth = JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8')) as Record<string, { articleBody: string; url: string | null }>;
  const pages: Page[] = [];
  for (const name of readdirSync(join(dir, 'html')).sort()) {
    if (!name.endsWith('.html.gz')) continue;
    const id = name.slice(0, -'.html.gz'.length);
    const gt = truth[id];
    if (!gt) continue;
    const buf = gunzipSync(readFileSync(join(dir, 'html', name)));
    pages.push({ id, url: gt.url ?? '', html: decodePage(buf), bytes: buf.length, truth: gt.articleBody ?? '' });
  }
  return pages;
}

/** Every set present under the shared data (scrapinghub first, then extraction/dev/* by name). */
export function loadAllSets(only: string[] = []): EvalSet[] {
  const dirs: [string, string][] = [];
  const sh = sharedData('extraction', 'scrapinghub');
  if (sh) dirs.push(['scrapinghub', sh]);
  const dev = sharedData('extraction', 'dev');
  if (dev) {
    for (const name of readdirSync(dev).sort()) {
      const d = join(dev, name);
      if (existsSync(join(d, 'ground-truth.json'))) dirs.push([name, d]);
    }
  }
  return dirs.filter(([name]) => only.length === 0 || only.includes(name)).map(([name, d]) => ({ name, pages: loadBenchmark(d) }));
}

export interface QualityReport {
  precision: number; recall: number; f1: number; accuracy: number;
  std: { precision: number; recall: number; f1: number; accuracy: number };
  /** Pages whose output has no token although the gold has some. */
  emptyOutputs: number;
  perPage: { id: string; f1: number; precision: number; recall: number }[];
}

export function evaluateQuality(pages: Page[], predict: (p: Page) => string, bootstrap = 1000): QualityReport {
  const rows: TpFpFn[] = [];
  const accs: number[] = [];
  const perPage: QualityReport['perPage'] = [];
  let emptyOutputs = 0;
  for (const p of pages) {
    const pred = predict(p);
    const row = shingleMatching(p.truth, pred);
    rows.push(row);
    accs.push(accuracy(p.truth, pred));
    if (tokenize(pred).length === 0 && tokenize(p.truth).length > 0) emptyOutputs++;
    const m = metricsOf([row]);
    perPage.push({ id: p.id, f1: Number.isFinite(m.f1) ? m.f1 : 0, precision: m.precision, recall: m.recall });
  }
  const m = metricsOf(rows);
  const std = bootstrap > 0 ? bootstrapStd(rows, accs, bootstrap) : { precision: 0, recall: 0, f1: 0, accuracy: 0 };
  return { ...m, accuracy: accs.reduce((a, b) => a + b, 0) / accs.length, std, emptyOutputs, perPage };
}

/** The two option sets every set is scored with. */
export const MODES: { label: string; options: Partial<ExtractOptions> }[] = [
  { label: 'default', options: {} },
  { label: 'include_comments', options: { includeComments: true } },
];

function args(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === name && i + 1 < argv.length) out.push(argv[++i]);
  return out;
}
const arg = (argv: string[], name: string): string | undefined => args(argv, name).at(-1);

async function main(argv: string[]): Promise<number> {
  const data = arg(argv, '--data');
  const sets = data ? [{ name: basename(data), pages: loadBenchmark(data) }] : loadAllSets(args(argv, '--set'));
  if (sets.length === 0) {
    console.error('eval:extract: no set found under ../shared/data/extraction (set REFINERY_SHARED_DATA, or check --set)');
    return 2;
  }
  const dump = arg(argv, '--dump');
  const worst = Number(arg(argv, '--worst') ?? 0);
  const rounds = Number(arg(argv, '--rounds') ?? 5);
  const digits = Number(arg(argv, '--digits') ?? 3);
  const f = (x: number): string => x.toFixed(digits);

  console.log('quality (ScrapingHub evaluate.py metric; ± bootstrap std over pages):');
  console.log(`${'set'.padEnd(16)} ${'mode'.padEnd(17)} ${'pages'.padStart(5)}  ${'precision'.padEnd(13)}  ${'recall'.padEnd(13)}  ${'F1'.padEnd(13)}  empty  | trafilatura F1 2.2 / 1.11`);
  for (const set of sets) {
    const ref = TRAFILATURA_F1[set.name];
    for (const mode of MODES) {
      const dir = dump ? join(dump, set.name) : undefined;
      if (dir) mkdirSync(dir, { recursive: true });
      const q = evaluateQuality(set.pages, (p) => {
        const text = extractMainContent(p.html, p.url, mode.options).text;
        if (dir) writeFileSync(join(dir, `${p.id}${mode.label === 'default' ? '' : '.comments'}.txt`), text);
        return text;
      });
      const refText = ref ? `${f(ref.v22)} / ${f(ref.v111)}` : '-';
      console.log(`${set.name.padEnd(16)} ${mode.label.padEnd(17)} ${String(set.pages.length).padStart(5)}  ${f(q.precision)} ± ${f(q.std.precision)}  ${f(q.recall)} ± ${f(q.std.recall)}  ${f(q.f1)} ± ${f(q.std.f1)}  ${String(q.emptyOutputs).padStart(5)}  | ${refText}`);
      if (worst > 0) {
        for (const r of [...q.perPage].sort((a, b) => a.f1 - b.f1).slice(0, worst)) {
          console.log(`    ${r.id.slice(0, 24).padEnd(24)} F1=${f(r.f1)} P=${f(r.precision)} R=${f(r.recall)}`);
        }
      }
    }
  }
  if (rounds <= 0) return 0;

  // speed: extraction only, one thread, median of rounds; CPU time of this process (user+sys)
  // and wall time: on a shared machine the wall clock also counts other processes' turns
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (pages: Page[], run: (p: Page) => void): { cpu: number; wall: number } => {
    for (const p of pages) run(p); // warm-up (JIT)
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      for (const p of pages) run(p);
      const c = process.cpuUsage(c0);
      walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
      cpus.push((c.user + c.system) / 1e6);
    }
    return { cpu: median(cpus), wall: median(walls) };
  };
  console.log(`\nspeed on one core (CPU time user+sys, median of ${rounds} rounds; wall time in brackets):`);
  console.log(`${'set'.padEnd(16)} ${'pages'.padStart(5)} ${'MB'.padStart(6)}  ${'refinery pages/s'.padStart(16)} ${'MB/s'.padStart(6)}  ${'tokenizer pages/s'.padStart(17)} ${'MB/s'.padStart(6)}  extract/tokenizer time`);
  let allPages = 0, allBytes = 0, allCpu = 0, allTok = 0;
  for (const set of sets) {
    const { pages } = set;
    const bytes = pages.reduce((a, p) => a + p.bytes, 0);
    const ex = time(pages, (p) => { extractMainContent(p.html, p.url); });
    const tok = argv.includes('--no-baselines') ? undefined : time(pages, (p) => tokenizeOnly(p.html));
    allPages += pages.length; allBytes += bytes; allCpu += ex.cpu; allTok += tok?.cpu ?? 0;
    const ps = (sec: number): string => (pages.length / sec).toFixed(0);
    const mbs = (sec: number): string => (bytes / 1e6 / sec).toFixed(1);
    console.log(`${set.name.padEnd(16)} ${String(pages.length).padStart(5)} ${(bytes / 1e6).toFixed(1).padStart(6)}  ${`${ps(ex.cpu)} [${ps(ex.wall)}]`.padStart(16)} ${mbs(ex.cpu).padStart(6)}  ${tok ? `${ps(tok.cpu)} [${ps(tok.wall)}]`.padStart(17) : '-'.padStart(17)} ${tok ? mbs(tok.cpu).padStart(6) : '-'.padStart(6)}  ${tok ? (ex.cpu / tok.cpu).toFixed(2) + 'x' : '-'}`);
  }
  if (sets.length > 1) {
    console.log(`${'all'.padEnd(16)} ${String(allPages).padStart(5)} ${(allBytes / 1e6).toFixed(1).padStart(6)}  ${(allPages / allCpu).toFixed(0).padStart(16)} ${(allBytes / 1e6 / allCpu).toFixed(1).padStart(6)}  ${allTok ? (allPages / allTok).toFixed(0).padStart(17) : '-'.padStart(17)} ${allTok ? (allBytes / 1e6 / allTok).toFixed(1).padStart(6) : '-'.padStart(6)}  ${allTok ? (allCpu / allTok).toFixed(2) + 'x' : '-'}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}

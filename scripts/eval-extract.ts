/**
 * `npm run eval:extract`: quality and speed of the extractor on the ScrapingHub benchmark
 * (../shared/data/extraction/scrapinghub: 181 pages with ground truth).
 *
 * Prints precision / recall / F1 (± bootstrap std) exactly as the benchmark's evaluate.py
 * computes them (stages/extract/shingle-eval.ts), then pages/s and MB/s of extraction alone
 * on this one thread (the HTML is decoded into memory first; the median of --rounds runs).
 *
 * For scale, the same timing of two reference points on the same pages: htmlparser2's
 * Tokenizer doing nothing with its tokens (the issue's yardstick) and our tree builder alone.
 *
 * Options: --rounds N (default 5), --worst K (list the K pages with the lowest F1),
 *          --dump DIR (write <id>.txt of each extraction), --data DIR, --no-baselines.
 */
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { Tokenizer } from 'htmlparser2';
import { extractMainContent } from '../stages/extract/extract.js';
import { buildTree } from '../stages/extract/html-tree.js';
import { shingleMatching, metricsOf, bootstrapStd, accuracy, type TpFpFn } from '../stages/extract/shingle-eval.js';

interface Page { id: string; url: string; html: string; bytes: number; truth: string }

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

export function loadBenchmark(dir: string): Page[] {
  const truth = JSON.parse(readFileSync(join(dir, 'ground-truth.json'), 'utf8')) as Record<string, { articleBody: string; url: string }>;
  const pages: Page[] = [];
  for (const name of readdirSync(join(dir, 'html')).sort()) {
    if (!name.endsWith('.html.gz')) continue;
    const id = name.slice(0, -'.html.gz'.length);
    const buf = gunzipSync(readFileSync(join(dir, 'html', name)));
    const gt = truth[id];
    if (!gt) continue;
    pages.push({ id, url: gt.url, html: buf.toString('utf8'), bytes: buf.length, truth: gt.articleBody ?? '' });
  }
  return pages;
}

export interface QualityReport {
  precision: number; recall: number; f1: number; accuracy: number;
  std: { precision: number; recall: number; f1: number; accuracy: number };
  perPage: { id: string; f1: number; precision: number; recall: number }[];
}

export function evaluateQuality(pages: Page[], predict: (p: Page) => string): QualityReport {
  const rows: TpFpFn[] = [];
  const accs: number[] = [];
  const perPage: QualityReport['perPage'] = [];
  for (const p of pages) {
    const pred = predict(p);
    const row = shingleMatching(p.truth, pred);
    rows.push(row);
    accs.push(accuracy(p.truth, pred));
    const m = metricsOf([row]);
    perPage.push({ id: p.id, f1: Number.isFinite(m.f1) ? m.f1 : 0, precision: m.precision, recall: m.recall });
  }
  const m = metricsOf(rows);
  const std = bootstrapStd(rows, accs);
  return { ...m, accuracy: accs.reduce((a, b) => a + b, 0) / accs.length, std, perPage };
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const dir = arg(argv, '--data') ?? sharedData('extraction', 'scrapinghub');
  if (!dir) {
    console.error('eval:extract: ../shared/data/extraction/scrapinghub is absent (set REFINERY_SHARED_DATA)');
    return 2;
  }
  const pages = loadBenchmark(dir);
  const dump = arg(argv, '--dump');
  if (dump) mkdirSync(dump, { recursive: true });
  const q = evaluateQuality(pages, (p) => {
    const text = extractMainContent(p.html, p.url).text;
    if (dump) writeFileSync(join(dump, `${p.id}.txt`), text);
    return text;
  });
  const f = (x: number): string => x.toFixed(3);
  console.log(`refinery-extract     precision=${f(q.precision)} ± ${f(q.std.precision)}  recall=${f(q.recall)} ± ${f(q.std.recall)}  F1=${f(q.f1)} ± ${f(q.std.f1)} accuracy=${f(q.accuracy)} ± ${f(q.std.accuracy)}`);

  const worst = Number(arg(argv, '--worst') ?? 0);
  if (worst > 0) {
    for (const r of [...q.perPage].sort((a, b) => a.f1 - b.f1).slice(0, worst)) {
      console.log(`  ${r.id.slice(0, 12)} F1=${f(r.f1)} P=${f(r.precision)} R=${f(r.recall)}`);
    }
  }

  // speed: extraction only, one thread, median of rounds
  const rounds = Number(arg(argv, '--rounds') ?? 5);
  const bytes = pages.reduce((a, p) => a + p.bytes, 0);
  for (const p of pages) extractMainContent(p.html, p.url); // warm-up (JIT)
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (label: string, run: (p: Page) => void): void => {
    for (const p of pages) run(p); // warm-up (JIT)
    // CPU time of this process (user+sys) as well as wall time: on a shared machine the wall
    // clock also counts other processes' turns on the core
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
    const rate = (sec: number): string => `${(pages.length / sec).toFixed(0)} pages/s, ${(bytes / 1e6 / sec).toFixed(1)} MB/s`;
    console.log(`${label.padEnd(34)} cpu ${median(cpus).toFixed(3)} s: ${rate(median(cpus))} | wall ${median(walls).toFixed(3)} s: ${rate(median(walls))}`);
  };
  console.log(`speed on one core, ${pages.length} pages, ${(bytes / 1e6).toFixed(1)} MB, median of ${rounds} rounds:`);
  time('refinery extractMainContent', (p) => { extractMainContent(p.html, p.url); });
  if (!argv.includes('--no-baselines')) {
    time('  (tree builder alone)', (p) => { buildTree(p.html, { maxNodes: 400_000 }); });
    time('htmlparser2 Tokenizer, no-op', (p) => tokenizeOnly(p.html));
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}

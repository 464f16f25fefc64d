/**
 * The score distribution of fastText lid.176 on real text per language, to choose
 * `language.per_language.<code>.min_score` (docs/languages.md): for each language, the share
 * of the lingua sentences (../shared/data/langid/lingua/sentences/<code>.txt, 1,000 each) that
 * lid.176 labels as that language, and the quantiles of the top score among those; with
 * `--run <dir>`, the same over the documents of a run's streaming pass (label and score
 * columns), e.g. a run with `language: { languages: [], min_score: 0 }` on the bench WARC.
 *
 *   node dist/scripts/langid-scores.js [--run /tmp/run] [en de fr ...]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { bundledLidModelPath, loadFastText } from '../stages/language/fasttext.js';
import { readParquetRows } from '../src/formats/parquet.js';

const EUROPE = ['en', 'de', 'es', 'fr', 'it', 'pt', 'pl', 'nl', 'ro', 'cs', 'sv'];

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function row(label: string, n: number, scores: number[]): string {
  const s = [...scores].sort((a, b) => a - b);
  const at = (t: number) => (s.filter((x) => x >= t).length / Math.max(n, 1)).toFixed(3);
  const q = [0.05, 0.1, 0.25, 0.5].map((p) => quantile(s, p).toFixed(3)).join(' ');
  return `${label.padEnd(4)} n=${String(n).padStart(4)} labelled=${(scores.length / Math.max(n, 1)).toFixed(3)} q05/q10/q25/q50=${q}  kept@0.5=${at(0.5)} @0.65=${at(0.65)} @0.8=${at(0.8)}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let run: string | undefined;
  const i = args.indexOf('--run');
  if (i >= 0) [run] = args.splice(i, 2).slice(1);
  const langs = args.length > 0 ? args : EUROPE;
  const model = loadFastText(bundledLidModelPath());
  const codes = model.info.labels.map((l) => l.replace('__label__', ''));
  const dir = sharedData('langid/lingua/sentences');
  if (dir) {
    console.log(`lingua sentences (${dir}): share labelled as the language, and its top-score quantiles`);
    for (const lang of langs) {
      if (!readdirSync(dir).includes(`${lang}.txt`)) continue;
      const lines = readFileSync(join(dir, `${lang}.txt`), 'utf8').split('\n').filter((l) => l.trim());
      const p = model.predict(lines, 1);
      const scores: number[] = [];
      for (let j = 0; j < lines.length; j++) if (codes[p.labels[j]!] === lang) scores.push(p.scores[j]!);
      console.log(row(lang, lines.length, scores));
    }
  }
  if (run) {
    const byLang = new Map<string, number[]>();
    const files = readdirSync(join(run, 'filter/data')).filter((f) => f.endsWith('.parquet')).sort();
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(run, 'filter/data', f)));
      for await (const r of readParquetRows(bytes, { columns: ['language', 'language_score'] })) {
        const l = String(r.language);
        if (!byLang.has(l)) byLang.set(l, []);
        byLang.get(l)!.push(Number(r.language_score));
      }
    }
    console.log(`documents of ${run} by predicted label (top score quantiles)`);
    for (const [l, s] of [...byLang].sort((a, b) => b[1].length - a[1].length)) console.log(row(l, s.length, s));
  }
}

await main();

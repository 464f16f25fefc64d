/**
 * Builds a small, self-consistent run directory for report tests: documents go through
 * simulated stages that drop some of them by reason; the same walk produces the stats
 * (TaskStats -> mergeStats), the Parquet shards (data/excluded), the sample files, the done
 * markers and run.json, so every number in the report can be checked against stats.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newDoc, type Doc } from '../../src/doc.js';
import type { Drop } from '../../src/stage.js';
import { FRACTION_EDGES, LOG_EDGES, addToHistogram, emptyReaderStats, emptyStageStats, mergeStats, newHistogram, type StageStats, type TaskStats } from '../../src/stats.js';
import { encodeParquet } from '../../src/formats/parquet.js';
import { docToRow, type ExcludedRow } from '../../src/formats/schema.js';
import { localStorage } from '../../src/storage/local.js';
import { newSampler, writeSamples, type TaskSampler } from '../../src/report/samples.js';
import { seededRandom } from '../../src/random.js';

export interface SyntheticOptions {
  /** Documents read per task of the streaming pass. */
  docsPerTask: number;
  tasks: number;
  /** Write `<pass>/samples/<rank>.json` (else the report falls back to shards). */
  samples: boolean;
  /** Ranks of the filter pass that fail: no stats, no done marker (data left behind). */
  failedRanks: number[];
  /** Add the MinHash passes after the streaming pass. */
  dedup: boolean;
  /** Only the first N streaming stages (1 = a one-stage run). */
  stages: number;
  writeStatsJson: boolean;
  writeRunJson: boolean;
}

const DEFAULTS: SyntheticOptions = { docsPerTask: 400, tasks: 3, samples: true, failedRanks: [], dedup: true, stages: 6, writeStatsJson: true, writeRunJson: true };

const HOSTS = ['example.com', 'news.example.org', 'blog.test.net', 'shop.example.de', 'wiki.sample.fr', 'forum.demo.co.uk', 'casino-win.biz', 'recipes.example.com', 'docs.example.io'];
const LANGS = ['en', 'en', 'en', 'en', 'de', 'fr', 'es', 'ru'];
const WORDS = 'the of and to in is that with for on as was by be at this have from or an are it which one had not but what all were when there can been has more if will would who so'.split(' ');

type StageFn = (doc: Doc, r: () => number, obs: (k: string, v: number) => void) => Drop | undefined;

interface SimStage {
  name: string;
  fn: StageFn;
}

/** The simulated streaming stages (names and options mirror the spec's, values are random). */
const STAGES: SimStage[] = [
  {
    name: 'url_filter',
    fn: (d, r) => (d.url.includes('casino') ? { reason: 'blocklist_domain' } : r() < 0.02 ? { reason: 'url_words_hard' } : undefined),
  },
  {
    name: 'extract',
    fn: (d, r) => {
      const html = d.html ?? '';
      if (r() < 0.03) return { reason: 'empty_text' };
      // Like an extractor: boilerplate (script, nav, footer) goes, the main text stays.
      d.text = html.replace(/<(script|nav|footer)>.*?<\/\1>/gs, '').replace(/<[^>]+>/g, '').trim();
      delete d.html;
      return undefined;
    },
  },
  {
    name: 'language',
    fn: (d, r, obs) => {
      d.language = LANGS[Math.floor(r() * LANGS.length)]!;
      d.languageScore = 0.3 + 0.7 * r();
      obs('language_score', d.languageScore);
      if (d.language !== 'en') return { reason: 'not_wanted_language', detail: d.language };
      if (d.languageScore < 0.65) return { reason: 'low_language_score', value: d.languageScore, detail: `${d.languageScore.toFixed(4)}<0.65` };
      return undefined;
    },
  },
  {
    name: 'gopher_repetition',
    fn: (d, r, obs) => {
      const v = r() ** 2;
      obs('dup_line_frac', v);
      return v > 0.3 ? { reason: 'dup_line_frac', value: v, detail: `${v.toFixed(4)}>0.3` } : undefined;
    },
  },
  {
    name: 'gopher_quality',
    fn: (d, _r, obs) => {
      const words = d.text.split(/\s+/).filter(Boolean).length;
      obs('words', words);
      return words < 50 ? { reason: 'words', value: words, detail: `${words}<50` } : undefined;
    },
  },
  {
    name: 'line_corrections',
    fn: (d, r) => {
      if (r() < 0.05) return { reason: 'too_many_lines_removed', value: 0.07, detail: '0.07>0.05' };
      d.text = d.text.split('\n').slice(0, -1).join('\n') || d.text;
      return undefined;
    },
  },
];

function makeDoc(rank: number, i: number, r: () => number): Doc {
  const host = HOSTS[Math.floor(r() * HOSTS.length)]!;
  const n = 10 + Math.floor(r() * 400);
  const lines: string[] = [];
  let line: string[] = [];
  for (let k = 0; k < n; k++) {
    line.push(WORDS[Math.floor(r() * WORDS.length)]!);
    if (line.length > 8 && r() < 0.2) {
      lines.push(line.join(' '));
      line = [];
    }
  }
  lines.push(line.join(' '));
  const html = `<html><head><title>t</title><script>var x = 1;</script></head><body><nav>menu | home | about | contact</nav><div>${lines.map((l) => `<p>${l}</p>`).join('\n')}</div><footer>${'<a href="/x">footer link</a> '.repeat(150)}© all rights reserved</footer></body></html>`;
  return newDoc({ id: `<urn:uuid:${rank}-${i}>`, url: `https://${r() < 0.5 ? 'www.' : ''}${host}/page/${rank}/${i}`, html, timestamp: '2023-02-01T00:00:00Z', dump: 'CC-MAIN-2023-06' });
}

function excludedRow(d: Doc, stage: string, drop: Drop): ExcludedRow {
  return { ...docToRow(d), content: d.text || d.html || '', stage, reason: drop.reason, value: drop.value ?? null, detail: drop.detail ?? null };
}

async function writeJson(path: string, x: unknown): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, JSON.stringify(x, null, 1));
}

/** Build the run under `dir`; returns the TaskStats written (failed ranks excluded). */
export async function buildSyntheticRun(dir: string, options: Partial<SyntheticOptions> = {}): Promise<{ tasks: TaskStats[] }> {
  const o = { ...DEFAULTS, ...options };
  const stages = STAGES.slice(0, o.stages);
  const storage = localStorage(dir);
  const tasks: TaskStats[] = [];
  const keptAll: Doc[] = [];
  for (let rank = 0; rank < o.tasks; rank++) {
    const r = seededRandom(1000 + rank);
    const reader = emptyReaderStats();
    reader.files = 1;
    reader.bytes = 1_000_000 + rank * 12345;
    reader.ms = 100 + rank * 20;
    const stageStats: { name: string; stats: StageStats }[] = stages.map((s) => ({ name: s.name, stats: emptyStageStats() }));
    const sampler: TaskSampler = newSampler('filter', rank, { perKey: 10 });
    const kept: Doc[] = [];
    const excluded: ExcludedRow[] = [];
    for (let i = 0; i < o.docsPerTask; i++) {
      reader.records += 3;
      if (r() < 0.05) {
        reader.skipped.corrupt = (reader.skipped.corrupt ?? 0) + 1;
        if (reader.problems.length < 3) reader.problems.push({ code: 'ERR_WARC_FORMAT', file: `input/${rank}.warc.gz`, record: i, offset: i * 4096, message: 'bad WARC header line' });
        continue;
      }
      reader.skipped.not_response = (reader.skipped.not_response ?? 0) + 2;
      reader.docs++;
      const doc = makeDoc(rank, i, r);
      let dropped = false;
      for (let s = 0; s < stages.length; s++) {
        const st = stageStats[s]!.stats;
        const before = (doc.text || doc.html || '').length;
        st.docsIn++;
        st.charsIn += before;
        const obs = (k: string, v: number) => {
          const h = (st.histograms[k] ??= newHistogram(k.endsWith('frac') || k.endsWith('score') ? FRACTION_EDGES : LOG_EDGES));
          addToHistogram(h, v);
        };
        const drop = stages[s]!.fn(doc, r, obs);
        st.ms += 1 + Math.floor(r() * 3) * (s + 1);
        if (drop) {
          const d = (st.dropped[drop.reason] ??= { docs: 0, chars: 0 });
          d.docs++;
          d.chars += before;
          excluded.push(excludedRow(doc, stages[s]!.name, drop));
          sampler.removed(stages[s]!.name, doc, drop);
          dropped = true;
          break;
        }
        st.docsOut++;
        st.charsOut += (doc.text || doc.html || '').length;
      }
      if (!dropped) {
        doc.tokenCount = Math.round(doc.text.length / 4.2);
        kept.push(doc);
        sampler.kept(doc);
      }
    }
    const t: TaskStats = {
      pass: 'filter',
      rank,
      input: `input/CC-MAIN-2023-06-${String(rank).padStart(5, '0')}.warc.gz`,
      reader,
      stages: stageStats,
      docsWritten: kept.length,
      tokensWritten: kept.reduce((a, d) => a + (d.tokenCount ?? 0), 0),
      retries: rank === 1 ? { s3_503: 2 } : {},
      ms: 500 + rank * 250,
    };
    // Shards are written even by a failed task (a crash after writing): the report must not count them.
    // (encodeParquet cannot write zero rows, so an empty shard is left out.)
    if (kept.length) await storage.writeAll(`filter/data/${rank}.parquet`, encodeParquet(kept.map(docToRow), false, { rowGroupRows: 100, zstdLevel: 1 }));
    if (excluded.length) await storage.writeAll(`filter/excluded/${rank}.parquet`, encodeParquet(excluded, true, { rowGroupRows: 100, zstdLevel: 1 }));
    if (o.failedRanks.includes(rank)) continue;
    if (o.samples) await writeSamples(storage, sampler);
    await writeJson(join(dir, 'filter/stats', `${rank}.json`), t);
    await storage.writeAll(`filter/done/${rank}`, '');
    tasks.push(t);
    keptAll.push(...kept);
  }
  if (o.dedup) {
    // minhash_signatures: no stages, no documents; minhash_filter: one stage removing duplicates.
    tasks.push({ pass: 'minhash_signatures', rank: 0, stages: [], docsWritten: 0, tokensWritten: 0, retries: {}, ms: 300 });
    await writeJson(join(dir, 'minhash_signatures/stats/0.json'), tasks.at(-1));
    await storage.writeAll('minhash_signatures/done/0', '');
    const st = emptyStageStats();
    const clusters = newHistogram(LOG_EDGES);
    const kept: Doc[] = [];
    const excluded: ExcludedRow[] = [];
    const sampler = newSampler('minhash_filter', 0, { perKey: 10 });
    const r = seededRandom(77);
    for (let i = 0; i < keptAll.length; i++) {
      const d = keptAll[i]!;
      st.docsIn++;
      st.charsIn += d.text.length;
      if (r() < 0.25) {
        const drop = { reason: 'minhash_duplicate', detail: `cluster of ${keptAll[Math.max(0, i - 1)]!.id}` };
        (st.dropped[drop.reason] ??= { docs: 0, chars: 0 }).docs++;
        st.dropped[drop.reason]!.chars += d.text.length;
        excluded.push(excludedRow(d, 'minhash', drop));
        sampler.removed('minhash', d, drop);
      } else {
        st.docsOut++;
        st.charsOut += d.text.length;
        kept.push(d);
        sampler.kept(d);
      }
    }
    for (let c = 0; c < 60; c++) addToHistogram(clusters, 2 + Math.floor(r() ** 3 * 40));
    st.histograms.cluster_size = clusters;
    st.ms = 120;
    const t: TaskStats = { pass: 'minhash_filter', rank: 0, stages: [{ name: 'minhash', stats: st }], docsWritten: kept.length, tokensWritten: kept.reduce((a, d) => a + (d.tokenCount ?? 0), 0), retries: {}, ms: 400 };
    tasks.push(t);
    if (kept.length) await storage.writeAll('minhash_filter/data/0.parquet', encodeParquet(kept.map(docToRow), false, { rowGroupRows: 100, zstdLevel: 1 }));
    if (excluded.length) await storage.writeAll('minhash_filter/excluded/0.parquet', encodeParquet(excluded, true, { rowGroupRows: 100, zstdLevel: 1 }));
    if (o.samples) await writeSamples(storage, sampler);
    await writeJson(join(dir, 'minhash_filter/stats/0.json'), t);
    await storage.writeAll('minhash_filter/done/0', '');
  }
  if (o.writeStatsJson) await writeJson(join(dir, 'stats.json'), mergeStats(tasks));
  if (o.writeRunJson) {
    await writeJson(join(dir, 'run.json'), {
      config: {
        stages: [
          { name: 'url_filter', options: {} },
          { name: 'extract', options: {} },
          { name: 'language', options: { languages: ['en'], min_language_score: 0.65 } },
          { name: 'gopher_repetition', options: { max_dup_line_frac: 0.3, max_dup_para_frac: 0.3 } },
          { name: 'gopher_quality', options: { min_words: 50, max_words: 100000 } },
          { name: 'line_corrections', options: {} },
        ].slice(0, o.stages),
        passes: o.dedup ? [{ minhash: { bands: 450, rows: 20 } }] : [],
      },
      inputs: Array.from({ length: o.tasks }, (_, i) => `input/CC-MAIN-2023-06-${String(i).padStart(5, '0')}.warc.gz`),
      output: dir,
      createdAt: '2026-11-24T20:00:00.000Z',
      plan: [{ pass: 'filter', tasks: o.tasks }],
    });
  }
  return { tasks };
}

/**
 * Report bench: (1) the per-task sampler's cost per document (what the pipeline pays), and
 * (2) the time to build the report of a run with many tasks (stats + sample files), with the
 * default bound on sample files read and without it.
 *   node dist/bench/report.js [tasks=2000]
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDoc, type Doc } from '../src/doc.js';
import { FRACTION_EDGES, LOG_EDGES, addToHistogram, emptyReaderStats, emptyStageStats, mergeStats, newHistogram, type TaskStats } from '../src/stats.js';
import { newSampler } from '../src/report/samples.js';
import { buildReport } from '../src/report/index.js';

const tasks = Number(process.argv[2] ?? 2000);
const REASONS = ['blocklist', 'url_words', 'empty_text', 'not_wanted_language', 'low_score', 'dup_line_frac', 'dup_para_frac', 'top_2gram', 'words', 'mean_word_length', 'stop_words', 'lines_removed'];
const text = 'the quick brown fox jumps over the lazy dog and keeps running through the field '.repeat(40);

function docs(n: number): Doc[] {
  return Array.from({ length: n }, (_, i) => newDoc({ id: `<urn:uuid:${i}>`, url: `https://www.host${i % 5000}.example${i % 7 ? '.com' : '.de'}/a/${i}`, text, language: i % 3 ? 'en' : 'de', languageScore: (i % 100) / 100, tokenCount: 700 }));
}

// (1) Sampler cost per document.
const ds = docs(200_000);
const runs: number[] = [];
for (let r = 0; r < 5; r++) {
  const s = newSampler('filter', r);
  const t0 = performance.now();
  for (let i = 0; i < ds.length; i++) {
    if (i % 3 === 0) s.kept(ds[i]!);
    else s.removed('stage', ds[i]!, { reason: REASONS[i % REASONS.length]!, value: i / ds.length, detail: 'x>y' });
  }
  JSON.stringify(s.toJSON());
  runs.push(((performance.now() - t0) * 1e6) / ds.length);
}
runs.sort((a, b) => a - b);
console.log(`sampler: median ${runs[2]!.toFixed(0)} ns/doc over ${ds.length} docs (5 runs: ${runs.map((x) => x.toFixed(0)).join(', ')})`);

// (2) A run of `tasks` tasks: one realistic sample file and stats file per task.
const dir = await mkdtemp(join(tmpdir(), 'refinery-report-bench-'));
try {
  const s = newSampler('filter', 0);
  for (let i = 0; i < 30_000; i++) {
    const d = ds[i]!;
    if (i % 3 === 0) s.kept(d);
    else s.removed(`stage${i % 6}`, d, { reason: REASONS[i % REASONS.length]!, value: 0.5, detail: '0.5>0.3' });
  }
  const sample = s.toJSON();
  const stageStats = Array.from({ length: 6 }, (_, k) => {
    const st = emptyStageStats();
    st.docsIn = 40_000 - k * 5000;
    st.docsOut = st.docsIn - 5000;
    st.charsIn = st.docsIn * 3000;
    st.charsOut = st.docsOut * 3000;
    st.dropped = { [REASONS[k]!]: { docs: 5000, chars: 15_000_000 } };
    st.histograms = { [`m${k}_frac`]: newHistogram(FRACTION_EDGES), words: newHistogram(LOG_EDGES) };
    for (let i = 0; i < 1000; i++) addToHistogram(st.histograms[`m${k}_frac`]!, i / 1000);
    st.ms = 1000 * (k + 1);
    return { name: `stage${k}`, stats: st };
  });
  const all: TaskStats[] = [];
  await mkdir(join(dir, 'filter/samples'), { recursive: true });
  await mkdir(join(dir, 'filter/stats'), { recursive: true });
  await mkdir(join(dir, 'filter/done'), { recursive: true });
  const sampleJson = JSON.stringify(sample);
  for (let r = 0; r < tasks; r++) {
    const t: TaskStats = { pass: 'filter', rank: r, input: `in/${r}.warc.gz`, reader: { ...emptyReaderStats(), files: 1, records: 120_000, docs: 40_000, bytes: 1e9 }, stages: stageStats, docsWritten: 10_000, tokensWritten: 7e6, retries: {}, ms: 60_000 + r };
    all.push(t);
    await writeFile(join(dir, `filter/samples/${r}.json`), sampleJson.replace('"rank":0', `"rank":${r}`));
    await writeFile(join(dir, `filter/stats/${r}.json`), JSON.stringify(t));
    await writeFile(join(dir, `filter/done/${r}`), '');
  }
  await writeFile(join(dir, 'stats.json'), JSON.stringify(mergeStats(all)));
  console.log(`run: ${tasks} tasks, sample file ${(sampleJson.length / 1024).toFixed(0)} KiB each`);
  for (const [label, opts] of [['default (64 sample files)', {}], ['every sample file', { maxSampleFiles: Infinity }]] as const) {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await buildReport(dir, opts);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`report, ${label}: median ${times[1]!.toFixed(0)} ms (3 runs)`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

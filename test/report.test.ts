import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSyntheticRun } from './helpers/synthetic-run.js';
import { buildReport } from '../src/report/index.js';
import { loadRun } from '../src/report/load.js';
import { configSections, thresholdsFor, thresholdsFromDrops, RW_FUNNEL } from '../src/report/model.js';
import { fmtInt } from '../src/report/svg.js';
import { localStorage } from '../src/storage/local.js';
import type { Storage } from '../src/storage/storage.js';
import type { RunStats } from '../src/stats.js';
import { encodeParquet } from '../src/formats/parquet.js';
import { docToRow, type ExcludedRow } from '../src/formats/schema.js';
import { newDoc } from '../src/doc.js';
import { reportCommand } from '../src/cli/report.js';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'refinery-report-'));
}

/** The funnel rows of the HTML report, from their data attributes. */
function funnelRows(html: string): { pass: string; stage: string; docsIn: number; docsOut: number; charsIn: number; charsOut: number }[] {
  const re = /<tr data-pass="([^"]*)" data-stage="([^"]*)" data-docs-in="(\d+)" data-docs-out="(\d+)" data-chars-in="(\d+)" data-chars-out="(\d+)">(.*?)<\/tr>/g;
  return [...html.matchAll(re)].map((m) => ({ pass: m[1]!, stage: m[2]!, docsIn: Number(m[3]), docsOut: Number(m[4]), charsIn: Number(m[5]), charsOut: Number(m[6]) }));
}

function expectedRows(stats: RunStats) {
  return stats.passes.flatMap((p) => p.stages.map((s) => ({ pass: p.pass, stage: s.name, docsIn: s.stats.docsIn, docsOut: s.stats.docsOut, charsIn: s.stats.charsIn, charsOut: s.stats.charsOut })));
}

test('report: funnel numbers in the HTML and Markdown equal stats.json; thresholds, clusters, samples are drawn', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir);
    const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8')) as RunStats;
    const { html, markdown, model } = await buildReport(dir);
    const rows = funnelRows(html);
    assert.deepEqual(rows, expectedRows(stats));
    assert.equal(rows.length, 7, 'six streaming stages and the minhash stage');
    // Visible cells carry the same numbers.
    for (const r of rows) {
      const tr = html.match(new RegExp(`<tr data-pass="${r.pass}" data-stage="${r.stage}"[^>]*>(.*?)</tr>`))![1]!;
      assert.ok(tr.includes(`>${fmtInt(r.docsIn)}<`) && tr.includes(`>${fmtInt(r.docsOut)}<`), `${r.stage} cells`);
      assert.ok(markdown.includes(`| ${r.pass} | ${r.stage} | ${fmtInt(r.docsIn)} | ${fmtInt(r.docsOut)} |`), `${r.stage} in markdown`);
    }
    // Tokens per pass, relative to the first pass that wrote tokens.
    const [f, mh] = [stats.passes[0]!, stats.passes[2]!];
    assert.ok(html.includes(`<td>minhash_filter</td><td class="n">${fmtInt(mh.docsWritten)}</td><td class="n">${fmtInt(mh.tokensWritten)}</td><td class="n">${((mh.tokensWritten / f.tokensWritten) * 100).toFixed(1)}%</td>`));
    // RefinedWeb's funnel beside ours.
    assert.ok(html.includes('data-chart="funnel-rw"'));
    for (const r of RW_FUNNEL) assert.ok(html.includes(`${r.stage}: ${r.keptPct}% kept`), r.stage);
    // Thresholds from run.json matched by name.
    assert.ok(html.includes('max_dup_line_frac = 0.3'));
    assert.ok(html.includes('min_language_score = 0.65'));
    assert.ok(html.includes('min_words = 50'));
    // Dedup clusters, time, reader problems.
    assert.ok(html.includes('data-chart="cluster-size"'));
    assert.ok(html.includes('data-chart="stage-time"'));
    assert.match(html, /<table id="reader-problems">.*ERR_WARC_FORMAT.*input\/0\.warc\.gz/s);
    assert.match(html, /<table id="slowest-tasks">.*CC-MAIN-2023-06-00002\.warc\.gz/s);
    // Samples of every reason the stats name, with the removing value.
    for (const p of stats.passes) {
      for (const s of p.stages) {
        for (const reason of Object.keys(s.stats.dropped)) assert.ok(html.includes(`data-stage="${s.name}" data-reason="${reason}"`), `samples for ${s.name}/${reason}`);
      }
    }
    assert.match(html, /<span class="value">0\.\d+&gt;0\.3 \(value 0\.\d+\)<\/span>/);
    // Every language and host count comes from the sample files (exact over all docs).
    assert.equal(model.passes.find((p) => p.name === 'filter')!.sampleSource, 'samples');
    const keptDocs = stats.passes.at(-1)!.docsWritten;
    assert.equal(model.languages.kept.reduce((a, [, n]) => a + n, 0), keptDocs);
    assert.equal(model.lengths.chars!.hist.n, keptDocs);
    assert.ok(model.domains.removedHosts.some(([h]) => h === 'casino-win.biz'));
    // Extraction rewrote HTML to text: chars are based on its output.
    assert.deepEqual(model.funnel.charsBase && [model.funnel.charsBase.pass, model.funnel.charsBase.stage], ['filter', 'extract']);
    assert.equal(model.notes.length, 0, model.notes.join('; '));
    // Offline: nothing external is loaded.
    assert.doesNotMatch(html, /<script|<link |src="http|url\(http/);
    // Deterministic.
    assert.equal((await buildReport(dir)).html, html);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: without sample files, samples and profiles come from a bounded prefix of the shards', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir, { samples: false });
    const { html, model, run } = await buildReport(dir, { maxScanRows: 200 });
    const filter = run.passes.find((p) => p.name === 'filter')!;
    assert.equal(filter.sampleSource, 'shards');
    assert.ok(filter.scanned!.excludedRows <= 200);
    assert.ok(filter.removed.some((g) => g.docs.length > 0 && g.docs[0]!.excerpt.length > 0));
    assert.ok(model.domains.keptHosts.length > 0 && model.domains.removedHosts.length > 0);
    assert.match(html, /the first 200 of [\d,]+ excluded rows/);
    // Counts next to the samples are the stats.json totals.
    assert.match(html, /data-reason="not_wanted_language"><summary>language · not_wanted_language <span class="src">\(5 shown of [\d,]+ removed\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A Storage that counts the bytes read through it. */
function counting(inner: Storage): Storage & { bytes: number } {
  const s = {
    ...inner,
    bytes: 0,
    async *read(path: string, range?: { start?: number; end?: number }) {
      for await (const c of inner.read(path, range)) {
        s.bytes += c.length;
        yield c;
      }
    },
    async readAll(path: string) {
      const b = await inner.readAll(path);
      s.bytes += b.length;
      return b;
    },
  };
  return s;
}

test('report: reads only a prefix of a large excluded shard (ranged reads, not the whole file)', async () => {
  const dir = await tmp();
  try {
    const rows: ExcludedRow[] = [];
    let x = 7;
    const word = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x.toString(36);
    };
    for (let i = 0; i < 6000; i++) {
      const text = Array.from({ length: 60 }, word).join(' ');
      rows.push({ ...docToRow(newDoc({ id: `d${i}`, url: `https://h${i % 50}.example/${i}`, text })), stage: 's', reason: i % 2 ? 'a' : 'b', value: i / 6000, detail: null });
    }
    const bytes = encodeParquet(rows, true, { rowGroupRows: 500, zstdLevel: 1 });
    await mkdir(join(dir, 'p/excluded'), { recursive: true });
    await writeFile(join(dir, 'p/excluded/0.parquet'), bytes);
    const storage = counting(localStorage(dir));
    const run = await loadRun(storage, { perKey: 3, maxScanRows: 1000 });
    const p = run.passes[0]!;
    assert.equal(p.sampleSource, 'shards');
    assert.deepEqual(p.removed.map((g) => [g.reason, g.docs.length]).sort(), [['a', 3], ['b', 3]]);
    assert.deepEqual(p.removed.map((g) => g.seen), [500, 500], 'every scanned row counted once');
    assert.equal(p.scanned!.excludedRows, 1000);
    assert.ok(storage.bytes < bytes.length / 2, `read ${storage.bytes} of ${bytes.length} bytes`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** An in-memory Storage (stands in for S3: the report must use only the Storage interface). */
function memoryStorage(root: string, files: Map<string, Buffer>): Storage {
  return {
    root,
    async list(prefix) {
      return [...files.keys()].filter((k) => k.startsWith(prefix)).sort().map((path) => ({ path, size: files.get(path)!.length }));
    },
    async exists(path) {
      return files.has(path);
    },
    async *read(path, range) {
      const b = files.get(path)!;
      yield b.subarray(range?.start ?? 0, range?.end ?? b.length);
    },
    async readAll(path) {
      const b = files.get(path);
      if (!b) throw new Error(`${path}: not found`);
      return b;
    },
    async create() {
      throw new Error('read only');
    },
    async writeAll() {
      throw new Error('read only');
    },
    async delete() {
      throw new Error('read only');
    },
  };
}

test('report: any Storage works (an s3:// URL goes through the given openStorage)', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir, { tasks: 2, docsPerTask: 60 });
    const files = new Map<string, Buffer>();
    for (const o of await localStorage(dir).list('')) files.set(o.path, await readFile(join(dir, o.path)));
    const opened: string[] = [];
    const remote = await buildReport('s3://bucket/run1', { openStorage: (url) => (opened.push(url), memoryStorage(url, files)) });
    const local = await buildReport(dir);
    assert.deepEqual(opened, ['s3://bucket/run1']);
    assert.equal(remote.html, local.html.split(dir).join('s3://bucket/run1'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: a stats.json with missing or odd fields still renders what it has', async () => {
  const dir = await tmp();
  try {
    const stats = {
      passes: [
        { pass: 'filter', stages: [{ name: 'a', stats: { docsIn: 10, docsOut: 7, dropped: { r: { docs: 3 } }, histograms: { bad: { edges: [1], counts: [1] }, ok: { edges: [0.5], counts: [2, 1], sum: 1.2, n: 3 } } } }, { name: 'b' }] },
        { tasks: 'x', stages: 'no' },
      ],
    };
    await writeFile(join(dir, 'stats.json'), JSON.stringify(stats));
    const { html, model } = await buildReport(dir);
    assert.deepEqual(funnelRows(html).map((r) => [r.stage, r.docsIn, r.docsOut]), [['a', 10, 7], ['b', 0, 0]]);
    assert.deepEqual(model.distributions.map((d) => d.name), ['ok'], 'a histogram with counts.length != edges.length + 1 is left out');
    assert.equal(model.reasons[0]!.reasons[0]!.docs, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: text, URLs, stage and reason names from the run are escaped (no markup gets through)', async () => {
  const dir = await tmp();
  try {
    const { newSampler, writeSamples } = await import('../src/report/samples.js');
    const storage = localStorage(dir);
    const s = newSampler('filter', 0);
    const evil = '</pre><script>alert(1)</script><img src=x onerror=alert(2)>';
    s.removed('st<b>', newDoc({ id: '"x"', url: 'https://e.com/"><script>alert(3)</script>', text: evil }), { reason: 'r"><svg onload=alert(4)>', value: 1, detail: '<i>1>0</i>' });
    s.kept(newDoc({ id: 'k', url: 'https://k.com/', text: evil, language: '<en>' }));
    await writeSamples(storage, s);
    await storage.writeAll('filter/done/00000', '');
    const { html } = await buildReport(dir);
    assert.doesNotMatch(html, /<script|<img|<svg onload|<i>|<b>st/i);
    assert.ok(html.includes('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: an empty run directory renders and says what is missing', async () => {
  const dir = await tmp();
  try {
    const { html, markdown, model } = await buildReport(dir);
    assert.ok(html.startsWith('<!doctype html>') && html.trimEnd().endsWith('</html>'));
    assert.ok(model.notes.some((n) => n.includes('No statistics')));
    assert.ok(model.notes.some((n) => n.includes('run.json is missing')));
    assert.ok(html.includes('No stage statistics: the funnel cannot be drawn'));
    assert.ok(markdown.includes('No stage statistics.'));
    assert.equal(funnelRows(html).length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: a one-stage run renders its single funnel step', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir, { stages: 1, dedup: false, tasks: 1, docsPerTask: 50 });
    const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8')) as RunStats;
    const { html, model } = await buildReport(dir);
    assert.deepEqual(funnelRows(html), expectedRows(stats));
    assert.equal(model.funnel.rows.length, 1);
    assert.ok(html.includes('No cluster_size histogram'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: a failed task (no done marker) is named, and its shards are not counted', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir, { failedRanks: [2], dedup: false });
    const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8')) as RunStats;
    const { html, model } = await buildReport(dir);
    assert.ok(model.notes.some((n) => /Pass filter: task\(s\) 2 have no done marker/.test(n)), model.notes.join('; '));
    assert.deepEqual(model.passes.find((p) => p.name === 'filter')!.missingDone, [2]);
    assert.deepEqual(funnelRows(html), expectedRows(stats));
    assert.equal(stats.passes[0]!.tasks, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: shards and samples of a failed task are not read', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir, { failedRanks: [1], dedup: false, samples: false, docsPerTask: 120 });
    const run = await loadRun(localStorage(dir), { perKey: 50, maxScanRows: 100_000 });
    const filter = run.passes.find((p) => p.name === 'filter')!;
    assert.deepEqual(filter.dataFiles.map((f) => f.path), ['filter/data/0.parquet', 'filter/data/2.parquet']);
    const ids = [...filter.kept, ...filter.removed.flatMap((g) => g.docs)].map((d) => d.id);
    assert.ok(ids.length > 0);
    assert.ok(!ids.some((id) => id.startsWith('<urn:uuid:1-')), 'no document of the failed rank 1');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('report: without stats.json, the task stats files are merged (and that is said)', async () => {
  const dir = await tmp();
  try {
    const { tasks } = await buildSyntheticRun(dir, { writeStatsJson: false, writeRunJson: false, dedup: false, tasks: 2, docsPerTask: 80 });
    const { html, model } = await buildReport(dir);
    assert.equal(model.statsSource, 'task stats');
    assert.ok(model.notes.some((n) => n.includes('stats.json is missing')));
    const docsIn = tasks.reduce((a, t) => a + t.stages[0]!.stats.docsIn, 0);
    assert.equal(funnelRows(html)[0]!.docsIn, docsIn);
    assert.ok(html.includes('language: language_score — no threshold found'));
    assert.ok(html.includes('words &lt; 50 (from removals)'));
    // Without run.json, a histogram named like a removal reason takes its threshold from the drops' details.
    assert.ok(html.includes('dup_line_frac &gt; 0.3 (from removals)'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('thresholds: histogram h matches max_h / h_max / min_h / h_min / h_threshold / h, in the stage or its step', () => {
  const sections = configSections({
    config: {
      stages: [{ name: 'rep', options: { max_dup_line_frac: 0.3, dup_para_frac_max: 0.2, min_words: 50, words_max: 1e5, top_2gram_threshold: 0.2, other: 'x' } }, { lang: { language_score: 0.65 } }],
      passes: [{ minhash: { cluster_size_max: 100 } }],
    },
  });
  assert.deepEqual(thresholdsFor(sections, 'filter', 'rep', 'dup_line_frac'), [{ value: 0.3, label: 'max_dup_line_frac = 0.3', side: 'max' }]);
  assert.equal(thresholdsFor(sections, 'filter', 'rep', 'dup_para_frac')[0]!.side, 'max');
  assert.deepEqual(thresholdsFor(sections, 'filter', 'rep', 'words').map((t) => t.side).sort(), ['max', 'min']);
  assert.equal(thresholdsFor(sections, 'filter', 'rep', 'top_2gram')[0]!.value, 0.2);
  assert.equal(thresholdsFor(sections, 'filter', 'lang', 'language_score')[0]!.value, 0.65);
  assert.equal(thresholdsFor(sections, 'minhash_filter', 'minhash', 'cluster_size')[0]!.value, 100);
  assert.deepEqual(thresholdsFor(sections, 'filter', 'rep', 'other'), []);
  // A tail of the name: language_score vs min_score.
  const lang = configSections({ config: { stages: [{ name: 'language', options: { languages: ['en'], min_score: 0.65 } }] } });
  assert.deepEqual(thresholdsFor(lang, 'filter', 'language', 'language_score'), [{ value: 0.65, label: 'min_score = 0.65', side: 'min' }]);
  assert.deepEqual(thresholdsFor(sections, 'filter', 'nope', 'dup_line_frac'), []);
});

test('thresholds from removal details: value<op>threshold of the reason named like the histogram', () => {
  const groups = [
    { stage: 'fw', reason: 'line_punct_ratio', seen: 2, docs: [{ id: 'a', url: '', excerpt: '', chars: 0, detail: 'not a comparison' }, { id: 'b', url: '', excerpt: '', chars: 0, value: 0.05, detail: '0.05<=0.12' }] },
    { stage: 'rep', reason: 'top_2_gram', seen: 1, docs: [{ id: 'c', url: '', excerpt: '', chars: 0, value: 0.3, detail: '0.3>0.2' }] },
  ];
  assert.deepEqual(thresholdsFromDrops(groups, 'fw', 'line_punct_ratio'), [{ value: 0.12, label: 'line_punct_ratio <= 0.12 (from removals)', side: 'min' }]);
  assert.equal(thresholdsFromDrops(groups, 'rep', 'top_2_gram')[0]!.side, 'max');
  assert.deepEqual(thresholdsFromDrops(groups, 'rep', 'top_3_gram'), []);
});

test('refinery report writes the HTML and a Markdown summary beside it', async () => {
  const dir = await tmp();
  try {
    await buildSyntheticRun(dir, { tasks: 1, docsPerTask: 40, dedup: false });
    const logs: string[] = [];
    const out = join(dir, 'out', 'r.html');
    assert.equal(await reportCommand([dir, '-o', out], { log: (l) => logs.push(l) }), 0);
    assert.ok((await readFile(out, 'utf8')).includes('id="funnel-table"'));
    assert.ok((await readFile(join(dir, 'out', 'r.md'), 'utf8')).startsWith('# refinery report'));
    assert.match(logs[0]!, /wrote .*r\.html and .*r\.md/);
    assert.equal(await reportCommand([], { log: () => {} }), 2);
    assert.equal(await reportCommand(['s3://bucket/run'], { log: () => {} }), 1, 'no S3 resolver given');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

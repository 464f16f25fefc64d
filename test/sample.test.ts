// `refinery run --sample`: the draw, the estimator, and a sample's estimates against the full run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { estimateFromSample, selectSample, studentTQuantile, type SampleEstimate } from '../src/sample.js';
import { mergeStats, type RunStats, type TaskStats } from '../src/stats.js';
import { seededRandom } from '../src/random.js';
import { percentArg } from '../src/cli/args.js';
import { formatSampleEstimate } from '../src/cli/summary.js';
import { RefineryError } from '../src/errors.js';
import { projectDir, refinery } from './helpers/cli.js';

const SEGMENTS = 6;
const FILES_PER_SEGMENT = 8;

/**
 * A CommonCrawl-shaped dump of 48 small WARC files (6 segments x 8) and its `warc.paths.gz`,
 * made from the response records of data-samples/sample.warc.gz: each file draws 8-27 pages
 * with its own leaning towards the even or the odd pages, so files differ in size and in what
 * the stages remove (the pages include ones each stage drops). Pages repeat across files, so
 * the MinHash pass removes many more of them in the whole dump than in a sample.
 */
function makeDump(dir: string): string {
  // The last capture of sample.warc.gz is cut on purpose: read what is there, leave it out.
  const raw = gunzipSync(readFileSync(join(projectDir, 'data-samples', 'sample.warc.gz')), { finishFlush: constants.Z_SYNC_FLUSH });
  const marker = Buffer.from('WARC/1.');
  const starts: number[] = [];
  for (let i = raw.indexOf(marker); i >= 0; i = raw.indexOf(marker, i + 1)) if (i === 0 || raw.subarray(i - 4, i).toString() === '\r\n\r\n') starts.push(i);
  const records = starts.map((s, k) => raw.subarray(s, starts[k + 1] ?? raw.length));
  const responses = records.filter((r) => /^WARC-Type: response\r?$/m.test(r.subarray(0, 400).toString('latin1'))).slice(0, -1);
  assert.ok(responses.length >= 30, `responses in data-samples: ${responses.length}`);
  const r = seededRandom(7);
  const lines: string[] = [];
  for (let s = 0; s < SEGMENTS; s++) {
    for (let f = 0; f < FILES_PER_SEGMENT; f++) {
      const lean = r();
      const pages = 8 + Math.floor(r() * 20);
      const weights = responses.map((_, i) => (i % 2 ? lean : 1 - lean) ** 2 + 0.03);
      const total = weights.reduce((a, b) => a + b, 0);
      const members: Buffer[] = [];
      for (let j = 0; j < pages; j++) {
        let u = r() * total;
        let i = 0;
        while (i < weights.length - 1 && u > weights[i]!) u -= weights[i++]!;
        members.push(gzipSync(responses[i]!));
      }
      const rel = `crawl-data/CC-MAIN-2099-01/segments/1700000000000.${s}/warc/CC-MAIN-20990101-${String(s * FILES_PER_SEGMENT + f).padStart(5, '0')}.warc.gz`;
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), Buffer.concat(members));
      lines.push(rel);
    }
  }
  const listing = join(dir, 'warc.paths.gz');
  writeFileSync(listing, gzipSync(lines.join('\n') + '\n'));
  return listing;
}

const config = join(projectDir, 'test', 'fixtures', 'pipeline-small.yaml');
const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;
const removedShare = (s: RunStats['passes'][number]['stages'][number]) => (s.stats.docsIn - s.stats.docsOut) / s.stats.docsIn;
const covers = (e: { low: number | null; high: number | null }, v: number) => e.low !== null && e.high !== null && e.low - 1e-12 <= v && v <= e.high + 1e-12;
const segmentOf = (uri: string) => /segments\/([^/]+)\//.exec(uri)![1]!;

test('Student t quantiles match the tables', () => {
  for (const [df, q] of [[1, 12.706], [4, 2.776], [7, 2.365], [30, 2.042], [1e6, 1.96]] as const) {
    assert.ok(Math.abs(studentTQuantile(0.975, df) - q) < 1e-3, `t(0.975, ${df}) = ${studentTQuantile(0.975, df)}, tables: ${q}`);
  }
  assert.ok(Math.abs(studentTQuantile(0.95, 10) - 1.812) < 1e-3);
});

test('the draw depends on the seed and the names only, spreads over segments, and says what it decided', () => {
  const inputs = Array.from({ length: 40 }, (_, i) => ({ uri: `/d/crawl-data/CC-MAIN-2099-01/segments/seg${i % 5}/warc/f${String(i).padStart(3, '0')}.warc.gz` }));
  const a = selectSample(inputs, { files: 10, seed: 3 });
  assert.deepEqual(selectSample([...inputs].reverse(), { files: 10, seed: 3 }).picked, a.picked);
  assert.notDeepEqual(selectSample(inputs, { files: 10, seed: 4 }).picked, a.picked);
  assert.equal(a.stratifiedBy, 'segment');
  assert.equal(a.strata, 5);
  // Proportional allocation: 10 of 40 over 5 segments of 8 files is 2 per segment.
  const perSegment = new Map<string, number>();
  for (const p of a.picked) perSegment.set(segmentOf(p.uri), (perSegment.get(segmentOf(p.uri)) ?? 0) + 1);
  assert.deepEqual([...perSegment.values()], [2, 2, 2, 2, 2]);
  assert.deepEqual(a.picked.map((p) => p.uri), [...a.picked.map((p) => p.uri)].sort());
  // 1% of 40 files is under 2: raised, and said.
  const tiny = selectSample(inputs, { share: 0.01, seed: 0 });
  assert.equal(tiny.picked.length, 2);
  assert.match(tiny.notes[0]!, /raised to 2 files/);
  const more = selectSample(inputs, { files: 99, seed: 0 });
  assert.equal(more.picked.length, 40);
  assert.match(more.notes[0]!, /--sample-files 99 is more than the 40 input file\(s\): all of them/);
  // Without segments in the paths: not stratified.
  assert.equal(selectSample([{ uri: '/a.jsonl' }, { uri: '/b.jsonl' }, { uri: '/c.jsonl' }], { files: 2, seed: 0 }).stratifiedBy, 'none');
});

test('--sample takes a percentage in (0%, 100%] and nothing else', () => {
  assert.equal(percentArg('sample', '0.5%'), 0.005);
  assert.equal(percentArg('sample', '100%'), 1);
  assert.equal(percentArg('sample', ' 12.5 %'), 0.125);
  for (const bad of ['0%', '0', '101%', '0.5', 'abc', '', '-1%', '5%%', 'NaN%', '1e3%']) {
    assert.throws(() => percentArg('sample', bad), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG' && /--sample: expected a percentage of the input files in \(0%, 100%\]/.test(e.message), bad);
  }
});

test('bad --sample values exit 2 with the reason; --sample-files above the inputs runs them all and says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-sample-cli-'));
  try {
    const tiny = join(projectDir, 'test', 'fixtures', 'pipeline-tiny.yaml');
    for (const [args, re] of [
      [['--sample', '0%'], /--sample: expected a percentage of the input files in \(0%, 100%\], e\.g\. 0\.5%, got "0%"/],
      [['--sample', '150%'], /got "150%"/],
      [['--sample', 'half'], /got "half"/],
      [['--sample', '0.5'], /got "0\.5"/],
      [['--sample-files', '0'], /--sample-files: expected a positive whole number, got "0"/],
      [['--sample', '1%', '--sample-files', '3'], /give one of them/],
      [['--sample-seed', '3'], /--sample-seed: goes with --sample or --sample-files/],
      [['--sample', '5%', '--executor', 'slurm'], /local executor/],
    ] as const) {
      const r = refinery(['run', tiny, '-o', join(dir, 'never'), '-q', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const r = refinery(['run', tiny, '-o', join(dir, 'all'), '-q', '-w', '1', '--sample-files', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /sample: --sample-files 3 is more than the 1 input file\(s\): all of them are run/);
    assert.match(r.stdout, /sample: 1 of 1 input files \(100\.0%\)/);
    const e = readJson<SampleEstimate>(join(dir, 'all', 'sample.json'));
    const stats = readJson<RunStats>(join(dir, 'all', 'stats.json'));
    // All files: the figures are the run's own, with no width.
    assert.deepEqual(e.output.streaming.docs, { estimate: stats.passes[0]!.docsWritten, low: stats.passes[0]!.docsWritten, high: stats.passes[0]!.docsWritten });
    assert.match(refinery(['run', '--help']).stdout, /--sample P%[\s\S]*--sample-files N[\s\S]*lower bounds/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a sample's intervals cover the full run's numbers, narrow with a larger sample, and flag corpus passes as lower bounds", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-sample-'));
  try {
    const listing = makeDump(join(dir, 'dump'));
    const run = (out: string, ...extra: string[]) => {
      const r = refinery(['run', config, '-i', listing, '--base-url', join(dir, 'dump'), '-o', join(dir, out), '-q', '-w', '2', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return r;
    };
    run('full');
    const full = readJson<RunStats>(join(dir, 'full', 'stats.json'));
    const fullStream = full.passes[0]!;
    assert.equal(fullStream.tasks, SEGMENTS * FILES_PER_SEGMENT);
    // Files do differ in what is removed (else any sample would be exact).
    const fullTasks = Array.from({ length: fullStream.tasks }, (_, rank) => readJson<TaskStats>(join(dir, 'full', 'filter', 'stats', `${String(rank).padStart(5, '0')}.json`)));
    const keptShare = fullTasks.map((t) => t.docsWritten / t.stages[0]!.stats.docsIn);
    assert.ok(Math.max(...keptShare) - Math.min(...keptShare) > 0.3, `kept share per file: ${keptShare.map((k) => k.toFixed(2)).join(' ')}`);

    // Seed 0 (the default), 12 files and 50% (24 files). The run is deterministic, so whether the
    // intervals cover is fixed by the seed: checked for this seed and corpus; the test below
    // checks the coverage rate over many seeds.
    const small = run('s12', '--sample-files', '12');
    const large = run('s50', '--sample', '50%');
    const e12 = readJson<SampleEstimate>(join(dir, 's12', 'sample.json'));
    const e24 = readJson<SampleEstimate>(join(dir, 's50', 'sample.json'));
    assert.match(small.stdout, /sample: 12 of 48 input files \(25\.0%\), seed 0, stratified by segment \(6 segments\)/);
    assert.match(small.stdout, /95% intervals \[low, high\]: ratio estimator over files .* Student t/);
    assert.match(small.stdout, /corpus passes, LOWER BOUNDS/);
    for (const [e, n] of [[e12, 12], [e24, 24]] as const) {
      assert.equal(e.design.sampled, n);
      assert.equal(e.scaleBy, 'bytes'); // a local listing's files are sized by stat
      assert.equal(new Set(e.design.sampledFiles.map(segmentOf)).size, SEGMENTS);
      const streaming = e.stages.filter((s) => !s.lowerBound);
      assert.deepEqual(streaming.map((s) => s.stage), fullStream.stages.map((s) => s.name));
      fullStream.stages.forEach((s, i) => {
        assert.ok(covers(streaming[i]!.removed, removedShare(s)), `${n} files, ${s.name}: ${JSON.stringify(streaming[i]!.removed)} vs the full run's ${removedShare(s)}`);
      });
      const docs = e.output.streaming.docs;
      const tokens = e.output.streaming.tokens;
      assert.ok(covers(docs, fullStream.docsWritten), `${n} files: documents ${JSON.stringify(docs)} vs ${fullStream.docsWritten}`);
      assert.ok(covers(tokens, fullStream.tokensWritten), `${n} files: tokens ${JSON.stringify(tokens)} vs ${fullStream.tokensWritten}`);
      // Not absurdly wide: within ±25% of the full run's count.
      assert.ok(docs.high! - docs.low! < 0.5 * fullStream.docsWritten, `${n} files: documents interval ${docs.low}..${docs.high}`);
      // Corpus passes: reported, flagged, and below the full run's removal (duplicates across
      // files not sampled are not seen); the final size is then an upper bound.
      const fullMinhash = full.passes.find((p) => p.pass === 'minhash_filter')!.stages[0]!;
      const sampleMinhash = e.stages.find((s) => s.stage === fullMinhash.name)!;
      assert.equal(sampleMinhash.lowerBound, true);
      assert.equal(sampleMinhash.removed.low, null);
      assert.ok(sampleMinhash.removed.estimate > 0 && sampleMinhash.removed.estimate < removedShare(fullMinhash), `MinHash removal ${sampleMinhash.removed.estimate} vs ${removedShare(fullMinhash)}`);
      assert.equal(e.output.final.upperBound, true);
      assert.ok(e.output.final.docs.estimate >= full.passes.at(-1)!.docsWritten);
      // Core-hours from the measured CPU (not compared with the full run's: timing is not a test).
      const cpu = e.cpu.streamingCoreHours!;
      assert.ok(cpu.estimate > 0 && cpu.low! <= cpu.estimate && cpu.estimate <= cpu.high!, JSON.stringify(cpu));
      assert.ok(e.cpu.sampleStreamingSeconds! > 0 && e.cpu.totalCoreHours! > cpu.estimate);
    }
    // Proportional allocation: 24 of 48 files in 6 segments of 8 is 4 per segment.
    const per = new Map<string, number>();
    for (const f of e24.design.sampledFiles) per.set(segmentOf(f), (per.get(segmentOf(f)) ?? 0) + 1);
    assert.deepEqual([...per.values()], Array(SEGMENTS).fill(4));
    // A larger sample, a narrower interval.
    const width = (e: SampleEstimate) => e.output.streaming.docs.high! - e.output.streaming.docs.low!;
    assert.ok(width(e24) < 0.8 * width(e12), `widths: 12 files ${width(e12)}, 24 files ${width(e24)}`);

    // The coverage rate over 200 seeds, from the full run's per-file stats (a sample's task
    // stats are those of the same files in the full run: the pipeline is deterministic).
    const all = fullTasks.map((t, rank) => ({ uri: t.input!, size: readFileSync(t.input!).length, rank }));
    const byUri = new Map(fullTasks.map((t) => [t.input!, t]));
    const estimateFor = (files: number, seed: number, sized = true) => {
      const selection = selectSample(all, { files, seed });
      const streamTasks = selection.picked.map((p, rank) => ({ ...byUri.get(p.uri)!, rank }));
      const listed = sized ? all : all.map((a) => ({ uri: a.uri }));
      return estimateFromSample({ selection, all: listed, stats: mergeStats(streamTasks), streamTasks });
    };
    for (const files of [12, 24]) {
      const hits = new Map<string, number>();
      const seeds = 200;
      for (let seed = 0; seed < seeds; seed++) {
        const e = estimateFor(files, seed);
        const hit = (k: string, ok: boolean) => hits.set(k, (hits.get(k) ?? 0) + (ok ? 1 : 0));
        hit('documents', covers(e.output.streaming.docs, fullStream.docsWritten));
        hit('tokens', covers(e.output.streaming.tokens, fullStream.tokensWritten));
        fullStream.stages.forEach((s, i) => hit(s.name, covers(e.stages[i]!.removed, removedShare(s))));
      }
      const rates = [...hits].map(([k, v]) => [k, v / seeds] as const);
      const said = rates.map(([k, r]) => `${k} ${r.toFixed(2)}`).join(', ');
      // 95% nominal; rare removals (a few % of documents, absent from many files) cover less
      // with a Wald-type interval on few files, hence the floor per figure.
      assert.ok(rates.every(([, r]) => r >= 0.85), `${files} files: ${said}`);
      assert.ok(hits.get('documents')! / seeds >= 0.9 && hits.get('tokens')! / seeds >= 0.9, `${files} files: ${said}`);
      assert.ok(rates.reduce((a, [, r]) => a + r, 0) / rates.length >= 0.9, `${files} files: ${said}`);
    }
    // Sizes unknown (URLs from a listing): totals scale by the number of files, said.
    const unsized = estimateFor(12, 0, false);
    assert.equal(unsized.scaleBy, 'files');
    assert.equal(unsized.unsizedInputs, 48);
    assert.match(formatSampleEstimate(unsized, 'sample.json'), /totals scaled by number of files \(48 input size\(s\) unknown\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

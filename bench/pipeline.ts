/**
 * Issue 2's benchmark, on ../shared/data/warc/bench/ (repeated to run >= 20 s):
 * - floor: `zcat` of the file (no stage that reads it can be faster);
 * - read+decode alone (readWarcDocs, one core);
 * - the whole streaming run (`refinery run configs/refinedweb.yaml --workers 1`), per core
 *   (`BENCH_CONFIG=configs/refinedweb-europe.yaml` for the eleven languages of docs/languages.md);
 * - peak RSS of each.
 */
import { mkdtempSync, rmSync, symlinkSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedData, projectRoot } from '../src/paths.js';
import { measure, table } from './measure.js';

const bench = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');
const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);
const CONFIG = process.env.BENCH_CONFIG ?? 'configs/refinedweb.yaml';

async function readOnly(file: string, repeat: number): Promise<void> {
  const { readWarcDocs } = await import('../src/readers/warc.js');
  const { emptyReaderStats } = await import('../src/stats.js');
  const stats = emptyReaderStats();
  let htmlChars = 0;
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) {
    for await (const d of readWarcDocs(createReadStream(file, { highWaterMark: 1 << 20 }), { file, maxPageBytes: 4 << 20, maxInflatedBytes: 64 << 20 }, stats)) htmlChars += d.html?.length ?? 0;
  }
  const sec = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ sec, docs: stats.docs, bytes: stats.bytes, htmlChars, rssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--read-only') return readOnly(process.argv[3]!, Number(process.argv[4]));
  if (!bench) {
    console.log('pipeline bench: ../shared/data/warc/bench is absent, skipped');
    return;
  }
  const size = statSync(bench).size;
  const self = fileURLToPath(import.meta.url);
  const zcat = await measure('sh', ['-c', `for i in $(seq ${REPEAT}); do zcat ${bench} >/dev/null; done`]);
  const read = await measure(process.execPath, [self, '--read-only', bench, String(REPEAT)]);
  const r = JSON.parse(read.stdout.trim().split('\n').pop()!);
  const dir = mkdtempSync(join(tmpdir(), 'refinery-bench-'));
  try {
    const inputs: string[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const link = join(dir, `copy-${String(i).padStart(3, '0')}.warc.gz`);
      symlinkSync(bench, link);
      inputs.push(link);
    }
    const run = await measure(process.execPath, [join(projectRoot, 'bin/refinery.js'), 'run', resolve(projectRoot, CONFIG), '-i', dir, '-o', join(dir, 'out'), '-w', '1', '-q']);
    if (run.code !== 0) throw new Error(`refinery run failed: ${run.stderr}`);
    const pages = r.docs;
    const mb = (size * REPEAT) / 1e6;
    const cpu = (m: { userSec: number; sysSec: number }) => m.userSec + m.sysSec;
    console.log(`pipeline bench: ${bench.replace(/^.*\//, '')} x ${REPEAT} (${mb.toFixed(0)} MB gzip, ${pages} pages)`);
    console.log(
      table([
        ['what (one core)', 'wall s', 'cpu s', 'pages/s', 'MB/s (gzip)', 'peak RSS MB'],
        ['zcat (floor)', zcat.wallSec, cpu(zcat), NaN, mb / cpu(zcat), zcat.peakRssMb],
        ['read + decode', r.sec, cpu(read), pages / r.sec, mb / r.sec, read.peakRssMb],
        [`whole run (${CONFIG.replace(/^.*\//, '')})`, run.wallSec, cpu(run), pages / cpu(run), mb / cpu(run), run.peakRssMb],
      ]),
    );
    const stats = JSON.parse((await import('node:fs')).readFileSync(join(dir, 'out', 'stats.json'), 'utf8'));
    const filter = stats.passes[0];
    const stageMs: [string, number][] = filter.stages.map((s: { name: string; stats: { ms: number } }) => [s.name, s.stats.ms]);
    const total = filter.ms;
    console.log('share of task time in the streaming pass:');
    console.log(table([['stage', 'ms', 'share'], ['reading + decoding', filter.reader.ms, `${((100 * filter.reader.ms) / total).toFixed(1)}%`], ...stageMs.map(([n, ms]) => [n, ms, `${((100 * ms) / total).toFixed(1)}%`])]));
    console.log('task time per pass (sum over its tasks):');
    const passes: { pass: string; tasks: number; ms: number }[] = stats.passes;
    const all = passes.reduce((a, p) => a + p.ms, 0);
    console.log(table([['pass', 'tasks', 'ms', 'share'], ...passes.map((p) => [p.pass, p.tasks, p.ms, `${((100 * p.ms) / all).toFixed(1)}%`])]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

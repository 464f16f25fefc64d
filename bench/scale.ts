/**
 * The scale benchmark (issue #15): N GB of CommonCrawl-shaped WARC files (bench/scale-warcs.ts:
 * ~1 GB each, made from real pages, duplicate rates stated there and printed here), then the
 * whole `configs/refinedweb.yaml` pipeline over them, every task in a process of its own
 * (`refinery task`, as a Slurm array runs it) under `/usr/bin/time -v`, so each task has its own
 * CPU seconds, peak RSS and bytes read and written (the kernel's rchar/wchar of the process:
 * every read/write call, page cache or not; ~13 MB of a task's reads are Node loading its modules).
 *
 * Prints per pass: tasks, CPU s (user+sys, summed), wall s (first start to last end), peak RSS
 * of its largest task, bytes read and written, bytes left on disk and those bytes per document
 * and per token entering the corpus passes; and for the run: documents and tokens kept,
 * core-hours per GB of WARC. Writes the same as JSON beside the data (`scale-<N>gb-w<W>.json`).
 *
 * Usage: npm run bench:scale -- --gb N [--workers W] [--dir D] [--keep-run] [--generate-only]
 *   --gb N        GB of WARC (whole numbers; below 1, one smaller file for a quick look)
 *   --workers W   tasks at a time, for generating and for the run (default 1)
 *   --dir D       where the WARC files and the run go (default <os.tmpdir()>/refinery-scale);
 *                 files already there are reused, the run directory is removed at the end
 *                 unless --keep-run
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfigFile } from '../src/config.js';
import type { Executor } from '../src/executors/local.js';
import { loadRegistry } from '../src/executors/run-task.js';
import { projectRoot } from '../src/paths.js';
import { executeRun } from '../src/run.js';
import { readTaskStats } from '../src/run-dir.js';
import type { TaskStats } from '../src/stats.js';
import { openStorage } from '../src/storage/open.js';
import { measure, table, type Measured } from './measure.js';
import { CAPTURES_PER_FILE, GENERATOR_VERSION, RATES, loadSources, makeWarc, warcPath } from './scale-warcs.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const self = fileURLToPath(import.meta.url);
const bin = join(projectRoot, 'bin', 'refinery.js');

/** Child mode: make one file and print its counts as JSON. */
async function makeOne(): Promise<void> {
  const [f, first, captures, path] = argv.slice(1);
  const r = await makeWarc(await loadSources(), path!, Number(f), Number(first), Number(captures));
  process.stdout.write(JSON.stringify(r) + '\n');
}

/** Run `fn` over `items` with at most `n` at a time, results in item order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

interface TaskMeasure {
  pass: string;
  rank: number;
  start: number;
  end: number;
  m: Measured;
}

/** The executor of this bench: each task a `refinery task` process, at most `workers` at a time. */
function processExecutor(runDir: string, workers: number, measured: TaskMeasure[]): Executor {
  const run = openStorage(runDir);
  let busy = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(spec): Promise<TaskStats> {
      if (busy >= workers) await new Promise<void>((r) => waiting.push(r));
      busy++;
      try {
        const start = performance.now();
        const m = await measure(process.execPath, [bin, 'task', spec.runDir, spec.pass, String(spec.rank)], process.env, { io: true });
        measured.push({ pass: spec.pass, rank: spec.rank, start, end: performance.now(), m });
        if (m.code !== 0) throw new Error(`task ${spec.pass} ${spec.rank} exited ${m.code}: ${m.stderr.split('\n').filter((l) => l && !l.startsWith('\t')).slice(-3).join(' | ')}`);
        return await readTaskStats(run, spec.pass, spec.rank);
      } finally {
        busy--;
        waiting.shift()?.();
      }
    },
    close: async () => {},
  };
}

function dirBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((a, f) => a + dirBytes(join(path, f)), 0);
}

async function main(): Promise<void> {
  if (argv[0] === '--make') return makeOne();
  const gb = Number(arg('gb', '1'));
  const workers = Number(arg('workers', '1'));
  const dir = arg('dir', join(tmpdir(), 'refinery-scale'));
  if (!(gb > 0) || (gb > 1 && !Number.isInteger(gb)) || !(workers >= 1)) throw new Error('--gb: a whole number of GB (or below 1), --workers: at least 1');
  // Whole files of CAPTURES_PER_FILE captures; below 1 GB one smaller file in a folder of its own.
  const perFile = gb < 1 ? Math.round(gb * CAPTURES_PER_FILE) : CAPTURES_PER_FILE;
  const dataDir = join(dir, gb < 1 ? `${GENERATOR_VERSION}-partial-${perFile}` : GENERATOR_VERSION);
  const files = Array.from({ length: Math.max(1, Math.floor(gb)) }, (_, f) => ({ f, first: f * CAPTURES_PER_FILE, path: warcPath(dataDir, f) }));

  const gen0 = performance.now();
  let genCpu = 0;
  const made = await pool(files, workers, async ({ f, first, path }) => {
    const m = await measure(process.execPath, [self, '--make', String(f), String(first), String(perFile), path]);
    if (m.code !== 0) throw new Error(`making ${path} failed: ${m.stderr.slice(-500)}`);
    genCpu += m.userSec + m.sysSec;
    return JSON.parse(m.stdout.trim()) as { reused: boolean; bytes: number; kinds: Record<string, number> };
  });
  const warcBytes = made.reduce((a, r) => a + r.bytes, 0);
  const kinds: Record<string, number> = {};
  for (const r of made) for (const [k, v] of Object.entries(r.kinds)) kinds[k] = (kinds[k] ?? 0) + v;
  const captures = Object.values(kinds).reduce((a, b) => a + b, 0);
  const reused = made.filter((r) => r.reused).length;
  console.log(`scale bench: ${files.length} WARC file(s), ${(warcBytes / 1e9).toFixed(2)} GB gzip, ${captures.toLocaleString('en-US')} captures in ${dataDir}`);
  console.log(
    `  generated ${files.length - reused}, reused ${reused} (${((performance.now() - gen0) / 1000).toFixed(0)} s wall, ${genCpu.toFixed(0)} CPU s); ` +
      `captures: ${Object.entries(kinds).map(([k, v]) => `${k} ${((100 * v) / captures).toFixed(1)}%`).join(', ')} ` +
      `(nominal: exact ${RATES.exact * 100}%, near ${RATES.near * 100}%, re-crawl ${RATES.recrawl * 100}%, non-200 ${RATES.nonOk * 100}%; boilerplate paragraphs on half the pages)`,
  );
  if (argv.includes('--generate-only')) return;

  const runDir = join(dir, `run-${gb}gb-w${workers}`);
  rmSync(runDir, { recursive: true, force: true });
  const registryModule = pathToFileURL(join(projectRoot, 'dist', 'stages', 'index.js')).href;
  const registry = await loadRegistry(registryModule);
  const config = await loadConfigFile(join(projectRoot, 'configs', 'refinedweb.yaml'), registry);
  const measured: TaskMeasure[] = [];
  const run0 = performance.now();
  const stats = await executeRun({
    config,
    inputs: files.map((f) => f.path),
    runDir,
    run: openStorage(runDir),
    registry,
    registryModule,
    executor: processExecutor(runDir, workers, measured),
    progress: false,
    log: (m) => process.stderr.write(`refinery: ${m}\n`),
  });
  const runWall = (performance.now() - run0) / 1000;

  const first = stats.passes[0]!;
  const docsIn = first.docsWritten;
  const tokensIn = first.tokensWritten;
  const last = [...stats.passes].reverse().find((p) => p.tokensWritten > 0)!;
  const cpu = (m: Measured) => m.userSec + m.sysSec;
  const rows = stats.passes.map((p) => {
    const ts = measured.filter((t) => t.pass === p.pass);
    const onDisk = dirBytes(join(runDir, p.pass === 'final_shards' ? 'final' : p.pass));
    return {
      pass: p.pass,
      tasks: ts.length,
      cpuSec: ts.reduce((a, t) => a + cpu(t.m), 0),
      wallSec: ts.length ? (Math.max(...ts.map((t) => t.end)) - Math.min(...ts.map((t) => t.start))) / 1000 : 0,
      peakRssMb: Math.max(0, ...ts.map((t) => t.m.peakRssMb)),
      readBytes: ts.reduce((a, t) => a + (t.m.readBytes ?? 0), 0),
      writtenBytes: ts.reduce((a, t) => a + (t.m.writtenBytes ?? 0), 0),
      maxTaskReadBytes: Math.max(0, ...ts.map((t) => t.m.readBytes ?? 0)),
      onDiskBytes: onDisk,
      docsWritten: p.docsWritten,
    };
  });
  const totalCpu = rows.reduce((a, r) => a + r.cpuSec, 0);
  const mb = (b: number) => b / 1e6;
  console.log(`refinedweb.yaml, ${workers} task(s) at a time, ${runWall.toFixed(0)} s wall; ${docsIn.toLocaleString('en-US')} documents and ${tokensIn.toLocaleString('en-US')} tokens enter the corpus passes (per doc / per token below: of these)`);
  console.log(
    table([
      ['pass', 'tasks', 'CPU s', 'wall s', 'peak RSS MB', 'read MB', 'written MB', 'on disk MB', 'B/doc', 'B/token'],
      ...rows.map((r) => [r.pass, String(r.tasks), r.cpuSec, r.wallSec, r.peakRssMb, mb(r.readBytes), mb(r.writtenBytes), mb(r.onDiskBytes), r.onDiskBytes / docsIn, r.onDiskBytes / tokensIn]),
    ]),
  );
  const coreHoursPerGb = totalCpu / 3600 / (warcBytes / 1e9);
  console.log(
    `kept: ${last.docsWritten.toLocaleString('en-US')} documents, ${last.tokensWritten.toLocaleString('en-US')} tokens (of ${stats.passes[0]!.reader?.docs.toLocaleString('en-US')} HTML responses read); ` +
      `${totalCpu.toFixed(0)} CPU s in all: ${coreHoursPerGb.toFixed(3)} core-hours per GB of WARC`,
  );
  const clusters = rows.find((r) => r.pass === 'minhash_clusters');
  const bare = rows.find((r) => r.pass === 'final_manifest');
  if (clusters && bare) {
    console.log(`minhash_clusters: peak ${clusters.peakRssMb.toFixed(0)} MB for ${docsIn.toLocaleString('en-US')} documents; its 8 B/doc bound is ${mb(8 * docsIn).toFixed(1)} MB over a task process's own ${bare.peakRssMb.toFixed(0)} MB (final_manifest)`);
  }
  const buckets = rows.find((r) => r.pass === 'minhash_buckets');
  const sigs = rows.find((r) => r.pass === 'minhash_signatures');
  if (buckets && sigs && bare) {
    console.log(
      `minhash_buckets: the largest of its ${buckets.tasks} tasks read ${mb(buckets.maxTaskReadBytes).toFixed(1)} MB, ~${mb(bare.maxTaskReadBytes).toFixed(1)} MB of it Node loading modules ` +
        `(final_manifest's whole read), for ${mb(sigs.onDiskBytes / buckets.tasks).toFixed(1)} MB = 1/${buckets.tasks} of the signature files`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const report = join(dir, `scale-${gb}gb-w${workers}.json`);
  writeFileSync(report, JSON.stringify({ gb, workers, warcBytes, captures, kinds, docsIn, tokensIn, kept: { docs: last.docsWritten, tokens: last.tokensWritten }, runWall, totalCpu, coreHoursPerGb, passes: rows }, null, 1) + '\n');
  console.log(`wrote ${report}`);
  if (argv.includes('--keep-run')) console.log(`kept the run in ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
}

await main();

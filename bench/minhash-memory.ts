/**
 * Peak memory of every task of a MinHash run over many tiny documents in ONE input shard (issue
 * #14): `docs` one-word documents (one in ten repeats an earlier word, so there are clusters)
 * as one JSONL file, through `passes: [minhash: {bands: 450, rows: 20}]`. Shards roll by bytes,
 * not documents, so all of them land in one shard: a pass whose memory grows per document of
 * its shard shows it here.
 *
 * First the whole run (`refinery run --workers 1`, its peak RSS and exit code), then every
 * task again on its own (`refinery task`, done marker removed) under `/usr/bin/time -v`, for
 * the peak RSS of each pass. A run that fails is reported, and the passes before it measured.
 *
 * Usage: node dist/bench/minhash-memory.js [--docs 800000] [--bands 450] [--rows 20]
 *        [--bin path/to/bin/refinery.js (another checkout, for a before/after)]
 *        [--tasks N (rerun at most the first N tasks of each pass; default all)] [--keep]
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { projectRoot } from '../src/paths.js';
import { measure, table } from './measure.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const docs = Number(arg('docs', '800000'));
const bands = Number(arg('bands', '450'));
const rows = Number(arg('rows', '20'));
const bin = arg('bin', join(projectRoot, 'bin', 'refinery.js'));
const keep = argv.includes('--keep');
const maxTasks = Number(arg('tasks', 'Infinity'));

const dir = await mkdtemp(join(tmpdir(), 'refinery-bench-minhash-memory-'));
try {
  const input = join(dir, 'corpus.jsonl');
  const out = createWriteStream(input);
  for (let i = 0; i < docs; i++) {
    // One word per document; every tenth repeats the word of an earlier one.
    const w = i % 10 === 9 ? (i * 7) % i : i;
    if (!out.write(`{"text":"w${w.toString(36)}"}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const config = join(dir, 'config.yaml');
  await writeFile(config, `stages: []\npasses:\n  - minhash: { bands: ${bands}, rows: ${rows} }\noutput:\n  format: parquet\n`);
  const runDir = join(dir, 'out');
  console.log(`${docs.toLocaleString('en-US')} one-word documents in one JSONL file, minhash ${bands} x ${rows}, ${bin}`);

  const whole = await measure(process.execPath, [bin, 'run', config, '--input', input, '--output', runDir, '--workers', '1', '--quiet']);
  // Why a command failed: its first fatal or error line (GNU time's own lines left out).
  const tail = (s: string) => (s.split('\n').find((l) => /FATAL|Error|error:|signal/.test(l) && !l.startsWith('\t')) ?? '').trim().slice(0, 140);
  console.log(`whole run: exit ${whole.code}, peak RSS ${whole.peakRssMb.toFixed(0)} MB, CPU ${(whole.userSec + whole.sysSec).toFixed(1)} s${whole.code ? `: ${tail(whole.stderr)}` : ''}`);

  const passes = ['filter', 'minhash_signatures', 'minhash_buckets', 'minhash_clusters', 'minhash_filter', 'final_shards', 'final_manifest'];
  const lines: (string | number)[][] = [['pass', 'tasks', 'peak RSS MB (max)', 'CPU s (sum)', 'failed']];
  for (const pass of passes) {
    const done = await readdir(join(runDir, pass, 'done')).catch(() => [] as string[]);
    if (!done.length) {
      // The pass the run died in: its first task, once, to show how it fails.
      if (whole.code === 0) continue;
      const m = await measure(process.execPath, [bin, 'task', runDir, pass, '0']);
      lines.push([pass, '1', m.peakRssMb, m.userSec + m.sysSec, `exit ${m.code}: ${tail(m.stderr).slice(0, 120)}`]);
      break;
    }
    let peak = 0, cpu = 0, failed = 0;
    for (const marker of done.sort().slice(0, maxTasks)) {
      const rank = Number(marker);
      await rm(join(runDir, pass, 'done', marker));
      const m = await measure(process.execPath, [bin, 'task', runDir, pass, String(rank)]);
      peak = Math.max(peak, m.peakRssMb);
      cpu += m.userSec + m.sysSec;
      if (m.code !== 0) failed++;
    }
    const rerun = Math.min(done.length, maxTasks);
    lines.push([pass, rerun < done.length ? `${rerun} of ${done.length}` : String(done.length), peak, cpu, failed ? String(failed) : '']);
  }
  console.log(table(lines));
} finally {
  if (keep) console.log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}

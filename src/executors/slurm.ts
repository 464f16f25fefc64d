/**
 * The Slurm executor: one job array per pass, chained with `--dependency=afterok`.
 *
 * Task counts of corpus passes depend on what earlier passes wrote, so each pass is preceded
 * by a one-task "planner" job (`refinery slurm-plan <run> <i>`) that runs after the previous
 * pass succeeded, plans pass i, submits its array and then the planner of pass i+1 with
 * `afterok` on that array. The last planner merges stats.json. Every array task runs the
 * same entry as the local pool (`refinery task <run> <pass> $SLURM_ARRAY_TASK_ID`), retried
 * in place up to `max_retries` times and requeued by Slurm if its node fails. Job ids are
 * recorded in `<run>/slurm/jobs.jsonl` for `refinery status` and `refinery cancel`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { Registry } from '../config.js';
import type { SlurmOptions } from './slurm-options.js';
import { RefineryError } from '../errors.js';
import { corpusPassesOf, passContext } from '../corpus.js';
import { isTaskDone, paths, readManifest, STREAM_PASS, type RunManifest } from '../run-dir.js';
import type { Storage } from '../storage/storage.js';
import { collectTaskStats } from '../run.js';
import { mergeStats } from '../stats.js';

export interface SlurmJob {
  pass: string;
  kind: 'planner' | 'array';
  jobId: string;
  tasks?: number;
}

/** The command that runs refinery itself on a node (same node binary, same install). */
function refineryCommand(): string[] {
  return [process.execPath, resolve(process.argv[1] ?? 'bin/refinery.js')];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function logDir(runDir: string): string {
  // Slurm writes logs to a shared file system; for an s3:// run they go to a local folder.
  const dir = runDir.startsWith('s3://') ? join(tmpdir(), 'refinery-logs', runDir.replace(/[^\w.-]+/g, '_')) : join(resolve(runDir), 'logs');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function sbatch(args: string[], script: string, dir: string, name: string): string {
  const file = join(dir, `${name}.sbatch`);
  writeFileSync(file, script, { mode: 0o755 });
  let out: string;
  try {
    out = execFileSync('sbatch', ['--parsable', ...args, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new RefineryError('ERR_CONFIG', `sbatch failed for ${name}: ${(err.stderr ?? err.message).trim()}`);
  }
  return out.trim().split(';')[0]!;
}

async function recordJob(run: Storage, job: SlurmJob): Promise<void> {
  const prior = (await run.exists('slurm/jobs.jsonl')) ? (await run.readAll('slurm/jobs.jsonl')).toString('utf8') : '';
  await run.writeAll('slurm/jobs.jsonl', prior + JSON.stringify(job) + '\n');
}

export async function readJobs(run: Storage): Promise<SlurmJob[]> {
  if (!(await run.exists('slurm/jobs.jsonl'))) return [];
  return (await run.readAll('slurm/jobs.jsonl')).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SlurmJob);
}

function commonArgs(all: SlurmOptions, name: string, pass?: string): string[] {
  const opts = { ...all, ...(pass ? all.per_pass[pass] : {}) };
  const args = [`--job-name=${name}`, `--cpus-per-task=${opts.cpus_per_task}`, `--mem-per-cpu=${opts.mem_per_cpu_mb}`, `--time=${opts.time}`, '--requeue'];
  if (opts.partition) args.push(`--partition=${opts.partition}`);
  return [...args, ...opts.extra_args];
}

/** Passes in run order: the streaming pass, then every corpus pass (including final shards). */
export function passNames(manifest: RunManifest, registry: Registry): string[] {
  return [STREAM_PASS, ...corpusPassesOf(manifest.config, registry).map((p) => p.pass.name)];
}

/**
 * Plan pass `index` of a prepared run and submit its array, then the planner of the next
 * pass (afterok). Index == number of passes: merge stats.json (the chain's last job).
 */
export async function planAndSubmit(run: Storage, runDir: string, registry: Registry, index: number, opts: SlurmOptions): Promise<void> {
  const manifest = await readManifest(run);
  const names = passNames(manifest, registry);
  if (index >= names.length) {
    const stats = mergeStats(await collectTaskStats(run, names));
    await run.writeAll(paths.stats, JSON.stringify(stats, null, 1) + '\n');
    return;
  }
  const pass = names[index]!;
  let count: number;
  if (pass === STREAM_PASS) count = manifest.inputs.length;
  else {
    const p = corpusPassesOf(manifest.config, registry).find((x) => x.pass.name === pass)!;
    const ctx = await passContext(run, manifest, registry, p);
    count = await p.pass.plan({ ...ctx, options: p.options });
  }
  const todo: number[] = [];
  for (let r = 0; r < count; r++) if (!(await isTaskDone(run, pass, r))) todo.push(r);
  const logs = logDir(runDir);
  const cmd = refineryCommand().map(shellQuote).join(' ');
  let dependency: string[] = [];
  if (todo.length > 0) {
    mkdirSync(join(logs, pass), { recursive: true });
    const script = [
      '#!/bin/bash',
      `# refinery: pass ${pass} of ${runDir}, task = $SLURM_ARRAY_TASK_ID`,
      `for attempt in $(seq 1 ${opts.max_retries + 1}); do`,
      `  ${cmd} task ${shellQuote(runDir)} ${shellQuote(pass)} "$SLURM_ARRAY_TASK_ID" && exit 0`,
      '  echo "refinery: attempt $attempt failed" >&2',
      'done',
      'exit 1',
      '',
    ].join('\n');
    const array = compressRanges(todo) + (opts.max_parallel > 0 ? `%${opts.max_parallel}` : '');
    const jobId = sbatch([...commonArgs(opts, `refinery-${pass}`, pass), `--array=${array}`, `--output=${join(logs, pass, '%a.log')}`], script, logs, pass);
    await recordJob(run, { pass, kind: 'array', jobId, tasks: count });
    dependency = [`--dependency=afterok:${jobId}`];
  } else {
    await recordJob(run, { pass, kind: 'array', jobId: '', tasks: count });
  }
  const next = index + 1;
  const nextName = names[next] ?? 'stats';
  const plannerScript = ['#!/bin/bash', `exec ${cmd} slurm-plan ${shellQuote(runDir)} ${next}`, ''].join('\n');
  const plannerId = sbatch(
    [...commonArgs({ ...opts, cpus_per_task: 1 }, `refinery-plan-${nextName}`), ...dependency, '--kill-on-invalid-dep=yes', `--output=${join(logs, `plan-${next}.log`)}`],
    plannerScript,
    logs,
    `plan-${next}`,
  );
  await recordJob(run, { pass: nextName, kind: 'planner', jobId: plannerId });
}

/** `0-3,7,9-10` from sorted ranks. */
export function compressRanges(ranks: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ranks.length; ) {
    let j = i;
    while (j + 1 < ranks.length && ranks[j + 1] === ranks[j]! + 1) j++;
    parts.push(i === j ? `${ranks[i]}` : `${ranks[i]}-${ranks[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export interface JobState {
  jobId: string;
  state: string;
}

/** States of the run's jobs from sacct (falls back to squeue when accounting is off). */
export function jobStates(jobIds: string[]): JobState[] {
  const ids = jobIds.filter(Boolean);
  if (ids.length === 0) return [];
  try {
    const out = execFileSync('squeue', ['-h', '-o', '%i %T', '-j', ids.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter(Boolean).map((l) => {
      const [jobId, state] = l.trim().split(/\s+/);
      return { jobId: jobId!, state: state! };
    });
  } catch {
    return [];
  }
}

export function cancelJobs(jobIds: string[]): void {
  const ids = jobIds.filter(Boolean);
  if (ids.length) execFileSync('scancel', ids, { stdio: 'ignore' });
}

/** `refinery status`, `refinery cancel`, and the Slurm chain's planner entry. */
import { loadRegistry } from '../executors/run-task.js';
import { cancelJobs, jobStates, passNames, planAndSubmit, readJobs } from '../executors/slurm.js';
import { RefineryError } from '../errors.js';
import { isRunDir, notARunDir, paths, readManifest } from '../run-dir.js';
import type { RunStats } from '../stats.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/storage.js';
import type { Registry } from '../config.js';
import { parse } from './args.js';
import type { CliEnv } from './main.js';

export async function slurmPlanCommand(argv: string[], env: CliEnv): Promise<number> {
  const [runDir, index] = argv;
  if (!runDir || index === undefined) throw new RefineryError('ERR_CONFIG', 'usage: refinery slurm-plan <run-dir> <pass-index>');
  const run = openStorage(runDir);
  const manifest = await readManifest(run);
  await planAndSubmit(run, runDir, await loadRegistry(env.registryModule), Number(index), manifest.config.slurm);
  return 0;
}

export interface PassStatus {
  pass: string;
  done: number;
  /** Planned tasks, when known (from the Slurm job record or finished stats). */
  tasks?: number;
  jobs: { jobId: string; kind: string; state: string }[];
}

export async function runStatus(run: Storage, registry: Registry): Promise<{ passes: PassStatus[]; finished: boolean; liveJobs: number }> {
  const manifest = await readManifest(run);
  const jobs = await readJobs(run);
  const states = new Map(jobStates(jobs.map((j) => j.jobId)).map((s) => [s.jobId.replace(/_.*/, ''), s.state]));
  const passes: PassStatus[] = [];
  // A finished run's task counts are in stats.json (a local run records no job per pass).
  const finished = await run.exists(paths.stats);
  const statsTasks = new Map<string, number>();
  if (finished) {
    const stats = JSON.parse((await run.readAll(paths.stats)).toString('utf8')) as RunStats;
    for (const p of stats.passes) statsTasks.set(p.pass, p.tasks);
  }
  for (const pass of passNames(manifest, registry)) {
    const done = (await run.list(`${pass}/done`)).length;
    const mine = jobs.filter((j) => j.pass === pass);
    const tasks = mine.find((j) => j.kind === 'array')?.tasks ?? statsTasks.get(pass) ?? (pass === 'filter' ? manifest.inputs.length : undefined);
    passes.push({ pass, done, tasks, jobs: mine.map((j) => ({ jobId: j.jobId, kind: j.kind, state: j.jobId ? (states.get(j.jobId) ?? 'ENDED') : 'NONE' })) });
  }
  const liveJobs = jobs.filter((j) => j.jobId && states.has(j.jobId)).length;
  return { passes, finished, liveJobs };
}

export function formatStatus(s: { passes: PassStatus[]; finished: boolean }): string {
  const lines = s.passes.map((p) => {
    const total = p.tasks === undefined ? '?' : String(p.tasks);
    const jobs = p.jobs.map((j) => `${j.kind} ${j.jobId || '-'} ${j.state}`).join(', ');
    const state = p.tasks !== undefined && p.done >= p.tasks ? 'done' : p.done > 0 ? 'running/partial' : 'waiting';
    return `  ${p.pass.padEnd(22)} ${String(p.done).padStart(6)}/${total.padEnd(6)} ${state}${jobs ? `   [${jobs}]` : ''}`;
  });
  return [`run ${s.finished ? 'finished (stats.json written)' : 'not finished'}`, '  pass                     done/tasks', ...lines].join('\n');
}

export const STATUS_HELP = 'refinery status <run-dir|s3://...>: tasks done per pass, and the Slurm jobs of the run';
export const CANCEL_HELP = 'refinery cancel <run-dir|s3://...>: cancel the Slurm jobs of a run (rerun the same `refinery run` to resume)';

/** `<command> <run-dir>`: the run's storage, or the exit code after --help or a usage error. */
async function targetRun(argv: string[], usage: string): Promise<Storage | number> {
  const { positionals, values } = parse(argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new RefineryError('ERR_CONFIG', `usage: ${usage}`);
  const run = openStorage(positionals[0]!);
  if (!(await isRunDir(run)) || !(await run.exists(paths.manifest))) throw notARunDir(positionals[0]!);
  return run;
}

export async function statusCommand(argv: string[], env: CliEnv): Promise<number> {
  const run = await targetRun(argv, STATUS_HELP);
  if (typeof run === 'number') return run;
  process.stdout.write(formatStatus(await runStatus(run, await loadRegistry(env.registryModule))) + '\n');
  return 0;
}

export async function cancelCommand(argv: string[]): Promise<number> {
  const run = await targetRun(argv, CANCEL_HELP);
  if (typeof run === 'number') return run;
  const jobs = await readJobs(run);
  cancelJobs(jobs.map((j) => j.jobId));
  process.stdout.write(`cancelled ${jobs.filter((j) => j.jobId).length} Slurm job(s); rerun the same \`refinery run\` to resume\n`);
  return 0;
}

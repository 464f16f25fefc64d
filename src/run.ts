/**
 * Orchestrates a run: writes run.json, runs the streaming pass (one task per input file),
 * then every corpus pass in order, each pass's tasks in parallel on the executor; finally
 * merges every task's stats into stats.json. Finished tasks are skipped, so rerunning the
 * same command resumes an interrupted run.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Registry, RunConfig } from './config.js';
import { RefineryError } from './errors.js';
import type { Executor } from './executors/local.js';
import { corpusPassesOf, passContext } from './corpus.js';
import { ProgressReporter } from './progress.js';
import { paths, readTaskStats, STREAM_PASS, type RunManifest } from './run-dir.js';
import { mergeStats, type RunStats, type TaskStats } from './stats.js';
import type { Storage } from './storage/storage.js';

export interface RunRequest {
  config: RunConfig;
  inputs: string[];
  limit?: number;
  /** The run directory as given (local path or s3://), for workers to open. */
  runDir: string;
  run: Storage;
  registry: Registry;
  registryModule: string;
  executor: Executor;
  /** Total input bytes when known, for the ETA. */
  inputBytes?: number;
  progress: boolean;
  log(message: string): void;
}

/** Write run.json, or check that the existing one describes the same run (resume). */
export async function prepareRunDir(run: Storage, manifest: RunManifest): Promise<'new' | 'resume'> {
  const text = JSON.stringify(manifest, null, 2) + '\n';
  // Created only if absent (the CLI also holds the run lock): two runs cannot both write it.
  if (!(await run.exists(paths.manifest))) {
    if (run.createExclusive ? await run.createExclusive(paths.manifest, text) : (await run.writeAll(paths.manifest, text), true)) return 'new';
  }
  const old = JSON.parse((await run.readAll(paths.manifest)).toString('utf8')) as RunManifest;
  if (!isDeepStrictEqual(old, manifest)) {
    throw new RefineryError('ERR_CONFIG', `${run.root} holds a different run (config or inputs differ): give a new --output, or remove it`);
  }
  return 'resume';
}

/**
 * One error for the failed tasks of a pass. Its code says what to do: ERR_CONFIG (the same
 * config error in every task: fix the config, said once), ERR_BAD_RECORD (--strict), the
 * tasks' common code (e.g. ERR_OUTPUT), else ERR_TASK; all but config errors: rerun to retry.
 */
export function tasksFailedError(pass: string, count: number, failures: { rank: number; error: unknown }[]): RefineryError {
  const sorted = [...failures].sort((a, b) => a.rank - b.rank);
  const codeOf = (e: unknown) => (e instanceof RefineryError ? e.code : undefined);
  const codes = new Set(sorted.map((f) => codeOf(f.error)));
  const code = codes.has('ERR_BAD_RECORD') ? 'ERR_BAD_RECORD' : codes.size === 1 && codeOf(sorted[0]!.error) ? codeOf(sorted[0]!.error)! : 'ERR_TASK';
  // The same message from many tasks (a config value a stage refuses) is said once.
  const byMessage = new Map<string, number[]>();
  for (const f of sorted) {
    const m = (f.error as Error)?.message ?? String(f.error);
    byMessage.set(m, [...(byMessage.get(m) ?? []), f.rank]);
  }
  const ranks = (r: number[]) => (r.length > 3 ? `tasks ${r.slice(0, 3).join(', ')} and ${r.length - 3} more` : `task${r.length > 1 ? 's' : ''} ${r.join(', ')}`);
  const detail = [...byMessage].slice(0, 10).map(([m, r]) => `  ${ranks(r)}: ${m}`).join('\n');
  const more = byMessage.size > 10 ? `\n  ... and ${byMessage.size - 10} other errors (see ${pass}/logs/)` : '';
  const what = code === 'ERR_CONFIG' ? 'fix the config and rerun' : code === 'ERR_BAD_RECORD' ? 'see the record named, or run without --strict' : 'rerun the same command to retry them';
  return new RefineryError(code, `pass ${pass}: ${failures.length} of ${count} tasks failed (${what}):\n${detail}${more}`);
}

async function runTasks(req: RunRequest, pass: string, count: number, label: string, bytesTotal?: number): Promise<TaskStats[]> {
  const progress = new ProgressReporter({ label, tasksTotal: count, bytesTotal }, process.stderr, req.progress);
  progress.start();
  const failures: { rank: number; error: unknown }[] = [];
  try {
    const results = await Promise.all(
      Array.from({ length: count }, (_, rank) =>
        req.executor
          .run({ runDir: req.runDir, registryModule: req.registryModule, pass, rank, progress: progress.buffer })
          .then((s) => {
            progress.taskDone();
            return s;
          })
          .catch((error: unknown) => {
            failures.push({ rank, error });
            return undefined;
          }),
      ),
    );
    if (failures.length) throw tasksFailedError(pass, count, failures);
    return results as TaskStats[];
  } finally {
    progress.stop();
  }
}

export async function executeRun(req: RunRequest): Promise<RunStats> {
  const manifest: RunManifest = { version: 1, config: req.config, inputs: req.inputs, ...(req.limit ? { limit: req.limit } : {}) };
  const mode = await prepareRunDir(req.run, manifest);
  if (mode === 'resume') req.log(`resuming the run in ${req.run.root} (finished tasks are skipped)`);
  const all: TaskStats[] = [];
  // The pool's threads are this process's: its CPU time around a pass is the pass's (what a
  // sample's core-hours scale from). A resumed pass skipped tasks whose CPU is not known.
  const cpuMs = new Map<string, number>();
  const measured = async (pass: string, tasks: () => Promise<TaskStats[]>) => {
    const c0 = process.cpuUsage();
    all.push(...(await tasks()));
    const c = process.cpuUsage(c0);
    if (mode === 'new') cpuMs.set(pass, (c.user + c.system) / 1000);
  };
  await measured(STREAM_PASS, () => runTasks(req, STREAM_PASS, req.inputs.length, STREAM_PASS, req.inputBytes));
  for (const p of corpusPassesOf(req.config, req.registry)) {
    await measured(p.pass.name, async () => {
      const ctx = await passContext(req.run, manifest, req.registry, p);
      const count = await p.pass.plan({ ...ctx, options: p.options });
      return runTasks(req, p.pass.name, count, p.pass.name);
    });
  }
  const stats = mergeStats(all);
  for (const p of stats.passes) if (cpuMs.has(p.pass)) p.cpuMs = cpuMs.get(p.pass);
  await req.run.writeAll(paths.stats, JSON.stringify(stats, null, 1) + '\n');
  return stats;
}

/** stats.json from whatever tasks are committed (for `refinery status` and reports). */
export async function collectTaskStats(run: Storage, passNames: string[]): Promise<TaskStats[]> {
  const out: TaskStats[] = [];
  for (const pass of passNames) {
    for (const f of await run.list(`${pass}/done`)) {
      const rank = Number(f.path.split('/').pop());
      out.push(await readTaskStats(run, pass, rank));
    }
  }
  return out;
}

/**
 * The run directory (docs/architecture.md, "Run directory"): where every task's outputs,
 * stats and commit markers live, on local disk or S3.
 */
import type { Storage } from './storage/storage.js';
import type { RunConfig } from './config.js';
import type { TaskStats } from './stats.js';

/** The streaming pass (read → extract → filters) is always the first pass. */
export const STREAM_PASS = 'filter';

export interface RunManifest {
  version: 1;
  config: RunConfig;
  /** Input URIs, sorted: task `rank` of the streaming pass reads `inputs[rank]`. */
  inputs: string[];
  /** At most this many documents per input file (`--limit`). */
  limit?: number;
}

export const paths = {
  manifest: 'run.json',
  stats: 'stats.json',
  data: (pass: string) => `${pass}/data`,
  excluded: (pass: string) => `${pass}/excluded`,
  samples: (pass: string, rank: number) => `${pass}/samples/${pad(rank)}.json`,
  taskStats: (pass: string, rank: number) => `${pass}/stats/${pad(rank)}.json`,
  done: (pass: string, rank: number) => `${pass}/done/${pad(rank)}`,
  taskLog: (pass: string, rank: number) => `${pass}/logs/${pad(rank)}.log`,
};

export function pad(rank: number): string {
  return String(rank).padStart(5, '0');
}

export async function readManifest(run: Storage): Promise<RunManifest> {
  return JSON.parse((await run.readAll(paths.manifest)).toString('utf8')) as RunManifest;
}

export async function isTaskDone(run: Storage, pass: string, rank: number): Promise<boolean> {
  return run.exists(paths.done(pass, rank));
}

/** Commit a task: stats first, then the marker, so a marker always has its stats. */
export async function commitTask(run: Storage, stats: TaskStats): Promise<void> {
  await run.writeAll(paths.taskStats(stats.pass, stats.rank), JSON.stringify(stats, null, 1));
  await run.writeAll(paths.done(stats.pass, stats.rank), '');
}

export async function readTaskStats(run: Storage, pass: string, rank: number): Promise<TaskStats> {
  return JSON.parse((await run.readAll(paths.taskStats(pass, rank))).toString('utf8')) as TaskStats;
}

/**
 * The run directory (docs/architecture.md, "Run directory"): where every task's outputs,
 * stats and commit markers live, on local disk or S3.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RefineryError } from './errors.js';
import { isUrl } from './paths.js';
import type { Storage } from './storage/storage.js';
import type { RunConfig } from './config.js';
import { tempOwner } from './storage/local.js';
import { holderAlive } from './run-lock.js';
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
  /** What a sampled run (`--sample`) estimates for the whole input (src/sample.ts). */
  sample: 'sample.json',
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

/**
 * Remove the temporaries (`*.tmp-*`) that dead writers left in a local run directory: a task
 * killed (kill -9) leaves a 0-byte one, a full disk a partial shard. Called by `refinery run`
 * holding the run lock, before any task starts. A temporary is removed when its owner (host
 * and pid in its name, src/storage/local.ts) is this host and that process is gone, or has no
 * owner in its name (older versions); one of another host only when untouched for an hour
 * (its writer there may be alive: a Slurm task on a shared file system). Returns the count.
 * On S3 nothing is visible before it is complete (multipart uploads), so there is nothing to do.
 */
export async function removeStaleTemporaries(run: Storage, log: (m: string) => void): Promise<number> {
  if (isUrl(run.root)) return 0;
  const host = hostname().replace(/[^\w.-]/g, '_');
  let removed = 0;
  let bytes = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const ent of entries) {
      const p = join(dir, ent.name);
      if (ent.isDirectory()) await walk(p);
      else if (ent.name.includes('.tmp-')) {
        const owner = tempOwner(ent.name);
        const st = await stat(p).catch(() => undefined);
        if (!st) continue;
        const stale = !owner
          ? true
          : owner.host === host
            ? holderAlive({ pid: owner.pid, host: hostname(), started: '', command: '' }) === false
            : Date.now() - st.mtimeMs > 3_600_000;
        if (!stale) continue;
        await rm(p, { force: true });
        removed++;
        bytes += st.size;
      }
    }
  };
  await walk(run.root);
  if (removed) log(`removed ${removed} temporary file(s) (${bytes} bytes) left by processes that ended`);
  return removed;
}

/**
 * Does `run` look like a run directory (what `refinery report|inspect|status` read)? It has
 * run.json, stats.json, or the streaming pass's folder (a run copied without its json files).
 */
export async function isRunDir(run: Storage): Promise<boolean> {
  if ((await run.exists(paths.manifest)) || (await run.exists(paths.stats))) return true;
  return (await run.list(STREAM_PASS)).length > 0;
}

/** The error for a path that is not a run directory (usage: exit 2). */
export function notARunDir(target: string): RefineryError {
  return new RefineryError('ERR_CONFIG', `${target} is not a run directory (no run.json or stats.json): give the --output of a \`refinery run\``, {}, { usage: true });
}

/**
 * Runs one TaskSpec in the current process or thread: the single entry that the local pool's
 * workers, `refinery task` and Slurm array jobs all go through.
 */
import type { Registry } from '../config.js';
import type { TaskStats } from '../stats.js';
import { openStorage, openInput } from '../storage/open.js';
import { paths, readManifest, STREAM_PASS } from '../run-dir.js';
import { runPassTask, runStreamingTask, type TaskEnv } from '../task.js';
import { findPass, passContext } from '../corpus.js';
import type { TaskSpec } from './task-spec.js';

const registries = new Map<string, Promise<Registry>>();

export function loadRegistry(module: string): Promise<Registry> {
  if (!registries.has(module)) registries.set(module, import(module) as Promise<Registry>);
  return registries.get(module)!;
}

/** An input (local, https, s3) as the readers take it: whole, or by byte ranges (Parquet, `refinery explain`). */
export async function openInputSource(uri: string, opts?: Parameters<typeof openInput>[1]): ReturnType<TaskEnv['openInput']> {
  const input = await openInput(uri, opts);
  return { name: input.uri, size: input.size, read: () => input.read(), readRange: (start, end) => input.read({ start, end }) };
}

export async function runTaskSpec(spec: TaskSpec): Promise<TaskStats> {
  const registry = await loadRegistry(spec.registryModule);
  const retryCounts = {};
  const run = openStorage(spec.runDir, { retryCounts });
  const env: TaskEnv = {
    run,
    retryCounts,
    registry,
    openInput: (uri) => openInputSource(uri, { retryCounts }),
    progress: spec.progress ? new BigInt64Array(spec.progress) : undefined,
    log: (m) => logLines.push(m),
  };
  // A task's log lines go to `<pass>/logs/<rank>.log` in the run (every executor alike), and to
  // stderr too with REFINERY_VERBOSE=1. Thousands of tasks must not flood the terminal.
  const logLines: string[] = [];
  if (process.env.REFINERY_VERBOSE) {
    const push = logLines.push.bind(logLines);
    env.log = (m) => {
      process.stderr.write(`${spec.pass}/${spec.rank}: ${m}\n`);
      push(m);
    };
  }
  const writeLog = async () => {
    if (logLines.length) await run.writeAll(paths.taskLog(spec.pass, spec.rank), logLines.join('\n') + '\n');
  };
  try {
    if (spec.pass === STREAM_PASS) return await runStreamingTask(env, spec.rank);
    const manifest = await readManifest(run);
    const found = findPass(manifest.config, registry, spec.pass);
    const ctx = await passContext(run, manifest, registry, found, (m) => env.log(m));
    return await runPassTask(env, found.pass, ctx, spec.rank);
  } catch (e) {
    env.log(`failed: ${(e as Error)?.stack ?? String(e)}`);
    throw e;
  } finally {
    await writeLog().catch(() => undefined);
  }
}

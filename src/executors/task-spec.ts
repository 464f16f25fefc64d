import { RefineryError, type ErrorCode, type ErrorLocation } from '../errors.js';
/** What an executor hands a worker: enough to run exactly one task, nothing else. */
export interface TaskSpec {
  /** The run directory (local path or s3://). */
  runDir: string;
  /** Module that exports `stageModules` and `corpusSteps` (the registry). */
  registryModule: string;
  /** `filter` for the streaming pass, else a corpus pass name. */
  pass: string;
  rank: number;
  /** Shared progress counters (see PROGRESS_SLOTS), when the executor shows progress. */
  progress?: SharedArrayBuffer;
}

/** A failed task, as a worker thread returns it (structured clone drops an Error's code). */
export interface TaskFailure {
  taskFailure: { code?: string; message: string; location?: ErrorLocation };
}

export function taskFailure(e: unknown): TaskFailure {
  if (e instanceof RefineryError) return { taskFailure: { code: e.code, message: e.message, location: e.location } };
  return { taskFailure: { message: (e as Error)?.message ?? String(e) } };
}

/** The error again, on the orchestrator's side (its message already holds the location). */
export function fromTaskFailure(f: TaskFailure['taskFailure']): Error {
  if (!f.code) return new Error(f.message);
  const e = new RefineryError(f.code as ErrorCode, f.message);
  Object.assign(e, { location: f.location ?? {} });
  return e;
}

export function isTaskFailure(r: unknown): r is TaskFailure {
  return typeof r === 'object' && r !== null && 'taskFailure' in r;
}

/** The local executor: a piscina pool of worker threads, one task at a time per worker. */
import { Piscina } from 'piscina';
import { fromTaskFailure, isTaskFailure, type TaskSpec } from './task-spec.js';
import type { TaskStats } from '../stats.js';

export interface Executor {
  run(spec: TaskSpec): Promise<TaskStats>;
  close(): Promise<void>;
}

export function localExecutor(workers: number): Executor {
  const pool = new Piscina({
    filename: new URL('./worker.js', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    // Every task is queued; each worker takes the next when it finishes one.
    idleTimeout: 60_000,
  });
  return {
    async run(spec) {
      const r = (await pool.run(spec)) as TaskStats | unknown;
      if (isTaskFailure(r)) throw fromTaskFailure(r.taskFailure);
      return r as TaskStats;
    },
    close: () => pool.destroy(),
  };
}

// piscina worker: one exported function that runs one task (style.md, "piscina").
import { runTaskSpec } from './run-task.js';
import { taskFailure, type TaskFailure, type TaskSpec } from './task-spec.js';
import type { TaskStats } from '../stats.js';

export default async function runTask(spec: TaskSpec): Promise<TaskStats | TaskFailure> {
  try {
    return await runTaskSpec(spec);
  } catch (e) {
    // An Error crossing the thread boundary keeps only its message: send code and location too.
    return taskFailure(e);
  }
}

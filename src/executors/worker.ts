// piscina worker: one exported function that runs one task (style.md, "piscina").
import { runTaskSpec } from './run-task.js';
import type { TaskSpec } from './task-spec.js';
import type { TaskStats } from '../stats.js';

export default function runTask(spec: TaskSpec): Promise<TaskStats> {
  return runTaskSpec(spec);
}

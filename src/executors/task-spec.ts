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

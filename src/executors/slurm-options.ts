import { int, type OptionRanges } from '../options.js';

/** Options of the Slurm executor (config section `slurm:`). */
export interface SlurmOptions {
  partition: string | null;
  cpus_per_task: number;
  mem_per_cpu_mb: number;
  /** Slurm time limit per task, e.g. `04:00:00`. */
  time: string;
  /** Run at most this many tasks of an array at once (`--array=...%N`); 0 = no cap. */
  max_parallel: number;
  /** Attempts of a failed task inside its job before it counts as failed. */
  max_retries: number;
  /** Extra sbatch arguments, e.g. `--account=x`. */
  extra_args: string[];
  /** Overrides for one pass, e.g. `minhash_buckets: {mem_per_cpu_mb: 16000}`. */
  per_pass: Record<string, Partial<Omit<SlurmOptions, 'per_pass'>>>;
}

export const SLURM_DEFAULTS: SlurmOptions = {
  partition: null,
  cpus_per_task: 1,
  mem_per_cpu_mb: 4000,
  time: '04:00:00',
  max_parallel: 0,
  max_retries: 2,
  extra_args: [] as string[],
  per_pass: {},
};


export const SLURM_RANGES: OptionRanges<Omit<SlurmOptions, 'per_pass'>> = {
  cpus_per_task: int(1, 4096),
  mem_per_cpu_mb: int(1),
  max_parallel: int(0),
  max_retries: int(0, 100),
};

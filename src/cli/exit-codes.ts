/**
 * The exit codes of `refinery`, one rule for every command (README, "Exit codes"):
 * what a script needs to decide whether to use the output, fix the command, or rerun.
 */
import type { RefineryError } from '../errors.js';

export const EXIT = {
  /** The run finished; problems were counted and summarised. */
  ok: 0,
  /** The run finished, but nothing could be read from some input (empty, or every record bad). */
  inputUnreadable: 1,
  /** Usage or config error: nothing ran (bad flag or value, --output unusable, not a run). */
  usage: 2,
  /** The run stopped before the end: a task failed or the run directory is locked; rerun to resume. */
  stopped: 3,
  /** `--strict`: a bad record stopped a task. */
  strict: 4,
} as const;

export const EXIT_HELP = `Exit codes:
  0  the run finished (input problems are counted and summarised)
  1  the run finished, but nothing could be read from some input (empty, or every record bad)
  2  usage or config error: nothing ran (the message names the flag, key or path)
  3  the run stopped before the end: a task failed (e.g. disk full, ERR_OUTPUT) or another
     run holds the output (ERR_LOCKED); rerun the same command to resume
  4  --strict: a bad record stopped a task (the message names file, record and offset)`;

export function exitCodeFor(e: Pick<RefineryError, 'code' | 'usage'>): number {
  const { code } = e;
  if (code === 'ERR_CONFIG' || e.usage) return EXIT.usage;
  if (code === 'ERR_BAD_RECORD') return EXIT.strict;
  return EXIT.stopped;
}

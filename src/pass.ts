/**
 * The corpus-pass contract (docs/architecture.md): passes that need a corpus-wide view
 * (MinHash, exact substring, URL dedup, final sharding) run as tasks over the committed
 * outputs of earlier passes. A task is `(run, pass, rank)`; one CLI entry runs exactly one
 * task, so the local pool and Slurm arrays differ only in how they launch it.
 *
 * Layout of a pass's files in the run directory:
 *   <pass>/data/<rank>[-<part>].parquet   documents kept (input of the next pass)
 *   <pass>/excluded/...                   documents removed, with stage and reason
 *   <pass>/stats/<rank>.json              TaskStats
 *   <pass>/done/<rank>                    written last: the task's commit marker
 * Anything else a pass needs (signatures, buckets, clusters) lives under `<pass>/` too.
 * A task must write only through `ctx.run` and only under its own pass folder.
 */
import type { Storage } from './storage/storage.js';
import type { TaskStats } from './stats.js';
import type { OptionRanges } from './options.js';

export interface PassContext {
  /** The run directory (local or s3://). */
  run: Storage;
  /**
   * The folder (pass name) whose `data/*.parquet` holds the documents this step consumes:
   * the last pass before this step that wrote documents (the streaming pass is `filter`).
   */
  input: string;
  /** This pass's own options (validated from the config). */
  options: Record<string, unknown>;
  /** The whole resolved run config (run.json), for passes that need another section. */
  runConfig: Record<string, unknown>;
  log(message: string): void;
}

/**
 * A corpus step as configs name it (`- minhash: {bands: 450, rows: 20}` under `passes:`):
 * one or more passes run in order, all given the step's options. The last pass of a step
 * that removes documents writes `<pass>/data/`, which becomes the next step's `input`.
 */
export interface CorpusStep<C extends object = Record<string, unknown>> {
  name: string;
  description: string;
  defaults: C;
  /** The values each option accepts (src/options.ts), checked at start with the types. */
  ranges?: OptionRanges<C>;
  passes: CorpusPass<C>[];
}

export interface CorpusPass<C extends object = Record<string, unknown>> {
  /** Folder name in the run directory, e.g. `minhash_signatures`. Unique in a run. */
  name: string;
  /** Whether this pass writes `<name>/data/` (documents for the next step). */
  writesDocs: boolean;
  /** Number of tasks, decided from the committed outputs of earlier passes. */
  plan(ctx: PassContext & { options: C }): Promise<number>;
  // Passes of a step run in order: pass k+1 is planned only after every task of pass k is done.
  /** Run task `rank`; write outputs with write-then-commit; return its stats. */
  run(rank: number, ctx: PassContext & { options: C }): Promise<TaskStats>;
  /**
   * For `refinery explain` (src/explain.ts), optional: what this pass's files say about row
   * `row` of input shard `shard` (kept or removed by it), e.g. the duplicate cluster and the
   * copy kept in its place. Read-only; a pass without it is explained from its data and
   * excluded outputs alone.
   */
  explain?(at: { shard: number; row: number; kept: boolean }, ctx: PassContext & { options: C }): Promise<PassExplanation | undefined>;
}

/** A pass's own account of one document (see `CorpusPass.explain`). */
export interface PassExplanation {
  /** Facts to show, by name (e.g. `cluster_size`). */
  facts?: Record<string, string | number | boolean>;
  /** Other documents of the pass's input that it names (resolved to id and URL by the command). */
  related?: { role: string; shard: number; row: number }[];
}

/**
 * Runs a corpus step the way the task runner does (plan each pass, run every rank in order)
 * over a local run directory whose input shards the test writes under `filter/data/`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localStorage } from '../../src/storage/local.js';
import type { Storage } from '../../src/storage/storage.js';
import type { CorpusStep } from '../../src/pass.js';
import type { Doc } from '../../src/doc.js';
import type { TaskStats } from '../../src/stats.js';
import { encodeParquet, readParquetRows } from '../../src/formats/parquet.js';
import { docToRow, rowToDoc } from '../../src/formats/schema.js';
import { validateOptions } from '../../src/options.js';
import { pad } from '../../src/run-dir.js';

export async function tempRun(): Promise<Storage> {
  return localStorage(await mkdtemp(join(tmpdir(), 'refinery-test-')));
}

export async function writeShards(run: Storage, shards: Doc[][], folder = 'filter'): Promise<void> {
  for (let i = 0; i < shards.length; i++) {
    await run.writeAll(`${folder}/data/${pad(i)}.parquet`, encodeParquet(shards[i]!.map(docToRow), false));
  }
}

/** `docs` cut into `n` shards of equal size (the last may be shorter), in order. */
export function splitShards(docs: Doc[], n: number): Doc[][] {
  const per = Math.ceil(docs.length / n);
  return Array.from({ length: n }, (_, s) => docs.slice(s * per, (s + 1) * per));
}

/** Every pass of the step, every rank in order; the task stats in that order. */
export async function runStep<C extends object>(step: CorpusStep<C>, run: Storage, options: Partial<C> = {}, input = 'filter'): Promise<TaskStats[]> {
  const opts = validateOptions(step.name, step.defaults, options);
  const stats: TaskStats[] = [];
  for (const pass of step.passes) {
    const ctx = { run, input, options: opts as C & Record<string, unknown>, runConfig: {}, log: () => {} };
    const n = await pass.plan(ctx);
    for (let r = 0; r < n; r++) stats.push(await pass.run(r, ctx));
  }
  return stats;
}

/** Every document under `<folder>/data/` (or `excluded/`), in shard then row order. */
export async function readFolderDocs(run: Storage, folder: string, kind: 'data' | 'excluded' = 'data'): Promise<(Doc & { reason?: string })[]> {
  const out: (Doc & { reason?: string })[] = [];
  for (const f of await run.list(`${folder}/${kind}/`)) {
    for await (const row of readParquetRows(await run.readAll(f.path))) {
      out.push({ ...rowToDoc(row, '?'), ...(typeof row.reason === 'string' ? { reason: row.reason } : {}) });
    }
  }
  return out;
}

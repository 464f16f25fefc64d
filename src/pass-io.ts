/**
 * What corpus passes share for reading and writing documents and their task stats: the input
 * shards of a step (`<input>/data/*.parquet`, in path order, which is the documented "file"
 * order), reading a shard's documents, and writing a task's kept and excluded documents.
 */
import type { ObjectInfo, Storage } from './storage/storage.js';
import { pad } from './run-dir.js';
import type { Doc } from './doc.js';
import type { Drop } from './stage.js';
import type { StageStats, TaskStats } from './stats.js';
import { emptyStageStats } from './stats.js';
import { encodeParquet, readParquetRows } from './formats/parquet.js';
import { docToRow, rowToDoc } from './formats/schema.js';
import type { ExcludedRow } from './formats/schema.js';

/** The input shard files of a step, sorted by path (rank r reads shard r). */
export async function inputShardFiles(run: Storage, input: string): Promise<ObjectInfo[]> {
  return (await run.list(`${input}/data/`)).filter((o) => o.path.endsWith('.parquet'));
}

/** The paths of the input shards of a step, sorted (rank r reads shard r). */
export async function inputShards(run: Storage, input: string): Promise<string[]> {
  return (await inputShardFiles(run, input)).map((o) => o.path);
}

/** The number a per-task file is named by: `dir/00007.jsonl` -> 7. */
export function fileNumber(path: string): number {
  return Number(path.slice(path.lastIndexOf('/') + 1).replace(/\.[^.]*$/, ''));
}

/** Every document of a shard, in file order. */
export async function readShardDocs(run: Storage, path: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  let i = 0;
  for await (const row of readParquetRows(await run.readAll(path))) docs.push(rowToDoc(row, `${path}#${i++}`));
  return docs;
}

export interface Excluded {
  doc: Doc;
  drop: Drop;
}

/**
 * Write a task's outputs: `<pass>/data/<rank>.parquet` (kept) and, when any,
 * `<pass>/excluded/<rank>.parquet` (removed, with stage and reason).
 */
export async function writeTaskDocs(run: Storage, pass: string, rank: number, stage: string, kept: Doc[], excluded: Excluded[]): Promise<void> {
  const name = pad(rank);
  await run.writeAll(`${pass}/data/${name}.parquet`, encodeParquet(kept.map(docToRow), false));
  if (excluded.length) {
    const rows: ExcludedRow[] = excluded.map(({ doc, drop }) => ({
      ...docToRow(doc),
      stage,
      reason: drop.reason,
      value: drop.value ?? null,
      detail: drop.detail ?? null,
    }));
    await run.writeAll(`${pass}/excluded/${name}.parquet`, encodeParquet(rows, true));
  }
}

/** Stage stats of a filtering task: what came in, what was kept, removals by reason. */
export function filterStats(input: Doc[], kept: Doc[], excluded: Excluded[], ms: number): StageStats {
  const s = emptyStageStats();
  s.docsIn = input.length;
  s.charsIn = input.reduce((a, d) => a + d.text.length, 0);
  s.docsOut = kept.length;
  s.charsOut = kept.reduce((a, d) => a + d.text.length, 0);
  for (const { doc, drop } of excluded) {
    const r = (s.dropped[drop.reason] ??= { docs: 0, chars: 0 });
    r.docs++;
    r.chars += doc.text.length;
  }
  s.ms = ms;
  return s;
}

/** TaskStats of a pass that filters input shard `input` with one stage and writes the kept documents. */
export function filterTaskStats(pass: string, rank: number, input: string, stage: { name: string; stats: StageStats }, kept: Doc[], tokensWritten: number, ms: number): TaskStats {
  return { pass, rank, input, stages: [stage], docsWritten: kept.length, tokensWritten, retries: {}, ms };
}

/** TaskStats of a pass that writes no documents (an index, a shuffle). */
export function auxTaskStats(pass: string, rank: number, ms: number, input?: string): TaskStats {
  return { pass, rank, input, stages: [], docsWritten: 0, tokensWritten: 0, retries: {}, ms };
}

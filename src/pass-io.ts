/**
 * What corpus passes share for reading and writing documents and their task stats: the input
 * shards of a step (`<input>/data/*.parquet`, in path order, which is the documented "file"
 * order), reading a shard's documents and writing a task's kept and excluded documents, both
 * streamed (a Parquet row group at a time), so no pass holds a shard's documents.
 */
import type { AtomicWriter, FillableRead, ObjectInfo, Storage } from './storage/storage.js';
import { pad } from './run-dir.js';
import { RefineryError } from './errors.js';
import type { Doc } from './doc.js';
import type { Drop } from './stage.js';
import type { TaskStats } from './stats.js';
import { emptyStageStats } from './stats.js';
import { encodeParquet, parquetStreamWriter, readParquetRows, storageParquet, type ParquetOptions } from './formats/parquet.js';
import type { ParquetStreamWriter } from './formats/parquet.js';
import { docToRow, rowToDoc } from './formats/schema.js';
import type { DocRow, ExcludedRow } from './formats/schema.js';

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

/** The documents of a shard, in file order, one Parquet row group in memory at a time. */
export async function* shardDocs(run: Storage, shard: ObjectInfo): AsyncGenerator<Doc> {
  let i = 0;
  for await (const row of readParquetRows(storageParquet(run, shard.path, shard.size))) yield rowToDoc(row, `${shard.path}#${i++}`);
}

/** One Parquet file streamed into storage, a row group at a time (see parquetStreamWriter). */
export interface ParquetFileWriter<R extends DocRow> {
  add(row: R): Promise<void>;
  /** Commits the file; with no rows, writes an empty one (`empty: 'write'`) or deletes a stale one. */
  close(): Promise<number>;
  abort(): Promise<void>;
  readonly rows: number;
}

export function parquetFileWriter<R extends DocRow>(
  run: Storage,
  path: string,
  excluded: boolean,
  empty: 'write' | 'delete',
  /** Row group and zstd settings, and a tap on every byte written (hash and size on the way). */
  opts: { parquet?: ParquetOptions; onBytes?: (bytes: Uint8Array) => void } = {},
): ParquetFileWriter<R> {
  let file: AtomicWriter | undefined;
  let pq: ParquetStreamWriter<R> | undefined;
  return {
    async add(row) {
      if (!pq) {
        const out = (file = await run.create(path));
        pq = parquetStreamWriter<R>((bytes) => {
          opts.onBytes?.(bytes);
          return out.write(bytes);
        }, excluded, opts.parquet);
      }
      await pq.add(row);
    },
    async close() {
      if (!pq) {
        if (empty === 'write') await run.writeAll(path, encodeParquet([], excluded));
        else await run.delete(path);
        return 0;
      }
      const rows = await pq.close();
      await file!.commit();
      return rows;
    },
    async abort() {
      await file?.abort();
    },
    get rows() {
      return pq?.rows ?? 0;
    },
  };
}

/**
 * A filtering task's documents, streamed: kept ones to `<pass>/data/<rank>.parquet` (written
 * even when empty), removed ones with stage and reason to `<pass>/excluded/<rank>.parquet`
 * (only when any), counted as they go (what filterStats counts). Memory: a row group of each.
 */
export function taskDocsWriter(run: Storage, pass: string, rank: number, stage: string) {
  const name = pad(rank);
  const kept = parquetFileWriter<DocRow>(run, `${pass}/data/${name}.parquet`, false, 'write');
  const excluded = parquetFileWriter<ExcludedRow>(run, `${pass}/excluded/${name}.parquet`, true, 'delete');
  const stats = emptyStageStats();
  let tokens = 0;
  return {
    stats,
    /** Counts a document read (before any change), kept or not. */
    read(doc: Doc): void {
      stats.docsIn++;
      stats.charsIn += doc.text.length;
    },
    async keep(doc: Doc): Promise<void> {
      stats.docsOut++;
      stats.charsOut += doc.text.length;
      tokens += doc.tokenCount ?? 0;
      await kept.add(docToRow(doc));
    },
    async exclude(doc: Doc, drop: Drop): Promise<void> {
      const r = (stats.dropped[drop.reason] ??= { docs: 0, chars: 0 });
      r.docs++;
      r.chars += doc.text.length;
      await excluded.add({ ...docToRow(doc), stage, reason: drop.reason, value: drop.value ?? null, detail: drop.detail ?? null });
    },
    /** Commits both files; the task's stats with this stage. */
    async close(input: string, ms: number, tokensWritten = tokens): Promise<TaskStats> {
      await kept.close();
      await excluded.close();
      stats.ms = ms;
      return { pass, rank, input, stages: [{ name: stage, stats }], docsWritten: stats.docsOut, tokensWritten, retries: {}, ms };
    },
    async abort(): Promise<void> {
      await kept.abort();
      await excluded.abort();
    },
  };
}

/** TaskStats of a pass that writes no documents (an index, a shuffle). */
export function auxTaskStats(pass: string, rank: number, ms: number, input?: string): TaskStats {
  return { pass, rank, input, stages: [], docsWritten: 0, tokensWritten: 0, retries: {}, ms };
}

/**
 * Bytes [start, end) of a run file in one buffer (a pass's own binary files: signature runs,
 * token columns, scatter files). A short read means the file was cut: ERR_CORRUPT naming the
 * file and the offset where the bytes ran out, never a silently short buffer. `into`: fill the
 * front of this buffer instead of allocating one (a reader reusing it across reads).
 */
export async function readByteRange(run: Storage, path: string, start: number, end: number, into?: Uint8Array): Promise<Buffer> {
  const length = Math.max(0, end - start);
  if (into && into.length < length) throw new RangeError(`readByteRange: a ${into.length}-byte buffer cannot take ${length} bytes`);
  // Not zeroed: every byte is overwritten, or the read fails below. A buffer of its own at
  // offset 0, so typed views of it are aligned.
  const out = into ? Buffer.from(into.buffer, into.byteOffset, length) : Buffer.allocUnsafeSlow(length);
  let at = 0;
  if (length > 0) {
    const read = run.read(path, { start, end });
    if (typeof (read as Partial<FillableRead>).fill === 'function') at = await (read as FillableRead).fill(out);
    else {
      for await (const chunk of read) {
        if (at + chunk.length > length) throw new RefineryError('ERR_CORRUPT', 'read past the requested range', { file: path, offset: start + at });
        out.set(chunk, at);
        at += chunk.length;
      }
    }
  }
  if (at !== out.length) throw new RefineryError('ERR_CORRUPT', `truncated: wanted ${end - start} bytes at ${start}, got ${at}`, { file: path, offset: start + at });
  return out;
}

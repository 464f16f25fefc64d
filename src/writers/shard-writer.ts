/**
 * Writes a task's documents as shards `<dir>/<rank>-<part>.<ext>`, rolled over at
 * `shard_bytes` of text. Names depend only on the task's rank and its own input, so the
 * output is the same whatever the number of workers. Every shard is written through
 * `Storage.create/writeAll`, so it appears only when complete.
 */
import { gzipSync } from 'node:zlib';
import type { Storage } from '../storage/storage.js';
import type { OutputOptions } from '../config.js';
import type { DocRow } from '../formats/schema.js';
import { parquetFileWriter, type ParquetFileWriter } from '../pass-io.js';

export interface ShardWriter<R extends DocRow> {
  add(row: R): Promise<void>;
  /** Flush the last shard; returns every file written, in order. */
  close(): Promise<string[]>;
  readonly rows: number;
}

export function shardName(rank: number, part: number, format: string): string {
  return `${String(rank).padStart(5, '0')}-${String(part).padStart(4, '0')}.${format}`;
}

/** Delete what an earlier, unfinished attempt of this task left (before redoing it). */
export async function clearTaskShards(storage: Storage, dir: string, rank: number): Promise<void> {
  const prefix = `${dir}/${String(rank).padStart(5, '0')}-`;
  for (const f of await storage.list(dir)) if (f.path.startsWith(prefix)) await storage.delete(f.path);
}

export function createShardWriter<R extends DocRow>(
  storage: Storage,
  dir: string,
  rank: number,
  opts: OutputOptions,
  excluded: boolean,
): ShardWriter<R> {
  // Parquet shards are streamed a row group at a time (pass-io's parquetFileWriter, the same
  // bytes as encoding the shard at once), so a task holds one row group, not a shard: a shard
  // of tiny documents can hold millions of rows. JSONL shards are still built whole.
  let parquet: ParquetFileWriter<R> | undefined;
  let buffer: R[] = [];
  let shardChars = 0;
  let part = 0;
  let rows = 0;
  const files: string[] = [];
  const parquetOpts = { rowGroupRows: opts.row_group_rows, zstdLevel: opts.zstd_level };

  const flush = async () => {
    if (parquet) {
      await parquet.close();
      parquet = undefined;
    } else {
      if (buffer.length === 0) return;
      const text = buffer.map((r) => JSON.stringify(r)).join('\n') + '\n';
      await storage.writeAll(files[files.length - 1]!, opts.format === 'jsonl.gz' ? gzipSync(text) : Buffer.from(text));
      buffer = [];
    }
    shardChars = 0;
  };

  return {
    async add(row) {
      if (shardChars === 0 && !parquet && buffer.length === 0) {
        const name = `${dir}/${shardName(rank, part++, opts.format)}`;
        files.push(name);
        if (opts.format === 'parquet') parquet = parquetFileWriter<R>(storage, name, excluded, 'delete', { parquet: parquetOpts });
      }
      if (parquet) await parquet.add(row);
      else buffer.push(row);
      rows++;
      // Rolled by text bytes (+64 per row for the other columns), as before streaming: the same shards.
      shardChars += row.content.length + row.url.length + 64;
      if (shardChars >= opts.shard_bytes) await flush();
    },
    async close() {
      await flush();
      return files;
    },
    get rows() {
      return rows;
    },
  };
}

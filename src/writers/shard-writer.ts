/**
 * Writes a task's documents as shards `<dir>/<rank>-<part>.<ext>`, rolled over at
 * `shard_bytes` of text. Names depend only on the task's rank and its own input, so the
 * output is the same whatever the number of workers. Every shard is written through
 * `Storage.create/writeAll`, so it appears only when complete.
 */
import { gzipSync } from 'node:zlib';
import type { Storage } from '../storage/storage.js';
import type { OutputOptions } from '../config.js';
import { encodeParquet } from '../formats/parquet.js';
import type { DocRow, ExcludedRow } from '../formats/schema.js';

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
  let buffer: R[] = [];
  let bufferedChars = 0;
  let part = 0;
  let rows = 0;
  const files: string[] = [];

  const flush = async () => {
    if (buffer.length === 0) return;
    const name = `${dir}/${shardName(rank, part++, opts.format)}`;
    let bytes: Uint8Array;
    if (opts.format === 'parquet') {
      bytes = encodeParquet(buffer as DocRow[] | ExcludedRow[], excluded, { rowGroupRows: opts.row_group_rows, zstdLevel: opts.zstd_level });
    } else {
      const text = buffer.map((r) => JSON.stringify(r)).join('\n') + '\n';
      bytes = opts.format === 'jsonl.gz' ? gzipSync(text) : Buffer.from(text);
    }
    await storage.writeAll(name, bytes);
    files.push(name);
    buffer = [];
    bufferedChars = 0;
  };

  return {
    async add(row) {
      buffer.push(row);
      rows++;
      bufferedChars += row.content.length + row.url.length + 64;
      if (bufferedChars >= opts.shard_bytes) await flush();
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

/**
 * Bounded reads of Parquet shards through a Storage: hyparquet fetches only the byte ranges it
 * needs (footer, then the column chunks of the rows asked for), so sampling the first rows of
 * a 1 GB shard on S3 costs a few ranged GETs, never the whole object.
 */
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { Storage } from '../storage/storage.js';
import { compressors, STRING_PARSERS } from '../formats/parquet.js';

/** A hyparquet AsyncBuffer over one object of a Storage (ranged reads). */
export function storageAsyncBuffer(storage: Storage, path: string, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? size;
      const out = new Uint8Array(Math.max(0, stop - start));
      let at = 0;
      for await (const chunk of storage.read(path, { start, end: stop })) {
        out.set(chunk.subarray(0, out.length - at), at);
        at += chunk.length;
        if (at >= out.length) break;
      }
      return out.buffer;
    },
  };
}

export interface ShardReader {
  rows: number;
  columns: string[];
  /** Rows [start, end) with only `columns` (all when undefined). */
  read(start: number, end: number, columns?: string[]): Promise<Record<string, unknown>[]>;
}

/** Open a Parquet object for bounded reads (reads the footer only). */
export async function openShard(storage: Storage, path: string, size: number): Promise<ShardReader> {
  const file = storageAsyncBuffer(storage, path, size);
  // The footer of a document shard is a few KiB: fetch 64 KiB first, not hyparquet's 512 KiB.
  const metadata: FileMetaData = await parquetMetadataAsync(file, { initialFetchSize: 1 << 16 });
  const present = new Set(metadata.schema.slice(1).map((s) => s.name));
  return {
    rows: Number(metadata.num_rows),
    columns: [...present],
    async read(start, end, columns) {
      const cols = columns?.filter((c) => present.has(c));
      return (await parquetReadObjects({ file, metadata, columns: cols, rowStart: start, rowEnd: Math.min(end, Number(metadata.num_rows)), compressors, parsers: STRING_PARSERS })) as Record<string, unknown>[];
    },
  };
}

/** Number-like Parquet values (int32, int64 as bigint, double) to a number. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

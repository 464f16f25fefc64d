/**
 * Parquet encoding of document rows: parquet-writer.ts (hand-written, pages compressed by the
 * system's libzstd through the native addon), or, where the addon or libzstd is missing,
 * parquet-wasm-writer.ts (apache-arrow + parquet-wasm), loaded only then. Reading uses
 * hyparquet (pure JS, independent of either writer).
 */
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { Storage } from '../storage/storage.js';
import { compressors as jsCompressors } from 'hyparquet-compressors';
import { loadNative } from '../native.js';
import { type DocRow, type ExcludedRow } from './schema.js';
import { columnSpecs, encodeRows, ParquetEncoder, type ZstdCompress } from './parquet-writer.js';

export interface ParquetOptions {
  /** Rows per row group (bounds reader memory). */
  rowGroupRows: number;
  /** zstd level (1..22). */
  zstdLevel: number;
}

export const DEFAULT_PARQUET: ParquetOptions = { rowGroupRows: 10_000, zstdLevel: 3 };

interface ZstdNative {
  zstdAvailable(): boolean;
  zstdDecompress(input: Uint8Array, outputLength: number): Uint8Array;
  zstdCompress?(input: Uint8Array, level: number): Uint8Array;
}

/** The addon's zstd, when it has one and the system has libzstd. */
const nativeZstd: ZstdNative | undefined = (() => {
  try {
    const native = loadNative() as unknown as ZstdNative;
    if (typeof native.zstdAvailable === 'function' && native.zstdAvailable()) return native;
  } catch {
    // no addon
  }
  return undefined;
})();

/** Page compression of the hand-written writer; undefined: the parquet-wasm fallback writes. */
const zstdCompress: ZstdCompress | undefined = typeof nativeZstd?.zstdCompress === 'function' ? nativeZstd.zstdCompress.bind(nativeZstd) : undefined;

/** Loaded only without native zstd: its WASM compiles for ~1 s. */
const wasmWriter = zstdCompress ? undefined : await import('./parquet-wasm-writer.js');

/** Which writer this process uses (for tests and diagnostics). */
export const parquetWriterKind: 'native' | 'wasm' = zstdCompress ? 'native' : 'wasm';

/**
 * Page decompressors for hyparquet: zstd through the addon (the system's libzstd) when it
 * has one, ~10x faster than fzstd, which was a fifth of the tokenize pass; otherwise, and
 * for every other codec, hyparquet-compressors' JS decoders. Same bytes either way.
 */
export const compressors: typeof jsCompressors = nativeZstd
  ? { ...jsCompressors, ZSTD: (input: Uint8Array, outputLength: number) => nativeZstd.zstdDecompress(input, outputLength) }
  : jsCompressors;

/** Encode rows into one Parquet file (bytes). */
export function encodeParquet(rows: DocRow[] | ExcludedRow[], excluded: boolean, opts: ParquetOptions = DEFAULT_PARQUET): Uint8Array {
  if (!zstdCompress) return wasmWriter!.encodeParquetWasm(rows, excluded, opts);
  return encodeRows(rows, excluded, opts, zstdCompress);
}

/** Rows streamed into one Parquet file: `add` them, then `close` (returns the row count). */
export interface ParquetStreamWriter<R extends DocRow> {
  add(row: R): Promise<void>;
  close(): Promise<number>;
  readonly rows: number;
}

/**
 * A Parquet file written a row group at a time into `out`. The schema's extra columns are
 * those of the first row group, so its rows are held until it is complete; later rows go into
 * pages as they come (a pass holds at most one row group of rows, then compressed pages). The
 * bytes equal encodeParquet's of the same rows whenever the first row group has every extra
 * column (with its type); a column first seen later is added then, null in the rows before
 * (ParquetEncoder; the parquet-wasm fallback, which takes its schema from the first 2,048
 * rows, drops it). `out` receives the bytes (the magic, each row group, then the footer);
 * commit it after `close`.
 */
export function parquetStreamWriter<R extends DocRow>(out: (bytes: Uint8Array) => Promise<void>, excluded: boolean, opts: ParquetOptions = DEFAULT_PARQUET): ParquetStreamWriter<R> {
  if (!zstdCompress) return wasmWriter!.parquetWasmStreamWriter<R>(out, excluded, opts);
  return new NativeStreamWriter<R>(out, excluded, opts, zstdCompress);
}

class NativeStreamWriter<R extends DocRow> implements ParquetStreamWriter<R> {
  /** Rows of the first row group, until the schema is known. */
  private firstGroup: R[] | undefined = [];
  private encoder: ParquetEncoder | undefined;
  private count = 0;

  constructor(
    private readonly out: (bytes: Uint8Array) => Promise<void>,
    private readonly excluded: boolean,
    private readonly opts: ParquetOptions,
    private readonly compress: ZstdCompress,
  ) {}

  async add(row: R): Promise<void> {
    this.count++;
    if (this.firstGroup) {
      this.firstGroup.push(row);
      if (this.firstGroup.length === this.opts.rowGroupRows) await this.startEncoding();
      return;
    }
    const group = this.encoder!.add(row);
    if (group) await this.out(group);
  }

  /** The schema from the first row group's rows, and those rows encoded. */
  private async startEncoding(): Promise<void> {
    const rows = this.firstGroup!;
    this.firstGroup = undefined;
    this.encoder = new ParquetEncoder(columnSpecs(rows, this.excluded), this.opts, this.compress, this.excluded);
    await this.out(ParquetEncoder.header);
    for (const r of rows) {
      const group = this.encoder.add(r);
      if (group) await this.out(group);
    }
  }

  async close(): Promise<number> {
    if (this.firstGroup) await this.startEncoding();
    await this.out(this.encoder!.finish());
    return this.count;
  }

  get rows(): number {
    return this.count;
  }
}

function toArrayBuffer(buf: Uint8Array): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export type ParquetSource = Uint8Array | AsyncBuffer;

function asBuffer(file: ParquetSource): ArrayBuffer | AsyncBuffer {
  return file instanceof Uint8Array ? toArrayBuffer(file) : file;
}

/**
 * A Parquet file in storage read by byte ranges (footer, then one row group at a time), so a
 * pass over large shards never holds a whole file. Local and S3 alike.
 */
export function storageParquet(storage: Storage, path: string, size: number): AsyncBuffer {
  return rangedParquet(size, (start, end) => storage.read(path, { start, end }));
}

/** A Parquet file of `size` bytes read through any ranged reader (storage, an input, ...). */
export function rangedParquet(size: number, readRange: (start: number, end: number) => AsyncIterable<Uint8Array>): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number) {
      const chunks: Uint8Array[] = [];
      for await (const c of readRange(start, end ?? size)) chunks.push(c);
      // One chunk in a buffer of its own (local storage's ranged reads): no copy.
      const only = chunks.length === 1 ? chunks[0]! : undefined;
      if (only && only.byteOffset === 0 && only.buffer.byteLength === only.length && only.buffer instanceof ArrayBuffer) return only.buffer;
      return toArrayBuffer(Buffer.concat(chunks));
    },
  };
}

/** Number of rows of a Parquet file, from its footer. */
export async function parquetRowCount(file: ParquetSource): Promise<number> {
  const meta = await parquetMetadataAsync(asBuffer(file));
  return Number(meta.num_rows);
}

/** A row group as the footer describes it: where its rows are in the file and how many. */
export interface RowGroupInfo {
  index: number;
  /** Row number of its first row in the file. */
  firstRow: number;
  rows: number;
  /** Byte offset of its first column chunk. */
  offset: number;
}

/** What is needed to read a file row group by row group: its footer, parsed once. */
export interface OpenedParquet {
  file: ArrayBuffer | AsyncBuffer;
  meta: FileMetaData;
  rowGroups: RowGroupInfo[];
}

export async function openParquet(file: ParquetSource): Promise<OpenedParquet> {
  const ab = asBuffer(file);
  const meta = await parquetMetadataAsync(ab);
  let firstRow = 0;
  const rowGroups = meta.row_groups.map((rg, index) => {
    const c = rg.columns[0]?.meta_data;
    const offset = c ? Number(c.dictionary_page_offset ?? c.data_page_offset) : Number(rg.file_offset ?? 0);
    const info = { index, firstRow, rows: Number(rg.num_rows), offset };
    firstRow += info.rows;
    return info;
  });
  return { file: ab, meta, rowGroups };
}

/** Text values as their UTF-8 bytes (views into the decompressed page), not JS strings. */
const BYTES_PARSERS = { stringFromBytes: (b: Uint8Array) => b };
// hyparquet's own decoder is `new TextDecoder()`, which drops a leading U+FEFF: a document
// starting with one lost it at every Parquet pass. Text is read back exactly as written.
const keepBom = new TextDecoder('utf-8', { ignoreBOM: true });
export const STRING_PARSERS = { stringFromBytes: (b: Uint8Array | undefined) => b && keepBom.decode(b) };

/**
 * Rows [lo, hi) of the file (file row numbers), which must lie within one row group for bounded
 * memory. `textAsBytes`: string columns come as Uint8Array of UTF-8 (for a native consumer:
 * no string is made and copied back; the tokenize pass).
 */
export async function readParquetRange(p: OpenedParquet, lo: number, hi: number, columns?: string[], textAsBytes = false): Promise<Record<string, unknown>[]> {
  return (await parquetReadObjects({ file: p.file, metadata: p.meta, rowStart: lo, rowEnd: hi, columns, compressors, parsers: textAsBytes ? BYTES_PARSERS : STRING_PARSERS })) as Record<string, unknown>[];
}

/**
 * Rows of a Parquet file, one row group at a time so memory stays bounded by the row group.
 * Works for any Parquet with a `text` or `content` column (see schema.ts rowToDoc).
 */
export async function* readParquetRows(
  file: ParquetSource,
  range: { start?: number; end?: number; columns?: string[]; textAsBytes?: boolean } = {},
): AsyncGenerator<Record<string, unknown>> {
  const p = await openParquet(file);
  const from = range.start ?? 0;
  const to = Math.min(range.end ?? Infinity, Number(p.meta.num_rows));
  for (const g of p.rowGroups) {
    const lo = Math.max(g.firstRow, from);
    const hi = Math.min(g.firstRow + g.rows, to);
    if (lo < hi) yield* await readParquetRange(p, lo, hi, range.columns, range.textAsBytes);
    if (g.firstRow + g.rows >= to) break;
  }
}

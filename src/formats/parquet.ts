/**
 * Parquet encoding of document rows: apache-arrow builds the columns, parquet-wasm (the Rust
 * `parquet` crate compiled to WASM) writes them with zstd, because apache-arrow has no
 * Parquet writer of its own. Reading uses hyparquet (pure JS, independent of the writer).
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import type { Storage } from '../storage/storage.js';
import { compressors as jsCompressors } from 'hyparquet-compressors';
import { loadNative } from '../native.js';
import { extraColumnTypes, type DocRow, type ExcludedRow } from './schema.js';

const str = () => new arrow.Utf8();
const imagePair = new arrow.List(new arrow.Field('item', str(), true));
const imageList = new arrow.List(new arrow.Field('item', imagePair, true));

function docFields(): arrow.Field[] {
  return [
    new arrow.Field('id', str(), false),
    new arrow.Field('content', str(), false),
    new arrow.Field('url', str(), false),
    // Parquet has no seconds unit: arrow timestamp[s] would be written as a bare INT64 that other
    // readers show as a number. Milliseconds with a time zone are TIMESTAMP(MILLIS, UTC) in the footer.
    new arrow.Field('timestamp', new arrow.TimestampMillisecond('UTC'), true),
    new arrow.Field('dump', str(), true),
    new arrow.Field('segment', str(), true),
    new arrow.Field('image_urls', imageList, false),
    new arrow.Field('warc_record_id', str(), true),
    new arrow.Field('digest', str(), true),
    new arrow.Field('language', str(), true),
    new arrow.Field('language_score', new arrow.Float64(), true),
    new arrow.Field('token_count', new arrow.Int32(), true),
    new arrow.Field('meta', str(), true),
  ];
}

function excludedFields(): arrow.Field[] {
  return [
    ...docFields(),
    new arrow.Field('stage', str(), false),
    new arrow.Field('reason', str(), false),
    new arrow.Field('value', new arrow.Float64(), true),
    new arrow.Field('detail', str(), true),
  ];
}

export interface ParquetOptions {
  /** Rows per row group (bounds reader memory). */
  rowGroupRows: number;
  /** zstd level (1..22). */
  zstdLevel: number;
}

export const DEFAULT_PARQUET: ParquetOptions = { rowGroupRows: 10_000, zstdLevel: 3 };

/** The rows as an Arrow table in WASM memory (what parquet-wasm writes). */
function wasmTable(rows: DocRow[] | ExcludedRow[], excluded: boolean): pw.Table {
  const fields = excluded ? excludedFields() : docFields();
  // Columns stages added (Doc.columns), after the fixed ones; a row without one has null.
  for (const c of extraColumnTypes(rows)) fields.push(new arrow.Field(c.name, c.numeric ? new arrow.Float64() : str(), true));
  const schema = new arrow.Schema(fields);
  const columns: Record<string, arrow.Vector> = {};
  for (const f of fields) {
    const key = f.name as keyof ExcludedRow;
    const values = (rows as ExcludedRow[]).map((r) => {
      const v = r[key];
      // Arrow JS takes timestamps as epoch milliseconds and stores them in the field's unit.
      if (key === 'timestamp') return v === null ? null : (v as number) * 1000;
      if (typeof v === 'number' && f.type instanceof arrow.Utf8) return String(v); // a text extra column
      return v === undefined ? null : v;
    });
    columns[f.name] = arrow.vectorFromArray(values, f.type);
  }
  // Zero rows: vectorFromArray's empty batches do not match the schema; an empty table does.
  const table = rows.length ? new arrow.Table(schema, columns) : new arrow.Table(schema);
  return pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
}

function writerProperties(opts: ParquetOptions): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setMaxRowGroupSize(opts.rowGroupRows)
    .setCreatedBy('refinery')
    .build();
}

interface ZstdNative {
  zstdAvailable(): boolean;
  zstdDecompress(input: Uint8Array, outputLength: number): Uint8Array;
}

/**
 * Page decompressors for hyparquet: zstd through the addon (the system's libzstd) when it
 * has one, ~10x faster than fzstd, which was a fifth of the tokenize pass; otherwise, and
 * for every other codec, hyparquet-compressors' JS decoders. Same bytes either way.
 */
export const compressors: typeof jsCompressors = (() => {
  try {
    const native = loadNative() as unknown as ZstdNative;
    if (typeof native.zstdAvailable === 'function' && native.zstdAvailable()) {
      return { ...jsCompressors, ZSTD: (input: Uint8Array, outputLength: number) => native.zstdDecompress(input, outputLength) };
    }
  } catch {
    // no addon: the JS decoders
  }
  return jsCompressors;
})();

/** Encode rows into one Parquet file (bytes). */
export function encodeParquet(rows: DocRow[] | ExcludedRow[], excluded: boolean, opts: ParquetOptions = DEFAULT_PARQUET): Uint8Array {
  return pw.writeParquet(wasmTable(rows, excluded), writerProperties(opts));
}

/**
 * Rows handed to the encoder at a time inside a row group. The encoder (parquet-rs's ArrowWriter)
 * gathers batches into row groups of rowGroupRows and encodes columns in mini-batches of 1,024
 * rows (its write_batch_size); batches of a multiple of 1,024, restarted at every row group, keep
 * those mini-batches, and the bytes were checked equal to one batch per row group (test, and a
 * 70 MB shard of 25,609 real documents). JS then holds 2,048 rows and their Arrow copies instead of
 * a row group's (10,000 documents of ~6 KB with copies: ~300 MB; the 1 GB scale run's streaming
 * task went from 1,008 to 780 MB peak).
 */
const HANDOVER_ROWS = 2048;

/** Rows streamed into one Parquet file: `add` them, then `close` (returns the row count). */
export interface ParquetStreamWriter<R extends DocRow> {
  add(row: R): Promise<void>;
  close(): Promise<number>;
  readonly rows: number;
}

/**
 * A Parquet file written a row group at a time into `out` (its bytes equal encodeParquet's
 * of the same rows: the same writer, fed one batch per row group), so a pass holds one row
 * group of rows, not the file. `out` receives the bytes; commit it after `close`.
 */
export function parquetStreamWriter<R extends DocRow>(out: (bytes: Uint8Array) => Promise<void>, excluded: boolean, opts: ParquetOptions = DEFAULT_PARQUET): ParquetStreamWriter<R> {
  let pending: R[] = [];
  let rows = 0;
  /** Rows in the row group being written (the encoder closes it at rowGroupRows). */
  let inGroup = 0;
  // Pull-based: a batch is handed over only when the encoder asks for the next one, so at
  // most one row group waits, however slow the encoder or `out`.
  let taker: ((b: pw.RecordBatch | undefined) => void) | undefined;
  let onTaker: (() => void) | undefined;
  let done: Promise<void> | undefined;
  const start = () => {
    const source = new ReadableStream<pw.RecordBatch>(
      {
        pull: (c) =>
          new Promise<void>((resolve) => {
            taker = (b) => {
              if (b) c.enqueue(b);
              else c.close();
              resolve();
            };
            onTaker?.();
            onTaker = undefined;
          }),
      },
      { highWaterMark: 0 },
    );
    done = (async () => {
      for await (const bytes of (await pw.transformParquetStream(source, writerProperties(opts))) as ReadableStream<Uint8Array>) await out(bytes);
    })();
    // A failure surfaces in the next add or in close, which await `done`; not as unhandled.
    done.catch(() => {});
  };
  const give = async (b: pw.RecordBatch | undefined) => {
    if (!taker) await Promise.race([new Promise<void>((r) => (onTaker = r)), done!.then(() => Promise.reject(new Error('parquet encoder ended early')))]);
    const t = taker!;
    taker = undefined;
    t(b);
  };
  const flush = async () => {
    if (!pending.length) return;
    if (!done) start();
    const table = wasmTable(pending, excluded);
    pending = [];
    for (const b of table.recordBatches()) await give(b);
  };
  return {
    async add(row) {
      pending.push(row);
      rows++;
      inGroup++;
      if (inGroup === opts.rowGroupRows) {
        inGroup = 0;
        await flush();
      } else if (pending.length === HANDOVER_ROWS) await flush();
    },
    async close() {
      if (rows === 0) {
        await out(encodeParquet([], excluded, opts));
        return 0;
      }
      await flush();
      await give(undefined);
      await done;
      return rows;
    },
    get rows() {
      return rows;
    },
  };
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

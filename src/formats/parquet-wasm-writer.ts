/**
 * The Parquet writer refinery had before parquet-writer.ts, kept as its fallback where the
 * native addon or the system's libzstd is missing: apache-arrow builds the columns and
 * parquet-wasm (the Rust `parquet` crate compiled to WASM) writes them with zstd. It costs
 * ~1 s of WASM compilation per process and most of a light pass's CPU, so parquet.ts loads
 * this module only when it is needed. Also the reference the hand-written writer's schema is
 * tested against.
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { extraColumnTypes, type DocRow, type ExcludedRow } from './schema.js';
import type { ParquetOptions, ParquetStreamWriter } from './parquet.js';

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

/** Encode rows into one Parquet file (bytes). */
export function encodeParquetWasm(rows: DocRow[] | ExcludedRow[], excluded: boolean, opts: ParquetOptions): Uint8Array {
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

/**
 * A Parquet file written a row group at a time into `out` (its bytes equal encodeParquet's
 * of the same rows: the same writer, fed one batch per row group), so a pass holds one row
 * group of rows, not the file. `out` receives the bytes; commit it after `close`.
 */
export function parquetWasmStreamWriter<R extends DocRow>(out: (bytes: Uint8Array) => Promise<void>, excluded: boolean, opts: ParquetOptions): ParquetStreamWriter<R> {
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
        await out(encodeParquetWasm([], excluded, opts));
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

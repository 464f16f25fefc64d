/**
 * Reads an existing corpus of documents (JSONL, optionally .gz/.zst, or Parquet) so that the
 * filters and dedup can run again over a corpus someone already has. Only a `text` (or
 * `content`) column is required; `id` is generated from the file and row when absent.
 *
 * Like the WARC reader, every record is a document or counted with a reason (`countSkipped`):
 * a bad line or row is located and skipped, a damaged Parquet row group is skipped with its
 * row count from the footer, a stream that breaks is one `truncated`/`corrupt` record.
 */
import { createGunzip } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';
import { Decompress as ZstdDecompress } from 'fzstd';
import type { Doc } from '../doc.js';
import { READER_DEFAULTS } from '../config.js';
import { RefineryError } from '../errors.js';
import { rowToDoc } from '../formats/schema.js';
import { openParquet, readParquetRange, type OpenedParquet, type ParquetSource } from '../formats/parquet.js';
import { countFieldDropped, countSkipped, type ReaderStats } from '../stats.js';

export interface CorpusReadOptions {
  /** Longest JSONL line held in memory; longer ones are `too_large` (reading goes on at the next line). */
  maxLineBytes: number;
}

export const corpusReadDefaults: CorpusReadOptions = { maxLineBytes: READER_DEFAULTS.max_line_bytes };

export function isCorpusFile(name: string): boolean {
  return /\.(jsonl|json|ndjson)(\.gz|\.zst)?$/i.test(name) || /\.parquet$/i.test(name);
}

function baseName(file: string): string {
  return file.replace(/^.*\//, '');
}

async function* zstdDecompress(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const d = new ZstdDecompress((chunk) => out.push(chunk));
  for await (const chunk of input) {
    d.push(chunk);
    yield* out.splice(0);
  }
  d.push(new Uint8Array(0), true);
  yield* out.splice(0);
}

function gunzip(input: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  // pipeline, not pipe: an error of the input (storage) must reach the reader, not hang it.
  return pipeline(Readable.from(input), createGunzip(), () => {});
}

/**
 * A failure of the input itself (storage, after retries) is not bad data, and a --strict stop
 * (ERR_BAD_RECORD, thrown by the problem hook) is not a broken stream: the caller must see both.
 */
function isStorageError(e: unknown): boolean {
  return e instanceof RefineryError && (e.code === 'ERR_STORAGE' || e.code === 'ERR_BAD_RECORD');
}

/** Documents of a JSONL stream; a line that is not a JSON object with text is counted and skipped. */
export async function* readJsonlDocs(
  input: AsyncIterable<Uint8Array>,
  file: string,
  stats: ReaderStats,
  opts: CorpusReadOptions = corpusReadDefaults,
): AsyncGenerator<Doc> {
  let stream: AsyncIterable<Uint8Array> = input;
  if (/\.gz$/i.test(file)) stream = gunzip(input);
  else if (/\.zst$/i.test(file)) stream = zstdDecompress(input);
  const name = baseName(file);
  const cap = opts.maxLineBytes;
  // The current line: its pieces (until it passes the cap), its length, where it started.
  // Lines are cut on the byte 0x0a, which never occurs inside a UTF-8 sequence, and each new
  // chunk is searched once: linear in the input however long a line is.
  let parts: Buffer[] = [];
  let lineBytes = 0;
  let lineStart = 0;
  let line = 0;
  const add = (piece: Buffer) => {
    lineBytes += piece.length;
    if (lineBytes > cap) parts = [];
    else if (piece.length) parts.push(piece);
  };
  /** The line just ended (`terminated`: by a newline, else by the end of the input). */
  const finish = (terminated: boolean): Doc | undefined => {
    const at = lineStart;
    const len = lineBytes;
    const pieces = parts;
    const index = line++;
    lineStart += len + (terminated ? 1 : 0);
    parts = [];
    lineBytes = 0;
    const bad = (reason: string, message: string) => countSkipped(stats, reason, 1, { code: reason === 'too_large' ? 'ERR_TOO_LARGE' : 'ERR_INPUT', file, record: index, offset: at, message });
    if (len > cap) return bad('too_large', `line of ${len} bytes is over the max_line_bytes cap of ${cap}`), undefined;
    const text = pieces.length === 1 ? pieces[0]!.toString('utf8') : Buffer.concat(pieces, len).toString('utf8');
    if (text.trim() === '') return undefined;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      return bad('corrupt', `not valid JSON: ${(e as Error).message}`), undefined;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return bad('corrupt', 'a line is not a JSON object'), undefined;
    const row = obj as Record<string, unknown>;
    if (typeof row.text !== 'string' && typeof row.content !== 'string') return bad('corrupt', 'no "text" or "content" string'), undefined;
    const doc = rowToDoc(row, `${name}/${index}`, (field) => countFieldDropped(stats, field));
    doc.source = { file, offset: at, record: index };
    stats.records++;
    stats.docs++;
    return doc;
  };
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let from = 0;
      for (let nl = buf.indexOf(0x0a, from); nl >= 0; nl = buf.indexOf(0x0a, from)) {
        add(buf.subarray(from, nl));
        from = nl + 1;
        const doc = finish(true);
        if (doc) yield doc;
      }
      add(buf.subarray(from));
    }
  } catch (e) {
    if (isStorageError(e)) throw e;
    // A .gz/.zst cut short or damaged: what was read is kept; the break is one counted record
    // (the line it cut, if any), at the offset in the decompressed stream where it broke.
    const msg = (e as Error).message;
    const reason = /unexpected end|end of file|eof|truncat/i.test(msg) ? 'truncated' : 'corrupt';
    const cut = lineBytes > 0 ? `; line ${line} cut short after ${lineBytes} bytes` : '';
    countSkipped(stats, reason, 1, { code: 'ERR_INPUT', file, record: line, offset: lineStart, message: `stream ended with an error: ${msg}${cut}` });
    return;
  }
  if (lineBytes > 0) {
    const doc = finish(false);
    if (doc) yield doc;
  }
}

/** Documents of a Parquet file (bytes, or ranged reads: Parquet needs random access to its footer). */
export async function* readParquetDocs(bytes: ParquetSource, file: string, stats: ReaderStats): AsyncGenerator<Doc> {
  const name = baseName(file);
  const bad = (reason: string, n: number, record: number, message: string, offset?: number) =>
    countSkipped(stats, reason, n, { code: 'ERR_INPUT', file, record, offset, message });
  if (bytes.byteLength === 0) return bad('corrupt', 1, 0, 'not a Parquet file: empty file (0 bytes)');
  let p: OpenedParquet;
  try {
    p = await openParquet(bytes);
  } catch (e) {
    if (isStorageError(e)) throw e;
    // Without a footer the rows cannot be counted: the file is one unreadable record.
    return bad('corrupt', 1, 0, `not a readable Parquet file (${bytes.byteLength} bytes): ${(e as Error).message}`);
  }
  for (const g of p.rowGroups) {
    let rows: Record<string, unknown>[];
    try {
      rows = await readParquetRange(p, g.firstRow, g.firstRow + g.rows);
    } catch (e) {
      if (isStorageError(e)) throw e;
      // One damaged row group: its rows (the footer says how many) are lost, the others are not.
      bad('corrupt', g.rows, g.firstRow, `row group ${g.index} (rows ${g.firstRow}-${g.firstRow + g.rows - 1}) unreadable: ${(e as Error).message}`, g.offset);
      continue;
    }
    if (rows.length < g.rows) {
      bad('corrupt', g.rows - rows.length, g.firstRow + rows.length, `row group ${g.index}: ${rows.length} rows read of the ${g.rows} its footer lists`, g.offset);
    }
    for (let i = 0; i < rows.length && i < g.rows; i++) {
      const index = g.firstRow + i;
      const row = rows[i]!;
      if (typeof row.text !== 'string' && typeof row.content !== 'string') {
        bad('corrupt', 1, index, 'no "text" or "content" string');
        continue;
      }
      const doc = rowToDoc(row, `${name}/${index}`, (field) => countFieldDropped(stats, field));
      doc.source = { file, offset: index, record: index };
      stats.records++;
      stats.docs++;
      yield doc;
    }
  }
}

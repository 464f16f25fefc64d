/**
 * Reads an existing corpus of documents (JSONL, optionally .gz/.zst, or Parquet) so that the
 * filters and dedup can run again over a corpus someone already has. Only a `text` (or
 * `content`) column is required; `id` is generated from the file and row when absent.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { Decompress as ZstdDecompress } from 'fzstd';
import type { Doc } from '../doc.js';
import { rowToDoc } from '../formats/schema.js';
import { readParquetRows, type ParquetSource } from '../formats/parquet.js';
import type { ReaderStats } from '../stats.js';
import { MAX_PROBLEMS_KEPT } from '../stats.js';

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

type OnProblem = (p: ReaderStats['problems'][number]) => void;
const stopped = new WeakSet<object>();

/**
 * Count a bad record and pass it to `onProblem`. An error that `onProblem` throws (--strict)
 * is marked, so the readers' own catch blocks let it through instead of counting it again.
 */
function problem(stats: ReaderStats, p: ReaderStats['problems'][number], onProblem?: OnProblem): void {
  stats.skipped.corrupt = (stats.skipped.corrupt ?? 0) + 1;
  if (stats.problems.length < MAX_PROBLEMS_KEPT) stats.problems.push(p);
  try {
    onProblem?.(p);
  } catch (e) {
    if (e && typeof e === 'object') stopped.add(e);
    throw e;
  }
}
const rethrowStop = (e: unknown) => {
  if (e && typeof e === 'object' && stopped.has(e)) throw e;
};

/** Documents of a JSONL stream; a line that is not a JSON object with text is counted and skipped. */
export async function* readJsonlDocs(input: AsyncIterable<Uint8Array>, file: string, stats: ReaderStats, onProblem?: OnProblem): AsyncGenerator<Doc> {
  let stream: AsyncIterable<Uint8Array> = input;
  if (/\.gz$/i.test(file)) stream = Readable.from(input).pipe(createGunzip());
  else if (/\.zst$/i.test(file)) stream = zstdDecompress(input);
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let line = 0;
  let offset = 0; // byte offset of the current line in the decompressed stream
  const name = baseName(file);
  const handle = (text: string, byteLen: number): Doc | undefined => {
    const at = offset;
    offset += byteLen;
    const index = line++;
    if (text.trim() === '') return undefined;
    stats.records++;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      problem(stats, { code: 'ERR_INPUT', file, record: index, offset: at, message: `not valid JSON: ${(e as Error).message}` }, onProblem);
      return undefined;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      problem(stats, { code: 'ERR_INPUT', file, record: index, offset: at, message: 'a line is not a JSON object' }, onProblem);
      return undefined;
    }
    const row = obj as Record<string, unknown>;
    if (typeof row.text !== 'string' && typeof row.content !== 'string') {
      problem(stats, { code: 'ERR_INPUT', file, record: index, offset: at, message: 'no "text" or "content" string' }, onProblem);
      return undefined;
    }
    stats.docs++;
    const doc = rowToDoc(row, `${name}/${index}`);
    doc.source = { file, offset: at };
    return doc;
  };
  try {
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const doc = handle(text, Buffer.byteLength(text) + 1);
        if (doc) yield doc;
      }
    }
  } catch (e) {
    // A truncated .gz/.zst: keep what was read, record where it broke.
    rethrowStop(e);
    problem(stats, { code: 'ERR_INPUT', file, record: line, offset, message: `stream ended with an error: ${(e as Error).message}` }, onProblem);
  }
  pending += decoder.decode();
  if (pending.trim()) {
    const doc = handle(pending, Buffer.byteLength(pending));
    if (doc) yield doc;
  }
}

/** Documents of a Parquet file (bytes, or ranged reads: Parquet needs random access to its footer). */
export async function* readParquetDocs(bytes: ParquetSource, file: string, stats: ReaderStats, onProblem?: OnProblem): AsyncGenerator<Doc> {
  const name = baseName(file);
  let index = 0;
  try {
    for await (const row of readParquetRows(bytes)) {
      stats.records++;
      if (typeof row.text !== 'string' && typeof row.content !== 'string') {
        problem(stats, { code: 'ERR_INPUT', file, record: index++, message: 'no "text" or "content" string' }, onProblem);
        continue;
      }
      stats.docs++;
      const doc = rowToDoc(row, `${name}/${index}`);
      doc.source = { file, offset: index++ };
      yield doc;
    }
  } catch (e) {
    rethrowStop(e);
    problem(stats, { code: 'ERR_INPUT', file, record: index, message: `not a readable Parquet file: ${(e as Error).message}` }, onProblem);
  }
}

/**
 * One input file -> documents, whatever its kind (WARC/ARC or an existing JSONL/Parquet
 * corpus) and wherever it lives (local, https, s3). Bytes read are counted for progress.
 */
import type { Doc } from '../doc.js';
import type { ReaderOptions } from '../config.js';
import { watchProblems, type ProblemHook, type ReaderStats } from '../stats.js';
import { isCorpusFile, readJsonlDocs, readParquetDocs } from './corpus.js';
import { readWarcDocs } from './warc.js';
import { rangedParquet } from '../formats/parquet.js';

export interface InputSource {
  /** The full path or URI: named in every problem, and the source of dump/segment. */
  name: string;
  read(): AsyncIterable<Uint8Array>;
  /** Size and ranged reads, when the storage has them: Parquet is then read a row group at a time. */
  size?: number;
  readRange?(start: number, end: number): AsyncIterable<Uint8Array>;
}

async function* tapped(input: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) {
    onBytes(chunk.length);
    yield chunk;
  }
}

export async function* readInputDocs(
  source: InputSource,
  opts: ReaderOptions,
  stats: ReaderStats,
  onBytes?: (n: number) => void,
  /** Sees every bad record as it is counted; may throw to stop (--strict). */
  onProblem?: ProblemHook,
): AsyncGenerator<Doc> {
  const progress = onBytes ?? (() => {});
  if (onProblem) watchProblems(stats, onProblem);
  if (isCorpusFile(source.name)) {
    stats.files++;
    const counted = (n: number) => {
      stats.bytes += n;
      progress(n);
    };
    if (!/\.parquet$/i.test(source.name)) {
      yield* readJsonlDocs(tapped(source.read(), counted), source.name, stats, { maxLineBytes: opts.max_line_bytes });
    } else if (source.size !== undefined && source.readRange) {
      // Footer first, then one row group at a time: memory bounded by a row group.
      const { readRange } = source;
      yield* readParquetDocs(rangedParquet(source.size, (start, end) => tapped(readRange(start, end), counted)), source.name, stats);
    } else {
      const chunks: Uint8Array[] = [];
      for await (const c of tapped(source.read(), counted)) chunks.push(c);
      yield* readParquetDocs(Buffer.concat(chunks), source.name, stats);
    }
    return;
  }
  // The WARC reader counts its own files and bytes.
  yield* readWarcDocs(tapped(source.read(), progress), { file: source.name, maxPageBytes: opts.max_page_bytes, maxInflatedBytes: opts.max_inflated_bytes }, stats);
}

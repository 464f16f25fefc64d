/**
 * The one document type that flows through every stage (docs/architecture.md, "Contracts").
 * Field names are camelCase here; the output schema (src/schema.ts) maps them to the public
 * RefinedWeb column names (`content`, `image_urls`, ...).
 */
export interface Doc {
  /** WARC-Record-ID for WARC input; the input's own `id` for JSONL/Parquet input. */
  id: string;
  url: string;
  /** Main text. Empty for WARC input until the extractor has run. */
  text: string;
  /** Decoded HTML: set by the WARC reader, consumed (and removed) by the extractor. */
  html?: string;
  /** Capture time as ISO-8601 (WARC-Date). */
  timestamp?: string;
  /** CommonCrawl dump, e.g. `CC-MAIN-2023-06`. */
  dump?: string;
  /** CommonCrawl segment, e.g. `1674764494826.10`. */
  segment?: string;
  /** `[src, alt]` of the images inside the main content. */
  imageUrls?: [string, string][];
  warcRecordId?: string;
  /** WARC-Payload-Digest, e.g. `sha1:...`. */
  digest?: string;
  language?: string;
  languageScore?: number;
  /** GPT-2 BPE token count of `text`. */
  tokenCount?: number;
  /**
   * Where the document was read: input file, byte offset of its record (a WARC's gzip member;
   * a Parquet input's row) and its record number in the file (counting every record, skipped
   * ones too, as the reader's problems do).
   */
  source?: { file: string; offset: number; record?: number };
  /** Open annotations that stages add (kept in JSON form in the output's `meta` column). */
  meta: Record<string, unknown>;
  /**
   * Columns that stages add to the output, by name (e.g. `quality_score`): each becomes a
   * top-level Parquet/JSONL column of its own, numbers as float64, strings as UTF-8.
   */
  columns?: Record<string, number | string | null>;
}

/** A fresh document with only the required fields set. */
export function newDoc(fields: Partial<Doc> & Pick<Doc, 'id'>): Doc {
  return { url: '', text: '', meta: {}, ...fields };
}

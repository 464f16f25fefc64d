/**
 * The output schema: the public RefinedWeb extract's columns (`content`, `url`, `timestamp`,
 * `dump`, `segment`, `image_urls`) plus refinery's own (spec, "Output"). One place maps a
 * `Doc` to a row and back, for Parquet and JSONL alike.
 */
import type { Doc } from '../doc.js';

export interface DocRow {
  id: string;
  content: string;
  url: string;
  /** Seconds since the epoch; null when unknown. Written to Parquet as TIMESTAMP(MILLIS, UTC). */
  timestamp: number | null;
  dump: string | null;
  segment: string | null;
  image_urls: [string, string][];
  warc_record_id: string | null;
  digest: string | null;
  language: string | null;
  language_score: number | null;
  token_count: number | null;
  /** Stage annotations, as JSON. */
  meta: string | null;
}

/** Extra columns of the "excluded" output. */
export interface ExcludedRow extends DocRow {
  stage: string;
  reason: string;
  value: number | null;
  detail: string | null;
}

export function docToRow(doc: Doc): DocRow {
  const ts = doc.timestamp ? Date.parse(doc.timestamp) : NaN;
  const row: DocRow = {
    id: doc.id,
    content: doc.text,
    url: doc.url,
    timestamp: Number.isFinite(ts) ? Math.floor(ts / 1000) : null,
    dump: doc.dump ?? null,
    segment: doc.segment ?? null,
    image_urls: doc.imageUrls ?? [],
    warc_record_id: doc.warcRecordId ?? null,
    digest: doc.digest ?? null,
    language: doc.language ?? null,
    language_score: doc.languageScore ?? null,
    token_count: doc.tokenCount ?? null,
    meta: Object.keys(doc.meta).length ? JSON.stringify(doc.meta) : null,
  };
  return doc.columns ? Object.assign(row, doc.columns) : row;
}

/**
 * An epoch time in whatever unit its writer used, as an ISO string; undefined when no unit
 * makes it a date. Ours are seconds; Arrow/pandas writers give ms, µs or ns. The unit is the
 * one that puts the value between ~1600 and ~5000 AD (seconds below 1e11, ms below 1e14, ...).
 */
export function epochToIso(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const a = Math.abs(n);
  const ms = a < 1e11 ? n * 1000 : a < 1e14 ? n : a < 1e17 ? n / 1e3 : a < 1e20 ? n / 1e6 : NaN;
  const d = new Date(Math.floor(ms));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A `timestamp` value of any corpus: Date, epoch number (any unit), or a date string. `null` = unreadable. */
function readTimestamp(t: unknown): string | undefined | null {
  if (t === undefined || t === null || t === '') return undefined;
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? null : t.toISOString();
  if (typeof t === 'number' || typeof t === 'bigint') return epochToIso(Number(t)) ?? null;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  return null;
}

/**
 * Read a row from any corpus (ours or someone else's JSONL/Parquet): only `text`/`content` is
 * required. A field whose value cannot be read is left empty and named to `onFieldDropped`.
 */
export function rowToDoc(row: Record<string, unknown>, fallbackId: string, onFieldDropped?: (field: string) => void): Doc {
  const str = (k: string) => (typeof row[k] === 'string' ? (row[k] as string) : undefined);
  const num = (k: string) => (typeof row[k] === 'number' ? (row[k] as number) : typeof row[k] === 'bigint' ? Number(row[k]) : undefined);
  let timestamp = readTimestamp(row.timestamp);
  if (timestamp === null) {
    onFieldDropped?.('timestamp');
    timestamp = undefined;
  }
  let meta: Record<string, unknown> = {};
  if (typeof row.meta === 'string') {
    try {
      meta = JSON.parse(row.meta) as Record<string, unknown>;
    } catch {
      meta = { raw_meta: row.meta };
    }
  } else if (row.meta && typeof row.meta === 'object') meta = row.meta as Record<string, unknown>;
  const images = Array.isArray(row.image_urls)
    ? (row.image_urls as unknown[]).filter(Array.isArray).map((p) => [String((p as unknown[])[0] ?? ''), String((p as unknown[])[1] ?? '')] as [string, string])
    : undefined;
  const id = str('id') ?? (num('id') !== undefined ? String(num('id')) : undefined);
  return {
    id: id ?? fallbackId,
    text: str('content') ?? str('text') ?? '',
    url: str('url') ?? '',
    timestamp,
    dump: str('dump'),
    segment: str('segment'),
    imageUrls: images,
    warcRecordId: str('warc_record_id'),
    digest: str('digest'),
    language: str('language'),
    languageScore: num('language_score'),
    tokenCount: num('token_count'),
    meta,
    ...extraColumnsOf(row),
  };
}

// --- columns that stages add (Doc.columns) ---------------------------------------------------

/** The columns of the fixed schema and of the excluded output: a stage's column may not take one. */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set([
  'id', 'content', 'text', 'url', 'timestamp', 'dump', 'segment', 'image_urls', 'warc_record_id', 'digest',
  'language', 'language_score', 'token_count', 'meta', 'stage', 'reason', 'value', 'detail',
]);

/** A row's columns beyond the fixed schema, as `Doc.columns` (numbers and strings only). */
function extraColumnsOf(row: Record<string, unknown>): { columns?: Record<string, number | string | null> } {
  let columns: Record<string, number | string | null> | undefined;
  for (const [k, v] of Object.entries(row)) {
    if (RESERVED_COLUMNS.has(k)) continue;
    if (typeof v === 'number' || typeof v === 'string' || v === null) (columns ??= {})[k] = v;
    else if (typeof v === 'bigint') (columns ??= {})[k] = Number(v);
  }
  return columns ? { columns } : {};
}

/** The extra columns of a set of rows, sorted by name, each numeric (every value a number or null) or text. */
export function extraColumnTypes(rows: readonly object[]): { name: string; numeric: boolean }[] {
  const numeric = new Map<string, boolean>();
  for (const r of rows) {
    // keys, not entries: no [key, value] array per field of every row (a Parquet file's rows pass here)
    for (const k of Object.keys(r)) {
      if (RESERVED_COLUMNS.has(k)) continue;
      const v = (r as Record<string, unknown>)[k];
      numeric.set(k, (numeric.get(k) ?? true) && (v === null || typeof v === 'number'));
    }
  }
  return [...numeric.keys()].sort().map((name) => ({ name, numeric: numeric.get(name)! }));
}

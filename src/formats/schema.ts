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
  /** Seconds since the epoch (Parquet timestamp[s]); null when unknown. */
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

/** Read a row from any corpus (ours or someone else's JSONL/Parquet): only `text`/`content` is required. */
export function rowToDoc(row: Record<string, unknown>, fallbackId: string): Doc {
  const str = (k: string) => (typeof row[k] === 'string' ? (row[k] as string) : undefined);
  const num = (k: string) => (typeof row[k] === 'number' ? (row[k] as number) : typeof row[k] === 'bigint' ? Number(row[k]) : undefined);
  let timestamp: string | undefined;
  const t = row.timestamp;
  if (t instanceof Date) timestamp = t.toISOString();
  else if (typeof t === 'number' || typeof t === 'bigint') {
    // Seconds (ours) or milliseconds (most Arrow readers give ms).
    const n = Number(t);
    timestamp = new Date(n < 1e11 ? n * 1000 : n).toISOString();
  } else if (typeof t === 'string' && !Number.isNaN(Date.parse(t))) timestamp = new Date(t).toISOString();
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
    for (const [k, v] of Object.entries(r)) {
      if (RESERVED_COLUMNS.has(k)) continue;
      numeric.set(k, (numeric.get(k) ?? true) && (v === null || typeof v === 'number'));
    }
  }
  return [...numeric.keys()].sort().map((name) => ({ name, numeric: numeric.get(name)! }));
}

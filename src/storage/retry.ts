/**
 * Retries shared by the HTTP and S3 readers/writers: which failures are transient, how long to
 * wait (exponential backoff with jitter, bounded), how many times, and a counter of retries by
 * kind that a task copies into TaskStats.retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RefineryError } from '../errors.js';

/** Retries by kind (`http_reset`, `s3_throttle`, ...): the shape of TaskStats.retries. */
export type RetryCounts = Record<string, number>;

/**
 * The process-wide counter used when a caller passes none. A task that wants its own numbers
 * passes `{ retryCounts: {} }` to openStorage/openInput and copies it into its stats.
 */
export const storageRetryCounts: RetryCounts = {};

export function countRetry(counts: RetryCounts, kind: string): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

export interface RetryOptions {
  /**
   * Attempts after the first one that may fail in a row. For streamed reads the budget is
   * refilled whenever a retry delivered new bytes, so a long download survives many resets
   * but a dead server fails fast. Default 6.
   */
  maxRetries?: number;
  /** First backoff delay; doubles each retry up to maxDelayMs. Defaults 200 ms / 10 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Where retries are counted; default storageRetryCounts. */
  retryCounts?: RetryCounts;
  /**
   * How long a request waits for the server (response headers, or the next bytes of a body)
   * before it is abandoned and retried. Default 10 s.
   */
  timeoutMs?: number;
  /**
   * Timeouts in a row (no byte received in between) before giving up. Each costs a whole
   * timeout, unlike a reset, and a server that accepts connections but never answers should
   * fail a task in well under a minute (3 x 10 s by default), not after every retry. Default 2.
   */
  maxTimeoutRetries?: number;
}

export interface ResolvedRetry {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  retryCounts: RetryCounts;
  timeoutMs: number;
  maxTimeoutRetries: number;
}

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new RefineryError('ERR_CONFIG', `${name} must be a number >= 0, got '${v}'`);
  return n;
}

/**
 * Options first, then REFINERY_STORAGE_RETRIES / REFINERY_STORAGE_RETRY_BASE_MS /
 * REFINERY_STORAGE_RETRY_MAX_MS / REFINERY_STORAGE_TIMEOUT_MS / REFINERY_STORAGE_TIMEOUT_RETRIES
 * (so tests and operators can tune child processes), then defaults.
 */
export function resolveRetry(opts: RetryOptions = {}): ResolvedRetry {
  return {
    maxRetries: opts.maxRetries ?? envNumber('REFINERY_STORAGE_RETRIES') ?? 6,
    baseDelayMs: opts.baseDelayMs ?? envNumber('REFINERY_STORAGE_RETRY_BASE_MS') ?? 200,
    maxDelayMs: opts.maxDelayMs ?? envNumber('REFINERY_STORAGE_RETRY_MAX_MS') ?? 10_000,
    retryCounts: opts.retryCounts ?? storageRetryCounts,
    timeoutMs: opts.timeoutMs ?? envNumber('REFINERY_STORAGE_TIMEOUT_MS') ?? 10_000,
    maxTimeoutRetries: opts.maxTimeoutRetries ?? envNumber('REFINERY_STORAGE_TIMEOUT_RETRIES') ?? 2,
  };
}

/** The error that ends retrying after too many timeouts in a row. */
function noAnswer(uri: string, offset: number | undefined, action: string, timeouts: number, err: unknown): RefineryError {
  return storageError(uri, offset, `${action} failed: no answer after ${timeouts} timeouts in a row`, err);
}

/** Exponential backoff with "equal jitter" (half fixed, half random) so clients spread out. */
export function backoffDelay(r: ResolvedRetry, attempt: number, retryAfterMs?: number): number {
  const exp = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** attempt);
  const d = exp / 2 + Math.random() * (exp / 2);
  return retryAfterMs === undefined ? d : Math.min(r.maxDelayMs, Math.max(d, retryAfterMs));
}

/** A failure classified for retrying: `kind` ('reset', 'timeout', 'throttle', '5xx') names it in the retry counts. */
export interface Transient {
  kind: string;
  /** Server-requested wait (Retry-After), if any. */
  retryAfterMs?: number;
}

const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'TimeoutError',
  'RequestTimeout',
]);

/** Network-level failures (resets, timeouts, truncated bodies): 'reset' or 'timeout', else undefined. */
export function networkFailure(err: unknown): 'reset' | 'timeout' | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { code?: string; name?: string; message?: string };
    const code = x.code ?? x.name;
    if (code && TRANSIENT_NET_CODES.has(code)) return /TIMEOUT|Timeout/.test(code) || code === 'ETIMEDOUT' ? 'timeout' : 'reset';
    if (typeof x.message === 'string' && /socket hang up|other side closed|aborted|premature close/i.test(x.message)) {
      return 'reset';
    }
  }
  return undefined;
}

export function storageError(uri: string, offset: number | undefined, message: string, cause?: unknown): RefineryError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new RefineryError('ERR_STORAGE', `${message}${why}`, { file: uri, offset }, { cause });
}

/**
 * Run `fn` until it succeeds, a failure is not transient, or the retry budget is spent.
 * `classify` returns the retry kind of a transient failure, undefined for a permanent one.
 */
export async function withRetries<T>(
  r: ResolvedRetry,
  what: { uri: string; scheme: string; offset?: number; action: string },
  classify: (err: unknown) => Transient | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  let timeouts = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RefineryError) throw err;
      const t = classify(err);
      if (!t) throw storageError(what.uri, what.offset, `${what.action} failed`, err);
      timeouts = t.kind === 'timeout' ? timeouts + 1 : 0;
      if (timeouts > r.maxTimeoutRetries) throw noAnswer(what.uri, what.offset, what.action, timeouts, err);
      if (attempt >= r.maxRetries) {
        throw storageError(what.uri, what.offset, `${what.action} failed after ${attempt} retries`, err);
      }
      countRetry(r.retryCounts, `${what.scheme}_${t.kind}`);
      await sleep(backoffDelay(r, attempt, t.retryAfterMs));
    }
  }
}

/** One opened response body positioned at a byte offset of the object. */
export interface OpenedBody {
  body: AsyncIterable<Uint8Array>;
  /** Bytes at the start of `body` to drop because the server ignored the requested range. */
  skip: number;
  /** Bytes the body should carry (after skip) for the request, when known. */
  expected?: number;
  /** The server sent less than asked (a capped range): open again at the next offset. */
  more?: boolean;
  /** Close the body early (when the consumer stops reading). */
  dispose(): void;
}

/**
 * Stream bytes [start, end) of an object, reopening at the first byte not yet delivered when a
 * connection drops mid-body (issue 2: "a long download survives a reset without re-reading
 * from the start"). `open(offset)` issues the ranged request and checks that the object did not
 * change; it throws a RefineryError for permanent failures.
 */
export async function* resumingRead(
  r: ResolvedRetry,
  uri: string,
  scheme: string,
  range: { start: number; end?: number },
  open: (offset: number) => Promise<OpenedBody | 'empty'>,
  classify: (err: unknown) => Transient | undefined,
): AsyncGenerator<Uint8Array> {
  let offset = range.start;
  let failures = 0;
  let timeouts = 0;
  let totalRetries = 0;
  // Even with progress refilling the budget, a server that drops every few bytes must not loop forever.
  const totalBudget = Math.max(r.maxRetries * 20, 50);
  for (;;) {
    if (range.end !== undefined && offset >= range.end) return;
    let opened: OpenedBody | 'empty' | undefined;
    const offsetBefore = offset;
    try {
      opened = await open(offset);
      if (opened === 'empty') return;
      let skip = opened.skip;
      let got = 0;
      for await (const raw of opened.body) {
        let chunk = raw;
        if (skip > 0) {
          if (chunk.byteLength <= skip) {
            skip -= chunk.byteLength;
            continue;
          }
          chunk = chunk.subarray(skip);
          skip = 0;
        }
        if (range.end !== undefined && offset + chunk.byteLength > range.end) chunk = chunk.subarray(0, range.end - offset);
        if (chunk.byteLength === 0) continue;
        offset += chunk.byteLength;
        got += chunk.byteLength;
        yield chunk;
        if (range.end !== undefined && offset >= range.end) {
          opened.dispose();
          return;
        }
      }
      if (opened.expected !== undefined && got < opened.expected) {
        // The body ended cleanly but short: a proxy or server cut it; resume like a reset.
        throw Object.assign(new Error(`body ended after ${got} of ${opened.expected} bytes`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      }
      if (opened.more && got > 0) continue;
      return;
    } catch (err) {
      if (opened && opened !== 'empty') opened.dispose();
      if (err instanceof RefineryError) throw err;
      const t = classify(err);
      if (!t) throw storageError(uri, offset, 'read failed', err);
      if (offset > offsetBefore) failures = timeouts = 0;
      timeouts = t.kind === 'timeout' ? timeouts + 1 : 0;
      if (timeouts > r.maxTimeoutRetries) throw noAnswer(uri, offset, 'read', timeouts, err);
      if (failures >= r.maxRetries || totalRetries >= totalBudget) {
        throw storageError(uri, offset, `read failed after ${totalRetries} retries`, err);
      }
      countRetry(r.retryCounts, `${scheme}_${t.kind}`);
      await sleep(backoffDelay(r, failures, t.retryAfterMs));
      failures++;
      totalRetries++;
    }
  }
}

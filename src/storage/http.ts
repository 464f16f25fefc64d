/**
 * Streaming HTTP(S) reads through undici, resumed with `Range: bytes=N-` after a dropped
 * connection (RFC 9110 §14: Range, Content-Range, If-Range; §15.3.7 206 Partial Content).
 * The object must not change between attempts: ETag and total length are checked on every
 * resume. A server that ignores Range (200 instead of 206) is read again from the start and
 * the bytes already delivered are skipped.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import {
  networkFailure,
  resolveRetry,
  resumingRead,
  storageError,
  type OpenedBody,
  type RetryOptions,
  type Transient,
} from './retry.js';

export interface HttpReadOptions extends RetryOptions {
  /** undici dispatcher (Agent/Pool) to use; default: a proxy agent when HTTP(S)_PROXY is set, else the global one. */
  dispatcher?: Dispatcher;
  /** Give up on a response whose headers do not arrive in time. Default: `timeoutMs` (10 s). */
  headersTimeoutMs?: number;
  /** Give up on a body that stalls this long between chunks. Default: `timeoutMs` (10 s). */
  bodyTimeoutMs?: number;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
}

/** An HTTP status worth retrying (429, 5xx...), carried through the retry loop. */
class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * undici, loaded on first use: every process of a run reaches this module through the storage
 * layer, loading undici costs ~0.08 CPU s (~130 files), and only http(s) inputs need it.
 * CommonJS (no ESM entry), so require gives the module `import` would.
 */
let loadedUndici: typeof Undici | undefined;
const undici = (): typeof Undici => (loadedUndici ??= createRequire(import.meta.url)('undici') as typeof Undici);

let envProxy: { key: string; agent: Dispatcher } | undefined;

/**
 * Honour HTTP_PROXY / HTTPS_PROXY / NO_PROXY (cluster nodes often reach the internet only
 * through one); undici's global dispatcher ignores them. Undefined when none is set.
 */
function proxyFromEnv(): Dispatcher | undefined {
  const e = process.env;
  const key = [e.HTTP_PROXY ?? e.http_proxy, e.HTTPS_PROXY ?? e.https_proxy, e.NO_PROXY ?? e.no_proxy].join('\n');
  if (!(e.HTTP_PROXY ?? e.http_proxy ?? e.HTTPS_PROXY ?? e.https_proxy)) return undefined;
  if (envProxy?.key !== key) envProxy = { key, agent: new (undici().EnvHttpProxyAgent)() };
  return envProxy.agent;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const MAX_REDIRECTS = 5;

function classifyHttp(err: unknown): Transient | undefined {
  if (err instanceof RetryableStatus) {
    return { kind: err.status === 503 || err.status === 429 ? 'throttle' : '5xx', retryAfterMs: err.retryAfterMs };
  }
  const net = networkFailure(err);
  return net ? { kind: net } : undefined;
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), capped by the caller's maxDelay. */
function retryAfter(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `bytes 100-199/1000` -> {first, last, total}; total undefined for `*`. */
function parseContentRange(v: string | undefined): { first?: number; last?: number; total?: number } | undefined {
  if (!v) return undefined;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(v.trim());
  if (!m) return undefined;
  return {
    first: m[1] === undefined ? undefined : Number(m[1]),
    last: m[2] === undefined ? undefined : Number(m[2]),
    total: m[3] === '*' ? undefined : Number(m[3]),
  };
}

/**
 * Stream bytes [start, end) of `url`. Transient failures (resets, timeouts, 429/5xx) are retried
 * with backoff and counted (`http_reset`, `http_throttle`, ...); a read that keeps failing ends
 * with a RefineryError ERR_STORAGE naming the URL and the byte offset reached.
 */
export function readHttp(
  url: string,
  range?: { start?: number; end?: number },
  opts: HttpReadOptions = {},
): AsyncIterable<Uint8Array> {
  const r = resolveRetry(opts);
  const start = range?.start ?? 0;
  const end = range?.end;
  // What the first response said about the object; every later response must agree.
  let etag: string | undefined;
  let lastModified: string | undefined;
  let total: number | undefined;
  let seen = false;

  const open = async (offset: number): Promise<OpenedBody | 'empty'> => {
    const headers: Record<string, string> = { ...opts.headers, 'accept-encoding': 'identity' };
    const wantRange = offset > 0 || end !== undefined;
    if (wantRange) {
      headers.range = `bytes=${offset}-${end === undefined ? '' : end - 1}`;
      // If-Range: serve the range only if unchanged, else the whole new object (which we detect).
      const validator = etag && !etag.startsWith('W/') ? etag : lastModified;
      if (validator) headers['if-range'] = validator;
    }
    let target = url;
    for (let hop = 0; ; hop++) {
      const res = await undici().request(target, {
        method: 'GET',
        headers,
        dispatcher: opts.dispatcher ?? proxyFromEnv(),
        headersTimeout: opts.headersTimeoutMs ?? r.timeoutMs,
        bodyTimeout: opts.bodyTimeoutMs ?? r.timeoutMs,
      });
      const status = res.statusCode;
      const dispose = () => res.body.destroy();
      if (status >= 300 && status < 400 && status !== 304 && res.headers.location) {
        await res.body.dump();
        if (hop >= MAX_REDIRECTS) throw storageError(url, offset, `more than ${MAX_REDIRECTS} redirects`);
        target = new URL(header(res.headers, 'location')!, target).toString();
        continue;
      }
      if (RETRYABLE_STATUS.has(status)) {
        await res.body.dump().catch(() => undefined);
        throw new RetryableStatus(status, retryAfter(res.headers['retry-after']));
      }
      if (status === 416) {
        await res.body.dump().catch(() => undefined);
        const cr = parseContentRange(header(res.headers, 'content-range'));
        const size = cr?.total ?? total;
        if (size !== undefined && offset >= size) return 'empty';
        throw storageError(url, offset, `HTTP 416 range not satisfiable (size ${size ?? 'unknown'})`);
      }
      if (status !== 200 && status !== 206) {
        await res.body.dump().catch(() => undefined);
        throw storageError(url, offset, `HTTP ${status}`);
      }
      const resEtag = header(res.headers, 'etag');
      const resModified = header(res.headers, 'last-modified');
      let resTotal: number | undefined;
      let skip = 0;
      let first = offset;
      let bodyEnd: number | undefined; // exclusive end of this body in object offsets
      if (status === 206) {
        const cr = parseContentRange(header(res.headers, 'content-range'));
        if (!cr || cr.first === undefined) {
          dispose();
          throw storageError(url, offset, `206 without a usable Content-Range (${header(res.headers, 'content-range')})`);
        }
        first = cr.first;
        resTotal = cr.total;
        if (first > offset) {
          dispose();
          throw storageError(url, offset, `server sent a range starting at ${first}, after the one asked`);
        }
        skip = offset - first;
        if (cr.last !== undefined) bodyEnd = cr.last + 1;
      } else {
        // 200: the whole object, either because we asked for it or because Range was ignored.
        const len = header(res.headers, 'content-length');
        resTotal = len === undefined ? undefined : Number(len);
        first = 0;
        skip = offset;
      }
      if (seen) {
        const changed =
          (etag !== undefined && resEtag !== undefined && etag !== resEtag) ||
          (total !== undefined && resTotal !== undefined && total !== resTotal);
        if (changed) {
          dispose();
          throw storageError(
            url,
            offset,
            `object changed during the read (etag ${etag} -> ${resEtag}, size ${total} -> ${resTotal})`,
          );
        }
      } else {
        seen = true;
        etag = resEtag;
        lastModified = resModified;
        total = resTotal;
      }
      total ??= resTotal;
      const stop = end === undefined ? total : total === undefined ? end : Math.min(end, total);
      // A server may answer a big range with a smaller one: read it, then ask for the rest.
      const thisEnd = bodyEnd === undefined ? stop : stop === undefined ? bodyEnd : Math.min(stop, bodyEnd);
      const expected = thisEnd === undefined ? undefined : Math.max(0, thisEnd - offset);
      const more = thisEnd !== undefined && (stop === undefined ? false : thisEnd < stop);
      return { body: res.body, skip, expected, more, dispose };
    }
  };

  return {
    [Symbol.asyncIterator]: () => resumingRead(r, url, 'http', { start, end }, open, classifyHttp),
  };
}

export function isHttpUrl(uri: string): boolean {
  return /^https?:\/\//i.test(uri);
}

/**
 * S3 storage (`s3://bucket/prefix`) through @aws-sdk/client-s3, for AWS and S3-compatible
 * servers (MinIO, s3rver, Ceph). The SDK's own retries are off (maxAttempts 1) so that every
 * retry goes through one policy and is counted (`s3_throttle`, `s3_reset`, ...).
 * Reads are ranged GETs resumed from the last byte received; writes are multipart uploads
 * completed on commit, so an object appears whole or not at all.
 */
import { createRequire } from 'node:module';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { RefineryError } from '../errors.js';
import type { AtomicWriter, ObjectInfo, Storage } from './storage.js';
import {
  networkFailure,
  resolveRetry,
  resumingRead,
  storageError,
  withRetries,
  type ResolvedRetry,
  type RetryOptions,
  type Transient,
} from './retry.js';

/**
 * The SDK, loaded on first use: every process of a run reaches this module through the storage
 * layer, and loading the SDK costs ~0.12 CPU s (~150 files) that a task on local files never
 * needs. Its package is CommonJS (no ESM entry), so require gives the module `import` would.
 */
let loadedSdk: typeof S3Sdk | undefined;
const sdk = (): typeof S3Sdk => (loadedSdk ??= createRequire(import.meta.url)('@aws-sdk/client-s3') as typeof S3Sdk);

export interface S3Options extends RetryOptions {
  /** A ready client (tests, custom auth). Otherwise one is made from the options and env. */
  client?: S3Client;
  /** Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or S3_ENDPOINT. */
  endpoint?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. */
  region?: string;
  /** Path-style URLs (`http://host/bucket/key`); default true when a custom endpoint is set. */
  forcePathStyle?: boolean;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile, IMDS...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size for `create`; S3's minimum is 5 MiB. Default 16 MiB. */
  partSize?: number;
  /** Give up on a request whose socket is idle this long (waiting for headers or mid-body). Default: `timeoutMs` (10 s). */
  idleTimeoutMs?: number;
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  pageSize?: number;
}

const MIN_PART = 5 * 1024 * 1024;

/** `s3://bucket/some/prefix/` -> { bucket, prefix: 'some/prefix' } (no slashes at the ends). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m) throw new RefineryError('ERR_INPUT', `not an s3:// URL: ${url}`);
  return { bucket: m[1]!, prefix: m[2]!.replace(/^\/+|\/+$/g, '') };
}

export function isS3Url(uri: string): boolean {
  return /^s3:\/\//i.test(uri);
}

const clients = new Map<string, S3Client>();

/** One client per endpoint config (a client owns a connection pool: share it). */
export function s3Client(opts: S3Options = {}): S3Client {
  if (opts.client) return opts.client;
  const env = process.env;
  const endpoint = opts.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? env.S3_ENDPOINT;
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const forcePathStyle = opts.forcePathStyle ?? (endpoint !== undefined || env.S3_FORCE_PATH_STYLE === 'true');
  const idleTimeout = opts.idleTimeoutMs ?? resolveRetry(opts).timeoutMs;
  const key = JSON.stringify([endpoint, region, forcePathStyle, idleTimeout, opts.credentials?.accessKeyId]);
  let client = clients.get(key);
  if (!client) {
    const config: S3ClientConfig = {
      region,
      endpoint,
      forcePathStyle,
      maxAttempts: 1,
      // s3rver/MinIO-era servers reject the newer default CRC32 trailers; S3 checks Content-MD5/ETag anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // socketTimeout is an idle timer (also mid-body); requestTimeout would cap a whole multi-GB GET.
      requestHandler: { socketTimeout: idleTimeout, connectionTimeout: Math.min(idleTimeout, 10_000) },
    };
    if (opts.credentials) config.credentials = opts.credentials;
    client = new (sdk().S3Client)(config);
    clients.set(key, client);
  }
  return client;
}

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string | undefined {
  const e = err as SdkError;
  return e?.Code ?? e?.name;
}

const THROTTLE_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const TRANSIENT_NAMES = new Set(['InternalError', 'ServiceUnavailable', 'RequestTimeout', 'RequestTimeTooSkewed']);

function classifyS3(err: unknown): Transient | undefined {
  const name = nameOf(err);
  const status = statusOf(err);
  if ((name && THROTTLE_NAMES.has(name)) || status === 503 || status === 429 || (err as SdkError)?.$retryable?.throttling) {
    return { kind: 'throttle' };
  }
  if ((name && TRANSIENT_NAMES.has(name)) || (status !== undefined && status >= 500)) return { kind: '5xx' };
  const net = networkFailure(err);
  return net ? { kind: net } : undefined;
}

function isNotFound(err: unknown): boolean {
  const name = nameOf(err);
  return statusOf(err) === 404 || name === 'NotFound' || name === 'NoSuchKey';
}

/** Size in bytes of `s3://bucket/key` (HeadObject, retried); ERR_STORAGE if it does not exist. */
export async function s3ObjectSize(url: string, opts: S3Options = {}): Promise<number> {
  const { bucket, prefix: key } = parseS3Url(url);
  const client = s3Client(opts);
  return withRetries(resolveRetry(opts), { uri: url, scheme: 's3', action: 'head' }, classifyS3, async () => {
    try {
      const res = await client.send(new (sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
      return res.ContentLength ?? 0;
    } catch (e) {
      if (isNotFound(e)) throw storageError(url, undefined, 'no such object');
      throw e;
    }
  });
}

/** Storage over `s3://bucket/prefix`: paths are keys below the prefix. */
export function s3Storage(url: string, opts: S3Options = {}): Storage {
  const { bucket, prefix } = parseS3Url(url);
  const client = s3Client(opts);
  const r = resolveRetry(opts);
  const partSize = Math.max(MIN_PART, opts.partSize ?? 16 * 1024 * 1024);
  const root = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  const keyOf = (path: string) => {
    const p = path.replace(/^\/+/, '');
    return prefix ? (p ? `${prefix}/${p}` : prefix) : p;
  };
  const uriOf = (key: string) => `s3://${bucket}/${key}`;
  const call = <T>(key: string, action: string, fn: () => Promise<T>, offset?: number) =>
    withRetries(r, { uri: uriOf(key), scheme: 's3', action, offset }, classifyS3, fn);

  const listKeys = async (listPrefix: string): Promise<{ key: string; size: number }[]> => {
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await call(listPrefix, 'list', () =>
        client.send(
          new (sdk().ListObjectsV2Command)({ Bucket: bucket, Prefix: listPrefix || undefined, ContinuationToken: token, MaxKeys: opts.pageSize }),
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  };

  const putObject = (key: string, body: Uint8Array) =>
    call(key, 'put', () => client.send(new (sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength })));

  const storage: Storage = {
    root,
    async list(dir) {
      // Like a directory: `list('a')` is everything under `a/`, never `ab`.
      // `list('a/')` is `list('a')`, as on local disk.
      const base = keyOf(dir).replace(/\/+$/, '');
      const listPrefix = base ? `${base}/` : '';
      const strip = prefix ? prefix.length + 1 : 0;
      const out: ObjectInfo[] = (await listKeys(listPrefix))
        .filter((o) => !o.key.endsWith('/')) // "folder" placeholder objects some tools create
        .map((o) => ({ path: o.key.slice(strip), size: o.size }));
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async exists(path) {
      const key = keyOf(path);
      return call(key, 'head', async () => {
        try {
          await client.send(new (sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
          return true;
        } catch (e) {
          if (isNotFound(e)) return false;
          throw e;
        }
      });
    },

    read(path, range) {
      const key = keyOf(path);
      const start = range?.start ?? 0;
      const end = range?.end;
      let etag: string | undefined;
      let total: number | undefined;
      const open = async (offset: number) => {
        if (end !== undefined && offset >= end) return 'empty' as const;
        const wantRange = offset > 0 || end !== undefined;
        let res;
        try {
          res = await client.send(
            new (sdk().GetObjectCommand)({
              Bucket: bucket,
              Key: key,
              Range: wantRange ? `bytes=${offset}-${end === undefined ? '' : end - 1}` : undefined,
              IfMatch: etag, // S3 answers 412 if the object was replaced between attempts
            }),
          );
        } catch (e) {
          if (nameOf(e) === 'InvalidRange' || statusOf(e) === 416) return 'empty' as const;
          if (isNotFound(e)) throw storageError(uriOf(key), offset, 'no such object');
          if (statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed') {
            throw storageError(uriOf(key), offset, 'object changed during the read');
          }
          throw e;
        }
        const body = res.Body as Readable | undefined;
        if (!body) throw storageError(uriOf(key), offset, 'GetObject returned no body');
        const dispose = () => body.destroy();
        // Servers without If-Match support (s3rver) still show a replaced object by its ETag.
        if (etag !== undefined && res.ETag !== undefined && res.ETag !== etag) {
          dispose();
          throw storageError(uriOf(key), offset, `object changed during the read (etag ${etag} -> ${res.ETag})`);
        }
        etag ??= res.ETag;
        let first = offset;
        let thisEnd: number | undefined;
        const cr = res.ContentRange ? /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(res.ContentRange) : null;
        if (cr) {
          first = Number(cr[1]);
          thisEnd = Number(cr[2]) + 1;
          if (cr[3] !== '*') total ??= Number(cr[3]);
        } else {
          first = 0;
          total ??= res.ContentLength;
          thisEnd = total;
        }
        if (first > offset) {
          dispose();
          throw storageError(uriOf(key), offset, `server sent a range starting at ${first}`);
        }
        const stop = end === undefined ? total : total === undefined ? end : Math.min(end, total);
        const bodyEnd = thisEnd === undefined ? stop : stop === undefined ? thisEnd : Math.min(stop, thisEnd);
        return {
          body: body as AsyncIterable<Uint8Array>,
          skip: offset - first,
          expected: bodyEnd === undefined ? undefined : Math.max(0, bodyEnd - offset),
          more: bodyEnd !== undefined && stop !== undefined && bodyEnd < stop,
          dispose,
        };
      };
      const uri = uriOf(key);
      return { [Symbol.asyncIterator]: () => resumingRead(r, uri, 's3', { start, end }, open, classifyS3) };
    },

    async readAll(path) {
      const parts: Buffer[] = [];
      for await (const c of storage.read(path)) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      return Buffer.concat(parts);
    },

    async create(path) {
      return multipartWriter(client, r, bucket, keyOf(path), partSize, uriOf(keyOf(path)), putObject);
    },

    async writeAll(path, data) {
      await putObject(keyOf(path), typeof data === 'string' ? Buffer.from(data) : data);
    },

    async createExclusive(path, data) {
      const key = keyOf(path);
      const body = typeof data === 'string' ? Buffer.from(data) : data;
      return call(key, 'put if absent', async () => {
        try {
          await client.send(new (sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, IfNoneMatch: '*' }));
          return true;
        } catch (e) {
          // 412: the object exists; 409: another conditional put of it is in flight.
          const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status === 412 || status === 409) return false;
          throw e;
        }
      });
    },

    async delete(path) {
      // Like `rm -r`: the object itself and everything under `path/`.
      const key = keyOf(path);
      if (key) await call(key, 'delete', () => client.send(new (sdk().DeleteObjectCommand)({ Bucket: bucket, Key: key })));
      const below = await listKeys(key ? `${key}/` : '');
      for (let i = 0; i < below.length; i += 1000) {
        const batch = below.slice(i, i + 1000);
        const res = await call(key, 'delete', () =>
          client.send(
            new (sdk().DeleteObjectsCommand)({ Bucket: bucket, Delete: { Objects: batch.map((o) => ({ Key: o.key })), Quiet: true } }),
          ),
        );
        if (res.Errors?.length) {
          const e = res.Errors[0]!;
          throw storageError(uriOf(e.Key ?? key), undefined, `delete failed: ${e.Code} ${e.Message}`);
        }
      }
    },
  };
  return storage;
}

/**
 * Parts are buffered up to `partSize` and uploaded one at a time (bounded memory: one part).
 * A file that never fills a part is sent as one PutObject on commit; nothing is visible before.
 */
function multipartWriter(
  client: S3Client,
  r: ResolvedRetry,
  bucket: string,
  key: string,
  partSize: number,
  uri: string,
  putObject: (key: string, body: Uint8Array) => Promise<unknown>,
): AtomicWriter {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;
  let uploadId: string | undefined;
  const parts: { PartNumber: number; ETag: string }[] = [];
  let done = false;
  const call = <T>(action: string, fn: () => Promise<T>) =>
    withRetries(r, { uri, scheme: 's3', action, offset: written }, classifyS3, fn);

  const take = (): Buffer => {
    const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return buf;
  };

  const uploadPart = async (body: Buffer) => {
    if (!uploadId) {
      const res = await call('create multipart upload', () =>
        client.send(new (sdk().CreateMultipartUploadCommand)({ Bucket: bucket, Key: key })),
      );
      if (!res.UploadId) throw storageError(uri, written, 'CreateMultipartUpload returned no UploadId');
      uploadId = res.UploadId;
    }
    const PartNumber = parts.length + 1;
    if (PartNumber > 10_000) throw storageError(uri, written, 'more than 10,000 parts: raise partSize');
    const res = await call(`upload part ${PartNumber}`, () =>
      client.send(new (sdk().UploadPartCommand)({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.byteLength })),
    );
    parts.push({ PartNumber, ETag: res.ETag ?? '' });
    written += body.byteLength;
  };

  return {
    async write(chunk) {
      if (done) throw storageError(uri, written, 'write after commit/abort');
      // Copy: callers may reuse their buffer once write() resolves.
      pending.push(Buffer.from(chunk));
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= partSize) await uploadPart(take());
    },
    async commit() {
      if (done) throw storageError(uri, written, 'commit after commit/abort');
      done = true;
      if (!uploadId) {
        await putObject(key, take());
        return;
      }
      if (pendingBytes > 0) await uploadPart(take());
      let attempts = 0;
      await call('complete multipart upload', async () => {
        try {
          attempts++;
          return await client.send(
            new (sdk().CompleteMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
          );
        } catch (e) {
          // A retried Complete whose first try succeeded server-side finds no upload: the object is there.
          if (attempts > 1 && nameOf(e) === 'NoSuchUpload') {
            await client.send(new (sdk().HeadObjectCommand)({ Bucket: bucket, Key: key }));
            return undefined;
          }
          throw e;
        }
      });
    },
    async abort() {
      if (done) return;
      done = true;
      pending = [];
      pendingBytes = 0;
      if (!uploadId) return;
      try {
        await call('abort multipart upload', () =>
          client.send(new (sdk().AbortMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: uploadId })),
        );
      } catch (e) {
        // Servers without AbortMultipartUpload (s3rver: 405) keep the parts until a lifecycle
        // rule expires them; the object itself was never created, which is what matters.
        const cause = (e as { cause?: unknown }).cause;
        const status = statusOf(cause);
        if (status === 405 || status === 501 || nameOf(cause) === 'MethodNotAllowed' || nameOf(cause) === 'NotImplemented') return;
        throw e;
      }
    },
  };
}

/**
 * From what a user types to bytes: `openStorage` for an output/run location (local dir or
 * s3://bucket/prefix), `openInput` for one input (local path, http(s) URL, s3://bucket/key),
 * and `expandInputs` for the `--input` sources (files, globs, directories, s3 prefixes and
 * CommonCrawl `*.paths.gz` listings) into a sorted list of input URIs.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { glob, isDynamicPattern } from 'tinyglobby';
import { RefineryError } from '../errors.js';
import { localStorage } from './local.js';
import { isHttpUrl, readHttp, type HttpReadOptions } from './http.js';
import { isS3Url, parseS3Url, s3ObjectSize, s3Storage, type S3Options } from './s3.js';
import { storageError } from './retry.js';
import type { Storage } from './storage.js';

export { countRetry, storageRetryCounts, type RetryCounts } from './retry.js';

/** Options for every remote access: S3 endpoint/credentials, HTTP timeouts, retry policy and counter. */
export type IoOptions = S3Options & HttpReadOptions;

/** Where CommonCrawl serves its files over HTTPS; relative lines of `*.paths.gz` resolve here. */
export const COMMONCRAWL_BASE_URL = 'https://data.commoncrawl.org/';

/** Files a directory or an s3 prefix contributes as inputs: WARC/ARC/WET, JSONL, Parquet. */
const INPUT_FILE = /\.(?:warc|arc|wet)(?:\.gz)?$|\.(?:jsonl|ndjson)(?:\.gz|\.zst)?$|\.json\.gz$|\.parquet$/i;
const LISTING = /\.paths(?:\.gz)?$/i;

export function isInputFile(name: string): boolean {
  return INPUT_FILE.test(name);
}

function localPath(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : resolve(uri);
}

/** A local directory (created on first write) or `s3://bucket/prefix`. */
export function openStorage(location: string, opts: IoOptions = {}): Storage {
  if (isS3Url(location)) return s3Storage(location, opts);
  if (isHttpUrl(location)) throw new RefineryError('ERR_INPUT', `cannot write to an http(s) location: ${location}`);
  return localStorage(localPath(location));
}

export interface Input {
  /** As given (absolute path for local files). */
  uri: string;
  /** The file name (last path segment), e.g. for the dump/segment of a CommonCrawl WARC. */
  name: string;
  /** Size in bytes when known without reading (local files, S3 objects). */
  size?: number;
  /** Stream bytes [start, end); remote reads are retried and resumed. */
  read(range?: { start?: number; end?: number }): AsyncIterable<Uint8Array>;
}

function nameOf(uri: string): string {
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? new URL(uri).pathname : uri;
  const last = path.split('/').filter(Boolean).pop() ?? path;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** Open one input for streaming. Local files and S3 objects are checked to exist (and sized); http(s) ones fail on read. */
export async function openInput(uri: string, opts: IoOptions = {}): Promise<Input> {
  if (isHttpUrl(uri)) {
    return { uri, name: nameOf(uri), read: (range) => readHttp(uri, range, opts) };
  }
  if (isS3Url(uri)) {
    const { bucket, prefix: key } = parseS3Url(uri);
    if (!key) throw new RefineryError('ERR_INPUT', `s3 input names a bucket, not an object: ${uri}`);
    const store = s3Storage(`s3://${bucket}`, opts);
    const size = await s3ObjectSize(uri, opts);
    return { uri, name: nameOf(uri), size, read: (range) => store.read(key, range) };
  }
  const path = localPath(uri);
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new RefineryError('ERR_INPUT', `not a file: ${path}`);
    size = st.size;
  } catch (e) {
    if (e instanceof RefineryError) throw e;
    throw new RefineryError('ERR_INPUT', `cannot open input: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  return { uri: path, name: basename(path), size, read: (range) => readLocal(path, range) };
}

async function* readLocal(path: string, range?: { start?: number; end?: number }): AsyncGenerator<Uint8Array> {
  let offset = range?.start ?? 0;
  if (range?.end !== undefined && range.end <= offset) return;
  const stream = createReadStream(path, {
    start: offset,
    end: range?.end === undefined ? undefined : range.end - 1,
    highWaterMark: 1 << 20,
  });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      offset += chunk.byteLength;
      yield chunk;
    }
  } catch (e) {
    throw storageError(path, offset, 'read failed', e);
  }
}

export interface ExpandOptions extends IoOptions {
  /** Base for the relative lines of `*.paths(.gz)` listings: a URL or a local directory. */
  baseUrl?: string;
}

/**
 * The `--input` sources as a sorted, de-duplicated list of input URIs:
 * - a local file: itself (absolute path); a glob: the files it matches;
 * - a local directory: its WARC/ARC/WET, JSONL and Parquet files, recursively;
 * - `s3://bucket/prefix/` (or a bucket): the input files under it; `s3://bucket/key`: itself;
 * - `http(s)://` URL: itself;
 * - a CommonCrawl listing `*.paths` / `*.paths.gz` (local, http or s3): one input per line,
 *   relative lines resolved against `baseUrl` (default https://data.commoncrawl.org/).
 * Sorted so the task list, hence the output, is the same on every run.
 */
export async function expandInputs(sources: string[], opts: ExpandOptions = {}): Promise<string[]> {
  return (await expandInputSources(sources, opts)).map((i) => i.uri);
}

/** An expanded input with its size when the expansion learnt it for free. */
export interface ListedInput {
  uri: string;
  /** Known for local files (stat, also lines of a listing) and objects found by an S3 listing; not for URLs or single keys. */
  size?: number;
}

/** Same as expandInputs, with sizes where known (for progress), without extra requests. */
export async function expandInputSources(sources: string[], opts: ExpandOptions = {}): Promise<ListedInput[]> {
  const out = new Map<string, ListedInput>();
  for (const src of sources) {
    for (const item of await expandOne(src, opts)) {
      if (!out.has(item.uri) || out.get(item.uri)!.size === undefined) out.set(item.uri, item);
    }
  }
  return [...out.values()].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
}

const unsized = (uri: string): ListedInput => ({ uri });

/**
 * A listed line that is a local file gets its size (a stat, no read), so a sample of a local
 * listing can scale by bytes; URLs stay unsized (a HEAD per line of a 90,000-line listing is
 * not free), and a missing file is left for its task to report.
 */
async function sizedIfLocal(uri: string): Promise<ListedInput> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return unsized(uri);
  const st = await stat(uri).catch(() => undefined);
  return st?.isFile() ? { uri, size: st.size } : unsized(uri);
}

async function expandOne(src: string, opts: ExpandOptions): Promise<ListedInput[]> {
  if (LISTING.test(isHttpUrl(src) || isS3Url(src) ? new URL(src).pathname : src)) return Promise.all((await readListing(src, opts)).map(sizedIfLocal));
  if (isHttpUrl(src)) return [unsized(src)];
  if (isS3Url(src)) return expandS3(src, opts);
  const path = src.startsWith('file://') ? fileURLToPath(src) : src;
  if (isDynamicPattern(path)) {
    const files = await glob(path, { absolute: true, onlyFiles: true, expandDirectories: false });
    if (files.length === 0) throw new RefineryError('ERR_INPUT', `no file matches the pattern ${src}`);
    return Promise.all(files.map(async (f) => ({ uri: resolve(f), size: (await stat(f)).size })));
  }
  const abs = resolve(path);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    throw new RefineryError('ERR_INPUT', `no such input: ${src}`, { file: abs }, { cause: e });
  }
  if (st.isFile()) return [{ uri: abs, size: st.size }];
  if (st.isDirectory()) {
    const files = await inputFilesUnder(abs);
    if (files.length === 0) throw new RefineryError('ERR_INPUT', `no WARC, JSONL or Parquet file in ${abs}`);
    return files;
  }
  throw new RefineryError('ERR_INPUT', `not a file or directory: ${src}`);
}

async function inputFilesUnder(dir: string): Promise<ListedInput[]> {
  const out: ListedInput[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...(await inputFilesUnder(p)));
    else if ((ent.isFile() || ent.isSymbolicLink()) && isInputFile(ent.name) && !ent.name.includes('.tmp-')) {
      // A link to a file is that file (folders of links to WARCs are common); a dangling link
      // or a link to a folder is left out (no cycles).
      const st = await stat(p).catch(() => undefined);
      if (st?.isFile()) out.push({ uri: p, size: st.size });
    }
  }
  return out;
}

async function expandS3(src: string, opts: ExpandOptions): Promise<ListedInput[]> {
  const { bucket, prefix } = parseS3Url(src);
  const isPrefix = prefix === '' || src.endsWith('/');
  if (!isPrefix && isInputFile(prefix)) return [unsized(`s3://${bucket}/${prefix}`)];
  // `s3://b/dir` without a slash: a folder if anything is under `dir/`, else the object `dir`.
  const store = s3Storage(`s3://${bucket}`, opts);
  const files = (await store.list(prefix)).filter((o) => isInputFile(o.path)).map((o) => ({ uri: `s3://${bucket}/${o.path}`, size: o.size }));
  if (files.length > 0) return files;
  if (!isPrefix) return [unsized(`s3://${bucket}/${prefix}`)];
  throw new RefineryError('ERR_INPUT', `no WARC, JSONL or Parquet object under ${src}`);
}

/** Resolve one listing line: absolute URLs/paths stay; relative ones go under the base. */
function resolveListed(line: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(line) || isAbsolute(line)) return line;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(base)) return new URL(line, base.endsWith('/') ? base : `${base}/`).toString();
  return join(resolve(base), line);
}

/** Stream a (gzipped) listing line by line: a full dump's list is ~90,000 lines. */
async function readListing(src: string, opts: ExpandOptions): Promise<string[]> {
  const input = await openInput(src, opts);
  const base = opts.baseUrl ?? COMMONCRAWL_BASE_URL;
  const raw = Readable.from(input.read(), { objectMode: false });
  const bytes = /\.gz$/i.test(input.name) ? pipeline(raw, createGunzip(), () => undefined) : raw;
  const decoder = new StringDecoder('utf8');
  const out: string[] = [];
  const take = (line: string) => {
    const t = line.trim();
    if (t && !t.startsWith('#')) out.push(resolveListed(t, base));
  };
  let rest = '';
  try {
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop()!;
      lines.forEach(take);
    }
    take(rest + decoder.end());
  } catch (e) {
    if (e instanceof RefineryError) throw e;
    throw new RefineryError('ERR_INPUT', `cannot read the listing: ${(e as Error).message}`, { file: input.uri }, { cause: e });
  }
  if (out.length === 0) throw new RefineryError('ERR_INPUT', `empty listing`, { file: input.uri });
  return out;
}

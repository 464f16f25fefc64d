/**
 * Binary files between the MinHash passes, all little-endian u32 words, each with CRC-32
 * checksums so a corrupt or truncated file fails with ERR_CORRUPT naming it, instead of
 * producing wrong pairs later (datatrove's weakness, docs/style.md).
 *
 * Signature file (pass 1, one per input shard), header first:
 *   "RFMHSIG1", bands, rows, docs (rows in the shard), m (docs with shingles), config tag, 0,
 *   crc32 of each band section (bands words), crc32 of the header so far;
 *   then per band a section of m records (key_hi, key_lo, doc) sorted by (key, doc).
 * Trailer files (pairs of pass 2, removal lists of pass 3): body of u32 records, then
 *   magic (8 bytes), count (records), aux, crc32 of the body, crc32 of the trailer so far.
 */
import { crc32 } from 'node:zlib';
import type { AtomicWriter, Storage } from '../../src/storage/storage.js';
import { RefineryError } from '../../src/errors.js';

const SIG_MAGIC = 'RFMHSIG1';
export const SIG_RECORD_WORDS = 3;

export interface SigHeader {
  path: string;
  bands: number;
  rows: number;
  docs: number;
  /** Records per band section (docs with at least one shingle). */
  m: number;
  tag: number;
  sectionCrc: Uint32Array;
  headerBytes: number;
}

function corrupt(path: string, what: string, offset?: number): RefineryError {
  return new RefineryError('ERR_CORRUPT', what, { file: path, offset });
}

/** A signature file: header then the sections (already sorted by the kernel). */
export function encodeSigFile(h: Omit<SigHeader, 'path' | 'sectionCrc' | 'headerBytes'>, sections: Uint8Array): Uint8Array {
  const sectionBytes = h.m * SIG_RECORD_WORDS * 4;
  if (sections.length !== sectionBytes * h.bands) throw new Error('encodeSigFile: sections size mismatch');
  const headerWords = 8 + h.bands + 1;
  const out = new Uint8Array(headerWords * 4 + sections.length);
  const w = new Uint32Array(out.buffer, 0, headerWords);
  out.set(Buffer.from(SIG_MAGIC, 'latin1'), 0);
  w[2] = h.bands;
  w[3] = h.rows;
  w[4] = h.docs;
  w[5] = h.m;
  w[6] = h.tag;
  w[7] = 0;
  for (let k = 0; k < h.bands; k++) w[8 + k] = crc32(sections.subarray(k * sectionBytes, (k + 1) * sectionBytes));
  w[8 + h.bands] = crc32(out.subarray(0, (8 + h.bands) * 4));
  out.set(sections, headerWords * 4);
  return out;
}

/** Reads and checks a signature file's header; `size` (from storage.list) detects truncation. */
export async function readSigHeader(run: Storage, path: string, size: number): Promise<SigHeader> {
  if (size < 40) throw corrupt(path, `signature file truncated (${size} bytes)`);
  const first = await readRange(run, path, 0, 32);
  if (Buffer.from(first.subarray(0, 8)).toString('latin1') !== SIG_MAGIC) throw corrupt(path, 'not a MinHash signature file (bad magic)', 0);
  const fw = new Uint32Array(first.buffer, first.byteOffset, 8);
  const bands = fw[2]!;
  const headerBytes = (8 + bands + 1) * 4;
  if (bands === 0 || headerBytes > size) throw corrupt(path, `signature header truncated or bad band count ${bands}`);
  const head = await readRange(run, path, 0, headerBytes);
  const hw = new Uint32Array(head.buffer, head.byteOffset, headerBytes / 4);
  if (crc32(head.subarray(0, headerBytes - 4)) !== hw[8 + bands]) throw corrupt(path, 'signature header checksum mismatch', 0);
  const h: SigHeader = { path, bands, rows: hw[3]!, docs: hw[4]!, m: hw[5]!, tag: hw[6]!, sectionCrc: hw.slice(8, 8 + bands), headerBytes };
  const expected = headerBytes + bands * h.m * SIG_RECORD_WORDS * 4;
  if (size !== expected) throw corrupt(path, `signature file is ${size} bytes, header says ${expected} (truncated or padded)`);
  return h;
}

/** Byte range of band k's section. */
export function sectionRange(h: SigHeader, band: number): { start: number; end: number } {
  const bytes = h.m * SIG_RECORD_WORDS * 4;
  const start = h.headerBytes + band * bytes;
  return { start, end: start + bytes };
}

async function readRange(run: Storage, path: string, start: number, end: number): Promise<Uint8Array> {
  const out = new Uint8Array(end - start);
  let at = 0;
  for await (const chunk of run.read(path, { start, end })) {
    if (at + chunk.length > out.length) throw corrupt(path, 'read past the requested range', start + at);
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== out.length) throw corrupt(path, `truncated: wanted ${end - start} bytes at ${start}, got ${at}`, start + at);
  return out;
}

/**
 * Ranged reads of at most `piece` bytes each: the bucket merge holds one open stream per
 * shard, so each must buffer little (a k-way merge over 1,000 shards stays at ~256 MB).
 */
const READ_PIECE_BYTES = 256 * 1024;

async function* readInPieces(run: Storage, path: string, range: { start: number; end: number }, piece: number): AsyncGenerator<Uint8Array> {
  for (let at = range.start; at < range.end; at += piece) {
    yield* run.read(path, { start: at, end: Math.min(range.end, at + piece) });
  }
}

/**
 * Streams [start, end) of a file as aligned Uint32Array chunks of whole records, checking
 * length and CRC-32 against `expectedCrc` at the end (throws ERR_CORRUPT before the last
 * chunk is handed out, so a consumer never finishes on bad data).
 */
export async function* readRecords(
  run: Storage,
  path: string,
  range: { start: number; end: number },
  recordWords: number,
  expectedCrc: number,
): AsyncGenerator<Uint32Array> {
  const recordBytes = recordWords * 4;
  const total = range.end - range.start;
  if (total % recordBytes !== 0) throw corrupt(path, `section of ${total} bytes is not whole records`, range.start);
  let crc = 0;
  let got = 0;
  let pending: Uint8Array | undefined;
  let ready: Uint32Array | undefined;
  if (total === 0) {
    if (expectedCrc !== crc32(new Uint8Array(0))) throw corrupt(path, 'checksum mismatch', range.start);
    return;
  }
  for await (const chunk of readInPieces(run, path, range, READ_PIECE_BYTES)) {
    crc = crc32(chunk, crc);
    got += chunk.length;
    const buf: Uint8Array = pending ? Buffer.concat([pending, chunk]) : chunk;
    const whole = buf.length - (buf.length % recordBytes);
    pending = whole < buf.length ? buf.slice(whole) : undefined;
    if (whole === 0) continue;
    const aligned = new Uint8Array(whole);
    aligned.set(buf.subarray(0, whole));
    // Hand out the previous chunk only now, so the last one waits for the checksum.
    if (ready) yield ready;
    ready = new Uint32Array(aligned.buffer);
  }
  if (got !== total) throw corrupt(path, `truncated: section has ${got} of ${total} bytes`, range.start + got);
  if (crc !== expectedCrc) throw corrupt(path, 'checksum mismatch (file corrupt)', range.start);
  if (ready) yield ready;
}

export interface Trailer {
  count: number;
  aux: number;
  bodyCrc: number;
}
const TRAILER_BYTES = 24;

function encodeTrailer(magic: string, t: Trailer): Uint8Array {
  const out = new Uint8Array(TRAILER_BYTES);
  out.set(Buffer.from(magic, 'latin1'), 0);
  const w = new Uint32Array(out.buffer);
  w[2] = t.count;
  w[3] = t.aux;
  w[4] = t.bodyCrc;
  w[5] = crc32(out.subarray(0, 20));
  return out;
}

/** Streams u32 records into a trailer file (write-then-commit). */
export class TrailerWriter {
  private crc = 0;
  private words = 0;
  private buf: Uint32Array;
  private fill = 0;
  constructor(
    private readonly writer: AtomicWriter,
    private readonly magic: string,
    private readonly recordWords: number,
    bufferRecords = 1 << 16,
  ) {
    this.buf = new Uint32Array(bufferRecords * recordWords);
  }
  /** Adds a 2-word record; true when the buffer is full and `flush()` must be awaited. */
  push2(a: number, b: number): boolean {
    this.buf[this.fill++] = a;
    this.buf[this.fill++] = b;
    return this.fill === this.buf.length;
  }
  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const bytes = new Uint8Array(this.buf.buffer, 0, this.fill * 4).slice();
    this.crc = crc32(bytes, this.crc);
    this.words += this.fill;
    this.fill = 0;
    await this.writer.write(bytes);
  }
  /** Writes the trailer and commits; returns the number of records. */
  async commit(aux: number): Promise<number> {
    await this.flush();
    const count = this.words / this.recordWords;
    await this.writer.write(encodeTrailer(this.magic, { count, aux, bodyCrc: this.crc }));
    await this.writer.commit();
    return count;
  }
  abort(): Promise<void> {
    return this.writer.abort();
  }
}

/** A whole trailer file in memory. */
export function encodeTrailerFile(magic: string, body: Uint32Array, aux: number, recordWords: number): Uint8Array {
  const bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const out = new Uint8Array(bytes.length + TRAILER_BYTES);
  out.set(bytes, 0);
  out.set(encodeTrailer(magic, { count: body.length / recordWords, aux, bodyCrc: crc32(bytes) }), bytes.length);
  return out;
}

/** Reads and checks a trailer (size from storage.list); returns it with the body's range. */
export async function readTrailer(run: Storage, path: string, size: number, magic: string, recordWords: number): Promise<Trailer & { body: { start: number; end: number } }> {
  if (size < TRAILER_BYTES) throw corrupt(path, `truncated (${size} bytes)`);
  const t = await readRange(run, path, size - TRAILER_BYTES, size);
  if (Buffer.from(t.subarray(0, 8)).toString('latin1') !== magic) throw corrupt(path, `bad trailer magic (expected ${magic}; truncated?)`, size - TRAILER_BYTES);
  const w = new Uint32Array(t.buffer, t.byteOffset, 6);
  if (crc32(t.subarray(0, 20)) !== w[5]) throw corrupt(path, 'trailer checksum mismatch', size - TRAILER_BYTES);
  const count = w[2]!;
  const bodyBytes = count * recordWords * 4;
  if (bodyBytes !== size - TRAILER_BYTES) throw corrupt(path, `body is ${size - TRAILER_BYTES} bytes, trailer says ${bodyBytes}`);
  return { count, aux: w[3]!, bodyCrc: w[4]!, body: { start: 0, end: bodyBytes } };
}

export const PAIRS_MAGIC = 'RFMHPAR1';
export const REMOVE_MAGIC = 'RFMHREM1';

/**
 * Binary files between the MinHash passes, all little-endian u32 words, each with CRC-32
 * checksums so a corrupt or truncated file fails with ERR_CORRUPT naming it, instead of
 * producing wrong pairs later (datatrove's weakness, docs/style.md).
 *
 * Signature file (pass 1, one per input shard; format 2, "RFMHSIG2"), header first:
 *   "RFMHSIG2", bands, rows, docs (rows in the shard), runs, config tag, crc32 of the header
 *   so far (8 words); then `runs` sorted runs, one per `chunk_docs` consecutive rows of the
 *   shard, each: m (records: its docs with shingles), crc32 of each band section (bands
 *   words), crc32 of the run header so far; then per band a section of m records
 *   (key_hi, key_lo, doc) sorted by (key, doc), doc being the row in the shard.
 *   Runs bound the signature task's memory (one run at a time, whatever the docs per shard);
 *   the buckets pass merges every run of every shard, so the pairs do not depend on the runs.
 *   Format 1 ("RFMHSIG1": one run, its section checksums in the file header) is refused.
 * Trailer files (pairs of pass 2, removal lists of pass 3): body of u32 records, then
 *   magic (8 bytes), count (records), aux, crc32 of the body, crc32 of the trailer so far.
 */
import { crc32 } from 'node:zlib';
import type { AtomicWriter, Storage } from '../../src/storage/storage.js';
import { readByteRange } from '../../src/pass-io.js';
import { RefineryError } from '../../src/errors.js';

const SIG_MAGIC = 'RFMHSIG2';
export const SIG_RECORD_WORDS = 3;
const SIG_HEADER_WORDS = 8;

/** One sorted run of a signature file: `m` records per band section. */
export interface SigRun {
  m: number;
  /** Byte offset of the run's first band section. */
  start: number;
  sectionCrc: Uint32Array;
}

export interface SigHeader {
  path: string;
  bands: number;
  rows: number;
  docs: number;
  /** Records per band, all runs together (docs with at least one shingle). */
  m: number;
  tag: number;
  runs: SigRun[];
}

function corrupt(path: string, what: string, offset?: number): RefineryError {
  return new RefineryError('ERR_CORRUPT', what, { file: path, offset });
}

/** The file header: written first, before any run. */
export function encodeSigHeader(h: { bands: number; rows: number; docs: number; runs: number; tag: number }): Uint8Array {
  const out = new Uint8Array(SIG_HEADER_WORDS * 4);
  const w = new Uint32Array(out.buffer);
  out.set(Buffer.from(SIG_MAGIC, 'latin1'), 0);
  w[2] = h.bands;
  w[3] = h.rows;
  w[4] = h.docs;
  w[5] = h.runs;
  w[6] = h.tag;
  w[7] = crc32(out.subarray(0, 28));
  return out;
}

/** A run's header, for its `sections` (bands sections of m records, from the kernel). */
export function encodeSigRunHeader(bands: number, m: number, sections: Uint8Array): Uint8Array {
  const sectionBytes = m * SIG_RECORD_WORDS * 4;
  if (sections.length !== sectionBytes * bands) throw new Error('encodeSigRunHeader: sections size mismatch');
  const out = new Uint8Array((bands + 2) * 4);
  const w = new Uint32Array(out.buffer);
  w[0] = m;
  for (let k = 0; k < bands; k++) w[1 + k] = crc32(sections.subarray(k * sectionBytes, (k + 1) * sectionBytes));
  w[bands + 1] = crc32(out.subarray(0, (bands + 1) * 4));
  return out;
}

/** A whole signature file of one run (or none, for a shard without rows): tests and benches. */
export function encodeSigFile(h: { bands: number; rows: number; docs: number; m: number; tag: number }, sections: Uint8Array): Uint8Array {
  const runs = h.docs > 0 ? 1 : 0;
  const parts = [encodeSigHeader({ ...h, runs })];
  if (runs) parts.push(encodeSigRunHeader(h.bands, h.m, sections), sections);
  return Buffer.concat(parts);
}

/** Reads and checks a signature file's headers; `size` (from storage.list) detects truncation. */
export async function readSigHeader(run: Storage, path: string, size: number): Promise<SigHeader> {
  if (size < SIG_HEADER_WORDS * 4) throw corrupt(path, `signature file truncated (${size} bytes)`);
  const head = await readByteRange(run, path, 0, SIG_HEADER_WORDS * 4);
  const magic = Buffer.from(head.subarray(0, 8)).toString('latin1');
  if (magic === 'RFMHSIG1') throw new RefineryError('ERR_CONFIG', 'signature file of format 1 (an older refinery); rerun minhash_signatures', { file: path });
  if (magic !== SIG_MAGIC) throw corrupt(path, 'not a MinHash signature file (bad magic)', 0);
  const hw = new Uint32Array(head.buffer, head.byteOffset, SIG_HEADER_WORDS);
  if (crc32(head.subarray(0, 28)) !== hw[7]) throw corrupt(path, 'signature header checksum mismatch', 0);
  const bands = hw[2]!;
  const h: SigHeader = { path, bands, rows: hw[3]!, docs: hw[4]!, m: 0, tag: hw[6]!, runs: [] };
  if (bands === 0) throw corrupt(path, 'signature header has no bands', 0);
  const runHeaderBytes = (bands + 2) * 4;
  let at = SIG_HEADER_WORDS * 4;
  for (let r = 0; r < hw[5]!; r++) {
    if (at + runHeaderBytes > size) throw corrupt(path, `signature file truncated in the header of run ${r}`, at);
    const rh = await readByteRange(run, path, at, at + runHeaderBytes);
    const rw = new Uint32Array(rh.buffer, rh.byteOffset, bands + 2);
    if (crc32(rh.subarray(0, runHeaderBytes - 4)) !== rw[bands + 1]) throw corrupt(path, `checksum mismatch in the header of run ${r}`, at);
    const m = rw[0]!;
    h.runs.push({ m, start: at + runHeaderBytes, sectionCrc: rw.slice(1, 1 + bands) });
    h.m += m;
    at += runHeaderBytes + bands * m * SIG_RECORD_WORDS * 4;
  }
  if (h.m > h.docs) throw corrupt(path, `signature file has ${h.m} records per band for ${h.docs} documents`);
  if (size !== at) throw corrupt(path, `signature file is ${size} bytes, its headers say ${at} (truncated or padded)`);
  return h;
}

/** Byte range of band k's section in run r. */
export function sectionRange(h: SigHeader, run: number, band: number): { start: number; end: number } {
  const r = h.runs[run]!;
  const bytes = r.m * SIG_RECORD_WORDS * 4;
  const start = r.start + band * bytes;
  return { start, end: start + bytes };
}

/**
 * Ranged reads of at most `piece` bytes each (256 KB by default): the bucket merge holds one
 * open stream per run of every shard, so each must buffer little (it passes a smaller piece
 * when there are many runs, see buckets.ts).
 */
export const READ_PIECE_BYTES = 256 * 1024;

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
  piece = READ_PIECE_BYTES,
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
  for await (const chunk of readInPieces(run, path, range, piece)) {
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
  /** Adds a 3-word record (as push2). */
  push3(a: number, b: number, c: number): boolean {
    this.buf[this.fill++] = a;
    this.buf[this.fill++] = b;
    this.buf[this.fill++] = c;
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
  const t = await readByteRange(run, path, size - TRAILER_BYTES, size);
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

/**
 * WARC / ARC reader: bytes in, `Doc`s out, every record counted (ReaderStats).
 *
 * Formats: WARC 1.0, 1.1 and 0.17 (ISO 28500; same named-field header block), ARC v1/v2
 * (Internet Archive "ARC file format", header line `URL IP date mime [...] length`), each either
 * uncompressed or as concatenated gzip members (RFC 1952), one or more records per member.
 *
 * Why not warcio's WARCParser over the whole stream: it inflates the members with pako and
 * has no way past damage. On the bench WARC (1702 records) with 5,000 junk bytes inserted
 * between two members, with one flipped byte, or cut inside a member, warcio 2.4 yields the
 * ~450 records before the damage and then ends *without an error*: the rest is lost silently.
 * It also has no ARC support and no cap on inflated size. So the *framing* is ours:
 *  - gzip: each member is inflated with Node's native zlib (fast, `maxOutputLength` caps a bomb),
 *    its CRC-32 and ISIZE are checked, and its compressed offset is known exactly. A bad member
 *    is reported at its offset and we resync by scanning for the next `1f 8b 08` header that
 *    inflates and checks out (RFC 1952 §2.3).
 *  - uncompressed: records are cut by their Content-Length and must be followed by CRLFs then
 *    `WARC/` (or EOF); otherwise the record is reported and we scan for the next `\nWARC/` line.
 * warcio does the *parsing* of each framed record: WARC headers (WARCParser), HTTP headers
 * (StatusAndHeadersParser) and chunked transfer decoding (AsyncIterReader).
 *
 * Memory is bounded by `maxInflatedBytes` (one member, or one uncompressed record; larger
 * uncompressed records are skipped in a streaming way without being buffered).
 */
import zlib from 'node:zlib';
import { AsyncIterReader, StatusAndHeadersParser, WARCParser } from 'warcio';
import type { Doc } from '../doc.js';
import { newDoc } from '../doc.js';
import { RefineryError } from '../errors.js';
import { crc32 } from '../formats/crc32.js';
import { countSkipped, type ReaderStats } from '../stats.js';
import { decodeBody } from './decode.js';

export interface WarcReadOptions {
  /** Name of the input, for `source`, problems, and dump/segment (CommonCrawl path). */
  file: string;
  /** Largest HTTP payload (raw, and after Content-Encoding) passed on; larger ones are `too_large`. */
  maxPageBytes: number;
  /** Largest gzip member / uncompressed record held in memory; larger ones are `too_large`. */
  maxInflatedBytes: number;
}

export const warcReadDefaults = {
  maxPageBytes: 4 * 1024 * 1024,
  maxInflatedBytes: 64 * 1024 * 1024,
};

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
/** First look for a record's header block (most are < 2 KB); grown x4 up to MAX_HEADER_BYTES. */
const FIRST_HEADER_LOOK = 4096;
/** Largest header block (WARC or ARC line) we look for before calling a record corrupt. */
const MAX_HEADER_BYTES = 64 * 1024;
/** Least input tried for a gzip member; doubled while the member does not fit. */
const MIN_MEMBER_WINDOW = 64 * 1024;
const EMPTY = Buffer.alloc(0);
/** Line-end bytes tolerated between a record's block and the next record. */
const MAX_SEPARATOR = 32;

// ---------------------------------------------------------------------------------------------
// A sliding window over the input stream, with absolute offsets.

class ByteWindow {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Absolute offset of buf[0]. */
  private base = 0;
  eof = false;
  private iter: AsyncIterator<Uint8Array> | null;

  constructor(
    source: AsyncIterable<Uint8Array> | Buffer,
    private onBytes: (n: number) => void = () => {},
    private file = '',
  ) {
    if (Buffer.isBuffer(source)) {
      this.buf = source;
      this.iter = null;
      this.eof = true;
    } else {
      this.iter = source[Symbol.asyncIterator]();
    }
  }

  get offset(): number {
    return this.base + this.pos;
  }
  get available(): number {
    return this.buf.length - this.pos;
  }
  byte(i: number): number {
    return this.buf[this.pos + i]!;
  }
  view(start: number, end: number): Buffer {
    return this.buf.subarray(this.pos + start, this.pos + Math.min(end, this.available));
  }
  indexOf(pattern: Buffer | string, from: number, end = this.available): number {
    const i = this.buf.subarray(0, this.pos + end).indexOf(pattern, this.pos + from);
    return i < 0 ? -1 : i - this.pos;
  }

  /** Load until at least `n` bytes are available or the input ends; true when they are. */
  async ensure(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    // An empty remainder is dropped so that a lone new chunk is used as is (no copy).
    const chunks: Buffer[] = this.available > 0 ? [this.buf.subarray(this.pos)] : [];
    let have = this.available;
    while (have < n && !this.eof) {
      const chunk = await this.next();
      if (!chunk) break;
      chunks.push(chunk);
      have += chunk.length;
    }
    this.base += this.pos;
    this.buf = chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, have);
    this.pos = 0;
    return have >= n;
  }

  consume(n: number): void {
    this.pos += Math.min(n, this.available);
  }

  private async next(): Promise<Buffer | null> {
    if (!this.iter || this.eof) return null;
    let r: IteratorResult<Uint8Array>;
    try {
      r = await this.iter.next();
    } catch (err) {
      // The input itself failed: not bad data, a storage error the caller must see.
      if (err instanceof RefineryError) throw err;
      throw new RefineryError('ERR_STORAGE', `reading input failed: ${(err as Error).message}`, { file: this.file, offset: this.base + this.buf.length }, { cause: err });
    }
    if (r.done) {
      this.eof = true;
      return null;
    }
    const c = r.value;
    this.onBytes(c.length);
    return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  }
}

// ---------------------------------------------------------------------------------------------
// Problems and counting

interface Ctx {
  opts: WarcReadOptions;
  stats: ReaderStats;
  /** Index of the next record (or unreadable region) in this file. */
  record: number;
  format: 'warc' | 'arc' | undefined;
  dump: string | undefined;
  segment: string | undefined;
  /** dump came from the path: warcinfo's isPartOf must not override it. */
  dumpFromPath: boolean;
  /** The input is gzip (records are framed over the inflated members). */
  gzip: boolean;
}

/** Count one record (or unreadable region) skipped for `reason`, with a located problem if given. */
function skip(ctx: Ctx, reason: string, offset: number, problem?: { code: string; message: string }): void {
  const record = ctx.record++;
  countSkipped(ctx.stats, reason, 1, problem && { code: problem.code, file: ctx.opts.file, record, offset, message: problem.message });
}

// ---------------------------------------------------------------------------------------------
// gzip members (RFC 1952)

type MemberResult =
  | { ok: true; data: Buffer; length: number }
  | { ok: false; reason: 'truncated' | 'corrupt' | 'too_large'; code: string; message: string };

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);
const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;

/** Length of the gzip header at `rel`, or a failure. */
async function gzipHeaderLength(win: ByteWindow, rel: number): Promise<number | MemberResult> {
  const trunc: MemberResult = { ok: false, reason: 'truncated', code: 'ERR_WARC_TRUNCATED', message: 'gzip header cut short' };
  if (!(await win.ensure(rel + 10))) return trunc;
  if (win.byte(rel) !== 0x1f || win.byte(rel + 1) !== 0x8b || win.byte(rel + 2) !== 8) {
    return { ok: false, reason: 'corrupt', code: 'ERR_WARC_FORMAT', message: 'not a gzip member header (expected 1f 8b 08)' };
  }
  const flags = win.byte(rel + 3);
  if (flags & 0xe0) return { ok: false, reason: 'corrupt', code: 'ERR_WARC_FORMAT', message: 'gzip header has reserved flag bits set' };
  let p = rel + 10;
  if (flags & FEXTRA) {
    if (!(await win.ensure(p + 2))) return trunc;
    const xlen = win.byte(p) | (win.byte(p + 1) << 8);
    p += 2 + xlen;
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (flags & f) {
      await win.ensure(p + MAX_HEADER_BYTES);
      const z = win.indexOf(Buffer.of(0), p, p + MAX_HEADER_BYTES);
      if (z < 0) return win.available < p + MAX_HEADER_BYTES ? trunc : { ok: false, reason: 'corrupt', code: 'ERR_WARC_FORMAT', message: 'gzip header name/comment too long' };
      p = z + 1;
    }
  }
  if (flags & FHCRC) p += 2;
  if (!(await win.ensure(p))) return trunc;
  return p - rel;
}

/** Inflate the member starting at `rel` in the window (not consumed). */
async function inflateMember(win: ByteWindow, rel: number, cap: number): Promise<MemberResult> {
  const h = await gzipHeaderLength(win, rel);
  if (typeof h !== 'number') return h;
  // Try with what is already buffered (most members fit in it); read more only when the
  // deflate stream runs past it. Asking for a fixed large window each time would copy the
  // buffered tail again for every member.
  let want = Math.max(MIN_MEMBER_WINDOW, win.available - rel);
  for (;;) {
    const complete = await win.ensure(rel + want);
    let out: { buffer: Buffer; engine: zlib.Zlib };
    try {
      out = zlib.inflateRawSync(win.view(rel + h, rel + want), { info: true, maxOutputLength: cap }) as unknown as { buffer: Buffer; engine: zlib.Zlib };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        return { ok: false, reason: 'too_large', code: 'ERR_TOO_LARGE', message: `gzip member inflates to more than ${cap} bytes` };
      }
      if (code === 'Z_BUF_ERROR') {
        // Input ended inside the deflate stream: read more, unless the file has ended (truncated)
        // or the member is already larger than any member we accept (deflate expands < 0.1%).
        if (!complete || win.eof && win.available <= rel + want) {
          return { ok: false, reason: 'truncated', code: 'ERR_WARC_TRUNCATED', message: 'gzip member cut short (file ends inside it)' };
        }
        if (want > cap + 65536) return { ok: false, reason: 'too_large', code: 'ERR_TOO_LARGE', message: `gzip member larger than ${cap} bytes` };
        want *= 2;
        continue;
      }
      return { ok: false, reason: 'corrupt', code: 'ERR_WARC_FORMAT', message: `corrupt gzip member: ${(err as Error).message}` };
    }
    const end = rel + h + (out.engine as unknown as { bytesWritten: number }).bytesWritten;
    if (!(await win.ensure(end + 8))) {
      return { ok: false, reason: 'truncated', code: 'ERR_WARC_TRUNCATED', message: 'gzip member trailer cut short' };
    }
    const trailer = win.view(end, end + 8);
    const crc = trailer.readUInt32LE(0);
    const isize = trailer.readUInt32LE(4);
    if (isize !== out.buffer.length % 2 ** 32 || crc32(out.buffer) !== crc) {
      return { ok: false, reason: 'corrupt', code: 'ERR_WARC_FORMAT', message: 'gzip member fails its CRC-32/ISIZE check (corrupt bytes)' };
    }
    return { ok: true, data: out.buffer, length: end + 8 - rel };
  }
}

type BadMember = { reason: string; offset: number; problem: { code: string; message: string } };

/** Each member's data and compressed offset; bad stretches are passed to `bad` and skipped. */
async function* gzipMembers(win: ByteWindow, ctx: Ctx, bad: (b: BadMember) => void): AsyncGenerator<{ offset: number; data: Buffer }> {
  const cap = ctx.opts.maxInflatedBytes;
  let pending: MemberResult | undefined;
  while (await win.ensure(1)) {
    const offset = win.offset;
    const r = pending ?? (await inflateMember(win, 0, cap));
    pending = undefined;
    if (r.ok) {
      yield { offset, data: r.data };
      win.consume(r.length);
      continue;
    }
    // Trailing padding of NULs (some writers pad files): not a problem, nothing to lose.
    if (win.eof && isAllZero(win.view(0, win.available))) return win.consume(win.available);
    bad({ reason: r.reason, offset, problem: { code: r.code, message: r.message } });
    // Resync: the next member header that inflates and checks out.
    let from = 1;
    for (;;) {
      const i = win.indexOf(GZIP_MAGIC, from);
      if (i < 0) {
        if (win.eof) return win.consume(win.available);
        win.consume(Math.max(0, win.available - 2));
        await win.ensure(win.available + 65536);
        from = 0;
        continue;
      }
      const candidate = await inflateMember(win, i, cap);
      if (candidate.ok) {
        win.consume(i);
        pending = candidate;
        break;
      }
      from = i + 1;
    }
  }
}

function isAllZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Uncompressed record framing (WARC and ARC)

interface RawRecord {
  format: 'warc' | 'arc';
  offset: number;
  /** The header block (WARC: up to and including the blank line; ARC: the header line). */
  header: Buffer;
  /** The record's content block, or null when over the size cap (skipped unbuffered). */
  block: Buffer | null;
  length: number;
}

const WARC_LINE = Buffer.from('WARC/');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const NL_WARC = Buffer.from('\nWARC/');
/** ARC v1 `URL IP date mime length` / v2 `URL IP date mime code checksum location offset file length`. */
const ARC_HEADER = /^(\S+) (\S+) (\d{14})\d* (\S*)(?: \S+){0,5} (-?\w+)\s*$/;

function startsWith(win: ByteWindow, pat: Buffer): boolean {
  if (win.available < pat.length) return false;
  for (let i = 0; i < pat.length; i++) if (win.byte(i) !== pat[i]) return false;
  return true;
}

/**
 * Records of an uncompressed stream (the file, or the inflated members). `offsetOf` maps a
 * position in that stream to the offset reported for a record starting there.
 */
async function* frameRecords(win: ByteWindow, ctx: Ctx, offsetOf: (pos: number) => number): AsyncGenerator<RawRecord> {
  for (;;) {
    // Blank lines between records are the format's record separator.
    for (;;) {
      if (!(await win.ensure(1))) return;
      const b = win.byte(0);
      if (b !== 0x0d && b !== 0x0a) break;
      win.consume(1);
    }
    const offset = offsetOf(win.offset);
    // Buffer enough to see the whole header block: a little first, more only when needed.
    let r: Framed;
    for (let look = FIRST_HEADER_LOOK; ; look *= 4) {
      await win.ensure(look);
      if (win.eof && isAllZero(win.view(0, win.available))) return win.consume(win.available);
      r = startsWith(win, WARC_LINE) ? frameWarc(win, ctx) : frameArc(win, ctx);
      if (!('problem' in r) || r.final || win.available < look || look >= MAX_HEADER_BYTES) break;
    }
    if ('problem' in r) {
      skip(ctx, r.reason, offset, r.problem);
      if (!(await resync(win, ctx, r.resumeAt))) return;
      continue;
    }
    if (r.block === null) {
      // Too large to hold: skip its bytes streaming, unless a record starts inside them.
      win.consume(r.headerLength);
      const skipped = await skipBlock(win, r.length, r.format);
      if (typeof skipped === 'number') {
        skip(ctx, 'bad_length', offset, lyingLength(r.length, skipped));
        continue;
      }
      if (skipped === 'truncated') {
        skip(ctx, 'truncated', offset, { code: 'ERR_WARC_TRUNCATED', message: `record of ${r.length} bytes cut short by the end of the input` });
        return;
      }
      yield { format: r.format, offset, header: r.header, block: null, length: r.length };
      continue;
    }
    const end = r.headerLength + r.length;
    if (!(await win.ensure(end))) {
      // The input ends inside the claimed block: a record starting in it means the length lied.
      const next = await findRecordStart(win, r.headerLength, win.available, r.format);
      if (next >= 0) {
        skip(ctx, 'bad_length', offset, lyingLength(r.length, next - r.headerLength));
        win.consume(next);
        continue;
      }
      skip(ctx, 'truncated', offset, { code: 'ERR_WARC_TRUNCATED', message: `record cut short: Content-Length ${r.length}, only ${win.available - r.headerLength} bytes left` });
      win.consume(win.available);
      return;
    }
    // What follows the block must be line ends (CRLF CRLF; writers differ, so up to
    // MAX_SEPARATOR of them) then the next record, or the end.
    await win.ensure(end + MAX_SEPARATOR + 16);
    let next = end;
    while (next < win.available && next < end + MAX_SEPARATOR && (win.byte(next) === 0x0d || win.byte(next) === 0x0a)) next++;
    // A block followed by exactly CRLF CRLF had a right Content-Length, whatever comes next
    // (that will be its own record or a corrupt stretch); otherwise the next record must follow.
    const separated = r.format === 'warc' ? next - end >= 4 && win.view(end, end + 4).equals(CRLFCRLF) : next > end;
    if (next < win.available && !separated && !followsRecordStart(win, next, r.format)) {
      skip(ctx, 'bad_length', offset, {
        code: 'ERR_WARC_FORMAT',
        message: `Content-Length ${r.length} does not end the record (no record separator and next record at byte ${end})`,
      });
      if (!(await resync(win, ctx, r.headerLength))) return;
      continue;
    }
    const block = win.view(r.headerLength, end);
    const header = r.header;
    win.consume(end);
    yield { format: r.format, offset, header, block, length: r.length };
  }
}

function lyingLength(length: number, found: number): { code: string; message: string } {
  return { code: 'ERR_WARC_FORMAT', message: `Content-Length ${length} runs past the next record, whose header starts ${found} bytes into the block` };
}

/** Bytes a record header is looked for in when checking a candidate record start. */
const HEADER_CHECK = 16 * 1024;

/**
 * A WARC record header at `at`: version line, named fields with a Content-Length, blank line.
 * Stricter than `followsRecordStart` because it runs inside record blocks, where a line
 * starting `WARC/` in a page's text must not be taken for a record.
 */
function isWarcHeaderAt(win: ByteWindow, at: number): boolean {
  const head = win.view(at, at + HEADER_CHECK).toString('latin1');
  if (!/^WARC\/\d+\.\d+\r?\n/.test(head)) return false;
  const end = /\r?\n\r?\n/.exec(head);
  return end !== null && /\ncontent-length[ \t]*:[ \t]*\d+[ \t]*(\r?\n|$)/i.test(head.slice(0, end.index + end[0].length));
}

/** Position of the first record header starting at a line start in [from, to) of the window, or -1. */
async function findRecordStart(win: ByteWindow, from: number, to: number, format: 'warc' | 'arc'): Promise<number> {
  const pat = format === 'warc' ? NL_WARC : '\n';
  for (let i = win.indexOf(pat, Math.max(0, from - 1), to); i >= 0; i = win.indexOf(pat, i + 1, to)) {
    await win.ensure(i + 1 + HEADER_CHECK);
    if (format === 'warc' ? isWarcHeaderAt(win, i + 1) : followsRecordStart(win, i + 1, 'arc')) return i + 1;
  }
  return -1;
}

/**
 * Skip a block of `n` bytes too large to hold, streaming, and watch for a record header inside
 * it: a Content-Length that lies past the cap would otherwise swallow every record in its range
 * (in gzip files, the members after the real end). Returns the position of that header (the
 * window is then at it), 'whole' when the block was skipped, 'truncated' when the input ended.
 * A record that really holds a WARC file, uncompressed, would be taken for a lie: counted as
 * `bad_length`, and the records inside it read.
 */
async function skipBlock(win: ByteWindow, n: number, format: 'warc' | 'arc'): Promise<number | 'whole' | 'truncated'> {
  let left = n;
  let done = 0;
  const keep = NL_WARC.length; // a header split between two loads is still found
  await win.ensure(Math.min(left, 65536));
  for (;;) {
    const span = Math.min(win.available, left);
    const i = await findRecordStart(win, 0, span, format);
    if (i >= 0) {
      win.consume(i);
      return done + i;
    }
    if (span >= left) {
      win.consume(left);
      return 'whole';
    }
    if (win.eof) {
      win.consume(win.available);
      return 'truncated';
    }
    const step = Math.max(0, span - keep);
    win.consume(step);
    left -= step;
    done += step;
    await win.ensure(win.available + 65536);
  }
}

function followsRecordStart(win: ByteWindow, at: number, format: 'warc' | 'arc'): boolean {
  if (format === 'warc') {
    for (let i = 0; i < WARC_LINE.length; i++) if (at + i < win.available && win.byte(at + i) !== WARC_LINE[i]) return false;
    return true;
  }
  const nl = win.indexOf('\n', at, at + 4096);
  return ARC_HEADER.test(win.view(at, nl < 0 ? at + 4096 : nl).toString('latin1'));
}

type Framed =
  | { format: 'warc' | 'arc'; header: Buffer; headerLength: number; length: number; block: 'inline' | null }
  /** `final`: more buffered bytes would not change the verdict (else the caller retries with more). */
  | { problem: { code: string; message: string }; reason: string; resumeAt: number; final?: boolean };

function frameWarc(win: ByteWindow, ctx: Ctx): Framed {
  ctx.format ??= 'warc';
  const lim = Math.min(win.available, MAX_HEADER_BYTES);
  // End of the header block: the first empty line (CRLF CRLF; bare LF tolerated).
  const a = win.indexOf('\r\n\r\n', 0, lim);
  const b = win.indexOf('\n\n', 0, lim);
  const end = a >= 0 && (b < 0 || a < b) ? a + 4 : b >= 0 ? b + 2 : -1;
  if (end < 0) {
    if (win.eof && win.available < MAX_HEADER_BYTES) {
      return { problem: { code: 'ERR_WARC_TRUNCATED', message: 'WARC header block cut short by the end of the input' }, reason: 'truncated', resumeAt: win.available };
    }
    return { problem: { code: 'ERR_WARC_FORMAT', message: 'WARC header block has no end' }, reason: 'corrupt', resumeAt: 1 };
  }
  const header = win.view(0, end);
  const m = /\ncontent-length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n/i.exec(header.toString('latin1'));
  if (!m) return { problem: { code: 'ERR_WARC_FORMAT', message: 'WARC record without a valid Content-Length' }, reason: 'corrupt', resumeAt: 1, final: true };
  const length = Number(m[1]);
  return { format: 'warc', header, headerLength: end, length, block: length > ctx.opts.maxInflatedBytes ? null : 'inline' };
}

function frameArc(win: ByteWindow, ctx: Ctx): Framed {
  const nl = win.indexOf('\n', 0, Math.min(win.available, 4096));
  const line = win.view(0, nl < 0 ? 4096 : nl).toString('latin1');
  const m = nl >= 0 ? ARC_HEADER.exec(line) : null;
  if (!m || ctx.format === 'warc') {
    const what = win.available === 0 ? '' : JSON.stringify(line.slice(0, 40));
    // gzip data inside a gzip member: someone gzipped the .warc.gz again.
    const twice = ctx.gzip && win.available >= 3 && win.byte(0) === 0x1f && win.byte(1) === 0x8b && win.byte(2) === 8;
    return {
      problem: {
        code: 'ERR_WARC_FORMAT',
        message: twice
          ? 'the file is compressed twice: a gzip member holds gzip data, not a WARC record (gunzip it once)'
          : `expected a ${ctx.format === 'arc' ? 'ARC header line' : 'WARC/ version line'}, found ${what}`,
      },
      reason: 'corrupt',
      resumeAt: 1,
    };
  }
  ctx.format ??= 'arc';
  const length = Number(m[5]);
  if (!Number.isSafeInteger(length) || length < 0) {
    return { problem: { code: 'ERR_WARC_FORMAT', message: `ARC header with invalid length ${JSON.stringify(m[5])}` }, reason: 'corrupt', resumeAt: nl + 1, final: true };
  }
  const header = win.view(0, nl + 1);
  return { format: 'arc', header, headerLength: nl + 1, length, block: length > ctx.opts.maxInflatedBytes ? null : 'inline' };
}

/** Scan from `from` to the next record start; false at the end of the input. */
async function resync(win: ByteWindow, ctx: Ctx, from: number): Promise<boolean> {
  for (;;) {
    if (ctx.format !== 'arc') {
      const i = win.indexOf(NL_WARC, Math.max(0, from - 1));
      if (i >= 0) {
        win.consume(i + 1);
        return true;
      }
    } else {
      for (let i = win.indexOf('\n', from); i >= 0; i = win.indexOf('\n', i + 1)) {
        if (!(await win.ensure(i + 4096)) && win.available <= i + 1) break;
        if (followsRecordStart(win, i + 1, 'arc')) {
          win.consume(i + 1);
          return true;
        }
      }
    }
    if (win.eof) {
      win.consume(win.available);
      return false;
    }
    const keep = 8;
    win.consume(Math.max(0, win.available - keep));
    from = 0;
    await win.ensure(win.available + 65536);
  }
}

// ---------------------------------------------------------------------------------------------
// Interpreting one record (warcio parses the headers)

interface HttpPart {
  status: number;
  headers: Headers;
  payload: Buffer;
}

const parserOpts = { headersClass: Headers };

/** A Buffer view of bytes (Buffer.from(u8) would copy them). */
function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Status line, headers and payload of an HTTP message block, or undefined when it isn't HTTP. */
async function parseHttp(block: Buffer): Promise<HttpPart | undefined> {
  if (!block.subarray(0, 5).equals(Buffer.from('HTTP/'))) return undefined;
  const reader = new AsyncIterReader([block], null);
  const sh = await new StatusAndHeadersParser().parse(reader, parserOpts);
  if (!sh) return undefined;
  const status = Number(sh.statusCode);
  const payload = asBuffer(await reader.readFully());
  return { status, headers: sh.headers as Headers, payload };
}

/** Undo chunked transfer coding with warcio (it falls back to the raw bytes when not chunked). */
async function dechunk(payload: Buffer): Promise<{ body: Buffer; errored: boolean }> {
  const r = new AsyncIterReader([payload], null, true);
  const body = asBuffer(await r.readFully());
  return { body, errored: r.errored };
}

function mediaType(v: string | null | undefined): string {
  return (v ?? '').split(';')[0]!.trim().toLowerCase();
}

function looksLikeHtml(b: Buffer): boolean {
  const head = b.subarray(0, 1024).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || /<(head|body|title)[\s>]/.test(head);
}

/** `<http://x>` (wget), surrounding and inner whitespace (seen in the wild) → a usable URL. */
export function cleanTargetUri(raw: string | null | undefined): string {
  let u = (raw ?? '').trim();
  if (u.startsWith('<') && u.endsWith('>')) u = u.slice(1, -1).trim();
  return u.replace(/\s+/g, '%20');
}

function isoDate(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  let s = raw.trim();
  // ARC / WARC 0.x dates: 14 digits, UTC.
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(s);
  if (m) s = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** CommonCrawl's `crawl-data/CC-MAIN-2023-06/segments/1674764494826.10/warc/...`. */
export function dumpAndSegmentFromPath(file: string): { dump?: string; segment?: string } {
  const dump = /(?:^|[/\\])(CC-MAIN-\d{4}-\d{2})(?=[/\\])/.exec(file)?.[1];
  const segment = /[/\\]segments[/\\]([^/\\]+)[/\\]/.exec(file)?.[1];
  return { dump, segment };
}

/** `isPartOf` from a warcinfo block (`name: value` lines). */
function warcinfoField(block: Buffer, name: string): string | undefined {
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*?)[ \\t]*\\r?$`, 'im');
  return re.exec(block.toString('utf8'))?.[1] || undefined;
}

function baseName(file: string): string {
  return file.replace(/[?#].*$/, '').split(/[/\\]/).pop() || file;
}

const SKIP_TYPES = new Set(['warcinfo', 'request', 'metadata', 'revisit']);

type Outcome = { doc: Doc } | { reason: string; problem?: { code: string; message: string } };

async function interpret(rec: RawRecord, ctx: Ctx): Promise<Outcome> {
  let type: string;
  let id: string;
  let url: string;
  let date: string | undefined;
  let digest: string | undefined;
  let identifiedType: string | undefined;
  /** Media type of the record block itself (WARC Content-Type, ARC mime field). */
  let blockType: string | undefined;
  if (rec.format === 'warc') {
    const parser = new WARCParser(new AsyncIterReader([rec.header], null), { parseHttp: false });
    const w = await parser.parse();
    if (!w) return { reason: 'corrupt', problem: { code: 'ERR_WARC_FORMAT', message: 'unparsable WARC header block' } };
    type = (w.warcType ?? '').toLowerCase();
    if (type === 'warcinfo' && rec.block) {
      const isPartOf = warcinfoField(rec.block, 'isPartOf');
      if (isPartOf && !ctx.dumpFromPath) ctx.dump = isPartOf;
    }
    id = w.warcHeader('WARC-Record-ID') ?? '';
    url = cleanTargetUri(w.warcHeader('WARC-Target-URI'));
    date = isoDate(w.warcDate);
    digest = w.warcPayloadDigest ?? undefined;
    identifiedType = w.warcHeader('WARC-Identified-Payload-Type') ?? undefined;
    blockType = w.warcContentType ?? undefined;
  } else {
    const [rawUrl, , rawDate, mime] = rec.header.toString('latin1').trim().split(' ');
    blockType = mime;
    url = cleanTargetUri(rawUrl);
    type = url.startsWith('filedesc:') ? 'warcinfo' : 'response';
    if (type === 'warcinfo' && rec.block && !ctx.dumpFromPath) {
      // Heritrix writes the crawl's name into the filedesc's XML metadata.
      const isPartOf = /<dcterms:isPartOf>([^<]*)</.exec(rec.block.toString('utf8'))?.[1]?.trim();
      if (isPartOf) ctx.dump = isPartOf;
    }
    // ARC records have no id: file name and offset identify them (not the full path, so the
    // id does not change when the file moves between disk, HTTPS and S3).
    id = `<arc:${baseName(ctx.opts.file)}#${rec.offset}>`;
    date = isoDate(rawDate);
  }
  if (type !== 'response') return { reason: SKIP_TYPES.has(type) ? type : 'not_response' };
  if (!rec.block) return { reason: 'too_large', problem: { code: 'ERR_TOO_LARGE', message: `record of ${rec.length} bytes is over the ${ctx.opts.maxInflatedBytes}-byte cap` } };

  let http = await parseHttp(rec.block);
  if (!http) {
    // Some writers (e.g. the Wayback Machine's WARC export) store the payload itself in a
    // response record, with its media type as the record's Content-Type; dns: records too.
    if (!blockType || mediaType(blockType).startsWith('application/http')) return { reason: 'not_http' };
    let headers: Headers;
    try {
      headers = new Headers({ 'content-type': blockType });
    } catch {
      headers = new Headers();
    }
    http = { status: 200, headers, payload: rec.block };
  }
  if (http.status !== 200) return { reason: Number.isInteger(http.status) ? `http_${http.status}` : 'not_http' };
  const contentType = http.headers.get('content-type');
  let media = mediaType(contentType);
  if (!media && identifiedType) media = mediaType(identifiedType);
  if (!media && looksLikeHtml(http.payload)) media = 'text/html';
  if (!HTML_TYPES.has(media)) return { reason: 'not_html' };

  if (http.payload.length === 0) return { reason: 'empty' };
  let payload = http.payload;
  if ((http.headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
    const d = await dechunk(payload);
    if (d.errored) return { reason: 'bad_chunked', problem: { code: 'ERR_WARC_FORMAT', message: 'malformed chunked transfer encoding in the HTTP body' } };
    payload = d.body;
  }
  let html: string;
  try {
    html = decodeBody(payload, { contentType, contentEncoding: http.headers.get('content-encoding') }, ctx.opts.maxPageBytes).html;
  } catch (err) {
    if (err instanceof RefineryError) {
      return { reason: err.code === 'ERR_TOO_LARGE' ? 'too_large' : 'decode_error', problem: { code: err.code, message: err.message } };
    }
    throw err;
  }
  const doc = newDoc({
    id: id || `<${baseName(ctx.opts.file)}#${rec.offset}>`,
    url,
    html,
    timestamp: date,
    dump: ctx.dump,
    segment: ctx.segment,
    warcRecordId: id || undefined,
    digest,
    source: { file: ctx.opts.file, offset: rec.offset, record: ctx.record },
  });
  // Keep the output schema tidy: no explicit undefined fields.
  for (const k of Object.keys(doc) as (keyof Doc)[]) if (doc[k] === undefined) delete doc[k];
  return { doc };
}

// ---------------------------------------------------------------------------------------------

/**
 * Read one WARC/ARC input (gzip per record or uncompressed). Yields a Doc per `response` record
 * with HTTP 200 and an HTML payload; counts every other record, and every unreadable stretch,
 * in `stats` (records = docs + sum(skipped)). Never throws for bad input; a failing input stream
 * propagates as RefineryError ERR_STORAGE.
 */
export async function* readWarcDocs(
  input: AsyncIterable<Uint8Array>,
  opts: WarcReadOptions,
  stats: ReaderStats,
): AsyncGenerator<Doc> {
  const fromPath = dumpAndSegmentFromPath(opts.file);
  const ctx: Ctx = { opts, stats, record: 0, format: undefined, dump: fromPath.dump, segment: fromPath.segment, dumpFromPath: !!fromPath.dump, gzip: false };
  stats.files++;
  let t0 = performance.now();
  const win = new ByteWindow(input, (n) => (stats.bytes += n), opts.file);
  await win.ensure(MAX_HEADER_BYTES);
  // gzip when it starts with a member; also when it starts with junk but is not a plain
  // WARC/ARC and holds a gzip header further on (the junk is then reported by gzipMembers).
  const gzip =
    (win.available >= 2 && win.byte(0) === 0x1f && win.byte(1) === 0x8b) ||
    (!startsWith(win, WARC_LINE) && !followsRecordStart(win, 0, 'arc') && win.indexOf(GZIP_MAGIC, 0) >= 0);
  ctx.gzip = gzip;
  let records: AsyncGenerator<RawRecord>;
  let flushBad = (_pos: number): void => {};
  if (gzip) {
    // Records are framed over the concatenated member data, not member by member: writers may
    // split one record over several members (or put several in one). A record's offset is the
    // compressed offset of the member it starts in.
    const members: { start: number; offset: number }[] = [];
    // Bad members are found ahead of the record being framed (the window reads ahead); they
    // are counted when framing reaches their place, so record numbers stay in file order.
    const badMembers: (BadMember & { start: number })[] = [];
    let inflated = 0;
    const data = (async function* () {
      for await (const m of gzipMembers(win, ctx, (b) => badMembers.push({ ...b, start: inflated }))) {
        members.push({ start: inflated, offset: m.offset });
        inflated += m.data.length;
        yield m.data;
      }
    })();
    flushBad = (pos: number): void => {
      while (badMembers.length > 0 && badMembers[0]!.start <= pos) {
        const b = badMembers.shift()!;
        skip(ctx, b.reason, b.offset, b.problem);
      }
    };
    const offsetOf = (pos: number): number => {
      flushBad(pos);
      while (members.length > 1 && members[1]!.start <= pos) members.shift();
      return members[0]?.offset ?? 0;
    };
    records = frameRecords(new ByteWindow(data), ctx, offsetOf);
  } else {
    records = frameRecords(win, ctx, (pos) => pos);
  }
  try {
    for await (const rec of records) {
      let out: Outcome;
      try {
        out = await interpret(rec, ctx);
      } catch (err) {
        // Parsing of one record must not end the file: count it, say where, go on.
        if (err instanceof RefineryError && (err.code === 'ERR_STORAGE' || err.code === 'ERR_BAD_RECORD')) throw err;
        out = { reason: 'corrupt', problem: { code: 'ERR_WARC_FORMAT', message: `unparsable record: ${(err as Error).message}` } };
      }
      if ('doc' in out) {
        ctx.record++;
        stats.records++;
        stats.docs++;
        stats.ms += performance.now() - t0;
        yield out.doc;
        t0 = performance.now();
      } else {
        skip(ctx, out.reason, rec.offset, out.problem);
      }
    }
    flushBad(Infinity);
  } finally {
    stats.ms += performance.now() - t0;
  }
}

/**
 * Body decoding for the WARC reader: undo a still-present `Content-Encoding` (with a cap on the
 * inflated size, so a compression bomb costs at most `maxBytes` of memory), then turn bytes into
 * text. Charset precedence is the project's (issue #2): HTTP header, then BOM, then a `<meta>`
 * in the first bytes, then UTF-8 with replacement characters.
 *
 * CommonCrawl WARCs store bodies already decoded: the crawler renames the header to
 * `X-Crawler-Content-Encoding`, which we therefore ignore. Only a real `Content-Encoding` is undone.
 */
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { TextDecoder } from 'node:util';
import { RefineryError } from '../errors.js';

/** Leading bytes searched for a `<meta charset>`: WHATWG prescans 1024, but crawled pages often put long inline scripts first. */
export const META_PRESCAN_BYTES = 4096;

/**
 * A page whose decoded text is more than this fraction of U+FFFD replacement characters is not
 * text in any charset we could find: it is counted as `decode_error` instead of passed on.
 */
export const MAX_REPLACEMENT_FRACTION = 0.1;

export type CharsetSource = 'header' | 'bom' | 'meta' | 'default';

export interface DecodedBody {
  html: string;
  /** Canonical name of the charset used (WHATWG name when TextDecoder knows it). */
  charset: string;
  charsetSource: CharsetSource;
  /** U+FFFD characters produced by undecodable bytes. */
  replaced: number;
}

/**
 * Undo `Content-Encoding` (comma-separated list, applied last-first). Unknown tokens
 * (`identity`, `none`, junk) are ignored. A body labelled gzip that does not start with the gzip
 * magic is taken as already decoded (crawlers and WARC writers that decoded but kept the header).
 * Truncated streams (crawlers cut bodies at a size limit) yield what could be inflated.
 * Throws ERR_TOO_LARGE over `maxBytes`, ERR_DECODE for a corrupt stream.
 */
export function undoContentEncoding(body: Buffer, contentEncoding: string | undefined | null, maxBytes: number): Buffer {
  if (!contentEncoding) return body;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  let out = body;
  for (const coding of codings) {
    if (out.length === 0) break;
    // Z_SYNC_FLUSH as finishFlush: a truncated stream gives its prefix instead of an error.
    const opts = { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') {
        if (out[0] !== 0x1f || out[1] !== 0x8b) continue;
        out = zlib.gunzipSync(out, opts);
      } else if (coding === 'deflate') {
        // RFC 9110 says zlib-wrapped, many servers send raw deflate: the zlib header tells.
        const zlibWrapped = out.length >= 2 && (out[0]! & 0x0f) === 8 && ((out[0]! << 8) | out[1]!) % 31 === 0;
        out = zlibWrapped ? zlib.inflateSync(out, opts) : zlib.inflateRawSync(out, opts);
      } else if (coding === 'br') {
        out = zlib.brotliDecompressSync(out, { maxOutputLength: maxBytes });
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        throw new RefineryError('ERR_TOO_LARGE', `Content-Encoding ${coding} inflates to more than ${maxBytes} bytes`);
      }
      // Labelled but not encoded (a writer decoded it and kept the header): plain markup.
      if (/^(\ufeff|\s)*</.test(out.subarray(0, 64).toString('latin1').replace(/^\xef\xbb\xbf/, ''))) continue;
      throw new RefineryError('ERR_DECODE', `Content-Encoding ${coding}: ${(err as Error).message}`, {}, { cause: err });
    }
  }
  return out;
}

/** The `charset` parameter of a Content-Type value, if any. */
export function charsetFromContentType(contentType: string | undefined | null): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*["']?([^"';\s,]+)/i.exec(contentType);
  return m ? m[1] : undefined;
}

/** The charset a byte-order mark announces, and the BOM's length. */
export function charsetFromBom(b: Uint8Array): { charset: string; length: number } | undefined {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { charset: 'utf-8', length: 3 };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { charset: 'utf-16be', length: 2 };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
  return undefined;
}

const META_CHARSET = /<meta\b[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.()+-]+)/i;

/** `<meta charset=...>` or `<meta http-equiv=Content-Type content="...; charset=...">` in the first bytes. */
export function charsetFromMeta(b: Uint8Array): string | undefined {
  const head = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, META_PRESCAN_BYTES)).toString('latin1');
  const m = META_CHARSET.exec(head);
  if (!m) return undefined;
  const label = m[1]!.toLowerCase();
  // WHATWG "prescan": a meta can't truthfully declare UTF-16 (it was readable as ASCII), and
  // x-user-defined means windows-1252.
  if (label.startsWith('utf-16')) return 'utf-8';
  if (label === 'x-user-defined') return 'windows-1252';
  return label;
}

type Decoder = { name: string; decode: (b: Uint8Array) => string };
const decoderCache = new Map<string, Decoder | null>();

/**
 * A decoder for a label, or undefined when neither TextDecoder nor iconv-lite knows it.
 * TextDecoder resolves the label the WHATWG way (iso-8859-1/ascii -> windows-1252, gb2312 ->
 * gbk, ...), as browsers do. The bytes are then decoded by iconv-lite except for UTF-8/16:
 * Node's own windows-1252 decoder is really ISO-8859-1 (0x80-0x9f come out as C1 controls).
 */
function decoderFor(label: string): Decoder | undefined {
  const key = label.toLowerCase();
  let d = decoderCache.get(key);
  if (d === undefined) {
    d = makeDecoder(key);
    if (decoderCache.size < 256) decoderCache.set(key, d);
  }
  return d ?? undefined;
}

function makeDecoder(label: string): Decoder | null {
  let td: TextDecoder | undefined;
  try {
    td = new TextDecoder(label);
  } catch {
    td = undefined;
  }
  const name = td?.encoding ?? label;
  if (td && name.startsWith('utf-')) return { name, decode: (b) => td.decode(b) };
  if (iconv.encodingExists(name)) return { name, decode: (b) => iconv.decode(Buffer.from(b.buffer, b.byteOffset, b.byteLength), name) };
  if (td) return { name, decode: (b) => td.decode(b) };
  return null;
}

/** Choose the charset: header, then BOM, then meta, then UTF-8 (the first that a decoder knows). */
export function chooseCharset(body: Uint8Array, contentType: string | undefined | null): { label: string; source: CharsetSource } {
  const header = charsetFromContentType(contentType);
  if (header && decoderFor(header)) return { label: header, source: 'header' };
  const bom = charsetFromBom(body);
  if (bom) return { label: bom.charset, source: 'bom' };
  const meta = charsetFromMeta(body);
  if (meta && decoderFor(meta)) return { label: meta, source: 'meta' };
  return { label: 'utf-8', source: 'default' };
}

function countReplacements(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\ufffd'); i >= 0; i = s.indexOf('\ufffd', i + 1)) n++;
  return n;
}

/**
 * Decode an HTTP payload to text. `maxBytes` caps both the raw and the inflated body.
 * Throws RefineryError ERR_TOO_LARGE or ERR_DECODE (the caller counts it and goes on).
 */
export function decodeBody(
  payload: Buffer,
  headers: { contentType?: string | null; contentEncoding?: string | null },
  maxBytes: number,
): DecodedBody {
  if (payload.length > maxBytes) throw new RefineryError('ERR_TOO_LARGE', `body of ${payload.length} bytes is over the ${maxBytes}-byte page cap`);
  const body = undoContentEncoding(payload, headers.contentEncoding, maxBytes);
  const { label, source } = chooseCharset(body, headers.contentType);
  const dec = decoderFor(label)!;
  let html = dec.decode(body);
  // A BOM that the chosen decoder did not consume (header said another charset): drop it.
  if (html.charCodeAt(0) === 0xfeff) html = html.slice(1);
  const replaced = countReplacements(html);
  if (replaced > 16 && replaced > html.length * MAX_REPLACEMENT_FRACTION) {
    throw new RefineryError('ERR_DECODE', `undecodable as ${dec.name} (from ${source}): ${replaced} of ${html.length} characters are U+FFFD`);
  }
  return { html, charset: dec.name, charsetSource: source, replaced };
}

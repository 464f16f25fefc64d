/**
 * A small, deterministic WARC/1.0 record writer (ISO 28500 §4-§6), for the bundled sample data
 * (scripts/make-samples.ts) and for tests that build inputs. Everything is explicit (dates,
 * record ids), so the same calls give the same bytes. Digests are CommonCrawl's: base32 SHA-1.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

export interface WarcRecordSpec {
  type: 'warcinfo' | 'request' | 'response' | 'metadata' | 'resource' | 'revisit' | 'conversion';
  recordId: string;
  date: string;
  targetUri?: string;
  /** Extra WARC headers, in order (after the standard ones, before Content-Length). */
  headers?: [string, string][];
  /** Record block content type; defaults by type. */
  contentType?: string;
  block: Uint8Array;
  /** Lie about the block length (tests of bad input). */
  contentLength?: number;
  /** Version line; WARC/1.0 by default (CommonCrawl's). */
  version?: 'WARC/1.0' | 'WARC/1.1' | 'WARC/0.17';
}

const DEFAULT_CT: Record<string, string> = {
  warcinfo: 'application/warc-fields',
  request: 'application/http; msgtype=request',
  response: 'application/http; msgtype=response',
  metadata: 'application/warc-fields',
};

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 of a digest (CommonCrawl's `sha1:` digests). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function sha1Digest(bytes: Uint8Array): string {
  return `sha1:${base32(createHash('sha1').update(bytes).digest())}`;
}

/** An HTTP/1.1 message: status (or request) line, headers, blank line, body. */
export function httpMessage(startLine: string, headers: [string, string][], body: Uint8Array | string): Buffer {
  const head = [startLine, ...headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)]);
}

/** The bytes of one uncompressed record, with its trailing CRLF CRLF. */
export function warcRecord(spec: WarcRecordSpec): Buffer {
  const h: [string, string][] = [
    ['WARC-Type', spec.type],
    ['WARC-Date', spec.date],
    ['WARC-Record-ID', spec.recordId],
    ['Content-Type', spec.contentType ?? DEFAULT_CT[spec.type] ?? 'application/octet-stream'],
  ];
  if (spec.targetUri !== undefined) h.push(['WARC-Target-URI', spec.targetUri]);
  h.push(...(spec.headers ?? []));
  h.push(['Content-Length', String(spec.contentLength ?? spec.block.length)]);
  const head = [spec.version ?? 'WARC/1.0', ...h.map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(spec.block), Buffer.from('\r\n\r\n')]);
}

/** One gzip member (RFC 1952). Node writes mtime 0 and OS byte 3: deterministic. */
export function gzipMember(bytes: Uint8Array, level = 6): Buffer {
  return zlib.gzipSync(bytes, { level });
}

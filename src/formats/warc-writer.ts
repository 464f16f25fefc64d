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

/** A deterministic `<urn:uuid:...>` record id from a seed (a name space per writer). */
export function seededRecordId(namespace: string, seed: string): string {
  const h = createHash('sha1').update(`${namespace}:${seed}`).digest('hex');
  return `<urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}>`;
}

/** A documentation-range IPv4 address (RFC 5737) per host, stable across runs. */
export function documentationIp(host: string): string {
  const h = createHash('sha1').update(host).digest();
  return `203.0.113.${1 + (h[0]! % 254)}`;
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A `warcinfo` record as CommonCrawl writes one (isPartOf names the dump). */
export function warcinfoRecord(o: { recordId: string; dateMs: number; filename: string; fields: [string, string][] }): Buffer {
  return warcRecord({
    type: 'warcinfo',
    recordId: o.recordId,
    date: isoSeconds(o.dateMs),
    headers: [['WARC-Filename', o.filename]],
    block: Buffer.from([...o.fields.map(([k, v]) => `${k}: ${v}`), ''].join('\r\n')),
  });
}

/** One fetched URL: the response the crawler got. */
export interface WarcCapture {
  url: string;
  /** HTTP status line after the version, e.g. `200 OK`. */
  status: string;
  headers: [string, string][];
  body: Buffer;
  dateMs: number;
}

/**
 * A capture as CommonCrawl records it: `request`, `response` (payload and block digests) and,
 * unless left out, `metadata`. `recordId(kind)` names each record (deterministic writers seed it
 * with the URL and capture number); `index` varies the metadata's fetch time.
 */
export function captureRecords(c: WarcCapture, o: { infoId: string; index: number; recordId: (kind: 'request' | 'response' | 'metadata') => string; metadata?: boolean }): Buffer[] {
  const date = isoSeconds(c.dateMs);
  const u = new URL(c.url);
  const reqId = o.recordId('request');
  const respId = o.recordId('response');
  const request = httpMessage(
    `GET ${u.pathname}${u.search} HTTP/1.1`,
    [
      ['User-Agent', 'CCBot/2.0 (https://commoncrawl.org/faq/)'],
      ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
      ['Accept-Language', 'en-US,en;q=0.5'],
      ['Accept-Encoding', 'br,gzip'],
      ['Host', u.host],
      ['Connection', 'Keep-Alive'],
    ],
    '',
  );
  const ccEncoded = !c.headers.some(([k]) => k === 'Content-Encoding') && c.body.length > 0;
  const httpHeaders: [string, string][] = [
    ...c.headers,
    ['Server', 'nginx'],
    ['Date', new Date(c.dateMs).toUTCString()],
    // What CommonCrawl writes for a body the server sent gzip-encoded and the crawler decoded.
    ...(ccEncoded ? ([['X-Crawler-Content-Encoding', 'gzip']] as [string, string][]) : []),
    ['Content-Length', String(c.body.length)],
  ];
  const response = httpMessage(`HTTP/1.1 ${c.status}`, httpHeaders, c.body);
  const common: [string, string][] = [
    ['WARC-Warcinfo-ID', o.infoId],
    ['WARC-IP-Address', documentationIp(u.host)],
  ];
  const records = [warcRecord({ type: 'request', recordId: reqId, date, targetUri: c.url, headers: common, block: request })];
  const mediaType = (c.headers.find(([k]) => k === 'Content-Type')?.[1] ?? 'application/octet-stream').split(';')[0]!;
  records.push(
    warcRecord({
      type: 'response',
      recordId: respId,
      date,
      targetUri: c.url,
      headers: [
        ...common,
        ['WARC-Concurrent-To', reqId],
        ['WARC-Payload-Digest', sha1Digest(c.body)],
        ['WARC-Block-Digest', sha1Digest(response)],
        ['WARC-Identified-Payload-Type', mediaType],
      ],
      block: response,
    }),
  );
  if (o.metadata !== false) {
    records.push(
      warcRecord({
        type: 'metadata',
        recordId: o.recordId('metadata'),
        date,
        targetUri: c.url,
        headers: [['WARC-Warcinfo-ID', o.infoId], ['WARC-Concurrent-To', respId]],
        block: Buffer.from(`fetchTimeMs: ${100 + ((o.index * 53) % 900)}\r\ncharset-detected: UTF-8\r\n`),
      }),
    );
  }
  return records;
}

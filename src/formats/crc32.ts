/**
 * CRC-32 (ISO 3309 / ITU-T V.42, the one gzip uses: RFC 1952 §8). Node's native `zlib.crc32`
 * when present (Node >= 20.15), else a table-driven fallback.
 */
import zlib from 'node:zlib';

const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32js(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;

export const crc32: (b: Uint8Array) => number = native ? (b) => native(b) : crc32js;

/**
 * The intermediate files of the exact-substring passes: a few typed columns in one file,
 * `RXC1` + column count + (type, length) per column, then each column's bytes (padded to 8).
 * Lengths are checked on read, so a truncated file fails here (ERR_CORRUPT), not later.
 */
import { RefineryError } from '../../src/errors.js';

export type Column = Uint8Array | Uint32Array | BigUint64Array;

const MAGIC = 0x31435852; // 'RXC1' little-endian
const TYPE_CODE = { u8: 1, u32: 4, u64: 8 } as const;

function typeOf(c: Column): number {
  return c instanceof BigUint64Array ? TYPE_CODE.u64 : c instanceof Uint32Array ? TYPE_CODE.u32 : TYPE_CODE.u8;
}

const pad8 = (n: number) => (n + 7) & ~7;

export function encodeColumns(columns: Column[]): Uint8Array {
  const headerBytes = pad8(8 + columns.length * 12);
  let total = headerBytes;
  for (const c of columns) total += pad8(c.byteLength);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, columns.length, true);
  columns.forEach((c, i) => {
    view.setUint32(8 + i * 12, typeOf(c), true);
    view.setBigUint64(8 + i * 12 + 4, BigInt(c.length), true);
  });
  let at = headerBytes;
  for (const c of columns) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += pad8(c.byteLength);
  }
  return out;
}

/** Decode a file written by encodeColumns; `types` is what the caller expects ('u8' | 'u32' | 'u64'). */
export function decodeColumns(buf: Uint8Array, types: (keyof typeof TYPE_CODE)[], file: string): Column[] {
  const corrupt = (why: string) => new RefineryError('ERR_CORRUPT', `exact-substring column file: ${why}`, { file });
  if (buf.byteLength < 8) throw corrupt('shorter than its header');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt('bad magic');
  const n = view.getUint32(4, true);
  if (n !== types.length) throw corrupt(`expected ${types.length} columns, found ${n}`);
  const headerBytes = pad8(8 + n * 12);
  if (buf.byteLength < headerBytes) throw corrupt('truncated header');
  let at = headerBytes;
  const out: Column[] = [];
  for (let i = 0; i < n; i++) {
    const code = view.getUint32(8 + i * 12, true);
    if (code !== TYPE_CODE[types[i]!]) throw corrupt(`column ${i} has type ${code}, expected ${types[i]}`);
    const len = Number(view.getBigUint64(8 + i * 12 + 4, true));
    const bytes = len * code;
    if (at + bytes > buf.byteLength) throw corrupt(`truncated (column ${i} needs ${at + bytes} bytes, file has ${buf.byteLength})`);
    // Copy, so the column is aligned whatever the Buffer's offset in its pool.
    const raw = new Uint8Array(bytes);
    raw.set(buf.subarray(at, at + bytes));
    out.push(code === 8 ? new BigUint64Array(raw.buffer, raw.byteOffset, len) : code === 4 ? new Uint32Array(raw.buffer, raw.byteOffset, len) : new Uint8Array(raw.buffer, raw.byteOffset, len));
    at += pad8(bytes);
  }
  if (at !== buf.byteLength) throw corrupt(`has ${buf.byteLength - at} trailing bytes`);
  return out;
}

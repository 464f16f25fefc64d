/**
 * The intermediate files of the exact-substring passes: a few typed columns in one file,
 * `RXC1` + column count + (type, length) per column, then each column's bytes (padded to 8).
 * Lengths are checked on read, so a truncated file fails here (ERR_CORRUPT), not later.
 */
import { RefineryError } from '../../src/errors.js';
import type { Storage } from '../../src/storage/storage.js';
import { readByteRange } from '../../src/pass-io.js';

export type Column = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

const MAGIC = 0x31435852; // 'RXC1' little-endian
const TYPE_CODE = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;
export type ColumnType = keyof typeof TYPE_CODE;

function typeOf(c: Column): number {
  return c instanceof BigUint64Array ? TYPE_CODE.u64 : c instanceof Uint32Array ? TYPE_CODE.u32 : c instanceof Uint16Array ? TYPE_CODE.u16 : TYPE_CODE.u8;
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

/** Decode a file written by encodeColumns; `types` is what the caller expects (a column may also be given as a list of accepted types). */
export function decodeColumns(buf: Uint8Array, types: (ColumnType | ColumnType[])[], file: string): Column[] {
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
    const accepted = ([] as ColumnType[]).concat(types[i]!);
    if (!accepted.some((t) => TYPE_CODE[t] === code)) throw corrupt(`column ${i} has type ${code}, expected ${accepted.join(' or ')}`);
    const len = Number(view.getBigUint64(8 + i * 12 + 4, true));
    const bytes = len * code;
    if (at + bytes > buf.byteLength) throw corrupt(`truncated (column ${i} needs ${at + bytes} bytes, file has ${buf.byteLength})`);
    // Copy, so the column is aligned whatever the Buffer's offset in its pool.
    const raw = new Uint8Array(bytes);
    raw.set(buf.subarray(at, at + bytes));
    out.push(typedColumn(code, raw, len));
    at += pad8(bytes);
  }
  if (at !== buf.byteLength) throw corrupt(`has ${buf.byteLength - at} trailing bytes`);
  return out;
}

/** Where each column of a column file lies: byte offset and element count. */
export interface ColumnLayout {
  offsets: number[];
  lengths: number[];
  sizes: number[];
}

/** The layout of a column file from its header alone (two small ranged reads). */
export async function readColumnLayout(run: Storage, path: string): Promise<ColumnLayout> {
  const first = await readByteRange(run, path, 0, 8);
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  if (first.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new RefineryError('ERR_CORRUPT', 'exact-substring column file: bad header', { file: path });
  const n = view.getUint32(4, true);
  const header = await readByteRange(run, path, 0, 8 + n * 12);
  const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const layout: ColumnLayout = { offsets: [], lengths: [], sizes: [] };
  let at = pad8(8 + n * 12);
  for (let i = 0; i < n; i++) {
    const size = hv.getUint32(8 + i * 12, true);
    const len = Number(hv.getBigUint64(8 + i * 12 + 4, true));
    layout.offsets.push(at);
    layout.lengths.push(len);
    layout.sizes.push(size);
    at += pad8(len * size);
  }
  return layout;
}

function typedColumn(code: number, raw: Uint8Array, len: number): Column {
  if (code === 8) return new BigUint64Array(raw.buffer, raw.byteOffset, len);
  if (code === 4) return new Uint32Array(raw.buffer, raw.byteOffset, len);
  if (code === 2) return new Uint16Array(raw.buffer, raw.byteOffset, len);
  return new Uint8Array(raw.buffer, raw.byteOffset, len);
}

/**
 * Elements [start, end) of column `col` of a column file (u8, u16 or u32), by one ranged read;
 * into the front of `into` when given (its own buffer at offset 0, so the view is aligned).
 */
export async function readSlice(run: Storage, path: string, layout: ColumnLayout, col: number, start: number, end: number, into?: Uint8Array): Promise<Uint8Array | Uint16Array | Uint32Array> {
  const size = layout.sizes[col];
  if (!(size === 1 || size === 2 || size === 4) || start < 0 || end > layout.lengths[col]! || start > end) {
    throw new RefineryError('ERR_CORRUPT', `exact-substring column file: slice [${start}, ${end}) of column ${col} is out of range`, { file: path });
  }
  // A buffer of its own (readByteRange allocates one at offset 0), so the typed view is aligned.
  const bytes = await readByteRange(run, path, layout.offsets[col]! + start * size, layout.offsets[col]! + end * size, into);
  return typedColumn(size, bytes, end - start) as Uint8Array | Uint16Array | Uint32Array;
}

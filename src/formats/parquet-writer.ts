/**
 * A Parquet writer for refinery's document rows, written by hand.
 *
 * Why not a library: no JS library writes Parquet with zstd fast. parquet-wasm (the Rust
 * `parquet` crate in WASM, fed by apache-arrow) was ~60% of the CPU of the exact_substring
 * apply pass on the bench corpus (20 MB of text: ~220 ms in WASM, ~35 ms building Arrow
 * columns, plus GC), and ~1 s of WASM compilation in every fresh process. Here the rows are
 * encoded straight into page buffers (UTF-8 written into one buffer per page, no string
 * allocated per value) and pages are compressed by the system's libzstd through the native
 * addon (zstdCompress in native/src/zstd.cc). parquet-wasm stays as the fallback where the
 * addon or libzstd is missing (parquet-wasm-writer.ts).
 *
 * What is written (parquet-format, https://github.com/apache/parquet-format, README.md and
 * src/main/thrift/parquet.thrift):
 * - the schema parquet-wasm writes for the same rows (test/parquet-writer.test.ts compares
 *   the schema elements), image_urls as the 3-level LIST (list/item, twice);
 * - data pages v1 (DATA_PAGE): repetition then definition levels, each the RLE/bit-packed
 *   hybrid with a 4-byte length prefix, then PLAIN values; pages of ~1 MB of values at most
 *   (cut at row boundaries, so a page never splits a row's list);
 * - no dictionary pages: the text columns are mostly unique (content, url, id, digest), and
 *   the few repetitive ones (dump, language) cost little once zstd has seen them;
 * - column chunk metadata with null_count statistics, codec ZSTD, created_by 'refinery';
 * - FileMetaData and PageHeader in the Thrift compact protocol (Thrift's
 *   doc/specs/thrift-compact-protocol.md), written directly.
 * Same rows and options, same bytes (for a given libzstd version).
 */
import type { DocRow, ExcludedRow } from './schema.js';
import { extraColumnTypes, RESERVED_COLUMNS } from './schema.js';

/** Compresses one page with zstd at `level` (the addon's zstdCompress). */
export type ZstdCompress = (input: Uint8Array, level: number) => Uint8Array;

export interface WriterOptions {
  rowGroupRows: number;
  zstdLevel: number;
}

// --- Thrift compact protocol -----------------------------------------------------------------

// Compact protocol type ids of a field header or list element.
const T_TRUE = 1;
const T_FALSE = 2;
const T_I16 = 4;
const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

/** A growing byte buffer (Thrift structs, levels, page bodies): reused between pages. */
class ByteSink {
  buf: Buffer;
  len = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }
  /** An unsigned varint of any safe integer (file offsets exceed 2^31). */
  varint(n: number): void {
    this.reserve(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }
  u32(n: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(n, this.len);
    this.len += 4;
  }
  append(b: Uint8Array, length: number): void {
    this.reserve(length);
    this.buf.set(b.subarray(0, length), this.len);
    this.len += length;
  }
}

/**
 * A Thrift compact-protocol encoder. Field ids are written as deltas from the previous field
 * of the same struct, so each nested struct keeps its own last id (the stack).
 */
class CompactWriter {
  /** The encoded bytes so far (reset `len` to reuse the buffer). */
  readonly out = new ByteSink(256);
  private lastId = 0;
  private readonly stack: number[] = [];

  byte(b: number): void {
    this.out.byte(b);
  }

  varint(n: number): void {
    this.out.varint(n);
  }

  /** i32 and i64 values: zigzag, then varint. */
  int(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.out.append(b, b.length);
  }

  private field(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.int(id);
    }
    this.lastId = id;
  }

  i16(id: number, v: number): void {
    this.field(id, T_I16);
    this.int(v);
  }

  i32(id: number, v: number): void {
    this.field(id, T_I32);
    this.int(v);
  }

  i64(id: number, v: number): void {
    this.field(id, T_I64);
    this.int(v);
  }

  bool(id: number, v: boolean): void {
    this.field(id, v ? T_TRUE : T_FALSE);
  }

  string(id: number, s: string): void {
    this.field(id, T_BINARY);
    this.bytes(Buffer.from(s, 'utf8'));
  }

  /** A struct field: its fields follow, then `end()`. */
  struct(id: number): void {
    this.field(id, T_STRUCT);
    this.begin();
  }

  /** A list field's header; its elements follow (structs each between begin() and end()). */
  list(id: number, elementType: number, size: number): void {
    this.field(id, T_LIST);
    if (size < 15) this.byte((size << 4) | elementType);
    else {
      this.byte(0xf0 | elementType);
      this.varint(size);
    }
  }

  begin(): void {
    this.stack.push(this.lastId);
    this.lastId = 0;
  }

  end(): void {
    this.byte(0); // STOP
    this.lastId = this.stack.pop()!;
  }

  /** A copy of the bytes (the buffer is reused: Buffer#slice would be a view). */
  result(): Uint8Array {
    return new Uint8Array(this.out.buf.subarray(0, this.out.len));
  }
}

// parquet.thrift enums.
const TYPE_INT32 = 1;
const TYPE_INT64 = 2;
const TYPE_DOUBLE = 5;
const TYPE_BYTE_ARRAY = 6;
const REQUIRED = 0;
const OPTIONAL = 1;
const REPEATED = 2;
const CONVERTED_UTF8 = 0;
const CONVERTED_LIST = 3;
const CONVERTED_TIMESTAMP_MILLIS = 9;
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;
const CODEC_ZSTD = 6;
const PAGE_DATA = 0;

// --- schema ----------------------------------------------------------------------------------

/** How a column's values are stored. */
const TEXT = 0;
/** Seconds in the row, INT64 milliseconds in the file (TIMESTAMP(MILLIS, UTC)). */
const TIMESTAMP = 1;
const DOUBLE = 2;
const INT32 = 3;
/** image_urls: list<list<utf8>>, its one leaf column holding the strings. */
const STRING_LISTS = 4;
type Kind = typeof TEXT | typeof TIMESTAMP | typeof DOUBLE | typeof INT32 | typeof STRING_LISTS;

interface ColumnSpec {
  name: string;
  kind: Kind;
  required: boolean;
}

function docColumns(): ColumnSpec[] {
  const text = (name: string, required = false): ColumnSpec => ({ name, kind: TEXT, required });
  return [
    text('id', true),
    text('content', true),
    text('url', true),
    { name: 'timestamp', kind: TIMESTAMP, required: false },
    text('dump'),
    text('segment'),
    { name: 'image_urls', kind: STRING_LISTS, required: true },
    text('warc_record_id'),
    text('digest'),
    text('language'),
    { name: 'language_score', kind: DOUBLE, required: false },
    { name: 'token_count', kind: INT32, required: false },
    text('meta'),
  ];
}

function excludedColumns(): ColumnSpec[] {
  return [
    ...docColumns(),
    { name: 'stage', kind: TEXT, required: true },
    { name: 'reason', kind: TEXT, required: true },
    { name: 'value', kind: DOUBLE, required: false },
    { name: 'detail', kind: TEXT, required: false },
  ];
}

/** The file's columns: the fixed ones, then the rows' extra columns (sorted, as extraColumnTypes gives them). */
export function columnSpecs(rows: readonly object[], excluded: boolean): ColumnSpec[] {
  const specs = excluded ? excludedColumns() : docColumns();
  for (const c of extraColumnTypes(rows)) specs.push(extraColumnSpec(c));
  return specs;
}

function extraColumnSpec(c: { name: string; numeric: boolean }): ColumnSpec {
  return { name: c.name, kind: c.numeric ? DOUBLE : TEXT, required: false };
}

/** A SchemaElement (parquet.thrift), the fields written here. */
interface SchemaElement {
  type?: number;
  /** None for the root. */
  repetition?: number;
  name: string;
  numChildren?: number;
  converted?: number;
  logical?: 'STRING' | 'LIST' | 'TIMESTAMP_MILLIS_UTC';
}

function schemaElements(specs: ColumnSpec[]): SchemaElement[] {
  // The root's name is parquet-wasm's (arrow-rs), so files read back with the same schema.
  const out: SchemaElement[] = [{ name: 'arrow_schema', numChildren: specs.length }];
  const utf8 = (name: string, repetition: number): SchemaElement => ({ type: TYPE_BYTE_ARRAY, repetition, name, converted: CONVERTED_UTF8, logical: 'STRING' });
  for (const s of specs) {
    const repetition = s.required ? REQUIRED : OPTIONAL;
    if (s.kind === TEXT) out.push(utf8(s.name, repetition));
    else if (s.kind === TIMESTAMP) out.push({ type: TYPE_INT64, repetition, name: s.name, converted: CONVERTED_TIMESTAMP_MILLIS, logical: 'TIMESTAMP_MILLIS_UTC' });
    else if (s.kind === DOUBLE) out.push({ type: TYPE_DOUBLE, repetition, name: s.name });
    else if (s.kind === INT32) out.push({ type: TYPE_INT32, repetition, name: s.name });
    else {
      out.push(
        { repetition, name: s.name, numChildren: 1, converted: CONVERTED_LIST, logical: 'LIST' },
        { repetition: REPEATED, name: 'list', numChildren: 1 },
        { repetition: OPTIONAL, name: 'item', numChildren: 1, converted: CONVERTED_LIST, logical: 'LIST' },
        { repetition: REPEATED, name: 'list', numChildren: 1 },
        utf8('item', OPTIONAL),
      );
    }
  }
  return out;
}

function writeSchemaElement(w: CompactWriter, e: SchemaElement): void {
  w.begin();
  if (e.type !== undefined) w.i32(1, e.type);
  if (e.repetition !== undefined) w.i32(3, e.repetition);
  w.string(4, e.name);
  if (e.numChildren !== undefined) w.i32(5, e.numChildren);
  if (e.converted !== undefined) w.i32(6, e.converted);
  if (e.logical !== undefined) {
    w.struct(10); // LogicalType, a union
    if (e.logical === 'STRING') {
      w.struct(1); // StringType
      w.end();
    } else if (e.logical === 'LIST') {
      w.struct(3); // ListType
      w.end();
    } else {
      w.struct(8); // TimestampType
      w.bool(1, true); // isAdjustedToUTC
      w.struct(2); // unit: TimeUnit, a union
      w.struct(1); // MILLIS
      w.end();
      w.end();
      w.end();
    }
    w.end();
  }
  w.end();
}

// --- levels: the RLE / bit-packed hybrid -----------------------------------------------------

/** Levels of `n` values, RLE runs for repeats of 8 or more, bit-packed groups of 8 otherwise. */
function writeHybrid(w: ByteSink, levels: Uint8Array, n: number, bitWidth: number): void {
  const valueBytes = (bitWidth + 7) >> 3;
  let i = 0;
  while (i < n) {
    let run = 1;
    while (i + run < n && levels[i + run] === levels[i]) run++;
    if (run >= 8) {
      w.varint(run * 2); // RLE run header: count << 1
      const v = levels[i]!;
      for (let b = 0; b < valueBytes; b++) w.byte((v >> (8 * b)) & 0xff);
      i += run;
      continue;
    }
    // Bit-packed groups of 8 until a long run starts at a group boundary (or 63 groups, the
    // most a one-byte header counts). Only the last group of the page may be padded.
    let groups = 0;
    let j = i;
    while (j < n && groups < 63) {
      if (groups > 0) {
        let r = 1;
        while (j + r < n && r < 8 && levels[j + r] === levels[j]) r++;
        if (r >= 8) break;
      }
      groups++;
      j += 8;
    }
    w.varint(groups * 2 + 1);
    let acc = 0;
    let bits = 0;
    for (let k = i; k < i + groups * 8; k++) {
      acc |= (k < n ? levels[k]! : 0) << bits;
      bits += bitWidth;
      while (bits >= 8) {
        w.byte(acc & 0xff);
        acc >>>= 8;
        bits -= 8;
      }
    }
    i = Math.min(j, n);
  }
}

function bitWidthOf(maxLevel: number): number {
  return maxLevel === 0 ? 0 : 32 - Math.clz32(maxLevel);
}

// --- column chunks ---------------------------------------------------------------------------

/** Values of a page at most (then the page is cut after the current row): ~1 MB. */
const PAGE_VALUE_BYTES = 1 << 20;

/** One leaf column of the row group being written: the page being filled, the pages done. */
class ColumnChunk {
  readonly name: string;
  readonly kind: Kind;
  readonly required: boolean;
  readonly path: string[];
  readonly physicalType: number;
  readonly maxDef: number;
  readonly maxRep: number;
  /** PLAIN values of the page being filled. */
  values: Buffer = Buffer.allocUnsafe(1 << 12);
  valuesLen = 0;
  defs = new Uint8Array(1 << 10);
  reps = new Uint8Array(1 << 10);
  /** Level entries (values and nulls) of the page being filled. */
  levels = 0;
  pageRows = 0;
  /** Page headers and compressed bodies of this chunk, in file order. */
  pages: Uint8Array[] = [];
  compressedBytes = 0;
  uncompressedBytes = 0;
  numValues = 0;
  nullCount = 0;

  constructor(spec: ColumnSpec) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.required = spec.required;
    if (spec.kind === STRING_LISTS) {
      // required image_urls / repeated list / optional item / repeated list / optional item
      this.path = [spec.name, 'list', 'item', 'list', 'item'];
      this.maxDef = (spec.required ? 0 : 1) + 4;
      this.maxRep = 2;
    } else {
      this.path = [spec.name];
      this.maxDef = spec.required ? 0 : 1;
      this.maxRep = 0;
    }
    this.physicalType = spec.kind === TIMESTAMP ? TYPE_INT64 : spec.kind === DOUBLE ? TYPE_DOUBLE : spec.kind === INT32 ? TYPE_INT32 : TYPE_BYTE_ARRAY;
  }

  reserveValues(n: number): void {
    if (this.valuesLen + n <= this.values.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.values.length * 2, this.valuesLen + n));
    this.values.copy(next, 0, 0, this.valuesLen);
    this.values = next;
  }

  level(rep: number, def: number): void {
    if (this.levels === this.defs.length) {
      const defs = new Uint8Array(this.defs.length * 2);
      defs.set(this.defs);
      this.defs = defs;
      const reps = new Uint8Array(this.reps.length * 2);
      reps.set(this.reps);
      this.reps = reps;
    }
    this.reps[this.levels] = rep;
    this.defs[this.levels] = def;
    this.levels++;
    if (def < this.maxDef) this.nullCount++;
  }

  /** A string as PLAIN BYTE_ARRAY: 4-byte length, UTF-8 written in place. */
  text(s: string): void {
    // At most 3 UTF-8 bytes per UTF-16 unit, so write() never truncates.
    this.reserveValues(4 + s.length * 3);
    const n = this.values.write(s, this.valuesLen + 4, 'utf8');
    this.values.writeUInt32LE(n, this.valuesLen);
    this.valuesLen += 4 + n;
  }
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** One row's value of a column into the page being filled. */
function addValue(c: ColumnChunk, v: unknown): void {
  if (c.kind === STRING_LISTS) {
    addStringLists(c, v);
    return;
  }
  const isNull = v === null || v === undefined || (c.kind === TIMESTAMP && !Number.isFinite(v as number));
  if (isNull) {
    if (c.required) throw new Error(`parquet: column ${c.name} is required, a row has no value`);
    c.level(0, 0);
    return;
  }
  if (!c.required) c.level(0, 1);
  else c.levels++;
  if (c.kind === TEXT) c.text(asText(v));
  else if (c.kind === TIMESTAMP) {
    c.reserveValues(8);
    c.values.writeBigInt64LE(BigInt(Math.round((v as number) * 1000)), c.valuesLen);
    c.valuesLen += 8;
  } else if (c.kind === DOUBLE) {
    c.reserveValues(8);
    c.values.writeDoubleLE(Number(v), c.valuesLen);
    c.valuesLen += 8;
  } else {
    c.reserveValues(4);
    c.values.writeInt32LE(Number(v) | 0, c.valuesLen);
    c.valuesLen += 4;
  }
}

/**
 * A list of string lists (image_urls: [url, alt] pairs). Levels (optional outer +1):
 * def 0 = empty outer list, 1 = null pair, 2 = empty pair, 3 = null string, 4 = a string;
 * rep 0 = a new row, 1 = a new pair, 2 = the next string of a pair.
 */
function addStringLists(c: ColumnChunk, v: unknown): void {
  const base = c.required ? 0 : 1;
  if (v === null || v === undefined) {
    // Null (optional) or, for the required image_urls, written as an empty list.
    c.level(0, 0);
    return;
  }
  const pairs = v as readonly (readonly unknown[] | null | undefined)[];
  if (pairs.length === 0) {
    c.level(0, base);
    return;
  }
  for (let i = 0; i < pairs.length; i++) {
    const outerRep = i === 0 ? 0 : 1;
    const pair = pairs[i];
    if (pair === null || pair === undefined) {
      c.level(outerRep, base + 1);
      continue;
    }
    if (pair.length === 0) {
      c.level(outerRep, base + 2);
      continue;
    }
    for (let j = 0; j < pair.length; j++) {
      const rep = j === 0 ? outerRep : 2;
      const s = pair[j];
      if (s === null || s === undefined) c.level(rep, base + 3);
      else {
        c.level(rep, base + 4);
        c.text(asText(s));
      }
    }
  }
}

/** Page bodies and levels are assembled here before compression (one buffer, reused). */
const pageBody = new ByteSink(1 << 16);
const pageHeader = new CompactWriter();

/** The page being filled, compressed, with its header, onto the chunk's pages. */
function finishPage(c: ColumnChunk, compress: ZstdCompress, level: number): void {
  if (c.pageRows === 0) return;
  let body: Uint8Array;
  if (c.maxRep === 0 && c.maxDef === 0) body = c.values.subarray(0, c.valuesLen); // no levels: the values are the page
  else {
    pageBody.len = 0;
    if (c.maxRep > 0) writeLevels(c.reps, c.levels, c.maxRep);
    if (c.maxDef > 0) writeLevels(c.defs, c.levels, c.maxDef);
    pageBody.append(c.values, c.valuesLen);
    body = pageBody.buf.subarray(0, pageBody.len);
  }
  const uncompressed = body.length;
  const compressed = compress(body, level);
  const header = pageHeaderBytes(uncompressed, compressed.length, c.levels);
  c.pages.push(header, compressed);
  c.uncompressedBytes += header.length + uncompressed;
  c.compressedBytes += header.length + compressed.length;
  c.numValues += c.levels;
  c.valuesLen = 0;
  c.levels = 0;
  c.pageRows = 0;
}

/** Levels into pageBody, the hybrid encoding after its 4-byte length. */
function writeLevels(levels: Uint8Array, n: number, maxLevel: number): void {
  const at = pageBody.len;
  pageBody.u32(0); // the length, known below
  writeHybrid(pageBody, levels, n, bitWidthOf(maxLevel));
  pageBody.buf.writeUInt32LE(pageBody.len - at - 4, at);
}

function pageHeaderBytes(uncompressed: number, compressed: number, numValues: number): Uint8Array {
  const w = pageHeader;
  w.out.len = 0;
  w.begin();
  w.i32(1, PAGE_DATA);
  w.i32(2, uncompressed);
  w.i32(3, compressed);
  w.struct(5); // DataPageHeader
  w.i32(1, numValues);
  w.i32(2, ENCODING_PLAIN);
  w.i32(3, ENCODING_RLE); // definition levels
  w.i32(4, ENCODING_RLE); // repetition levels
  w.end();
  w.end();
  return w.result();
}

// --- file ------------------------------------------------------------------------------------

interface ColumnMeta {
  name: string;
  path: string[];
  physicalType: number;
  numValues: number;
  uncompressed: number;
  compressed: number;
  dataPageOffset: number;
  nullCount: number;
}

interface RowGroupMeta {
  columns: ColumnMeta[];
  rows: number;
  offset: number;
}

const MAGIC = Buffer.from('PAR1', 'latin1');

/**
 * Rows encoded into a Parquet file, row group by row group: `add` rows, take each finished
 * row group's bytes from `add`'s result, and the footer from `finish`. The first bytes are
 * the magic (`header`). The schema starts as given; a row with a key it lacks adds an extra
 * column (a late column: in annotate mode a stage's `_reason` column appears with the first
 * document it would drop, maybe rows after the first row group). Its chunks of the row groups
 * already written are all nulls and go after the last row group, before the footer: a column
 * chunk is found by its offset in the footer, not by its place in the file (parquet-format:
 * ColumnMetaData.data_page_offset), so the file stays valid and no value is lost.
 */
export class ParquetEncoder {
  private readonly specs: ColumnSpec[];
  private readonly chunks: ColumnChunk[];
  private readonly rowGroups: RowGroupMeta[] = [];
  /** Every key a row may have without adding a column. */
  private readonly known: Set<string>;
  /** Columns added after a row group was written, with the number of row groups before them. */
  private readonly late: { spec: ColumnSpec; groupsBefore: number }[] = [];
  private readonly fixedColumns: number;
  private rowsInGroup = 0;
  private totalRows = 0;
  /** Bytes of the file so far (magic and finished row groups). */
  private offset = MAGIC.length;

  constructor(
    specs: ColumnSpec[],
    private readonly opts: WriterOptions,
    private readonly compress: ZstdCompress,
    excluded = false,
  ) {
    this.specs = [...specs];
    this.chunks = specs.map((s) => new ColumnChunk(s));
    this.known = new Set([...RESERVED_COLUMNS, ...specs.map((s) => s.name)]);
    this.fixedColumns = (excluded ? excludedColumns() : docColumns()).length;
  }

  static readonly header: Uint8Array = MAGIC;

  /** Adds a row; returns the bytes of the row group it completed, if it did. */
  add(row: object): Uint8Array | undefined {
    const r = row as Record<string, unknown>;
    for (const k in r) if (!this.known.has(k)) this.addColumn(k, r[k]);
    for (const c of this.chunks) {
      addValue(c, r[c.name]);
      c.pageRows++;
      if (c.valuesLen >= PAGE_VALUE_BYTES) finishPage(c, this.compress, this.opts.zstdLevel);
    }
    this.totalRows++;
    if (++this.rowsInGroup === this.opts.rowGroupRows) return this.finishRowGroup();
    return undefined;
  }

  /** An extra column first seen in this row (typed by its value there, as columnSpecs types them), null in the rows before. */
  private addColumn(name: string, v: unknown): void {
    const spec = extraColumnSpec(extraColumnTypes([{ [name]: v }])[0]!);
    let at = this.fixedColumns;
    while (at < this.specs.length && this.specs[at]!.name < name) at++;
    const c = new ColumnChunk(spec);
    for (let i = 0; i < this.rowsInGroup; i++) {
      addValue(c, null);
      c.pageRows++;
    }
    this.specs.splice(at, 0, spec);
    this.chunks.splice(at, 0, c);
    this.known.add(name);
    if (this.rowGroups.length) this.late.push({ spec, groupsBefore: this.rowGroups.length });
  }

  /** The row group being filled, if it has rows. */
  finishRowGroup(): Uint8Array | undefined {
    if (this.rowsInGroup === 0) return undefined;
    const parts: Uint8Array[] = [];
    const columns: ColumnMeta[] = [];
    const start = this.offset;
    for (const c of this.chunks) this.finishChunk(c, columns, parts);
    this.rowGroups.push({ columns, rows: this.rowsInGroup, offset: start });
    this.rowsInGroup = 0;
    return Buffer.concat(parts);
  }

  /** A column's pages of the row group, at the current offset. */
  private finishChunk(c: ColumnChunk, columns: ColumnMeta[], parts: Uint8Array[]): void {
    finishPage(c, this.compress, this.opts.zstdLevel);
    columns.push({ name: c.name, path: c.path, physicalType: c.physicalType, numValues: c.numValues, uncompressed: c.uncompressedBytes, compressed: c.compressedBytes, dataPageOffset: this.offset, nullCount: c.nullCount });
    this.offset += c.compressedBytes;
    for (const p of c.pages) parts.push(p);
    c.pages = [];
    c.compressedBytes = c.uncompressedBytes = c.numValues = c.nullCount = 0;
  }

  /** The rest of the file: the last row group (if any rows wait), late columns' null chunks, the footer, its length and the magic. */
  finish(): Uint8Array {
    const last = this.finishRowGroup();
    const parts: Uint8Array[] = last ? [last] : [];
    for (const { spec, groupsBefore } of this.late) {
      for (const g of this.rowGroups.slice(0, groupsBefore)) {
        const c = new ColumnChunk(spec);
        for (let i = 0; i < g.rows; i++) {
          addValue(c, null);
          c.pageRows++;
        }
        this.finishChunk(c, g.columns, parts);
      }
    }
    // Every row group's chunks in the schema's order (late ones were appended).
    const order = new Map(this.specs.map((s, i) => [s.name, i]));
    for (const g of this.rowGroups) g.columns.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    const footer = fileMetaData(schemaElements(this.specs), this.totalRows, this.rowGroups);
    const tail = Buffer.allocUnsafe(8);
    tail.writeUInt32LE(footer.length, 0);
    MAGIC.copy(tail, 4);
    return Buffer.concat([...parts, footer, tail]);
  }

  get rows(): number {
    return this.totalRows;
  }
}

function fileMetaData(schema: SchemaElement[], numRows: number, rowGroups: RowGroupMeta[]): Uint8Array {
  const w = new CompactWriter();
  w.begin();
  w.i32(1, 1); // version
  w.list(2, T_STRUCT, schema.length);
  for (const e of schema) writeSchemaElement(w, e);
  w.i64(3, numRows);
  w.list(4, T_STRUCT, rowGroups.length);
  rowGroups.forEach((g, ordinal) => {
    w.begin();
    w.list(1, T_STRUCT, g.columns.length);
    let uncompressed = 0;
    let compressed = 0;
    for (const c of g.columns) {
      uncompressed += c.uncompressed;
      compressed += c.compressed;
      w.begin(); // ColumnChunk
      w.i64(2, 0); // file_offset: deprecated, 0 as current writers do
      w.struct(3); // ColumnMetaData
      w.i32(1, c.physicalType);
      w.list(2, T_I32, 2);
      w.int(ENCODING_PLAIN);
      w.int(ENCODING_RLE);
      w.list(3, T_BINARY, c.path.length);
      for (const p of c.path) w.bytes(Buffer.from(p, 'utf8'));
      w.i32(4, CODEC_ZSTD);
      w.i64(5, c.numValues);
      w.i64(6, c.uncompressed);
      w.i64(7, c.compressed);
      w.i64(9, c.dataPageOffset);
      w.struct(12); // Statistics
      w.i64(3, c.nullCount);
      w.end();
      w.end();
      w.end();
    }
    w.i64(2, uncompressed); // total_byte_size
    w.i64(3, g.rows);
    w.i64(5, g.offset); // file_offset of the first page
    w.i64(6, compressed);
    w.i16(7, ordinal);
    w.end();
  });
  w.string(6, 'refinery');
  w.end();
  return w.result();
}

/** The rows as one Parquet file (their extra columns from all of them). */
export function encodeRows(rows: readonly (DocRow | ExcludedRow)[], excluded: boolean, opts: WriterOptions, compress: ZstdCompress): Uint8Array {
  const enc = new ParquetEncoder(columnSpecs(rows, excluded), opts, compress, excluded);
  const parts: Uint8Array[] = [ParquetEncoder.header];
  for (const r of rows) {
    const g = enc.add(r);
    if (g) parts.push(g);
  }
  parts.push(enc.finish());
  // A Uint8Array of its own, as parquet-wasm returned: Buffer.concat may give a view into
  // Node's shared pool, which callers taking `.buffer` would misread.
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return file;
}

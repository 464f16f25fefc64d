// The hand-written Parquet writer (src/formats/parquet-writer.ts) against two independent
// readers (hyparquet, the project's, and parquet-wasm's Rust reader) and against the schema
// parquet-wasm writes for the same rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { encodeParquet, parquetStreamWriter, parquetWriterKind, readParquetRows, type ParquetOptions } from '../src/formats/parquet.js';
import { encodeParquetWasm } from '../src/formats/parquet-wasm-writer.js';
import { loadNative } from '../src/native.js';
import type { DocRow, ExcludedRow } from '../src/formats/schema.js';

const nativeWriter = parquetWriterKind === 'native';
const skip = nativeWriter ? false : 'no native zstd here: the parquet-wasm fallback writes';

function ab(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A varied row: nulls in every optional column at different periods, so levels mix runs and bit-packed groups. */
function row(i: number): DocRow & Record<string, unknown> {
  const texts = ['', 'plain ascii', 'wörld ✓ 日本語 😀', '\ufeffleading BOM', 'x'.repeat(300)];
  const images: [string, string][][] = [[], [['https://e.com/a.png', 'an image']], [['u1', ''], ['ü2', 'alt ✓'], ['', '']]];
  const r: DocRow & Record<string, unknown> = {
    id: `doc-${i}`,
    content: `${texts[i % texts.length]} ${i}`,
    url: i % 7 === 0 ? '' : `https://example.com/${i}`,
    timestamp: i % 4 === 0 ? null : 1675209600 + i * 37,
    dump: i % 3 === 0 ? null : 'CC-MAIN-2023-06',
    segment: i % 2 === 0 ? null : `seg-${i % 5}`,
    image_urls: images[i % images.length]!,
    warc_record_id: i < 20 ? null : `<urn:uuid:${i}>`,
    digest: i % 9 < 3 ? null : `sha1:${i}`,
    language: i % 5 === 0 ? null : 'en',
    language_score: i % 6 === 0 ? null : i / 1000,
    token_count: i % 8 === 0 ? null : i * 3 - 50,
    meta: i % 10 === 0 ? JSON.stringify({ k: i, s: 'ü' }) : null,
    // extra columns of stages: a numeric one (nulls included) and a text one
    score_x: i % 11 === 0 ? null : i * 0.25,
    note: i % 4 === 1 ? `n${i}` : null,
  };
  return r;
}

function excludedRow(i: number): ExcludedRow & Record<string, unknown> {
  return { ...row(i), stage: 'gopher_quality', reason: i % 2 ? 'too_short' : 'ratio', value: i % 3 === 0 ? null : i / 7, detail: i % 5 === 0 ? null : `d${i}` };
}

/** What a row reads back as through hyparquet (timestamps as Dates; absent extra values null). */
function expectedHyparquet(r: Record<string, unknown>): Record<string, unknown> {
  return { ...r, timestamp: r.timestamp === null ? null : new Date((r.timestamp as number) * 1000) };
}

async function readAll(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const r of readParquetRows(bytes)) out.push(r);
  return out;
}

/** Rows through parquet-wasm's reader (Rust parquet + arrow), as plain values. */
function readWithParquetWasm(bytes: Uint8Array): Record<string, unknown>[] {
  const table = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
  const names = table.schema.fields.map((f) => f.name);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const n of names) {
      const v = table.getChild(n)!.get(i);
      r[n] = n === 'image_urls' ? [...(v as arrow.Vector)].map((p) => [...(p as arrow.Vector)]) : typeof v === 'bigint' ? Number(v) : v;
    }
    out.push(r);
  }
  return out;
}

function expectedParquetWasm(r: Record<string, unknown>): Record<string, unknown> {
  // arrow JS gives timestamp[ms] values as epoch milliseconds, and decodes text with a
  // default TextDecoder, which drops a leading U+FEFF (the file has it: hyparquet reads it)
  return { ...r, timestamp: r.timestamp === null ? null : (r.timestamp as number) * 1000, content: (r.content as string).replace(/^\ufeff/, '') };
}

function sortedKeys(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}

/** Pages of every column chunk: walked through the page headers (hyparquet's parser). */
function pagesPerChunk(bytes: Uint8Array): { column: string; pages: number; maxUncompressed: number }[][] {
  const meta = parquetMetadata(ab(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return meta.row_groups.map((g) =>
    g.columns.map((c) => {
      const m = c.meta_data!;
      const reader = { view, offset: Number(m.data_page_offset) };
      const end = reader.offset + Number(m.total_compressed_size);
      let pages = 0;
      let values = 0;
      let maxUncompressed = 0;
      while (reader.offset < end) {
        const h = parquetHeader(reader);
        assert.equal(h.type, 'DATA_PAGE');
        reader.offset += h.compressed_page_size;
        values += h.data_page_header!.num_values;
        maxUncompressed = Math.max(maxUncompressed, h.uncompressed_page_size);
        pages++;
      }
      assert.equal(reader.offset, end, 'the chunk ends where its last page does');
      assert.equal(values, Number(m.num_values));
      return { column: m.path_in_schema.join('.'), pages, maxUncompressed };
    }),
  );
}

const SMALL_GROUPS: ParquetOptions = { rowGroupRows: 17, zstdLevel: 3 };

test('schema elements equal those parquet-wasm writes for the same rows (documents, excluded, with extra columns, empty)', { skip }, () => {
  const cases: [string, DocRow[] | ExcludedRow[], boolean][] = [
    ['documents', Array.from({ length: 30 }, (_, i) => row(i)), false],
    ['excluded', Array.from({ length: 30 }, (_, i) => excludedRow(i)), true],
    ['no rows', [], false],
    ['no rows, excluded', [], true],
  ];
  for (const [name, rows, excluded] of cases) {
    const ours = parquetMetadata(ab(encodeParquet(rows, excluded)));
    const reference = parquetMetadata(ab(encodeParquetWasm(rows, excluded, SMALL_GROUPS)));
    assert.deepEqual(ours.schema, reference.schema, name);
    assert.equal(ours.num_rows, reference.num_rows, name);
    assert.equal(ours.created_by, 'refinery');
  }
});

test('rows read back through hyparquet and through parquet-wasm: nulls, empty and non-ASCII strings, image_urls, extra columns, many row groups', { skip }, async () => {
  for (const [rows, excluded] of [
    [Array.from({ length: 200 }, (_, i) => row(i)), false],
    [Array.from({ length: 90 }, (_, i) => excludedRow(i)), true],
  ] as const) {
    const bytes = encodeParquet(rows as DocRow[], excluded, SMALL_GROUPS);
    const meta = parquetMetadata(ab(bytes));
    assert.equal(meta.row_groups.length, Math.ceil(rows.length / SMALL_GROUPS.rowGroupRows));
    assert.deepEqual(meta.row_groups.map((g) => Number(g.num_rows)), rows.map((_, i) => i).filter((i) => i % 17 === 0).map((i) => Math.min(17, rows.length - i)));
    const viaHyparquet = await readAll(bytes);
    assert.deepEqual(viaHyparquet.map(sortedKeys), rows.map((r) => sortedKeys(expectedHyparquet(r))));
    const viaRust = readWithParquetWasm(bytes);
    assert.deepEqual(viaRust.map(sortedKeys), rows.map((r) => sortedKeys(expectedParquetWasm(r))));
  }
});

test('null_count statistics of each column chunk count its nulls', { skip }, () => {
  const rows = Array.from({ length: 40 }, (_, i) => row(i));
  const meta = parquetMetadata(ab(encodeParquet(rows, false, { rowGroupRows: 1000, zstdLevel: 3 })));
  const chunks = meta.row_groups[0]!.columns;
  const nulls = (name: keyof ReturnType<typeof row>) => rows.filter((r) => r[name] === null).length;
  const chunk = (name: string) => chunks.find((c) => c.meta_data!.path_in_schema[0] === name)!.meta_data!;
  for (const name of ['timestamp', 'dump', 'language', 'token_count', 'score_x', 'note'] as const) assert.equal(Number(chunk(name).statistics!.null_count), nulls(name), name);
  assert.equal(Number(chunk('id').statistics!.null_count), 0);
  assert.equal(chunk('content').codec, 'ZSTD');
});

test('a column chunk over 1 MB is split into pages of ~1 MB, and reads back whole', { skip }, async () => {
  // 40 documents of ~100 KB (4 MB in one row group), one of 1.5 MB (a page of its own, over the limit)
  const rows = Array.from({ length: 40 }, (_, i) => ({ ...row(i), content: (i === 20 ? 'ü'.repeat(750_000) : `${i} ${'wörds '.repeat(16_000)}`) + i }));
  const bytes = encodeParquet(rows, false, { rowGroupRows: 1000, zstdLevel: 3 });
  const content = pagesPerChunk(bytes)[0]!.find((c) => c.column === 'content')!;
  assert.ok(content.pages >= 4, `${content.pages} pages`);
  // a page ends at the first row that takes its values past 1 MiB
  assert.ok(content.maxUncompressed <= (1 << 20) + 1_500_000 + 64, String(content.maxUncompressed));
  for (const c of pagesPerChunk(bytes)[0]!) if (c.column !== 'content') assert.equal(c.pages, 1, c.column);
  assert.deepEqual((await readAll(bytes)).map((r) => r.content), rows.map((r) => r.content));
  assert.deepEqual(readWithParquetWasm(bytes).map((r) => r.content), rows.map((r) => r.content));
});

test('a large image_urls chunk splits at row boundaries and keeps every list', { skip }, async () => {
  const rows = Array.from({ length: 800 }, (_, i) => ({ ...row(i), image_urls: Array.from({ length: i % 13 }, (_, j) => [`https://img.example/${i}/${j}/${'p'.repeat(400)}`, j % 2 ? '' : `alt ${j} ✓`] as [string, string]) }));
  const bytes = encodeParquet(rows, false, { rowGroupRows: 1000, zstdLevel: 3 });
  assert.ok(pagesPerChunk(bytes)[0]!.find((c) => c.column.startsWith('image_urls'))!.pages >= 2);
  assert.deepEqual((await readAll(bytes)).map((r) => r.image_urls), rows.map((r) => r.image_urls));
  assert.deepEqual(readWithParquetWasm(bytes).map((r) => r.image_urls), rows.map((r) => r.image_urls));
});

test('streamed a row group at a time: the same bytes as the whole file; deterministic', { skip }, async () => {
  for (const [n, groupRows] of [
    [0, 17],
    [1, 17],
    [17, 17],
    [50, 17],
    [205, 10],
  ] as const) {
    const rows = Array.from({ length: n }, (_, i) => excludedRow(i));
    const opts = { rowGroupRows: groupRows, zstdLevel: 3 };
    const chunks: Uint8Array[] = [];
    let held = 0;
    const w = parquetStreamWriter<ExcludedRow>(async (b) => void chunks.push(b), true, opts);
    for (const r of rows) {
      await w.add(r);
      held = Math.max(held, chunks.length);
    }
    assert.equal(await w.close(), n);
    const whole = encodeParquet(rows, true, opts);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(whole), `${n} rows`);
    assert.deepEqual(Buffer.from(encodeParquet(rows, true, opts)), Buffer.from(whole), 'deterministic');
    // row groups leave as they fill: the magic, then one chunk per complete group
    if (n > groupRows) assert.ok(chunks.length >= Math.floor(n / groupRows), `${chunks.length} chunks`);
    assert.equal((await readAll(whole)).length, n);
    assert.equal(readWithParquetWasm(whole).length, n);
  }
});

test('streamed: a column first seen after the first row group is written, null in the rows before, for both readers', { skip }, async () => {
  // In annotate mode a stage's `_reason` column appears with the first document it would drop.
  const rows = Array.from({ length: 23 }, (_, i) => {
    const r = row(i);
    if (i >= 9 && i % 2 === 1) r.gopher_quality_reason = `r${i}`; // mid-group of the third row group
    if (i >= 9 && i % 2 === 1) r.gopher_quality_value = i / 2;
    if (i === 22) r.aaa_last = 'only here'; // the last row; sorts before the other extras
    return r;
  });
  const chunks: Uint8Array[] = [];
  const w = parquetStreamWriter<DocRow>(async (b) => void chunks.push(b), false, { rowGroupRows: 4, zstdLevel: 3 });
  for (const r of rows) await w.add(r);
  assert.equal(await w.close(), rows.length);
  const file = new Uint8Array(Buffer.concat(chunks));
  const names = ['aaa_last', 'gopher_quality_reason', 'gopher_quality_value'];
  const full = rows.map((r) => ({ ...Object.fromEntries(names.map((n) => [n, null])), ...r }));
  assert.deepEqual((await readAll(file)).map(sortedKeys), full.map(expectedHyparquet).map(sortedKeys));
  assert.deepEqual(readWithParquetWasm(file).map(sortedKeys), full.map(expectedParquetWasm).map(sortedKeys));
  // Every row group has every column, in the schema's order (the late ones sorted among the extras).
  const meta = parquetMetadata(ab(file));
  const schemaOrder = meta.schema.slice(1).filter((e) => e.num_children === undefined || e.num_children === 0).length;
  for (const g of meta.row_groups) {
    const paths = g.columns.map((c) => c.meta_data!.path_in_schema.join('.'));
    assert.equal(paths.length, schemaOrder);
    assert.deepEqual(paths.filter((p) => !p.includes('.') && ['aaa_last', 'gopher_quality_reason', 'gopher_quality_value', 'note', 'score_x'].includes(p)), ['aaa_last', 'gopher_quality_reason', 'gopher_quality_value', 'note', 'score_x']);
  }
  pagesPerChunk(file); // every chunk's pages end where its metadata says
});

test('an empty file is valid for both readers', { skip }, async () => {
  for (const excluded of [false, true]) {
    const bytes = encodeParquet([], excluded);
    assert.equal((await readAll(bytes)).length, 0);
    const table = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream());
    assert.equal(table.numRows, 0);
    assert.ok(table.schema.fields.some((f) => f.name === 'content'));
  }
});

test('zstdLevel is honoured: a higher level gives a smaller file that reads the same', { skip }, async () => {
  const rows = Array.from({ length: 300 }, (_, i) => ({ ...row(i), content: `${i} ${Array.from({ length: 400 }, (_, j) => `w${(i * j) % 97}`).join(' ')}` }));
  const fast = encodeParquet(rows, false, { rowGroupRows: 1000, zstdLevel: 1 });
  const small = encodeParquet(rows, false, { rowGroupRows: 1000, zstdLevel: 19 });
  assert.ok(small.length < fast.length, `${small.length} vs ${fast.length}`);
  assert.deepEqual(await readAll(small), await readAll(fast));
});

test('zstdCompress (addon): frames libzstd and fzstd decode to the input', { skip }, async () => {
  const native = loadNative() as unknown as { zstdCompress(b: Uint8Array, level: number): Uint8Array; zstdDecompress(b: Uint8Array, n: number): Uint8Array };
  const { decompress } = await import('fzstd');
  for (const input of [new Uint8Array(0), Buffer.from('a'), Buffer.from('refinery '.repeat(10_000)), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 24))]) {
    const packed = native.zstdCompress(input, 3);
    assert.deepEqual(Buffer.from(native.zstdDecompress(packed, input.length)), Buffer.from(input));
    assert.deepEqual(Buffer.from(decompress(packed)), Buffer.from(input));
  }
  assert.throws(() => native.zstdCompress('text' as unknown as Uint8Array, 3), /zstdCompress\(input: Uint8Array, level: number\)/);
});

test('the parquet-wasm fallback (no libzstd) reads back the same rows as the hand-written writer, streamed or whole', async () => {
  const { parquetWasmStreamWriter } = await import('../src/formats/parquet-wasm-writer.js');
  const rows = Array.from({ length: 60 }, (_, i) => excludedRow(i));
  const opts = { rowGroupRows: 25, zstdLevel: 3 };
  const chunks: Uint8Array[] = [];
  const w = parquetWasmStreamWriter<ExcludedRow>(async (b) => void chunks.push(b), true, opts);
  for (const r of rows) await w.add(r);
  assert.equal(await w.close(), rows.length);
  const streamed = Buffer.concat(chunks);
  assert.deepEqual(streamed, Buffer.from(encodeParquetWasm(rows, true, opts)));
  assert.deepEqual(await readAll(streamed), await readAll(encodeParquet(rows, true, opts)));
});

test('without the addon, encodeParquet and parquetStreamWriter fall back to parquet-wasm (what they wrote before)', () => {
  // A child process in which parquet.ts's loadNative throws, as where the addon was not built.
  const dir = mkdtempSync(join(tmpdir(), 'refinery-pq-fallback-'));
  try {
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
        if (specifier === '../native.js' && context.parentURL?.endsWith('/formats/parquet.js'))
          return { url: 'data:text/javascript,export function loadNative() { throw new Error("no addon") }', shortCircuit: true };
        return next(specifier, context);
      }`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`);
    const parquetJs = new URL('../src/formats/parquet.js', import.meta.url).href;
    const script = `
      const pq = await import(${JSON.stringify(parquetJs)});
      const rows = JSON.parse(process.argv[1]);
      const chunks = [];
      const w = pq.parquetStreamWriter(async (b) => void chunks.push(b), true, { rowGroupRows: 7, zstdLevel: 3 });
      for (const r of rows) await w.add(r);
      await w.close();
      process.stdout.write(JSON.stringify({ kind: pq.parquetWriterKind, whole: Buffer.from(pq.encodeParquet(rows, true, { rowGroupRows: 7, zstdLevel: 3 })).toString('base64'), streamed: Buffer.concat(chunks).toString('base64') }));`;
    const rows = Array.from({ length: 20 }, (_, i) => excludedRow(i));
    const child = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, '--input-type=module', '-e', script, JSON.stringify(rows)], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const got = JSON.parse(child.stdout) as { kind: string; whole: string; streamed: string };
    assert.equal(got.kind, 'wasm');
    const reference = Buffer.from(encodeParquetWasm(rows, true, { rowGroupRows: 7, zstdLevel: 3 })).toString('base64');
    assert.equal(got.whole, reference);
    assert.equal(got.streamed, reference);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

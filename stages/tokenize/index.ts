/**
 * tokenize: the kept corpus as token ids in the Megatron-LM indexed dataset format
 * (megatron.ts), what Megatron-LM, NeMo and GPT-NeoX read without a tokenizing step of
 * their own. Put it last under `passes:`; it reads the same documents as the final shards.
 *
 *   <dir>/part-<rank>.bin, .idx     one pair per input shard (rank r reads shard r), so a
 *                                   shard's size is bounded by the input's (output.shard_bytes)
 *   <dir>/manifest.json             tokenizer, dtype, and per shard documents, tokens, sha256
 *
 * Every document ends with the tokenizer's end-of-text token (`<|endoftext|>` for GPT-2,
 * `<|end_of_text|>` for Llama-3, or `end_token`). Ids are uint16 when the vocabulary fits,
 * else int32 (Megatron has no uint32).
 *
 * Shuffle (`shuffle: true`): a seeded permutation of the documents of the whole corpus, in
 * two steps so that no task holds more than about one shard (a MapReduce shuffle):
 *   1. task r tokenizes input shard r and scatters its documents to M buckets, document i
 *      to bucket hash(seed, r, i) mod M, writing one file whose documents are grouped by
 *      bucket (corpus order within a bucket) and an index of where each bucket starts;
 *   2. task b reads bucket b's range from every scatter file (ranged reads, in shard order),
 *      permutes those documents with a generator seeded by (seed, b), and writes shard pair b.
 * Uniform keys split into buckets and then ordered at random within each are a uniformly
 * random order, so the concatenation of the M shards is a shuffle of the corpus. Every
 * choice depends on (seed, shard, position) only: the same bytes for any worker count and
 * executor. M (`shuffle_buckets`, default the number of input shards) keeps shards about
 * input-sized; a bucket task holds its bucket's tokens, ~ corpus tokens / M.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { CorpusPass, CorpusStep, PassContext } from '../../src/pass.js';
import { inputShardFiles, readByteRange } from '../../src/pass-io.js';
import { readParquetRows, storageParquet } from '../../src/formats/parquet.js';
import { pad } from '../../src/run-dir.js';
import { emptyStageStats, type TaskStats } from '../../src/stats.js';
import { RefineryError } from '../../src/errors.js';
import { seededRandom } from '../../src/random.js';
import { int } from '../../src/options.js';
import type { Storage } from '../../src/storage/storage.js';
import { openTextTokenizer, type TextTokenizer } from '../../src/tokenizer/text-tokenizer.js';
import { DTYPE, dtypeFor, encodeIndex, type TokenDType } from './megatron.js';

export interface TokenizeOptions {
  /** `gpt2`, or the path of a Hugging Face tokenizer.json (byte-level BPE). */
  tokenizer: string;
  /** The token that ends each document; empty: the tokenizer's end-of-text token. */
  end_token: string;
  /** Folder of the run directory for the shards and manifest.json. */
  dir: string;
  /** Documents in a seeded random order across all shards (else corpus order). */
  shuffle: boolean;
  /** Output shards of a shuffle (buckets); 0: as many as input shards. */
  shuffle_buckets: number;
  seed: number;
}

export const TOKENIZE_DEFAULTS: TokenizeOptions = { tokenizer: 'gpt2', end_token: '', dir: 'tokens', shuffle: false, shuffle_buckets: 0, seed: 0 };

/** What a task records of the shard pair it wrote (the manifest gathers them). */
export interface TokenShardFacts {
  /** Megatron's data prefix: the path without `.bin`/`.idx`, relative to the tokens folder. */
  prefix: string;
  source: string;
  documents: number;
  tokens: number;
  bin_bytes: number;
  bin_sha256: string;
  idx_sha256: string;
}

export interface TokensManifest {
  format: 'megatron-indexed-dataset';
  tokenizer: { name: string; sha256: string; vocab_size: number; end_of_text: { id: number; token: string } };
  dtype: TokenDType;
  shuffle: { seed: number; buckets: number } | null;
  files: TokenShardFacts[];
  documents: number;
  tokens: number;
}

/** Documents encoded per native call. */
const BATCH_DOCS = 256;
const EMPTY = new Uint8Array(0);

const opened = new Map<string, TextTokenizer>();

/** The configured tokenizer (a relative tokenizer.json path is taken from the working directory), once per thread. */
export function tokenizerOf(opts: Pick<TokenizeOptions, 'tokenizer' | 'end_token'>): TextTokenizer {
  const spec = opts.tokenizer === 'gpt2' || isAbsolute(opts.tokenizer) ? opts.tokenizer : resolve(opts.tokenizer);
  const key = `${spec}\0${opts.end_token}`;
  let t = opened.get(key);
  if (!t) {
    t = openTextTokenizer(spec, opts.end_token ? { end_token: opts.end_token } : {});
    opened.set(key, t);
  }
  return t;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function bytesOf(a: Uint16Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Fisher-Yates with a generator seeded by sha256 of `key`: the order a bucket's documents are written in. */
export function permutation(n: number, key: string): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = seededRandom(createHash('sha256').update(key).digest().readUInt32LE(0));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** murmur3's 32-bit finalizer. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The bucket of document `doc` of input shard `shard`: uniform on [0, buckets) from a 53-bit hash of (seed, shard, doc). */
export function bucketOf(seed: number, shard: number, doc: number, buckets: number): number {
  const a = fmix32(fmix32(fmix32(seed ^ 0x9e3779b9) ^ shard) ^ doc);
  const b = fmix32(a ^ 0x7f4a7c15);
  return Math.floor(((a * 2 ** 21 + (b >>> 11)) / 2 ** 53) * buckets);
}

// The scatter index of shard r (<name>/scatter/<r>.idx): magic, bucket count M (u64), then for
// b = 0..M the first document and first token of bucket b (u64 each; entry M = the totals),
// then every document's token count (i32), in bucket order. <r>.bin holds the ids the same way.
const SCATTER_MAGIC = Buffer.from('RFTKSCT1');
const SCATTER_HEAD = 16;

function scatterIndex(starts: { docs: number; tokens: number }[], lengths: Int32Array): Buffer {
  const out = Buffer.alloc(SCATTER_HEAD + 16 * starts.length + 4 * lengths.length);
  SCATTER_MAGIC.copy(out, 0);
  out.writeBigUInt64LE(BigInt(starts.length - 1), 8);
  starts.forEach((s, b) => {
    out.writeBigUInt64LE(BigInt(s.docs), SCATTER_HEAD + 16 * b);
    out.writeBigUInt64LE(BigInt(s.tokens), SCATTER_HEAD + 16 * b + 8);
  });
  Buffer.from(lengths.buffer, lengths.byteOffset, lengths.byteLength).copy(out, SCATTER_HEAD + 16 * starts.length);
  return out;
}

/** Bucket `b` of one scatter file: its documents' token counts and ids. */
async function readBucket(run: Storage, idxPath: string, binPath: string, b: number, buckets: number, width: number): Promise<{ lengths: Int32Array; tokens: Buffer }> {
  const head = await readByteRange(run, idxPath, 0, SCATTER_HEAD);
  if (!head.subarray(0, 8).equals(SCATTER_MAGIC) || Number(head.readBigUInt64LE(8)) !== buckets) {
    throw new Error(`${idxPath}: not a scatter index of ${buckets} buckets (rerun the tokenize step)`);
  }
  const e = await readByteRange(run, idxPath, SCATTER_HEAD + 16 * b, SCATTER_HEAD + 16 * (b + 2));
  const [d0, t0, d1, t1] = [0, 8, 16, 24].map((o) => Number(e.readBigUInt64LE(o))) as [number, number, number, number];
  const lenAt = SCATTER_HEAD + 16 * (buckets + 1);
  const l = await readByteRange(run, idxPath, lenAt + 4 * d0, lenAt + 4 * d1);
  const lengths = new Int32Array(d1 - d0);
  for (let i = 0; i < lengths.length; i++) lengths[i] = l.readInt32LE(4 * i);
  return { lengths, tokens: await readByteRange(run, binPath, width * t0, width * t1) };
}

/** Writes one shard pair (ids + .idx) and its facts for the manifest. */
async function writeShardPair(run: Storage, opts: TokenizeOptions, partsDir: string, rank: number, source: string, dtype: TokenDType, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, lengths: ArrayLike<number>): Promise<TokenShardFacts> {
  const prefix = `part-${pad(rank)}`;
  const bin = await run.create(`${opts.dir}/${prefix}.bin`);
  const binHash = createHash('sha256');
  let binBytes = 0;
  try {
    for await (const chunk of chunks) {
      binHash.update(chunk);
      binBytes += chunk.byteLength;
      await bin.write(chunk);
    }
    await bin.commit();
  } catch (e) {
    await bin.abort();
    throw e;
  }
  const idx = encodeIndex(lengths, dtype);
  await run.writeAll(`${opts.dir}/${prefix}.idx`, idx);
  let tokens = 0;
  for (let i = 0; i < lengths.length; i++) tokens += lengths[i]!;
  const facts: TokenShardFacts = { prefix, source, documents: lengths.length, tokens, bin_bytes: binBytes, bin_sha256: binHash.digest('hex'), idx_sha256: sha256(idx) };
  await run.writeAll(`${partsDir}/${pad(rank)}.json`, JSON.stringify(facts));
  return facts;
}

/** Buckets of a shuffle: `shuffle_buckets`, or one per input shard. */
async function bucketCount(ctx: PassContext & { options: TokenizeOptions }): Promise<number> {
  return ctx.options.shuffle_buckets || (await inputShardFiles(ctx.run, ctx.input)).length;
}

/** The passes of the step; `name` is the bookkeeping folder (`refinery tokenize` picks its own). */
export function tokenizePasses(name = 'tokenize', requireLast = true): CorpusPass<TokenizeOptions>[] {
  const partsDir = `${name}/parts`;
  const scatterDir = `${name}/scatter`;
  const shards: CorpusPass<TokenizeOptions> = {
    name,
    writesDocs: false,
    async plan(ctx) {
      const passes = (ctx.runConfig.passes as { name: string }[] | undefined) ?? [];
      if (requireLast && passes[passes.length - 1]?.name !== 'tokenize') {
        throw new RefineryError('ERR_CONFIG', 'passes: tokenize must be the last pass (it tokenizes the documents the final shards hold)');
      }
      tokenizerOf(ctx.options); // a bad tokenizer fails here, before any task starts
      return (await inputShardFiles(ctx.run, ctx.input)).length;
    },
    // Shard `rank` tokenized: written as shard pair `rank`, or (shuffle) scattered to buckets.
    async run(rank, ctx) {
      const t0 = performance.now();
      const opts = ctx.options;
      const input = (await inputShardFiles(ctx.run, ctx.input))[rank];
      if (!input) throw new Error(`${name} task ${rank}: no input shard ${rank} in ${ctx.input}/data`);
      const tok = tokenizerOf(opts);
      const dtype = dtypeFor(tok.vocabSize);
      const width = DTYPE[dtype].bytes as 2 | 4;
      const stats = emptyStageStats();
      const lengths: number[] = [];
      let tokens = 0;
      async function* encoded(): AsyncGenerator<Uint8Array> {
        let batch: Uint8Array[] = [];
        const encode = (texts: Uint8Array[]) => {
          const enc = tok.encodeDocs(texts, width);
          stats.docsIn += texts.length;
          stats.charsIn += enc.units;
          tokens += enc.tokens.length;
          for (const n of enc.lengths) lengths.push(n);
          return enc;
        };
        // The text as UTF-8 bytes straight from the decompressed pages: no JS string per document.
        for await (const row of readParquetRows(storageParquet(ctx.run, input!.path, input!.size), { columns: ['content'], textAsBytes: true })) {
          batch.push(row.content instanceof Uint8Array ? row.content : EMPTY);
          if (batch.length === BATCH_DOCS) {
            yield bytesOf(encode(batch).tokens);
            batch = [];
          }
        }
        if (batch.length) yield bytesOf(encode(batch).tokens);
      }
      if (!opts.shuffle) {
        await writeShardPair(ctx.run, opts, partsDir, rank, input.path, dtype, encoded(), lengths);
      } else {
        // The shard's ids are held until they are grouped by bucket (one shard's tokens).
        const batches: Uint8Array[] = [];
        for await (const b of encoded()) batches.push(b);
        await scatter(ctx, rank, width, batches, lengths);
      }
      stats.docsOut = stats.docsIn;
      stats.charsOut = stats.charsIn;
      stats.ms = performance.now() - t0;
      stats.events.tokens = tokens;
      const out: TaskStats = { pass: name, rank, input: input.path, stages: [{ name: 'tokenize', stats }], docsWritten: 0, tokensWritten: tokens, retries: {}, ms: stats.ms };
      return out;
    },
  };

  /** Shard `rank`'s documents (the ids of its batches, in order, and their lengths) grouped by bucket into its scatter file. */
  async function scatter(ctx: PassContext & { options: TokenizeOptions }, rank: number, width: 2 | 4, batches: Uint8Array[], lengths: number[]): Promise<void> {
    const buckets = await bucketCount(ctx);
    const n = lengths.length;
    const bucket = new Uint32Array(n);
    const docsIn = new Float64Array(buckets + 1);
    const tokensIn = new Float64Array(buckets + 1);
    for (let i = 0; i < n; i++) {
      bucket[i] = bucketOf(ctx.options.seed, rank, i, buckets);
      docsIn[bucket[i]! + 1]! += 1;
      tokensIn[bucket[i]! + 1]! += lengths[i]!;
    }
    for (let b = 0; b < buckets; b++) {
      docsIn[b + 1]! += docsIn[b]!;
      tokensIn[b + 1]! += tokensIn[b]!;
    }
    // Each document's ids copied to its bucket's next place; its length likewise.
    const all = new Uint8Array(width * tokensIn[buckets]!);
    const grouped = new Int32Array(n);
    const docAt = Float64Array.from(docsIn.subarray(0, buckets));
    const byteAt = Float64Array.from(tokensIn.subarray(0, buckets), (t) => t * width);
    let doc = 0;
    for (const ids of batches) {
      for (let at = 0; at < ids.byteLength; doc++) {
        const bytes = lengths[doc]! * width;
        const b = bucket[doc]!;
        all.set(ids.subarray(at, at + bytes), byteAt[b]!);
        grouped[docAt[b]!] = lengths[doc]!;
        byteAt[b]! += bytes;
        docAt[b]! += 1;
        at += bytes;
      }
    }
    const starts = Array.from({ length: buckets + 1 }, (_, b) => ({ docs: docsIn[b]!, tokens: tokensIn[b]! }));
    // The .bin first: a scatter file counts once its .idx exists.
    await ctx.run.writeAll(`${scatterDir}/${pad(rank)}.bin`, all);
    await ctx.run.writeAll(`${scatterDir}/${pad(rank)}.idx`, scatterIndex(starts, grouped));
  }

  // Shuffle, step 2: bucket `rank` of every scatter file, permuted, as shard pair `rank`.
  const gather: CorpusPass<TokenizeOptions> = {
    name: `${name}_shuffle`,
    writesDocs: false,
    plan: async (ctx) => (ctx.options.shuffle ? bucketCount(ctx) : 0),
    async run(rank, ctx) {
      const t0 = performance.now();
      const opts = ctx.options;
      const tok = tokenizerOf(opts);
      const dtype = dtypeFor(tok.vocabSize);
      const width = DTYPE[dtype].bytes;
      const buckets = await bucketCount(ctx);
      const shards = (await inputShardFiles(ctx.run, ctx.input)).length;
      const docs: Uint8Array[] = [];
      for (let r = 0; r < shards; r++) {
        const { lengths, tokens } = await readBucket(ctx.run, `${scatterDir}/${pad(r)}.idx`, `${scatterDir}/${pad(r)}.bin`, rank, buckets, width);
        let at = 0;
        for (const len of lengths) {
          docs.push(tokens.subarray(at, at + len * width));
          at += len * width;
        }
      }
      const order = permutation(docs.length, `${opts.seed}:bucket:${rank}`);
      const lengths = Array.from(order, (i) => docs[i]!.byteLength / width);
      const facts = await writeShardPair(ctx.run, opts, partsDir, rank, `shuffle bucket ${rank} of ${buckets}`, dtype, Array.from(order, (i) => docs[i]!), lengths);
      const ms = performance.now() - t0;
      return { pass: `${name}_shuffle`, rank, stages: [], docsWritten: 0, tokensWritten: facts.tokens, retries: {}, ms };
    },
  };

  const manifest: CorpusPass<TokenizeOptions> = {
    name: `${name}_manifest`,
    writesDocs: false,
    plan: async () => 1,
    async run(rank, ctx: PassContext & { options: TokenizeOptions }) {
      const t0 = performance.now();
      const tok = tokenizerOf(ctx.options);
      const files: TokenShardFacts[] = [];
      for (const f of await ctx.run.list(partsDir)) files.push(JSON.parse((await ctx.run.readAll(f.path)).toString('utf8')) as TokenShardFacts);
      const m: TokensManifest = {
        format: 'megatron-indexed-dataset',
        tokenizer: { name: ctx.options.tokenizer, sha256: tok.fingerprint, vocab_size: tok.vocabSize, end_of_text: { id: tok.endOfText, token: tok.endOfTextName } },
        dtype: dtypeFor(tok.vocabSize),
        shuffle: ctx.options.shuffle ? { seed: ctx.options.seed, buckets: files.length } : null,
        files,
        documents: files.reduce((a, f) => a + f.documents, 0),
        tokens: files.reduce((a, f) => a + f.tokens, 0),
      };
      await ctx.run.writeAll(`${ctx.options.dir}/manifest.json`, JSON.stringify(m, null, 1) + '\n');
      return { pass: `${name}_manifest`, rank, stages: [], docsWritten: 0, tokensWritten: 0, retries: {}, ms: performance.now() - t0 };
    },
  };
  return [shards, gather, manifest];
}

export const tokenize: CorpusStep<TokenizeOptions> = {
  name: 'tokenize',
  description: 'the kept corpus as token ids in Megatron-LM indexed dataset shards (.bin/.idx, uint16 or int32) with tokens/manifest.json; GPT-2 or a Hugging Face tokenizer.json',
  defaults: TOKENIZE_DEFAULTS,
  ranges: { shuffle_buckets: int(0, 1_000_000), seed: int(0, 2 ** 32 - 1) },
  passes: tokenizePasses(),
};

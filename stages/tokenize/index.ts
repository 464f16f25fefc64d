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
 * Shuffle (`shuffle_window > 0`): documents are permuted within consecutive windows of that
 * many documents of a shard, by a generator seeded with (seed, rank, window). Memory stays one
 * window of token ids; the result depends only on the shard and the options, so it is the
 * same for any number of workers. Why not across shards: Megatron, NeMo and NeoX already build
 * a seeded global shuffle of documents and samples over all shards at load time; what a
 * shard's own order can still spoil is a sequential reader, whose neighbouring documents
 * would come from the same site and crawl segment; a window breaks those runs up without a
 * corpus-wide exchange (which would need a scatter pass and every task reading every shard).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { CorpusPass, CorpusStep, PassContext } from '../../src/pass.js';
import { inputShardFiles } from '../../src/pass-io.js';
import { readParquetRows, storageParquet } from '../../src/formats/parquet.js';
import { pad } from '../../src/run-dir.js';
import { emptyStageStats, type TaskStats } from '../../src/stats.js';
import { RefineryError } from '../../src/errors.js';
import { seededRandom } from '../../src/random.js';
import { int } from '../../src/options.js';
import { openTextTokenizer, type TextTokenizer } from '../../src/tokenizer/text-tokenizer.js';
import { DTYPE, dtypeFor, encodeIndex, type TokenDType } from './megatron.js';

export interface TokenizeOptions {
  /** `gpt2`, or the path of a Hugging Face tokenizer.json (byte-level BPE). */
  tokenizer: string;
  /** The token that ends each document; empty: the tokenizer's end-of-text token. */
  end_token: string;
  /** Folder of the run directory for the shards and manifest.json. */
  dir: string;
  /** 0: corpus order; N: documents shuffled within windows of N documents of a shard. */
  shuffle_window: number;
  seed: number;
}

export const TOKENIZE_DEFAULTS: TokenizeOptions = { tokenizer: 'gpt2', end_token: '', dir: 'tokens', shuffle_window: 0, seed: 0 };

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
  shuffle: { window: number; seed: number } | null;
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

/** Fisher-Yates with the seeded generator: the order documents of one window are written in. */
function windowOrder(n: number, seed: number, rank: number, window: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const h = createHash('sha256').update(`${seed}:${rank}:${window}`).digest();
  const random = seededRandom(h.readUInt32LE(0));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The two passes of the step; `name` is the bookkeeping folder (`refinery tokenize` picks its own). */
export function tokenizePasses(name = 'tokenize', requireLast = true): [CorpusPass<TokenizeOptions>, CorpusPass<TokenizeOptions>] {
  const partsDir = `${name}/parts`;
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
    async run(rank, ctx) {
      const t0 = performance.now();
      const opts = ctx.options;
      const input = (await inputShardFiles(ctx.run, ctx.input))[rank];
      if (!input) throw new Error(`${name} task ${rank}: no input shard ${rank} in ${ctx.input}/data`);
      const tok = tokenizerOf(opts);
      const dtype = dtypeFor(tok.vocabSize);
      const width = DTYPE[dtype].bytes as 2 | 4;
      const prefix = `part-${pad(rank)}`;
      const binPath = `${opts.dir}/${prefix}.bin`;
      const bin = await ctx.run.create(binPath);
      const binHash = createHash('sha256');
      const lengths: number[] = [];
      const stats = emptyStageStats();
      let tokens = 0;
      let binBytes = 0;
      const write = async (chunk: Uint8Array) => {
        binHash.update(chunk);
        binBytes += chunk.byteLength;
        await bin.write(chunk); // every chunk is a fresh array, never reused
      };
      // Shuffle: documents (views into their batch's ids) held until a window is full.
      let held: (Uint16Array | Uint32Array)[] = [];
      let window = 0;
      const flushWindow = async (n: number) => {
        if (!n) return;
        const docs = held.slice(0, n);
        held = held.slice(n);
        const order = windowOrder(n, opts.seed, rank, window++);
        const out = width === 2 ? new Uint16Array(docs.reduce((a, d) => a + d.length, 0)) : new Uint32Array(docs.reduce((a, d) => a + d.length, 0));
        let at = 0;
        for (const i of order) {
          out.set(docs[i]!, at);
          at += docs[i]!.length;
          lengths.push(docs[i]!.length);
        }
        await write(bytesOf(out));
      };
      const encodeBatch = async (texts: Uint8Array[]) => {
        const enc = tok.encodeDocs(texts, width);
        stats.docsIn += texts.length;
        stats.charsIn += enc.units;
        tokens += enc.tokens.length;
        if (opts.shuffle_window > 0) {
          let at = 0;
          for (const n of enc.lengths) {
            held.push(enc.tokens.subarray(at, at + n));
            at += n;
          }
          while (held.length >= opts.shuffle_window) await flushWindow(opts.shuffle_window);
        } else {
          for (const n of enc.lengths) lengths.push(n);
          await write(bytesOf(enc.tokens));
        }
      };
      try {
        let batch: Uint8Array[] = [];
        // The text as UTF-8 bytes straight from the decompressed pages: no JS string per document.
        for await (const row of readParquetRows(storageParquet(ctx.run, input.path, input.size), { columns: ['content'], textAsBytes: true })) {
          batch.push(row.content instanceof Uint8Array ? row.content : EMPTY);
          if (batch.length === BATCH_DOCS) {
            await encodeBatch(batch);
            batch = [];
          }
        }
        if (batch.length) await encodeBatch(batch);
        await flushWindow(held.length);
        await bin.commit();
      } catch (e) {
        await bin.abort();
        throw e;
      }
      const idx = encodeIndex(lengths, dtype);
      await ctx.run.writeAll(`${opts.dir}/${prefix}.idx`, idx);
      const facts: TokenShardFacts = {
        prefix,
        source: input.path,
        documents: lengths.length,
        tokens,
        bin_bytes: binBytes,
        bin_sha256: binHash.digest('hex'),
        idx_sha256: sha256(idx),
      };
      await ctx.run.writeAll(`${partsDir}/${pad(rank)}.json`, JSON.stringify(facts));
      stats.docsOut = stats.docsIn;
      stats.charsOut = stats.charsIn;
      stats.ms = performance.now() - t0;
      stats.events.tokens = tokens;
      const out: TaskStats = { pass: name, rank, input: input.path, stages: [{ name: 'tokenize', stats }], docsWritten: 0, tokensWritten: tokens, retries: {}, ms: stats.ms };
      return out;
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
        shuffle: ctx.options.shuffle_window > 0 ? { window: ctx.options.shuffle_window, seed: ctx.options.seed } : null,
        files,
        documents: files.reduce((a, f) => a + f.documents, 0),
        tokens: files.reduce((a, f) => a + f.tokens, 0),
      };
      await ctx.run.writeAll(`${ctx.options.dir}/manifest.json`, JSON.stringify(m, null, 1) + '\n');
      return { pass: `${name}_manifest`, rank, stages: [], docsWritten: 0, tokensWritten: 0, retries: {}, ms: performance.now() - t0 };
    },
  };
  return [shards, manifest];
}

export const tokenize: CorpusStep<TokenizeOptions> = {
  name: 'tokenize',
  description: 'the kept corpus as token ids in Megatron-LM indexed dataset shards (.bin/.idx, uint16 or int32) with tokens/manifest.json; GPT-2 or a Hugging Face tokenizer.json',
  defaults: TOKENIZE_DEFAULTS,
  ranges: { shuffle_window: int(0, 100_000_000), seed: int(0, 2 ** 32 - 1) },
  passes: tokenizePasses(),
};

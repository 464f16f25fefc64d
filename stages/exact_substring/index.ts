/**
 * Exact-substring dedup (spec §8; RW 3.3 / G.3.2; Lee et al. 2022 "ExactSubstr"): remove every
 * span of >= `min_tokens` (k) consecutive GPT-2 tokens that occurs more than once in the corpus.
 *
 * Why windows: a span of L >= k tokens occurs twice iff each of its k-token windows does, so
 * the tokens inside duplicated spans are exactly the union of the k-token windows occurring at
 * two or more positions (also two overlapping positions, also inside one document): what one
 * suffix array over the corpus gives. Found here by winnowing (Schleimer, Wilkerson & Aiken,
 * SIGMOD 2003) and exact verification, in three passes:
 *
 *  1. `exact_substring_index` (task per input shard): tokenize the text column; write the
 *     token file (per-document token counts, ids as u16 when they fit, each token's UTF-16
 *     offset step from the previous one as u8); hash every q-token gram (q = gramTokens(k))
 *     and pick the rightmost minimum in every run of w = k - q + 1 grams (native/src/winnow.cc).
 *     The pick of a k-token window depends on its tokens alone, so both copies of a duplicated
 *     window hold a pick of the same gram hash at the same offset. Picks (hash, position) go to
 *     a bucket file by hash range.
 *  2. `exact_substring_match` (task per bucket): picks whose gram hash occurs twice or more
 *     form groups; each member's context (w - 1 tokens each side of its gram, clipped to its
 *     document) is read from the token files (ranged reads, or the whole ids column when that
 *     is cheaper); when a bucket has more members than a task holds (`batch_members`), every
 *     context is first gathered in one pass over the shards into a local file per batch. For every offset j of a k-window around the pick, the members' window
 *     fingerprints are sorted and each class of equal ones is verified token by token against
 *     its first member: a hash is never trusted (members that differ are compared among
 *     themselves; the match task counts such fingerprint_collisions). Work per member O(w log m)
 *     plus one comparison of 2k - q tokens per (member, class representative), so a gram with
 *     thousands of occurrences (periodic text) is not quadratic. Writes each member's verified
 *     span, merged, per shard.
 *  3. `exact_substring` (task per shard): the spans of all buckets, merged; mapped to
 *     characters through the stored offset steps (no second tokenization); cut (or the
 *     document dropped, per `mode`).
 *
 * Written per token (bench/exact-substring, 20 MB of the bench WARC's text): pass 1 ~3.6 B
 * (2 B ids + 1 B offset steps + 12 B per pick at density ~2/(w+1) = 0.054), pass 2 ~0.01 B
 * (8 B per merged span). On a run of one repeated gram every position is a pick (12 B/token
 * there): picks are at most one per token.
 * Memory per task: pass 1 the shard's ids and offset steps (built in their file widths, ~3 B
 * per GPT-2 token, twice that while a column doubles; one row group's batch at 8 B/token) and
 * its picks (12 B each), documents streamed; pass 2 one bucket's picks (~24 B each with their
 * shard, sort order and groups) and at most `batch_members` contexts at once (~4 (2k - q) + 8 w B each: ~0.7 KB; a
 * larger group is read alone) plus one buffer for a shard's ids (reused shard after shard) and
 * every shard's document lengths (4 B per document); pass 3 the
 * shard's offset steps (1 B/token), document lengths and spans, documents streamed in and out
 * a row group at a time.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fraction, int, oneOf, type OptionRanges } from '../../src/options.js';
import type { CorpusPass, CorpusStep } from '../../src/pass.js';
import type { Storage } from '../../src/storage/storage.js';
import type { Doc } from '../../src/doc.js';
import { encodeBatchWithOffsets, takesBytes, type Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { encodeDocsWithOffsets, encodeWithOffsets } from '../../src/tokenizer/gpt2.js';
import { dropFor } from '../../src/stage.js';
import { RefineryError } from '../../src/errors.js';
import { addToHistogram, emptyStageStats, FRACTION_EDGES, newHistogram } from '../../src/stats.js';
import { auxTaskStats, fileNumber, inputShardFiles, inputShards, shardDocs, taskDocsWriter } from '../../src/pass-io.js';
import type { ObjectInfo } from '../../src/storage/storage.js';
import { openParquet, readParquetRange, storageParquet } from '../../src/formats/parquet.js';
import { pad } from '../../src/run-dir.js';
import { decodeColumns, encodeColumns, readColumnLayout, readSlice } from './columns.js';
import type { ColumnType } from './columns.js';
import { winnowKernels } from './native.js';
import { cutRanges, rangesLength, tokenRangesToChars } from './spans.js';
import type { Range } from './spans.js';

export interface ExactSubstringConfig {
  /** Shortest duplicated span removed, in tokens (Lee et al. / RW: 50). */
  min_tokens: number;
  /** `cut` (remove every copy of each span), `droppartial` (drop the doc above `max_dup_fraction`), `dropany`. */
  mode: string;
  /** CUT: drop a document left with fewer characters than this (RW: 20). */
  min_chars_left: number;
  /** DROPPARTIAL: drop a document whose duplicated character fraction exceeds this (RW: 0.2). */
  max_dup_fraction: number;
  /**
   * Hash buckets of the match pass (its tasks); 0: one per AUTO_BUCKET_BYTES of input Parquet
   * (every match task reads the token files of every shard, so fewer buckets read less).
   */
  buckets: number;
  /**
   * Group members whose contexts a match task holds at once (~0.7 KB each at k = 50; a larger
   * group is held alone). When a bucket has more, its contexts are first gathered in one pass
   * over the shards into a local temporary file per batch, so the token files are read once.
   */
  batch_members: number;
  /** Write the removed spans to `exact_substring/spans/<rank>.jsonl` for inspection. */
  write_spans: boolean;
  /** Seed of the gram and window fingerprints (collisions are resolved by token comparison; another seed only changes which picks are taken). */
  hash_seed: number;
}

export const defaults: ExactSubstringConfig = {
  min_tokens: 50,
  mode: 'cut',
  min_chars_left: 20,
  max_dup_fraction: 0.2,
  buckets: 0,
  batch_members: 1 << 17,
  write_spans: false,
  hash_seed: 0,
};

const MODES = ['cut', 'droppartial', 'dropany'];

export const ranges: OptionRanges<ExactSubstringConfig> = {
  min_tokens: int(1),
  mode: oneOf(...MODES),
  min_chars_left: int(0),
  max_dup_fraction: fraction(),
  buckets: int(0, 65536),
  batch_members: int(1),
  hash_seed: int(0),
};
const P = {
  index: 'exact_substring_index',
  match: 'exact_substring_match',
  apply: 'exact_substring',
};



/**
 * Tokens per winnowing gram q for windows of k tokens (w = k - q + 1 grams per window, so
 * q + w - 1 = k). A longer gram makes chance matches of common phrases rarer (fewer groups to
 * verify); a shorter one a wider winnowing window (density ~2/(w+1)): k/4 keeps both small.
 */
export function gramTokens(k: number): number {
  return Math.max(1, Math.ceil(k / 4));
}

function checkOptions(o: ExactSubstringConfig): void {
  if (!MODES.includes(o.mode.toLowerCase())) throw new RefineryError('ERR_CONFIG', `exact_substring.mode: expected one of ${MODES.join(', ')}, got ${JSON.stringify(o.mode)}`);
  if (!(o.min_tokens >= 1 && Number.isInteger(o.min_tokens))) throw new RefineryError('ERR_CONFIG', 'exact_substring.min_tokens: expected a positive integer');
  if (!(o.buckets >= 0 && o.buckets <= 65536 && Number.isInteger(o.buckets))) throw new RefineryError('ERR_CONFIG', 'exact_substring.buckets: expected an integer in [0, 65536] (0: by the input size)');
}

/**
 * Input Parquet per match bucket when `buckets` is 0. A match task holds its bucket's picks,
 * ~24 B each at ~0.054 per token, and Parquet holds ~1.2 B per token (text ~3.4 B/token, zstd
 * ~3x, plus the other columns): ~1.1 B of picks per input byte, so ~0.3 GB here. A task per
 * bucket reads every shard's token ids (whole where they are dense), so more buckets than
 * memory needs multiply the reads (docs/scaling.md, 10 GB run: 16 buckets read 44.5 B/token).
 */
export const AUTO_BUCKET_BYTES = 256 << 20;

/** Buckets of a run: as configured, or by the input's size (the same in the index and match passes: the same listing). */
export function bucketCount(o: ExactSubstringConfig, shards: ObjectInfo[]): number {
  if (o.buckets > 0) return o.buckets;
  const bytes = shards.reduce((a, f) => a + f.size, 0);
  return Math.min(65536, Math.max(1, Math.ceil(bytes / AUTO_BUCKET_BYTES)));
}

// ---- token file of a shard: per-document token counts, the ids, the offset steps ------------

const tokensPath = (rank: number) => `${P.index}/tokens/${pad(rank)}.bin`;

async function readAllColumns(run: Storage, folder: string, types: ColumnType[]) {
  const out: { rank: number; cols: ReturnType<typeof decodeColumns> }[] = [];
  for (const f of await run.list(folder)) {
    if (!f.path.endsWith('.bin')) continue;
    out.push({ rank: fileNumber(f.path), cols: decodeColumns(await run.readAll(f.path), types, f.path) });
  }
  return out;
}

function concatU32(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concatU64(parts: BigUint64Array[]): BigUint64Array {
  const out = new BigUint64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- pass 1: tokenize, winnow, picks to buckets -----------------------------------------------

/**
 * An unsigned column that grows by doubling, kept in the narrowest of u8/u16/u32 that holds every
 * value so far (GPT-2 ids: u16, offset steps: u8), so a shard's token columns are built in their
 * file widths without a u32 copy of each.
 */
class ColumnBuilder {
  private buf: Uint8Array | Uint16Array | Uint32Array;
  length = 0;
  constructor(minBytes: 1 | 4 = 1) {
    this.buf = minBytes === 4 ? new Uint32Array(1 << 12) : new Uint8Array(1 << 16);
  }
  /** Append values; `narrowest`: the values' own width is already the narrowest that holds them (no scan). */
  push(values: ArrayLike<number> & { BYTES_PER_ELEMENT?: number }, narrowest = false): void {
    let bytes = narrowest ? values.BYTES_PER_ELEMENT! : 0;
    if (!bytes) {
      let max = 0;
      for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
      bytes = max < 256 ? 1 : max < 65536 ? 2 : 4;
    }
    const need = this.length + values.length;
    if (bytes > this.buf.BYTES_PER_ELEMENT || need > this.buf.length) {
      const width = Math.max(bytes, this.buf.BYTES_PER_ELEMENT);
      const size = need > this.buf.length ? Math.max(2 * this.buf.length, need) : this.buf.length;
      const grown = width === 1 ? new Uint8Array(size) : width === 2 ? new Uint16Array(size) : new Uint32Array(size);
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(values, this.length);
    this.length = need;
  }
  /** The values (a view: the caller copies them out). */
  view(): Uint8Array | Uint16Array | Uint32Array {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * The shard's tokens, a row group of documents at a time (ids and offset steps in their file
 * widths: ~3 B per GPT-2 token). Text is read as UTF-8 bytes when the tokenizer takes them.
 */
async function tokenizeShard(run: Storage, shard: ObjectInfo, tok: Tokenizer) {
  const tokenize = emptyStageStats();
  const docLengths = new ColumnBuilder(4);
  const ids = new ColumnBuilder();
  const steps = new ColumnBuilder();
  let ms = 0;
  const p = await openParquet(storageParquet(run, shard.path, shard.size));
  const bytes = takesBytes(tok);
  for (const g of p.rowGroups) {
    // The text column alone: the other columns are read (and written) by the apply pass.
    const rows = await readParquetRange(p, g.firstRow, g.firstRow + g.rows, ['content'], bytes);
    const texts = rows.map((r) => (typeof r.content === 'string' || r.content instanceof Uint8Array ? r.content : String(r.content ?? '')));
    const t0 = performance.now();
    const e = encodeBatchWithOffsets(tok, texts);
    ms += performance.now() - t0;
    // Each token's UTF-16 offset as the step from the previous token's (the first: from 0),
    // so the apply pass maps tokens to characters without tokenizing again; ids and steps
    // narrowed natively (GPT-2: u16 ids, u8 steps).
    const lengths = e.lengths instanceof Int32Array || e.lengths instanceof Uint32Array ? e.lengths : Uint32Array.from(e.lengths);
    const cols = winnowKernels().tokenColumns(e.tokens, e.offsets, lengths);
    docLengths.push(lengths);
    ids.push(cols.ids, true);
    steps.push(cols.steps, true);
    tokenize.docsIn += texts.length;
    tokenize.charsIn += e.units;
  }
  tokenize.docsOut = tokenize.docsIn;
  tokenize.charsOut = tokenize.charsIn;
  tokenize.ms = ms;
  return { docLengths: docLengths.view() as Uint32Array, ids: ids.view(), steps: steps.view(), tokenize };
}

function indexPass(tokenizer: () => Tokenizer): CorpusPass<ExactSubstringConfig> {
  return {
    name: P.index,
    writesDocs: false,
    async plan(ctx) {
      checkOptions(ctx.options);
      return (await inputShards(ctx.run, ctx.input)).length;
    },
    async run(rank, ctx) {
      const t0 = performance.now();
      const { options: o, run } = ctx;
      const shardFiles = await inputShardFiles(run, ctx.input);
      const buckets = bucketCount(o, shardFiles);
      const shardFile = shardFiles[rank]!;
      const shard = shardFile.path;
      const { docLengths, ids, steps, tokenize } = await tokenizeShard(run, shardFile, tokenizer());
      // GPT-2's 50,257 ids fit 16 bits and offset steps 8: ~3 B per token on disk.
      await run.writeAll(tokensPath(rank), encodeColumns([docLengths, ids, steps]));
      const picks = winnowKernels().winnowPicks(ids, docLengths, o.min_tokens, gramTokens(o.min_tokens), buckets, o.hash_seed);
      for (let b = 0; b < buckets; b++) {
        const [i, j] = [picks.bucketStarts[b]!, picks.bucketStarts[b + 1]!];
        await run.writeAll(`${P.index}/picks/${pad(b)}/${pad(rank)}.bin`, encodeColumns([picks.hash.subarray(i, j), picks.pos.subarray(i, j)]));
      }
      ctx.log(`${shard}: ${docLengths.length} docs, ${ids.length} tokens, ${picks.pos.length} picks`);
      const stats = auxTaskStats(P.index, rank, performance.now() - t0, shard);
      stats.stages.push({ name: 'gpt2_tokenize', stats: tokenize });
      stats.tokensWritten = ids.length;
      return stats;
    },
  };
}

// ---- pass 2: picks of one gram hash in two or more places -> verified duplicated spans ----

/** What one ranged read costs, in tokens of reading (local disk: ~0.05 ms, ~64 KB; S3 more). */
const READ_COST = 1 << 15;
/** Read through gaps up to this (tokens) rather than issue another ranged read: by the cost above, cheaper. */
const READ_GAP = READ_COST;

/** A shard's token file (document lengths, token ids, offset steps), read by columns and ranges. */
async function tokenFile(run: Storage, rank: number) {
  const path = tokensPath(rank);
  const layout = await readColumnLayout(run, path);
  if (layout.sizes.length !== 3 || layout.sizes[0] !== 4 || layout.lengths[1] !== layout.lengths[2]) {
    throw new RefineryError('ERR_CORRUPT', 'exact-substring token file: expected (u32 document lengths, ids, offset steps)', { file: path });
  }
  return {
    path,
    tokens: layout.lengths[1]!,
    /** Bytes of the whole ids column. */
    idsBytes: layout.lengths[1]! * layout.sizes[1]!,
    docLengths: async () => (await readSlice(run, path, layout, 0, 0, layout.lengths[0]!)) as Uint32Array,
    /** Ids [start, end), read into `into` when given (a buffer reused across shards). */
    ids: (start: number, end: number, into?: Uint8Array) => readSlice(run, path, layout, 1, start, end, into),
    steps: () => readSlice(run, path, layout, 2, 0, layout.lengths[2]!),
  };
}

/** A shard's token file as a match task uses it: opened once per task, its document lengths read once. */
interface ShardTokens {
  file: Awaited<ReturnType<typeof tokenFile>>;
  lens: Uint32Array;
}

/** Window geometry at k tokens: q-token grams, w grams per window, S tokens of context per pick. */
function geometry(k: number) {
  const q = gramTokens(k);
  const w = k - q + 1;
  return { k, q, w, S: 2 * (w - 1) + q };
}
type Geometry = ReturnType<typeof geometry>;

/**
 * Indices of `records` sorted by record (their shard, then position: records are concatenated
 * shard by shard in position order), ties by index.
 */
function recordOrder(records: Uint32Array): Uint32Array {
  const m = records.length;
  const keyed = new Float64Array(m);
  // Exact while picks x members < 2^53 (~95M of each; an auto-sized bucket holds ~7M picks).
  for (let x = 0; x < m; x++) keyed[x] = records[x]! * m + x;
  keyed.sort();
  const order = new Uint32Array(m);
  for (let x = 0; x < m; x++) order[x] = keyed[x]! % m;
  return order;
}

/**
 * The contexts of one batch of group members (x indexes the batch): each member's tokens in
 * its document, up to w - 1 before its gram and w - 1 + q from it, read shard by shard in
 * position order (the document bounds clip them; nearby ones share a ranged read).
 *
 * The pass is split into plain functions like this one on purpose: one large async `run`
 * was deoptimized at every task and recompiled by TurboFan (OSR, 40-90 ms a task on a
 * background thread: as much CPU as the pass's own work on the bench).
 */
async function batchContexts(g: Geometry, batch: Uint32Array, rankOf: Uint32Array, pos: Uint32Array, shardTokens: (r: number) => Promise<ShardTokens>, scratch: { buf: Uint8Array }) {
  const { q, w, S } = g;
  const m = batch.length;
  const context = new Uint32Array(m * S);
  const left = new Uint32Array(m);
  const right = new Uint32Array(m);
  const order = recordOrder(batch);
  const pick = new Uint32Array(m);
  for (let x = 0; x < m; x++) pick[x] = pos[batch[x]!]!;
  const kernels = winnowKernels();
  for (let i = 0; i < m; ) {
    const r = rankOf[batch[order[i]!]!]!;
    let j = i;
    while (j < m && rankOf[batch[order[j]!]!] === r) j++;
    const { file, lens } = await shardTokens(r);
    clipToDocuments(order, i, j, pick, lens, w, q, left, right, file.path);
    const runs = readRuns(order, i, j, pick, left, right);
    let covered = 0;
    for (let u = 0; u < runs.length; u += 4) covered += runs[u + 3]! - runs[u + 2]!;
    let whole: Uint8Array | Uint16Array | Uint32Array | undefined;
    if (covered + (runs.length / 4) * READ_COST >= file.tokens) {
      // Not zeroed: the read fills it, or fails (a short read is ERR_CORRUPT).
      if (scratch.buf.length < file.idsBytes) scratch.buf = Buffer.allocUnsafeSlow(file.idsBytes);
      whole = await file.ids(0, file.tokens, scratch.buf);
    }
    for (let u = 0; u < runs.length; u += 4) {
      const start = runs[u + 2]!;
      const ids = whole ?? (await file.ids(start, runs[u + 3]!));
      kernels.gatherContexts(context, S, w, ids, whole ? 0 : start, order.subarray(runs[u]!, runs[u + 1]!), pick, left, right);
    }
    i = j;
  }
  return { context, left, right, pick };
}

/** left/right of members order[i..j) (one shard, position order): their context clipped to their document. */
function clipToDocuments(order: Uint32Array, i: number, j: number, pick: Uint32Array, lens: Uint32Array, w: number, q: number, left: Uint32Array, right: Uint32Array, path: string): void {
  let d = 0;
  let docStart = 0;
  for (let a = i; a < j; a++) {
    const x = order[a]!;
    const p = pick[x]!;
    while (d < lens.length && docStart + lens[d]! <= p) docStart += lens[d++]!;
    if (d === lens.length) throw new RefineryError('ERR_CORRUPT', `exact-substring pick at token ${p} is past the shard's tokens`, { file: path });
    left[x] = Math.min(w - 1, p - docStart);
    right[x] = Math.min(w - 1 + q, docStart + lens[d]! - p);
  }
}

/**
 * Runs of nearby contexts of members order[i..j), each one ranged read (gaps up to READ_GAP
 * read through), flat: (first member, end member, first token, end token) per run.
 */
function readRuns(order: Uint32Array, i: number, j: number, pick: Uint32Array, left: Uint32Array, right: Uint32Array): number[] {
  const runs: number[] = [];
  for (let a = i; a < j; ) {
    const start = pick[order[a]!]! - left[order[a]!]!;
    let end = start;
    let b = a;
    for (; b < j; b++) {
      const x = order[b]!;
      if (pick[x]! - left[x]! > end + READ_GAP) break;
      end = Math.max(end, pick[x]! + right[x]!);
    }
    runs.push(a, b, start, end);
    a = b;
  }
  return runs;
}

/** One bucket's picks of every shard, concatenated shard by shard: gram hash, shard, position. */
async function bucketPicks(run: Storage, bucket: number) {
  const files = await readAllColumns(run, `${P.index}/picks/${pad(bucket)}/`, ['u64', 'u32']);
  return {
    hash: concatU64(files.map((f) => f.cols[0] as BigUint64Array)),
    rankOf: concatU32(files.map((f) => new Uint32Array(f.cols[0]!.length).fill(f.rank))),
    pos: concatU32(files.map((f) => f.cols[1] as Uint32Array)),
  };
}

/** The verified duplicated spans of one bucket, per shard: rank -> flat [start, end, ...] (unmerged). */
async function bucketSpans(run: Storage, o: ExactSubstringConfig, bucket: number) {
  const g = geometry(o.min_tokens);
  const { hash, rankOf, pos } = await bucketPicks(run, bucket);
  const kernels = winnowKernels();
  const { members, groupStarts } = kernels.winnowGroups(hash);
  const spans = new Map<number, number[]>();
  let collisions = 0;
  // Per shard (each task reads them once): its token file's layout and document lengths.
  const shards = new Map<number, ShardTokens>();
  const shardTokens = async (r: number): Promise<ShardTokens> => {
    let t = shards.get(r);
    if (!t) {
      const file = await tokenFile(run, r);
      shards.set(r, (t = { file, lens: await file.docLengths() }));
    }
    return t;
  };
  // Whole ids columns are read into one buffer, reused shard after shard (no GC churn).
  const scratch = { buf: new Uint8Array(0) };
  // Batches: runs of whole groups of up to batch_members members (a larger group alone).
  const batches: { from: number; to: number }[] = [];
  for (let g0 = 0; g0 + 1 < groupStarts.length; ) {
    let g1 = g0 + 1;
    while (g1 + 1 < groupStarts.length && groupStarts[g1 + 1]! - groupStarts[g0]! <= o.batch_members) g1++;
    batches.push({ from: g0, to: g1 });
    g0 = g1;
  }
  // Each batch's members lie in every shard: reading their contexts batch by batch would read
  // the token files once per batch (14.2 GB for 2 tasks on the 10 GB scale run). With more
  // than one batch, they are gathered first, shard by shard, into a file per batch.
  const gathered = batches.length > 1 ? await gatherContexts(g, members, groupStarts, batches, rankOf, pos, shardTokens, scratch, o.batch_members) : undefined;
  try {
    for (let b = 0; b < batches.length; b++) {
      const { from: g0, to: g1 } = batches[b]!;
      const batch = members.subarray(groupStarts[g0]!, groupStarts[g1]!);
      const { context, left, right, pick } = gathered ? await gathered.read(b, batch) : await batchContexts(g, batch, rankOf, pos, shardTokens, scratch);
      const localStarts = groupStarts.subarray(g0, g1 + 1).map((v) => v - groupStarts[g0]!);
      const res = kernels.winnowSpans(context, left, right, localStarts, g.k, g.q, o.hash_seed, 64);
      collisions += res.collisions;
      addSpans(spans, batch, rankOf, pick, res.lo, res.hi);
    }
  } finally {
    await gathered?.remove();
  }
  return { spans, picks: hash.length, inGroups: members.length, collisions };
}

/**
 * Every member's context, gathered in record order (shard by shard, batch_members at a time,
 * so each shard's ids are read about once) and appended to its batch's file in a local
 * temporary directory: a record is (index in its batch, left, right, S context tokens) as u32.
 * `read(b)` gives batch b's contexts as batchContexts would; `remove()` deletes the files.
 */
async function gatherContexts(
  g: Geometry,
  members: Uint32Array,
  groupStarts: Uint32Array,
  batches: { from: number; to: number }[],
  rankOf: Uint32Array,
  pos: Uint32Array,
  shardTokens: (r: number) => Promise<ShardTokens>,
  scratch: { buf: Uint8Array },
  chunkMembers: number,
) {
  const { S } = g;
  const rec = 3 + S;
  const batchOf = new Uint32Array(members.length);
  const firstMember = batches.map(({ from }) => groupStarts[from]!);
  batches.forEach(({ from, to }, b) => batchOf.fill(b, groupStarts[from]!, groupStarts[to]!));
  const dir = await mkdtemp(join(tmpdir(), 'refinery-contexts-'));
  const fileOf = (b: number) => join(dir, `${b}.bin`);
  try {
    const order = recordOrder(members);
    const counts = new Uint32Array(batches.length);
    for (let c = 0; c < order.length; c += chunkMembers) {
      const xs = order.subarray(c, Math.min(order.length, c + chunkMembers));
      const chunk = new Uint32Array(xs.length);
      for (let i = 0; i < xs.length; i++) chunk[i] = members[xs[i]!]!;
      const { context, left, right } = await batchContexts(g, chunk, rankOf, pos, shardTokens, scratch);
      // This chunk's records, batch by batch: one append per batch it touches.
      counts.fill(0);
      for (let i = 0; i < xs.length; i++) counts[batchOf[xs[i]!]!]!++;
      const out = new Map<number, { recs: Uint32Array; n: number }>();
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!;
        const b = batchOf[x]!;
        let o = out.get(b);
        if (!o) out.set(b, (o = { recs: new Uint32Array(counts[b]! * rec), n: 0 }));
        const at = o.n++ * rec;
        o.recs[at] = x - firstMember[b]!;
        o.recs[at + 1] = left[i]!;
        o.recs[at + 2] = right[i]!;
        o.recs.set(context.subarray(i * S, (i + 1) * S), at + 3);
      }
      for (const b of [...out.keys()].sort((a, z) => a - z)) {
        const { recs } = out.get(b)!;
        await appendFile(fileOf(b), new Uint8Array(recs.buffer, recs.byteOffset, recs.byteLength));
      }
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    async read(b: number, batch: Uint32Array) {
      const m = batch.length;
      const bytes = await readFile(fileOf(b));
      await rm(fileOf(b), { force: true }); // read once: free the disk as the batches go
      const recs = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Uint32Array(new Uint8Array(bytes).buffer);
      if (recs.length !== m * rec) throw new RefineryError('ERR_CORRUPT', `exact-substring context file: ${recs.length / rec} records for a batch of ${m}`, { file: fileOf(b) });
      const context = new Uint32Array(m * S);
      const left = new Uint32Array(m);
      const right = new Uint32Array(m);
      const pick = new Uint32Array(m);
      for (let at = 0; at < recs.length; at += rec) {
        const i = recs[at]!;
        left[i] = recs[at + 1]!;
        right[i] = recs[at + 2]!;
        context.set(recs.subarray(at + 3, at + rec), i * S);
      }
      for (let i = 0; i < m; i++) pick[i] = pos[batch[i]!]!;
      return { context, left, right, pick };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function addSpans(spans: Map<number, number[]>, batch: Uint32Array, rankOf: Uint32Array, pick: Uint32Array, lo: Uint32Array, hi: Uint32Array): void {
  for (let x = 0; x < batch.length; x++) {
    if (hi[x] === 0) continue;
    const r = rankOf[batch[x]!]!;
    let list = spans.get(r);
    if (!list) spans.set(r, (list = []));
    list.push(pick[x]! - lo[x]!, pick[x]! + hi[x]!);
  }
}

const matchPass: CorpusPass<ExactSubstringConfig> = {
  name: P.match,
  writesDocs: false,
  async plan(ctx) {
    return bucketCount(ctx.options, await inputShardFiles(ctx.run, ctx.input));
  },
  async run(bucket, ctx) {
    const t0 = performance.now();
    const { spans, picks, inGroups, collisions } = await bucketSpans(ctx.run, ctx.options, bucket);
    let written = 0;
    for (const [r, list] of [...spans].sort((a, b) => a[0] - b[0])) {
      const merged = mergeRanges(list);
      written += merged.length / 2;
      const n = merged.length / 2;
      const starts = new Uint32Array(n);
      const ends = new Uint32Array(n);
      for (let i = 0; i < n; i++) [starts[i], ends[i]] = [merged[2 * i]!, merged[2 * i + 1]!];
      await ctx.run.writeAll(`${P.match}/spans/${pad(r)}/${pad(bucket)}.bin`, encodeColumns([starts, ends]));
    }
    const stats = auxTaskStats(P.match, bucket, performance.now() - t0);
    stats.stages.push({ name: 'exact_substring_match', stats: { ...emptyStageStats(), events: { picks, picks_in_groups: inGroups, spans: written, fingerprint_collisions: collisions } } });
    return stats;
  },
};

/** Flat [start, end, ...] ranges sorted and merged where they overlap (touching ranges may lie in two documents). */
function mergeRanges(flat: ArrayLike<number>): number[] {
  const order = Array.from({ length: flat.length / 2 }, (_, i) => i).sort((a, b) => flat[2 * a]! - flat[2 * b]! || flat[2 * a + 1]! - flat[2 * b + 1]!);
  const out: number[] = [];
  for (const i of order) {
    const [s, e] = [flat[2 * i]!, flat[2 * i + 1]!];
    if (out.length && s < out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, e);
    else out.push(s, e);
  }
  return out;
}

// ---- pass 3: cut the duplicated spans -------------------------------------------------------

const applyPass: CorpusPass<ExactSubstringConfig> = {
  name: P.apply,
  writesDocs: true,
  async plan(ctx) {
    return (await inputShards(ctx.run, ctx.input)).length;
  },
  async run(rank, ctx) {
    const t0 = performance.now();
    const { options: o, run } = ctx;
    const mode = o.mode.toLowerCase();
    const shardFile = (await inputShardFiles(run, ctx.input))[rank]!;
    const shard = shardFile.path;
    const tokens = await tokenFile(run, rank);
    const docLengths = await tokens.docLengths();
    const steps = await tokens.steps();
    const files = await readAllColumns(run, `${P.match}/spans/${pad(rank)}/`, ['u32', 'u32']);
    const flat: number[] = [];
    for (const f of files) {
      const [s, e] = f.cols as Uint32Array[];
      for (let i = 0; i < s!.length; i++) flat.push(s![i]!, e![i]!);
    }
    // Disjoint token ranges of the shard, sorted (the buckets' spans overlap).
    const ranges = mergeRanges(flat);

    // The documents are streamed: one row group of input and of each output in memory.
    const out = taskDocsWriter(run, P.apply, rank, 'exact_substring');
    const spans: string[] = [];
    const dupFraction = newHistogram(FRACTION_EDGES);
    let tokensKept = 0;
    let cutChars = 0;
    let ri = 0;
    let d = 0;
    let tokenStart = 0;
    try {
      for await (const doc of shardDocs(run, shardFile)) {
        if (d >= docLengths.length) throw new RefineryError('ERR_CORRUPT', `token file has ${docLengths.length} documents, shard has more`, { file: tokensPath(rank) });
        out.read(doc);
        const t = tokenStart;
        const end = t + docLengths[d]!;
        const tokenRanges: Range[] = [];
        while (ri < ranges.length && ranges[ri]! < end) {
          tokenRanges.push([ranges[ri]! - t, ranges[ri + 1]! - t]);
          ri += 2;
        }
        let charRanges: Range[] = [];
        if (tokenRanges.length) {
          if (tokenRanges[tokenRanges.length - 1]![1] > end - t) throw new RefineryError('ERR_CORRUPT', `a duplicated span runs past document ${d}`, { file: tokensPath(rank) });
          const offsets = new Uint32Array(end - t);
          for (let i = 0, at = 0; i < offsets.length; i++) offsets[i] = at += steps[t + i]!;
          if (offsets.length && offsets[offsets.length - 1]! > doc.text.length) throw new RefineryError('ERR_CORRUPT', `token offsets run past document ${d}'s text`, { file: tokensPath(rank) });
          charRanges = tokenRangesToChars(tokenRanges, offsets, doc.text.length);
        }
        const dupChars = rangesLength(charRanges);
        const frac = doc.text.length ? dupChars / doc.text.length : 0;
        addToHistogram(dupFraction, frac);
        if (o.write_spans) for (const [s, e] of charRanges) spans.push(JSON.stringify({ id: doc.id, url: doc.url, start: s, end: e, text: doc.text.slice(s, e) }));
        const dupTokens = tokenRanges.reduce((a, [s, e]) => a + e - s, 0);
        if (dupChars === 0) {
          await out.keep(doc);
          tokensKept += docLengths[d]!;
        } else if (mode === 'dropany') {
          await out.exclude(doc, dropFor('exact_substring_any', dupChars, '>', 0));
        } else if (mode === 'droppartial') {
          if (frac > o.max_dup_fraction) await out.exclude(doc, dropFor('exact_substring_partial', frac, '>', o.max_dup_fraction));
          else {
            await out.keep(doc);
            tokensKept += docLengths[d]!;
          }
        } else {
          const text = cutRanges(doc.text, charRanges);
          if (text.length < o.min_chars_left) {
            await out.exclude(doc, dropFor('exact_substring_short', text.length, '<', o.min_chars_left));
          } else {
            // token_count: the original tokens that were kept (re-tokenizing the cut text could
            // differ by a token at each cut).
            const tokenCount = docLengths[d]! - dupTokens;
            await out.keep({ ...doc, text, tokenCount, meta: { ...doc.meta, exact_substring_removed_chars: dupChars } });
            cutChars += dupChars;
            tokensKept += tokenCount;
          }
        }
        tokenStart = end;
        d++;
      }
      if (d !== docLengths.length) throw new RefineryError('ERR_CORRUPT', `token file has ${docLengths.length} documents, shard has ${d}`, { file: tokensPath(rank) });
    } catch (e) {
      await out.abort();
      throw e;
    }
    if (o.write_spans) await run.writeAll(`${P.apply}/spans/${pad(rank)}.jsonl`, spans.length ? spans.join('\n') + '\n' : '');
    const stage = out.stats;
    stage.histograms.dup_char_fraction = dupFraction;
    stage.events.cut_chars = cutChars;
    stage.events.dup_token_ranges = ranges.length / 2;
    return out.close(shard, performance.now() - t0, tokensKept);
  },
};

/** The step with a given tokenizer (tests use a word tokenizer; the registry GPT-2). */
export function exactSubstringStep(tokenizer: () => Tokenizer): CorpusStep<ExactSubstringConfig> {
  return {
    name: 'exact_substring',
    description: 'Remove every span of >= 50 GPT-2 tokens that occurs twice in the corpus (winnowing + exact verification, CUT)',
    defaults,
    ranges,
    passes: [indexPass(tokenizer), matchPass, applyPass],
  };
}

/** The registry's step: the native GPT-2 BPE (src/tokenizer/gpt2.ts), the same as `token_count`'s, a row group per call. */
export const exactSubstring: CorpusStep<ExactSubstringConfig> = exactSubstringStep(() => ({
  encodeWithOffsets,
  // A row group's texts, as UTF-8 bytes, in one native call (offsets per document, as encodeWithOffsets gives them).
  encodeBatchWithOffsets: encodeDocsWithOffsets,
}));

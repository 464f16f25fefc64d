/**
 * Exact-substring dedup (spec §8; RW 3.3 / G.3.2; Lee et al. 2022 "ExactSubstr"): remove every
 * span of >= `min_tokens` consecutive GPT-2 tokens that occurs more than once in the corpus.
 *
 * Why windows: a span of L >= k tokens occurs twice iff each of its k-token windows does, so
 * the tokens inside duplicated spans are exactly the union of the k-token windows occurring at
 * two or more positions. That is the answer one suffix array over the whole corpus gives
 * (positions whose LCP with a neighbour is >= k, extended by their LCP), but it splits:
 *
 *  1. `exact_substring_index` (task per input shard): tokenize; per part (documents of the
 *     shard, at most `max_part_tokens` tokens) build the suffix array + LCP natively. A run of
 *     suffixes with LCP >= k is one distinct window repeated inside the part: those positions
 *     are duplicated, exactly. Every distinct window (one record: hash, part, smallest
 *     position) goes to a bucket file by hash range.
 *  2. `exact_substring_match` (task per hash bucket): windows whose hash is seen in two or more
 *     parts are candidates.
 *  3. `exact_substring_gather` (task per shard): the candidates' tokens, to their bucket.
 *  4. `exact_substring_verify` (task per hash bucket): candidates with equal hash *and equal
 *     tokens* in two or more parts are confirmed (hash collisions are ruled out here).
 *  5. `exact_substring` (task per shard): windows duplicated inside a part or confirmed across
 *     parts cover the duplicated tokens; mapped to characters, merged, cut (or the document
 *     dropped, per `mode`).
 * Memory per task: pass 1 ~12 B/token of one part (suffix array, PLCP, text) plus ~17 B per
 * distinct window; passes 2 and 4 hold one bucket (20 B per window record, + 4k B per
 * candidate); 3 and 5 one shard's tokens.
 */
import type { CorpusPass, CorpusStep, PassContext } from '../../src/pass.js';
import type { Storage } from '../../src/storage/storage.js';
import type { Doc } from '../../src/doc.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { gpt2Tokenizer } from '../../src/tokenizer/gpt2-js.js';
import { dropFor } from '../../src/stage.js';
import { RefineryError } from '../../src/errors.js';
import { addToHistogram, emptyStageStats, FRACTION_EDGES, newHistogram } from '../../src/stats.js';
import type { TaskStats } from '../../src/stats.js';
import { auxTaskStats, filterStats, inputShards, readShardDocs, writeTaskDocs } from '../../src/pass-io.js';
import type { Excluded } from '../../src/pass-io.js';
import { decodeColumns, encodeColumns } from './columns.js';
import { suffixArrayKernels } from './native.js';
import { coveredTokenRanges, cutRanges, rangesLength, tokenRangesToChars } from './spans.js';
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
  /** Hash buckets of the cross-part passes (tasks of passes 2 and 4). */
  buckets: number;
  /** Most tokens in one suffix array (bounds pass-1 memory at ~12 B/token + window records). */
  max_part_tokens: number;
  /** Write the removed spans to `exact_substring/spans/<rank>.jsonl` for inspection. */
  write_spans: boolean;
}

export const defaults: ExactSubstringConfig = {
  min_tokens: 50,
  mode: 'cut',
  min_chars_left: 20,
  max_dup_fraction: 0.2,
  buckets: 16,
  max_part_tokens: 50_000_000,
  write_spans: false,
};

const MODES = ['cut', 'droppartial', 'dropany'];
const P = {
  index: 'exact_substring_index',
  match: 'exact_substring_match',
  gather: 'exact_substring_gather',
  verify: 'exact_substring_verify',
  apply: 'exact_substring',
};

type Ctx = PassContext & { options: ExactSubstringConfig };

const pad = (n: number) => String(n).padStart(5, '0');
const rankOfFile = (path: string) => Number(path.slice(path.lastIndexOf('/') + 1).replace(/\.bin$/, ''));

function checkOptions(o: ExactSubstringConfig): void {
  if (!MODES.includes(o.mode.toLowerCase())) throw new RefineryError('ERR_CONFIG', `exact_substring.mode: expected one of ${MODES.join(', ')}, got ${JSON.stringify(o.mode)}`);
  if (!(o.min_tokens >= 1 && Number.isInteger(o.min_tokens))) throw new RefineryError('ERR_CONFIG', 'exact_substring.min_tokens: expected a positive integer');
  if (!(o.buckets >= 1 && o.buckets <= 65536 && Number.isInteger(o.buckets))) throw new RefineryError('ERR_CONFIG', 'exact_substring.buckets: expected an integer in [1, 65536]');
  if (!(o.max_part_tokens >= 1)) throw new RefineryError('ERR_CONFIG', 'exact_substring.max_part_tokens: expected >= 1');
}

// ---- token file of a shard: per-document token counts, ids, UTF-16 start offsets ----------

interface ShardTokens {
  docLengths: Uint32Array;
  ids: Uint32Array;
  offsets: Uint32Array;
}

const tokensPath = (rank: number) => `${P.index}/tokens/${pad(rank)}.bin`;

async function readShardTokens(run: Storage, rank: number): Promise<ShardTokens> {
  const path = tokensPath(rank);
  const [docLengths, ids, offsets] = decodeColumns(await run.readAll(path), ['u32', 'u32', 'u32'], path) as Uint32Array[];
  return { docLengths: docLengths!, ids: ids!, offsets: offsets! };
}

async function readAllColumns(run: Storage, folder: string, types: ('u8' | 'u32' | 'u64')[]) {
  const out: { rank: number; cols: ReturnType<typeof decodeColumns> }[] = [];
  for (const f of await run.list(folder)) {
    if (!f.path.endsWith('.bin')) continue;
    out.push({ rank: rankOfFile(f.path), cols: decodeColumns(await run.readAll(f.path), types, f.path) });
  }
  return out;
}

/** Sort order of records by (hash, rank, chunk, pos), comparing the hash as two u32 halves. */
function sortByHash(hash: BigUint64Array, keys: Uint32Array[]): Uint32Array {
  const h32 = new Uint32Array(hash.buffer, hash.byteOffset, hash.length * 2);
  const order = new Uint32Array(hash.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    const d = h32[2 * a + 1]! - h32[2 * b + 1]! || h32[2 * a]! - h32[2 * b]!;
    if (d) return d;
    for (const k of keys) if (k[a] !== k[b]) return k[a]! - k[b]!;
    return 0;
  });
  return order;
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

// ---- pass 1: tokenize, suffix array per part, distinct windows to buckets ----------------

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
      const shard = (await inputShards(run, ctx.input))[rank]!;
      const docs = await readShardDocs(run, shard);
      const tok = tokenizer();
      const tk0 = performance.now();
      const encoded = docs.map((d) => tok.encodeWithOffsets(d.text));
      const tokenize = emptyStageStats();
      tokenize.docsIn = tokenize.docsOut = docs.length;
      tokenize.charsIn = tokenize.charsOut = docs.reduce((a, d) => a + d.text.length, 0);
      tokenize.ms = performance.now() - tk0;
      const docLengths = Uint32Array.from(encoded, (e) => e.ids.length);
      const ids = concatU32(encoded.map((e) => e.ids));
      const offsets = concatU32(encoded.map((e) => e.offsets));
      await run.writeAll(tokensPath(rank), encodeColumns([docLengths, ids, offsets]));

      // Parts: consecutive documents up to max_part_tokens (a longer document is its own part).
      const kernels = suffixArrayKernels();
      const k = o.min_tokens;
      const local: Uint32Array[] = [];
      const perBucket: { hash: BigUint64Array[]; chunk: Uint32Array[]; pos: Uint32Array[] }[] = Array.from({ length: o.buckets }, () => ({ hash: [], chunk: [], pos: [] }));
      let chunk = 0;
      for (let d0 = 0, tok0 = 0; d0 < docs.length; chunk++) {
        let d1 = d0;
        let t1 = tok0;
        while (d1 < docs.length && (d1 === d0 || t1 + docLengths[d1]! <= o.max_part_tokens)) t1 += docLengths[d1++]!;
        const w = kernels.exactWindows(ids.subarray(tok0, t1), docLengths.subarray(d0, d1), k, o.buckets, tok0);
        local.push(w.dupStarts);
        for (let b = 0; b < o.buckets; b++) {
          const [i, j] = [w.bucketStarts[b]!, w.bucketStarts[b + 1]!];
          perBucket[b]!.hash.push(w.windowHash.subarray(i, j));
          perBucket[b]!.chunk.push(new Uint32Array(j - i).fill(chunk));
          perBucket[b]!.pos.push(w.windowPos.subarray(i, j));
        }
        d0 = d1;
        tok0 = t1;
      }
      await run.writeAll(`${P.index}/local/${pad(rank)}.bin`, encodeColumns([concatU32(local)]));
      for (let b = 0; b < o.buckets; b++) {
        const pb = perBucket[b]!;
        await run.writeAll(`${P.index}/windows/${pad(b)}/${pad(rank)}.bin`, encodeColumns([concatU64(pb.hash), concatU32(pb.chunk), concatU32(pb.pos)]));
      }
      ctx.log(`${shard}: ${docs.length} docs, ${ids.length} tokens, ${chunk} part(s)`);
      const stats = auxTaskStats(P.index, rank, performance.now() - t0, shard);
      stats.stages.push({ name: 'gpt2_tokenize', stats: tokenize });
      stats.tokensWritten = ids.length;
      return stats;
    },
  };
}

// ---- pass 2: hashes seen in two or more parts -> candidates, per shard --------------------

const matchPass: CorpusPass<ExactSubstringConfig> = {
  name: P.match,
  writesDocs: false,
  async plan(ctx) {
    return ctx.options.buckets;
  },
  async run(bucket, ctx) {
    const t0 = performance.now();
    const files = await readAllColumns(ctx.run, `${P.index}/windows/${pad(bucket)}/`, ['u64', 'u32', 'u32']);
    const hash = concatU64(files.map((f) => f.cols[0] as BigUint64Array));
    const rank = concatU32(files.map((f) => new Uint32Array(f.cols[0]!.length).fill(f.rank)));
    const chunk = concatU32(files.map((f) => f.cols[1] as Uint32Array));
    const pos = concatU32(files.map((f) => f.cols[2] as Uint32Array));
    const order = sortByHash(hash, [rank, chunk, pos]);
    const out = new Map<number, number[]>(); // rank -> record indices
    for (let i = 0; i < order.length; ) {
      let j = i + 1;
      let parts = 1;
      while (j < order.length && hash[order[j]!] === hash[order[i]!]) {
        const a = order[j - 1]!;
        const b = order[j]!;
        if (rank[a] !== rank[b] || chunk[a] !== chunk[b]) parts++;
        j++;
      }
      if (parts >= 2) for (let q = i; q < j; q++) {
        const r = rank[order[q]!]!;
        if (!out.has(r)) out.set(r, []);
        out.get(r)!.push(order[q]!);
      }
      i = j;
    }
    for (const [r, idx] of [...out].sort((a, b) => a[0] - b[0])) {
      await ctx.run.writeAll(`${P.match}/candidates/${pad(r)}/${pad(bucket)}.bin`, encodeColumns([
        BigUint64Array.from(idx, (i) => hash[i]!),
        Uint32Array.from(idx, (i) => chunk[i]!),
        Uint32Array.from(idx, (i) => pos[i]!),
      ]));
    }
    const stats = auxTaskStats(P.match, bucket, performance.now() - t0);
    return stats;
  },
};

// ---- pass 3: the candidates' tokens, to their hash bucket ---------------------------------

const gatherPass: CorpusPass<ExactSubstringConfig> = {
  name: P.gather,
  writesDocs: false,
  async plan(ctx) {
    return (await inputShards(ctx.run, ctx.input)).length;
  },
  async run(rank, ctx) {
    const t0 = performance.now();
    const k = ctx.options.min_tokens;
    const files = await readAllColumns(ctx.run, `${P.match}/candidates/${pad(rank)}/`, ['u64', 'u32', 'u32']);
    if (files.length) {
      const { ids } = await readShardTokens(ctx.run, rank);
      for (const { rank: bucket, cols } of files) {
        const pos = cols[2] as Uint32Array;
        const windows = new Uint32Array(pos.length * k);
        for (let i = 0; i < pos.length; i++) windows.set(ids.subarray(pos[i]!, pos[i]! + k), i * k);
        await ctx.run.writeAll(`${P.gather}/windows/${pad(bucket)}/${pad(rank)}.bin`, encodeColumns([cols[0]!, cols[1]!, pos, windows]));
      }
    }
    return auxTaskStats(P.gather, rank, performance.now() - t0);
  },
};

// ---- pass 4: equal tokens in two or more parts -> confirmed -------------------------------

const verifyPass: CorpusPass<ExactSubstringConfig> = {
  name: P.verify,
  writesDocs: false,
  async plan(ctx) {
    return ctx.options.buckets;
  },
  async run(bucket, ctx) {
    const t0 = performance.now();
    const k = ctx.options.min_tokens;
    const files = await readAllColumns(ctx.run, `${P.gather}/windows/${pad(bucket)}/`, ['u64', 'u32', 'u32', 'u32']);
    const hash = concatU64(files.map((f) => f.cols[0] as BigUint64Array));
    const rank = concatU32(files.map((f) => new Uint32Array(f.cols[0]!.length).fill(f.rank)));
    const chunk = concatU32(files.map((f) => f.cols[1] as Uint32Array));
    const pos = concatU32(files.map((f) => f.cols[2] as Uint32Array));
    const windows = concatU32(files.map((f) => f.cols[3] as Uint32Array));
    const cmpTokens = (a: number, b: number) => {
      for (let i = 0; i < k; i++) {
        const d = windows[a * k + i]! - windows[b * k + i]!;
        if (d) return d;
      }
      return 0;
    };
    const order = sortByHash(hash, [rank, chunk, pos]);
    const confirmed = new Map<number, number[]>(); // rank -> positions
    let collisions = 0;
    for (let i = 0; i < order.length; ) {
      let j = i + 1;
      while (j < order.length && hash[order[j]!] === hash[order[i]!]) j++;
      // Within one hash, group by exact tokens (collisions land in different groups).
      const group = Array.from(order.subarray(i, j)).sort((a, b) => cmpTokens(a, b) || rank[a]! - rank[b]! || chunk[a]! - chunk[b]! || pos[a]! - pos[b]!);
      for (let g = 0; g < group.length; ) {
        let h = g + 1;
        let parts = 1;
        while (h < group.length && cmpTokens(group[g]!, group[h]!) === 0) {
          if (rank[group[h]!] !== rank[group[h - 1]!] || chunk[group[h]!] !== chunk[group[h - 1]!]) parts++;
          h++;
        }
        if (parts >= 2) {
          for (let q = g; q < h; q++) {
            const r = rank[group[q]!]!;
            if (!confirmed.has(r)) confirmed.set(r, []);
            confirmed.get(r)!.push(pos[group[q]!]!);
          }
        } else collisions += h - g;
        g = h;
      }
      i = j;
    }
    for (const [r, p] of [...confirmed].sort((a, b) => a[0] - b[0])) {
      await ctx.run.writeAll(`${P.verify}/confirmed/${pad(r)}/${pad(bucket)}.bin`, encodeColumns([Uint32Array.from(p).sort()]));
    }
    if (collisions) ctx.log(`bucket ${bucket}: ${collisions} candidate window(s) were hash collisions, not duplicates`);
    return auxTaskStats(P.verify, bucket, performance.now() - t0);
  },
};

// ---- pass 5: cut the duplicated spans -------------------------------------------------------

/** Sorted, unique union of sorted arrays. */
function mergeSortedUnique(lists: Uint32Array[]): Uint32Array {
  const all = concatU32(lists).sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i]!;
  return all.subarray(0, n);
}

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
    const k = o.min_tokens;
    const shard = (await inputShards(run, ctx.input))[rank]!;
    const docs = await readShardDocs(run, shard);
    const { docLengths, offsets } = await readShardTokens(run, rank);
    if (docLengths.length !== docs.length) {
      throw new RefineryError('ERR_CORRUPT', `token file has ${docLengths.length} documents, shard has ${docs.length}`, { file: tokensPath(rank) });
    }
    const localPath = `${P.index}/local/${pad(rank)}.bin`;
    const lists = [decodeColumns(await run.readAll(localPath), ['u32'], localPath)[0] as Uint32Array];
    for (const f of await readAllColumns(run, `${P.verify}/confirmed/${pad(rank)}/`, ['u32'])) lists.push(f.cols[0] as Uint32Array);
    const starts = mergeSortedUnique(lists);

    const kept: Doc[] = [];
    const excluded: Excluded[] = [];
    const spans: string[] = [];
    const dupFraction = newHistogram(FRACTION_EDGES);
    let tokensKept = 0;
    let cutChars = 0;
    let si = 0;
    for (let d = 0, t = 0; d < docs.length; t += docLengths[d++]!) {
      const doc = docs[d]!;
      const end = t + docLengths[d]!;
      const local: number[] = [];
      while (si < starts.length && starts[si]! < end) local.push(starts[si++]! - t);
      const tokenRanges = coveredTokenRanges(local, k);
      const charRanges: Range[] = tokenRangesToChars(tokenRanges, offsets.subarray(t, end), doc.text.length);
      const dupChars = rangesLength(charRanges);
      const frac = doc.text.length ? dupChars / doc.text.length : 0;
      addToHistogram(dupFraction, frac);
      if (o.write_spans) for (const [s, e] of charRanges) spans.push(JSON.stringify({ id: doc.id, url: doc.url, start: s, end: e, text: doc.text.slice(s, e) }));
      const dupTokens = tokenRanges.reduce((a, [s, e]) => a + e - s, 0);
      if (dupChars === 0) {
        kept.push(doc);
        tokensKept += docLengths[d]!;
      } else if (mode === 'dropany') {
        excluded.push({ doc, drop: dropFor('exact_substring_any', dupChars, '>', 0) });
      } else if (mode === 'droppartial') {
        if (frac > o.max_dup_fraction) excluded.push({ doc, drop: dropFor('exact_substring_partial', frac, '>', o.max_dup_fraction) });
        else {
          kept.push(doc);
          tokensKept += docLengths[d]!;
        }
      } else {
        const text = cutRanges(doc.text, charRanges);
        if (text.length < o.min_chars_left) {
          excluded.push({ doc, drop: dropFor('exact_substring_short', text.length, '<', o.min_chars_left) });
        } else {
          // token_count: the original tokens that were kept (re-tokenizing the cut text could
          // differ by a token at each cut).
          const tokenCount = docLengths[d]! - dupTokens;
          kept.push({ ...doc, text, tokenCount, meta: { ...doc.meta, exact_substring_removed_chars: dupChars } });
          cutChars += dupChars;
          tokensKept += tokenCount;
        }
      }
    }
    await writeTaskDocs(run, P.apply, rank, 'exact_substring', kept, excluded);
    if (o.write_spans) await run.writeAll(`${P.apply}/spans/${pad(rank)}.jsonl`, spans.length ? spans.join('\n') + '\n' : '');
    const ms = performance.now() - t0;
    const stage = filterStats(docs, kept, excluded, ms);
    stage.histograms.dup_char_fraction = dupFraction;
    stage.events.cut_chars = cutChars;
    const stats: TaskStats = {
      pass: P.apply,
      rank,
      input: shard,
      stages: [{ name: 'exact_substring', stats: stage }],
      docsWritten: kept.length,
      tokensWritten: tokensKept,
      retries: {},
      ms,
    };
    return stats;
  },
};

/** The step with a given tokenizer (tests use a word tokenizer; the registry GPT-2). */
export function exactSubstringStep(tokenizer: () => Tokenizer): CorpusStep<ExactSubstringConfig> {
  return {
    name: 'exact_substring',
    description: 'Remove every span of >= 50 GPT-2 tokens that occurs twice in the corpus (suffix arrays, CUT)',
    defaults,
    passes: [indexPass(tokenizer), matchPass, gatherPass, verifyPass, applyPass],
  };
}

export const exactSubstring: CorpusStep<ExactSubstringConfig> = exactSubstringStep(gpt2Tokenizer);

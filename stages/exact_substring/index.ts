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
 *     are duplicated, exactly. Every distinct window (one record: 128-bit fingerprint and
 *     smallest position, 16 B) goes to a bucket file by fingerprint range.
 *  2. `exact_substring_match` (task per bucket): a fingerprint seen in two or more parts makes
 *     each of its records a candidate, paired with a witness: a record of another part.
 *  3. `exact_substring` (task per shard): every candidate window is compared token by token
 *     with its witness (ranged reads of the witness shard's token file, coalesced over the
 *     runs that duplicated spans make). Equal: duplicated across parts. Different: a
 *     fingerprint collision, never silently trusted: the task fails with ERR_CORRUPT and
 *     names `hash_seed` (~2^-122 per pair of distinct windows). Then the windows duplicated
 *     inside a part or across parts cover the duplicated tokens; mapped to characters,
 *     merged, cut (or the document dropped, per `mode`).
 * Memory per task: pass 1 ~12.3 B/token of one part while the suffix array lives, then the text
 * (4 B/token) and 20 B per distinct window (~26 B/token at worst, when every window is
 * unique), plus the shard's ids and offsets (8 B/token); pass 2 one bucket (~40 B per record
 * with the sort); pass 3 one shard's tokens, documents and candidates (12 B each).
 * Written: pass 1 ~8 B/token (ids + offsets) + 16 B per distinct window; pass 2 12 B per
 * candidate; pass 3 reads ~4 B per cross-part duplicated token of the witness shards.
 */
import { fraction, int, oneOf, type OptionRanges } from '../../src/options.js';
import type { CorpusPass, CorpusStep } from '../../src/pass.js';
import type { Storage } from '../../src/storage/storage.js';
import type { Doc } from '../../src/doc.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { encodeWithOffsets } from '../../src/tokenizer/gpt2.js';
import { dropFor } from '../../src/stage.js';
import { RefineryError } from '../../src/errors.js';
import { addToHistogram, emptyStageStats, FRACTION_EDGES, newHistogram } from '../../src/stats.js';
import { auxTaskStats, fileNumber, filterStats, filterTaskStats, inputShards, readShardDocs, writeTaskDocs } from '../../src/pass-io.js';
import { pad } from '../../src/run-dir.js';
import type { Excluded } from '../../src/pass-io.js';
import { decodeColumns, encodeColumns, readColumnLayout, readU32Slice } from './columns.js';
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
  /** Seed of the window fingerprints (change it only if a run reports a fingerprint collision). */
  hash_seed: number;
}

export const defaults: ExactSubstringConfig = {
  min_tokens: 50,
  mode: 'cut',
  min_chars_left: 20,
  max_dup_fraction: 0.2,
  buckets: 16,
  max_part_tokens: 50_000_000,
  write_spans: false,
  hash_seed: 0,
};

const MODES = ['cut', 'droppartial', 'dropany'];

export const ranges: OptionRanges<ExactSubstringConfig> = {
  min_tokens: int(1),
  mode: oneOf(...MODES),
  min_chars_left: int(0),
  max_dup_fraction: fraction(),
  buckets: int(1, 65536),
  max_part_tokens: int(1),
  hash_seed: int(0),
};
const P = {
  index: 'exact_substring_index',
  match: 'exact_substring_match',
  apply: 'exact_substring',
};



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
    out.push({ rank: fileNumber(f.path), cols: decodeColumns(await run.readAll(f.path), types, f.path) });
  }
  return out;
}

/** Sort order of records by (h1, h2, then `keys`), comparing each hash as two u32 halves. */
function sortByFingerprint(h1: BigUint64Array, h2: BigUint64Array, keys: Uint32Array[]): Uint32Array {
  const a32 = new Uint32Array(h1.buffer, h1.byteOffset, h1.length * 2);
  const b32 = new Uint32Array(h2.buffer, h2.byteOffset, h2.length * 2);
  const order = Array.from({ length: h1.length }, (_, i) => i);
  order.sort((a, b) => {
    const d = a32[2 * a + 1]! - a32[2 * b + 1]! || a32[2 * a]! - a32[2 * b]! || b32[2 * a + 1]! - b32[2 * b + 1]! || b32[2 * a]! - b32[2 * b]!;
    if (d) return d;
    for (const k of keys) if (k[a] !== k[b]) return k[a]! - k[b]!;
    return 0;
  });
  return Uint32Array.from(order);
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

async function tokenizeShard(run: Storage, shard: string, tok: Tokenizer) {
  const docs = await readShardDocs(run, shard);
  const t0 = performance.now();
  const encoded = docs.map((d) => tok.encodeWithOffsets(d.text));
  const tokenize = emptyStageStats();
  tokenize.docsIn = tokenize.docsOut = docs.length;
  tokenize.charsIn = tokenize.charsOut = docs.reduce((a, d) => a + d.text.length, 0);
  tokenize.ms = performance.now() - t0;
  return {
    docLengths: Uint32Array.from(encoded, (e) => e.ids.length),
    ids: concatU32(encoded.map((e) => e.ids)),
    offsets: concatU32(encoded.map((e) => e.offsets)),
    tokenize,
  };
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
      const shard = (await inputShards(run, ctx.input))[rank]!;
      // Only the tokens outlive this call: the texts are released before the suffix arrays.
      const { docLengths, ids, offsets, tokenize } = await tokenizeShard(run, shard, tokenizer());
      await run.writeAll(tokensPath(rank), encodeColumns([docLengths, ids, offsets]));
      const nDocs = docLengths.length;

      // Parts: consecutive documents up to max_part_tokens (a longer document is its own part).
      const kernels = suffixArrayKernels();
      const k = o.min_tokens;
      const local: Uint32Array[] = [];
      // Per bucket: fingerprints and positions, part after part, and how many records each part has.
      const perBucket: { h1: BigUint64Array[]; h2: BigUint64Array[]; chunk: Uint32Array[]; pos: Uint32Array[] }[] = Array.from({ length: o.buckets }, () => ({ h1: [], h2: [], chunk: [], pos: [] }));
      let chunk = 0;
      for (let d0 = 0, tok0 = 0; d0 < nDocs; chunk++) {
        let d1 = d0;
        let t1 = tok0;
        while (d1 < nDocs && (d1 === d0 || t1 + docLengths[d1]! <= o.max_part_tokens)) t1 += docLengths[d1++]!;
        const w = kernels.exactWindows(ids.subarray(tok0, t1), docLengths.subarray(d0, d1), k, o.buckets, tok0, o.hash_seed);
        local.push(w.dupStarts);
        for (let b = 0; b < o.buckets; b++) {
          const [i, j] = [w.bucketStarts[b]!, w.bucketStarts[b + 1]!];
          perBucket[b]!.h1.push(w.windowHash.subarray(i, j));
          perBucket[b]!.h2.push(w.windowHash2.subarray(i, j));
          perBucket[b]!.chunk.push(Uint32Array.of(j - i)); // records of this part, in part order
          perBucket[b]!.pos.push(w.windowPos.subarray(i, j));
        }
        d0 = d1;
        tok0 = t1;
      }
      await run.writeAll(`${P.index}/local/${pad(rank)}.bin`, encodeColumns([concatU32(local)]));
      for (let b = 0; b < o.buckets; b++) {
        const pb = perBucket[b]!;
        await run.writeAll(`${P.index}/windows/${pad(b)}/${pad(rank)}.bin`, encodeColumns([concatU64(pb.h1), concatU64(pb.h2), concatU32(pb.chunk), concatU32(pb.pos)]));
      }
      ctx.log(`${shard}: ${nDocs} docs, ${ids.length} tokens, ${chunk} part(s)`);
      const stats = auxTaskStats(P.index, rank, performance.now() - t0, shard);
      stats.stages.push({ name: 'gpt2_tokenize', stats: tokenize });
      stats.tokensWritten = ids.length;
      return stats;
    },
  };
}

/** The part index of each record of a window file, from its per-part record counts. */
function partOfRecords(counts: Uint32Array, records: number, rank: number): Uint32Array {
  const out = new Uint32Array(records);
  let at = 0;
  counts.forEach((n, part) => {
    out.fill(part, at, at + n);
    at += n;
  });
  if (at !== records) throw new RefineryError('ERR_CORRUPT', `window file of shard ${rank}: part counts sum to ${at}, records ${records}`);
  return out;
}

// ---- pass 2: fingerprints seen in two or more parts -> candidates with a witness ----------

const matchPass: CorpusPass<ExactSubstringConfig> = {
  name: P.match,
  writesDocs: false,
  async plan(ctx) {
    return ctx.options.buckets;
  },
  async run(bucket, ctx) {
    const t0 = performance.now();
    const files = await readAllColumns(ctx.run, `${P.index}/windows/${pad(bucket)}/`, ['u64', 'u64', 'u32', 'u32']);
    const h1 = concatU64(files.map((f) => f.cols[0] as BigUint64Array));
    const h2 = concatU64(files.map((f) => f.cols[1] as BigUint64Array));
    const rank = concatU32(files.map((f) => new Uint32Array(f.cols[0]!.length).fill(f.rank)));
    const chunk = concatU32(files.map((f) => partOfRecords(f.cols[2] as Uint32Array, f.cols[0]!.length, f.rank)));
    const pos = concatU32(files.map((f) => f.cols[3] as Uint32Array));
    const order = sortByFingerprint(h1, h2, [rank, chunk, pos]);
    const samePart = (a: number, b: number) => rank[a] === rank[b] && chunk[a] === chunk[b];
    const out = new Map<number, number[]>(); // rank -> [pos, witness rank, witness pos]...
    let candidates = 0;
    for (let i = 0; i < order.length; ) {
      let j = i + 1;
      while (j < order.length && h1[order[j]!] === h1[order[i]!] && h2[order[j]!] === h2[order[i]!]) j++;
      // Records of a group are sorted by part: the group spans two parts iff its first and
      // last records differ in part.
      const first = order[i]!;
      if (!samePart(first, order[j - 1]!)) {
        let other = i + 1;
        while (samePart(first, order[other]!)) other++;
        for (let q = i; q < j; q++) {
          const x = order[q]!;
          const w = samePart(x, first) ? order[other]! : first;
          const r = rank[x]!;
          if (!out.has(r)) out.set(r, []);
          out.get(r)!.push(pos[x]!, rank[w]!, pos[w]!);
          candidates++;
        }
      }
      i = j;
    }
    for (const [r, triples] of [...out].sort((a, b) => a[0] - b[0])) {
      const m = triples.length / 3;
      await ctx.run.writeAll(`${P.match}/candidates/${pad(r)}/${pad(bucket)}.bin`, encodeColumns([
        Uint32Array.from({ length: m }, (_, i) => triples[3 * i]!),
        Uint32Array.from({ length: m }, (_, i) => triples[3 * i + 1]!),
        Uint32Array.from({ length: m }, (_, i) => triples[3 * i + 2]!),
      ]));
    }
    const stats = auxTaskStats(P.match, bucket, performance.now() - t0);
    stats.stages.push({ name: 'exact_substring_match', stats: { ...emptyStageStats(), events: { windows: order.length, candidates } } });
    return stats;
  },
};

/**
 * Check every candidate window of this shard against its witness, token by token. Witness
 * windows are read by ranged reads of the witness shard's token ids, one read per run of
 * overlapping or nearby witness windows. Returns the candidate positions (all confirmed).
 */
async function checkCandidates(run: Storage, rank: number, ids: Uint32Array, k: number, seed: number): Promise<Uint32Array> {
  const files = await readAllColumns(run, `${P.match}/candidates/${pad(rank)}/`, ['u32', 'u32', 'u32']);
  const pos = concatU32(files.map((f) => f.cols[0] as Uint32Array));
  const wRank = concatU32(files.map((f) => f.cols[1] as Uint32Array));
  const wPos = concatU32(files.map((f) => f.cols[2] as Uint32Array));
  const order = Uint32Array.from(Array.from({ length: pos.length }, (_, i) => i).sort((a, b) => wRank[a]! - wRank[b]! || wPos[a]! - wPos[b]!));
  const GAP = 4 * k; // read through gaps this short rather than issue another read
  for (let i = 0; i < order.length; ) {
    const r = wRank[order[i]!]!;
    let j = i;
    while (j < order.length && wRank[order[j]!] === r) j++;
    const path = tokensPath(r);
    const layout = r === rank ? undefined : await readColumnLayout(run, path);
    for (let a = i; a < j; ) {
      const start = wPos[order[a]!]!;
      let end = start + k;
      let b = a + 1;
      while (b < j && wPos[order[b]!]! <= end + GAP) end = Math.max(end, wPos[order[b++]!]! + k);
      const witness = layout ? await readU32Slice(run, path, layout, 1, start, end) : ids.subarray(start, end);
      for (let q = a; q < b; q++) {
        const x = order[q]!;
        const w = wPos[x]! - start;
        for (let t = 0; t < k; t++) {
          if (ids[pos[x]! + t] !== witness[w + t]) {
            throw new RefineryError(
              'ERR_CORRUPT',
              `exact_substring: window fingerprint collision (shard ${rank} token ${pos[x]} vs shard ${r} token ${wPos[x]}, seed ${seed}); rerun the step with another exact_substring.hash_seed`,
            );
          }
        }
      }
      a = b;
    }
    i = j;
  }
  return pos;
}

// ---- pass 3: check candidates, cut the duplicated spans -------------------------------------------------------

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
    const { docLengths, ids, offsets } = await readShardTokens(run, rank);
    if (docLengths.length !== docs.length) {
      throw new RefineryError('ERR_CORRUPT', `token file has ${docLengths.length} documents, shard has ${docs.length}`, { file: tokensPath(rank) });
    }
    const localPath = `${P.index}/local/${pad(rank)}.bin`;
    const local = decodeColumns(await run.readAll(localPath), ['u32'], localPath)[0] as Uint32Array;
    const crossPart = await checkCandidates(run, rank, ids, k, o.hash_seed);
    const starts = mergeSortedUnique([local, crossPart]);

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
    // Window starts duplicated inside a part (suffix array) and across parts (checked).
    stage.events.windows_dup_in_part = local.length;
    stage.events.windows_dup_across_parts = crossPart.length;
    return filterTaskStats(P.apply, rank, shard, { name: 'exact_substring', stats: stage }, kept, tokensKept, ms);
  },
};

/** The step with a given tokenizer (tests use a word tokenizer; the registry GPT-2). */
export function exactSubstringStep(tokenizer: () => Tokenizer): CorpusStep<ExactSubstringConfig> {
  return {
    name: 'exact_substring',
    description: 'Remove every span of >= 50 GPT-2 tokens that occurs twice in the corpus (suffix arrays, CUT)',
    defaults,
    ranges,
    passes: [indexPass(tokenizer), matchPass, applyPass],
  };
}

/** The registry's step: the native GPT-2 BPE (src/tokenizer/gpt2.ts), the same as `token_count`'s. */
export const exactSubstring: CorpusStep<ExactSubstringConfig> = exactSubstringStep(() => ({ encodeWithOffsets }));

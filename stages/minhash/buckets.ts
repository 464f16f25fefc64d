/**
 * Pass 2, one task per `bands_per_task` bands: per band, a k-way merge of that band's sorted
 * sections from every run of every signature file; every stretch of equal keys is a bucket
 * of candidate duplicates, emitted as pairs (first doc of the bucket, other doc) in global doc
 * ids (shard order, then row), into one pairs file per task. The merge order, (key, global
 * doc id), is total, so the pairs are the same however the shards were cut into runs.
 * Memory: one read buffer per run, MERGE_BUFFER_BYTES in all (MIN_PIECE_BYTES pieces at least).
 */
import type { CorpusPass } from '../../src/pass.js';
import { RefineryError } from '../../src/errors.js';
import type { MinhashConfig } from './config.js';
import { checkConfig } from './config.js';
import type { SigHeader } from './files.js';
import { PAIRS_MAGIC, READ_PIECE_BYTES, readRecords, readSigHeader, sectionRange, SIG_RECORD_WORDS, TrailerWriter } from './files.js';
import { bucketTasks, configTag, emptyStageStats, inputShards, numberedFiles, pairsPath, PASS_BUCKETS, PASS_SIGNATURES, taskStats } from './common.js';

/** Checked headers of every shard's signature file, and each shard's first global doc id. */
export async function signatureHeaders(ctx: Parameters<CorpusPass<MinhashConfig>['run']>[1]): Promise<{ headers: SigHeader[]; offsets: number[]; total: number }> {
  const c = ctx.options;
  const shards = (await inputShards(ctx)).length;
  const files = await numberedFiles(ctx.run, `${PASS_SIGNATURES}/sigs`, shards);
  const headers = await Promise.all(files.map((f) => readSigHeader(ctx.run, f.path, f.size)));
  const tag = configTag(c);
  const offsets: number[] = [];
  let total = 0;
  for (const h of headers) {
    if (h.tag !== tag || h.bands !== c.bands || h.rows !== c.rows) {
      throw new RefineryError('ERR_CONFIG', `written with other MinHash options (bands ${h.bands}, rows ${h.rows}); rerun ${PASS_SIGNATURES}`, { file: h.path });
    }
    offsets.push(total);
    total += h.docs;
  }
  if (total > 0xffffffff) throw new RefineryError('ERR_CONFIG', `${total} documents: MinHash handles up to 2^32-1 per run (split the run into parts, as RW did)`);
  return { headers, offsets, total };
}

/** What the read buffers of one band's merge may take together (each holds ~2 pieces). */
const MERGE_BUFFER_BYTES = 128 * 1024 * 1024;
/** The smallest read piece, however many runs: below this, request overhead dominates. */
const MIN_PIECE_BYTES = 4096;

/** Read piece for a merge of `cursors` runs: 256 KB, less when there are very many. */
export function mergePieceBytes(cursors: number): number {
  return Math.max(MIN_PIECE_BYTES, Math.min(READ_PIECE_BYTES, Math.floor(MERGE_BUFFER_BYTES / 2 / Math.max(1, cursors))));
}

/** A sorted stream of one run's records for the band, with its current record. */
interface Cursor {
  it: AsyncIterator<Uint32Array>;
  chunk: Uint32Array;
  at: number;
  base: number; // global id of the shard's doc 0
}

/** Moves to the next record (fetching chunks only at chunk ends); false at the end. */
async function advance(c: Cursor): Promise<boolean> {
  c.at += SIG_RECORD_WORDS;
  return c.at < c.chunk.length || refill(c);
}

async function refill(c: Cursor): Promise<boolean> {
  while (c.at >= c.chunk.length) {
    const r = await c.it.next();
    if (r.done) return false;
    c.chunk = r.value;
    c.at = 0;
  }
  return true;
}

/** a before b: by key (hi, lo), then global doc id. */
function less(a: Cursor, b: Cursor): boolean {
  const x = a.chunk, y = b.chunk, i = a.at, j = b.at;
  if (x[i] !== y[j]) return x[i]! < y[j]!;
  if (x[i + 1] !== y[j + 1]) return x[i + 1]! < y[j + 1]!;
  return a.base + x[i + 2]! < b.base + y[j + 2]!;
}

/** Bands [first, end) of task `rank`. */
export function taskBands(c: MinhashConfig, rank: number): { first: number; end: number } {
  const first = rank * c.bands_per_task;
  return { first, end: Math.min(c.bands, first + c.bands_per_task) };
}

/** One band's merge into the task's pairs file; returns its number of buckets. */
async function mergeBand(ctx: Parameters<CorpusPass<MinhashConfig>['run']>[1], band: number, headers: SigHeader[], offsets: number[], out: TrailerWriter): Promise<number> {
  // Binary min-heap of cursors.
  const heap: Cursor[] = [];
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  const piece = mergePieceBytes(headers.reduce((n, h) => n + h.runs.length, 0));
  for (const [s, h] of headers.entries()) {
    for (const [r, sigRun] of h.runs.entries()) {
      const it = readRecords(ctx.run, h.path, sectionRange(h, r, band), SIG_RECORD_WORDS, sigRun.sectionCrc[band]!, piece)[Symbol.asyncIterator]();
      const cur: Cursor = { it, chunk: new Uint32Array(0), at: -SIG_RECORD_WORDS, base: offsets[s]! };
      if (await advance(cur)) heap.push(cur);
    }
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  let buckets = 0;
  let hi = -1, lo = -1, first = -1, size = 0;
  while (heap.length) {
    const top = heap[0]!;
    const kh = top.chunk[top.at]!, kl = top.chunk[top.at + 1]!, doc = top.base + top.chunk[top.at + 2]!;
    if (kh === hi && kl === lo) {
      if (out.push2(first, doc)) await out.flush();
      if (++size === 2) buckets++;
    } else {
      hi = kh;
      lo = kl;
      first = doc;
      size = 1;
    }
    top.at += SIG_RECORD_WORDS;
    if (top.at < top.chunk.length || (await refill(top))) siftDown(0);
    else {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
      if (heap.length) siftDown(0);
    }
  }
  return buckets;
}

export const bucketsPass: CorpusPass<MinhashConfig> = {
  name: PASS_BUCKETS,
  writesDocs: false,
  async plan(ctx) {
    const c = checkConfig(ctx.options);
    return bucketTasks(c);
  },
  async run(rank, ctx) {
    const started = Date.now();
    const c = checkConfig(ctx.options);
    const { first, end } = taskBands(c, rank);
    if (rank < 0 || first >= c.bands) throw new RefineryError('ERR_CONFIG', `task ${rank} has no bands (${c.bands} bands, ${c.bands_per_task} per task)`);
    const { headers, offsets, total } = await signatureHeaders(ctx);
    const stats = emptyStageStats();
    stats.events.buckets = 0;
    const out = new TrailerWriter(await ctx.run.create(pairsPath(rank)), PAIRS_MAGIC, 2);
    try {
      for (let band = first; band < end; band++) stats.events.buckets += await mergeBand(ctx, band, headers, offsets, out);
    } catch (e) {
      await out.abort();
      throw e;
    }
    stats.events.pairs = await out.commit(total);
    ctx.log(`${PASS_BUCKETS} bands ${first}-${end - 1}: ${stats.events.buckets} buckets, ${stats.events.pairs} pairs`);
    stats.ms = Date.now() - started;
    return taskStats(PASS_BUCKETS, rank, stats, started);
  },
};

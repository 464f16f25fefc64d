/**
 * Pass 4, one task per input shard: drop the documents pass 3 listed, keep the rest in
 * order, streaming (a row group of input and of each output in memory, and a chunk of the
 * removal list). Kept documents go to `minhash_filter/data/<rank>.parquet` (the next step's input),
 * removed ones to `minhash_filter/excluded/<rank>.parquet` with the survivor they duplicate.
 */
import type { CorpusPass, PassContext, PassExplanation } from '../../src/pass.js';
import { RefineryError } from '../../src/errors.js';
import { parquetRowCount, readParquetRows, storageParquet } from '../../src/formats/parquet.js';
import { parquetFileWriter } from '../../src/pass-io.js';
import { docToRow, rowToDoc } from '../../src/formats/schema.js';
import type { DocRow, ExcludedRow } from '../../src/formats/schema.js';
import type { MinhashConfig } from './config.js';
import { checkConfig } from './config.js';
import { readRecords, readTrailer, REMOVE_MAGIC } from './files.js';
import { emptyStageStats, inputShards, pad, PASS_CLUSTERS, PASS_FILTER, removePath, taskStats } from './common.js';

/** Every removal of the run as (shard, row, kept shard, kept row), streamed from the lists. */
async function* removals(ctx: PassContext): AsyncGenerator<[number, number, number, number]> {
  const shards = await inputShards(ctx);
  const listed = new Map((await ctx.run.list(`${PASS_CLUSTERS}/remove/`)).map((o) => [o.path, o]));
  for (let s = 0; s < shards.length; s++) {
    const o = listed.get(removePath(s));
    if (!o) continue;
    const t = await readTrailer(ctx.run, o.path, o.size, REMOVE_MAGIC, 3);
    for await (const chunk of readRecords(ctx.run, o.path, t.body, 3, t.bodyCrc)) {
      for (let k = 0; k < chunk.length; k += 3) yield [s, chunk[k]!, chunk[k + 1]!, chunk[k + 2]!];
    }
  }
}

/** Members of a cluster named in `refinery explain` beyond the kept one (the size is always given). */
const EXPLAIN_MEMBERS = 20;

/**
 * `refinery explain`: the cluster of a document (read from the removal lists, 12 B per removed
 * document of the run): for a removed one, the survivor kept in its place and the other removed
 * members; for a kept one, the copies removed in its favour.
 */
async function explainCluster(at: { shard: number; row: number; kept: boolean }, ctx: PassContext): Promise<PassExplanation | undefined> {
  let root: [number, number] | undefined = at.kept ? [at.shard, at.row] : undefined;
  if (!root) {
    for await (const [s, row, rs, rr] of removals(ctx)) {
      if (s === at.shard && row === at.row) {
        root = [rs, rr];
        break;
      }
    }
    if (!root) return { facts: { note: 'not in the removal lists' } };
  }
  const related: NonNullable<PassExplanation['related']> = at.kept ? [] : [{ role: 'kept in its place (cluster survivor)', shard: root[0], row: root[1] }];
  let size = 1;
  for await (const [s, row, rs, rr] of removals(ctx)) {
    if (rs !== root[0] || rr !== root[1]) continue;
    size++;
    if ((s !== at.shard || row !== at.row) && related.length < EXPLAIN_MEMBERS) related.push({ role: at.kept ? 'near-duplicate removed in its favour' : 'also removed (same cluster)', shard: s, row });
  }
  if (at.kept && size === 1) return { facts: { cluster_size: 1 } };
  return { facts: { cluster_size: size }, related };
}

export const filterPass: CorpusPass<MinhashConfig> = {
  name: PASS_FILTER,
  writesDocs: true,
  explain: explainCluster,
  async plan(ctx) {
    checkConfig(ctx.options);
    return (await inputShards(ctx)).length;
  },
  async run(rank, ctx) {
    const started = Date.now();
    const shards = await inputShards(ctx);
    const file = shards[rank];
    if (!file) throw new RefineryError('ERR_INPUT', `no input shard for rank ${rank}`, { file: `${ctx.input}/data/` });
    const listPath = removePath(rank);
    const listed = (await ctx.run.list(`${PASS_CLUSTERS}/remove/`)).find((o) => o.path === listPath);
    if (!listed) throw new RefineryError('ERR_CORRUPT', 'missing removal list (minhash_clusters did not complete)', { file: listPath });
    const t = await readTrailer(ctx.run, listPath, listed.size, REMOVE_MAGIC, 3);
    const source = storageParquet(ctx.run, file.path, file.size);
    const docs = await parquetRowCount(source);
    if (t.aux !== docs) throw new RefineryError('ERR_CORRUPT', `removal list is for ${t.aux} documents, shard has ${docs} (input changed?)`, { file: listPath });
    // The removal list is sorted by row: read it alongside the rows, a chunk at a time.
    const records = readRecords(ctx.run, listPath, t.body, 3, t.bodyCrc)[Symbol.asyncIterator]();
    let listChunk: Uint32Array = new Uint32Array(0);
    let at = 0;
    let lastRow = -1;
    const nextRemoved = async (): Promise<number> => {
      if (at === listChunk.length) {
        const r = await records.next();
        if (r.done) return Infinity;
        listChunk = r.value;
        at = 0;
      }
      const row = listChunk[at]!;
      if (row <= lastRow || row >= docs) throw new RefineryError('ERR_CORRUPT', `removal list row ${row} out of order or range (${docs} rows)`, { file: listPath });
      lastRow = row;
      return row;
    };
    let removedRow = await nextRemoved();
    // Both outputs are streamed, a row group at a time. A shard whose documents were all
    // removed writes no data file; a stale one from an earlier attempt is deleted.
    const kept = parquetFileWriter<DocRow>(ctx.run, `${PASS_FILTER}/data/${pad(rank)}.parquet`, false, 'delete');
    const excluded = parquetFileWriter<ExcludedRow>(ctx.run, `${PASS_FILTER}/excluded/${pad(rank)}.parquet`, true, 'delete');
    const stats = emptyStageStats();
    let tokens = 0;
    let i = 0;
    try {
      for await (const row of readParquetRows(source)) {
        const doc = rowToDoc(row, `${file.path}#${i}`);
        stats.docsIn++;
        stats.charsIn += doc.text.length;
        let dupOf: string | undefined;
        if (removedRow === i) {
          dupOf = `shard ${listChunk[at + 1]} row ${listChunk[at + 2]}`;
          at += 3;
          removedRow = await nextRemoved();
        }
        i++;
        if (dupOf === undefined) {
          await kept.add(docToRow(doc));
          stats.docsOut++;
          stats.charsOut += doc.text.length;
          tokens += doc.tokenCount ?? 0;
        } else {
          await excluded.add({ ...docToRow(doc), stage: 'minhash', reason: 'minhash_duplicate', value: null, detail: `near-duplicate of ${dupOf}` });
          const d = (stats.dropped.minhash_duplicate ??= { docs: 0, chars: 0 });
          d.docs++;
          d.chars += doc.text.length;
        }
      }
      await kept.close();
      await excluded.close();
    } catch (e) {
      await kept.abort();
      await excluded.abort();
      throw e;
    }
    ctx.log(`${PASS_FILTER} ${rank}: ${file.path}: kept ${kept.rows} of ${docs}, removed ${excluded.rows} near-duplicates`);
    stats.ms = Date.now() - started;
    return taskStats(PASS_FILTER, rank, stats, started, { input: file.path, docsWritten: kept.rows, tokensWritten: tokens });
  },
};

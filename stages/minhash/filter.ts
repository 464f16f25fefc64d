/**
 * Pass 4, one task per input shard: drop the documents pass 3 listed, keep the rest in
 * order. Kept documents go to `minhash_filter/data/<rank>.parquet` (the next step's input),
 * removed ones to `minhash_filter/excluded/<rank>.parquet` with the survivor they duplicate.
 */
import type { CorpusPass } from '../../src/pass.js';
import { RefineryError } from '../../src/errors.js';
import { encodeParquet, parquetRowCount, readParquetRows } from '../../src/formats/parquet.js';
import { docToRow, rowToDoc } from '../../src/formats/schema.js';
import type { DocRow, ExcludedRow } from '../../src/formats/schema.js';
import type { MinhashConfig } from './config.js';
import { checkConfig } from './config.js';
import { readRecords, readTrailer, REMOVE_MAGIC } from './files.js';
import { emptyStageStats, inputShards, pad, PASS_CLUSTERS, PASS_FILTER, removePath, taskStats } from './common.js';

export const filterPass: CorpusPass<MinhashConfig> = {
  name: PASS_FILTER,
  writesDocs: true,
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
    const bytes = await ctx.run.readAll(file.path);
    const docs = await parquetRowCount(bytes);
    if (t.aux !== docs) throw new RefineryError('ERR_CORRUPT', `removal list is for ${t.aux} documents, shard has ${docs} (input changed?)`, { file: listPath });
    // removed[i] = 1 + index of the survivor record, or 0 when kept.
    const survivor = new Map<number, string>();
    for await (const chunk of readRecords(ctx.run, listPath, t.body, 3, t.bodyCrc)) {
      for (let k = 0; k < chunk.length; k += 3) survivor.set(chunk[k]!, `shard ${chunk[k + 1]} row ${chunk[k + 2]}`);
    }
    const kept: DocRow[] = [];
    const excluded: ExcludedRow[] = [];
    const stats = emptyStageStats();
    let tokens = 0;
    let i = 0;
    for await (const row of readParquetRows(bytes)) {
      const doc = rowToDoc(row, `${file.path}#${i}`);
      stats.docsIn++;
      stats.charsIn += doc.text.length;
      const dupOf = survivor.get(i++);
      if (dupOf === undefined) {
        kept.push(docToRow(doc));
        stats.docsOut++;
        stats.charsOut += doc.text.length;
        tokens += doc.tokenCount ?? 0;
      } else {
        excluded.push({ ...docToRow(doc), stage: 'minhash', reason: 'minhash_duplicate', value: null, detail: `near-duplicate of ${dupOf}` });
        const d = (stats.dropped.minhash_duplicate ??= { docs: 0, chars: 0 });
        d.docs++;
        d.chars += doc.text.length;
      }
    }
    // A shard whose documents were all removed writes no data file (encodeParquet cannot
    // write zero rows yet); delete a stale one from an earlier attempt.
    const dataPath = `${PASS_FILTER}/data/${pad(rank)}.parquet`;
    if (kept.length) await ctx.run.writeAll(dataPath, encodeParquet(kept, false));
    else await ctx.run.delete(dataPath);
    const excludedPath = `${PASS_FILTER}/excluded/${pad(rank)}.parquet`;
    if (excluded.length) await ctx.run.writeAll(excludedPath, encodeParquet(excluded, true));
    else await ctx.run.delete(excludedPath);
    ctx.log(`${PASS_FILTER} ${rank}: ${file.path}: kept ${kept.length} of ${docs}, removed ${excluded.length} near-duplicates`);
    stats.ms = Date.now() - started;
    return taskStats(PASS_FILTER, rank, stats, started, { input: file.path, docsWritten: kept.length, tokensWritten: tokens });
  },
};

/**
 * Pass 1, one task per input shard: normalize each document and compute its band keys
 * (both in the native kernel), and write one signature file (files.ts): the shard's rows in
 * runs of `chunk_docs`, each run's band sections sorted by (key, doc) and checksummed. The
 * task holds one run (keys and sections, ~20 B per band per document of the run) and one
 * Parquet row group at a time, so its memory does not grow with the documents of the shard.
 */
import type { CorpusPass } from '../../src/pass.js';
import { readParquetRows, parquetRowCount, storageParquet } from '../../src/formats/parquet.js';
import { rowToDoc } from '../../src/formats/schema.js';
import { addToHistogram, LOG_EDGES, newHistogram } from '../../src/stats.js';
import { RefineryError } from '../../src/errors.js';
import type { MinhashConfig } from './config.js';
import { checkConfig, signatureChunkDocs } from './config.js';
import { bandKeys, sortedSections } from './kernel.js';
import { encodeSigHeader, encodeSigRunHeader } from './files.js';
import { configTag, emptyStageStats, inputShards, PASS_SIGNATURES, sigPath, taskStats } from './common.js';

const BATCH = 256;

export const signaturesPass: CorpusPass<MinhashConfig> = {
  name: PASS_SIGNATURES,
  writesDocs: false,
  async plan(ctx) {
    checkConfig(ctx.options);
    return (await inputShards(ctx)).length;
  },
  async run(rank, ctx) {
    const started = Date.now();
    const c = checkConfig(ctx.options);
    const shards = await inputShards(ctx);
    const file = shards[rank];
    if (!file) throw new RefineryError('ERR_INPUT', `no input shard for rank ${rank} (${shards.length} shards)`, { file: `${ctx.input}/data/` });
    const source = storageParquet(ctx.run, file.path, file.size);
    const docs = await parquetRowCount(source);
    const chunkDocs = signatureChunkDocs(c);
    const runs = Math.ceil(docs / chunkDocs);
    const keys = new BigUint64Array(Math.min(docs, chunkDocs) * c.bands);
    const stats = emptyStageStats();
    const shingleHist = newHistogram(LOG_EDGES);
    let withShingles = 0;
    // The run being filled: rows [runStart, runStart + inRun) of the shard.
    let runStart = 0;
    let inRun = 0;
    let include: number[] = [];
    let written = 0;
    let batch: string[] = [];
    const out = await ctx.run.create(sigPath(rank));
    const signBatch = () => {
      if (!batch.length) return;
      const r = bandKeys(batch, c, { normalize: true });
      keys.set(r.keys, inRun * c.bands);
      r.shingles.forEach((n, i) => {
        if (n > 0) include.push(inRun + i);
        addToHistogram(shingleHist, n);
      });
      inRun += batch.length;
      batch = [];
    };
    const writeRun = async () => {
      const sections = sortedSections(keys.subarray(0, inRun * c.bands), c.bands, Uint32Array.from(include), runStart);
      await out.write(encodeSigRunHeader(c.bands, include.length, sections));
      await out.write(sections);
      withShingles += include.length;
      written++;
      runStart += inRun;
      inRun = 0;
      include = [];
    };
    try {
      await out.write(encodeSigHeader({ bands: c.bands, rows: c.rows, docs, runs, tag: configTag(c) }));
      let i = 0;
      for await (const row of readParquetRows(source)) {
        const doc = rowToDoc(row, `${file.path}#${i++}`);
        stats.charsIn += doc.text.length;
        batch.push(doc.text);
        // A batch never straddles two runs.
        if (batch.length === BATCH || inRun + batch.length === chunkDocs) signBatch();
        if (inRun === chunkDocs) await writeRun();
      }
      signBatch();
      if (inRun > 0) await writeRun();
      if (runStart !== docs || written !== runs) throw new RefineryError('ERR_CORRUPT', `footer says ${docs} rows, read ${runStart}`, { file: file.path });
      await out.commit();
    } catch (e) {
      await out.abort();
      throw e;
    }
    ctx.log(`${PASS_SIGNATURES} ${rank}: ${file.path}: ${docs} docs (${docs - withShingles} without shingles), ${c.bands} bands, ${runs} run(s)`);
    stats.docsIn = stats.docsOut = docs;
    stats.charsOut = stats.charsIn;
    stats.events.no_shingles = docs - withShingles;
    stats.histograms.shingles = shingleHist;
    stats.ms = Date.now() - started;
    return taskStats(PASS_SIGNATURES, rank, stats, started, { input: file.path });
  },
};

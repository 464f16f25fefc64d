/**
 * Pass 1, one task per input shard: normalize each document and compute its band keys
 * (both in the native kernel), and write one signature file with every band's records sorted by
 * (key, doc) and checksummed (files.ts).
 */
import type { CorpusPass } from '../../src/pass.js';
import { readParquetRows, parquetRowCount } from '../../src/formats/parquet.js';
import { rowToDoc } from '../../src/formats/schema.js';
import { addToHistogram, LOG_EDGES, newHistogram } from '../../src/stats.js';
import { RefineryError } from '../../src/errors.js';
import type { MinhashConfig } from './config.js';
import { checkConfig } from './config.js';
import { bandKeys, sortedSections } from './kernel.js';
import { encodeSigFile } from './files.js';
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
    const bytes = await ctx.run.readAll(file.path);
    const docs = await parquetRowCount(bytes);
    const keys = new BigUint64Array(docs * c.bands);
    const withShingles: number[] = [];
    const stats = emptyStageStats();
    const shingleHist = newHistogram(LOG_EDGES);
    let batch: string[] = [];
    let done = 0;
    const flush = () => {
      if (!batch.length) return;
      const r = bandKeys(batch, c, { normalize: true });
      keys.set(r.keys, done * c.bands);
      r.shingles.forEach((n, i) => {
        if (n > 0) withShingles.push(done + i);
        addToHistogram(shingleHist, n);
      });
      done += batch.length;
      batch = [];
    };
    let i = 0;
    for await (const row of readParquetRows(bytes)) {
      const doc = rowToDoc(row, `${file.path}#${i++}`);
      stats.charsIn += doc.text.length;
      batch.push(doc.text);
      if (batch.length === BATCH) flush();
    }
    flush();
    if (done !== docs) throw new RefineryError('ERR_CORRUPT', `footer says ${docs} rows, read ${done}`, { file: file.path });
    const include = Uint32Array.from(withShingles);
    const sections = sortedSections(keys, c.bands, include);
    await ctx.run.writeAll(sigPath(rank), encodeSigFile({ bands: c.bands, rows: c.rows, docs, m: include.length, tag: configTag(c) }, sections));
    ctx.log(`${PASS_SIGNATURES} ${rank}: ${file.path}: ${docs} docs (${docs - include.length} without shingles), ${c.bands} bands`);
    stats.docsIn = stats.docsOut = docs;
    stats.charsOut = stats.charsIn;
    stats.events.no_shingles = docs - include.length;
    stats.histograms.shingles = shingleHist;
    stats.ms = Date.now() - started;
    return taskStats(PASS_SIGNATURES, rank, stats, started, { input: file.path });
  },
};

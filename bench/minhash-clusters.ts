/**
 * Pass 3 (minhash_clusters) on a synthetic run: `docs` documents in 10 shards, FineWeb's 14
 * bands, each band file holding `pairs` random pairs inside blocks of 10 consecutive
 * documents (so clusters have up to 10 members and chain across bands, as in a real corpus). Prints the pass's time and this process's peak RSS.
 * Usage: node dist/bench/minhash-clusters.js <docs> <pairs per band>
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localStorage } from '../src/storage/local.js';
import { MINHASH_PRESETS } from '../stages/minhash/config.js';
import { clustersPass } from '../stages/minhash/clusters.js';
import { configTag, pairsPath, sigPath } from '../stages/minhash/common.js';
import { encodeSigFile, PAIRS_MAGIC, TrailerWriter } from '../stages/minhash/files.js';

const docs = Number(process.argv[2] ?? 10_000_000);
const pairsPerBand = Number(process.argv[3] ?? 1_000_000);
const shards = 10;
const c = MINHASH_PRESETS.fineweb;
const dir = await mkdtemp(join(tmpdir(), 'refinery-bench-clusters-'));
try {
  const run = localStorage(dir);
  const per = Math.ceil(docs / shards);
  for (let s = 0; s < shards; s++) {
    // Input shards only need to exist (pass 3 counts them); signature headers carry the doc counts.
    await run.writeAll(`filter/data/${String(s).padStart(5, '0')}.parquet`, new Uint8Array(0));
    const n = Math.min(per, docs - s * per);
    await run.writeAll(sigPath(s), encodeSigFile({ bands: c.bands, rows: c.rows, docs: n, m: 0, tag: configTag(c) }, new Uint8Array(0)));
  }
  let x = 12345;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let b = 0; b < c.bands; b++) {
    const w = new TrailerWriter(await run.create(pairsPath(b)), PAIRS_MAGIC, 2);
    for (let i = 0; i < pairsPerBand; i++) {
      const block = Math.floor(rand() * Math.floor(docs / 10)) * 10;
      const a = block + Math.floor(rand() * 10);
      const b = block + Math.floor(rand() * 10);
      if (a !== b && w.push2(Math.min(a, b), Math.max(a, b))) await w.flush();
    }
    await w.commit(docs);
  }
  const before = process.memoryUsage().rss;
  const t = Date.now();
  const stats = await clustersPass.run(0, { run, input: 'filter', options: c, runConfig: {}, log: () => {} });
  const s = stats.stages[0]!.stats;
  console.log(
    `pass 3 (union-find) on ${docs.toLocaleString('en')} docs, ${(pairsPerBand * c.bands).toLocaleString('en')} pairs: ${((Date.now() - t) / 1000).toFixed(1)} s, ` +
      `${s.events.clusters} clusters, ${s.dropped.minhash_duplicate!.docs} removed; RSS before ${(before / 1e6).toFixed(0)} MB, peak ${(process.resourceUsage().maxRSS / 1e3).toFixed(0)} MB`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

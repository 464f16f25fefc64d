/**
 * Pass 3, one task: union-find over every band's pairs, then per input shard the list of
 * documents to remove. Memory is two Uint32Arrays of the document count (8 bytes per
 * document of the whole run: 800 MB for 100M documents, by design, see docs/scaling.md),
 * whatever the number of pairs, which are streamed, as the removal lists are written
 * (`write_clusters` adds 4 B per clustered document).
 *
 * Survivor (deterministic, independent of task count and order): the root of a cluster is
 * always its smallest global doc id (union links the larger root under the smaller), i.e.
 * the document in the first input shard (by path order), earliest row. All others are removed.
 */
import type { CorpusPass } from '../../src/pass.js';
import type { Storage } from '../../src/storage/storage.js';
import { RefineryError } from '../../src/errors.js';
import { addToHistogram, LOG_EDGES, newHistogram } from '../../src/stats.js';
import type { Histogram } from '../../src/stats.js';
import type { MinhashConfig } from './config.js';
import { checkConfig } from './config.js';
import { PAIRS_MAGIC, readRecords, readTrailer, REMOVE_MAGIC, TrailerWriter } from './files.js';
import { bucketTasks, clustersPath, emptyStageStats, numberedFiles, PASS_BUCKETS, PASS_CLUSTERS, removePath, taskStats } from './common.js';
import { signatureHeaders } from './buckets.js';

/** Union-find on typed arrays: parent[i] = i for roots; roots are cluster minima. */
export class DocClusters {
  readonly parent: Uint32Array;
  constructor(readonly docs: number) {
    this.parent = new Uint32Array(docs);
    for (let i = 0; i < docs; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      const up = p[p[x]!]!;
      p[x] = up; // path halving
      x = up;
    }
    return x;
  }
  /** Unions every pair (a, b) of a chunk [a0, b0, a1, b1, ...]. */
  addPairs(chunk: Uint32Array): void {
    const p = this.parent;
    const n = this.docs;
    for (let i = 0; i < chunk.length; i += 2) {
      const a = chunk[i]!, b = chunk[i + 1]!;
      if (a >= n || b >= n) throw new RangeError(`pair (${a}, ${b}) outside ${n} documents`);
      const ra = this.find(a), rb = this.find(b);
      if (ra < rb) p[rb] = ra;
      else if (rb < ra) p[ra] = rb;
    }
  }
  /** Compresses every path (parent[i] = root) and returns cluster sizes per root. */
  finish(): { sizes: Uint32Array; clusters: number; removed: number; histogram: Histogram } {
    const p = this.parent;
    const sizes = new Uint32Array(this.docs);
    let removed = 0;
    for (let i = 0; i < this.docs; i++) {
      // parent[x] <= x always (a root is linked under a smaller one, halving only moves up),
      // so in increasing order p[i]'s own parent is already its final root.
      const r = p[p[i]!]!;
      p[i] = r;
      sizes[r]!++;
      if (r !== i) removed++;
    }
    const histogram = newHistogram(LOG_EDGES);
    let clusters = 0;
    for (let i = 0; i < this.docs; i++) {
      if (p[i] === i && sizes[i]! > 1) {
        clusters++;
        addToHistogram(histogram, sizes[i]!);
      }
    }
    return { sizes, clusters, removed, histogram };
  }
}

const SINGLE = 0xffffffff;

/**
 * `clusters.jsonl`: one line per cluster of two or more, in root order (a root is its
 * cluster's smallest id, so this is the order of first members), members ascending. Grouped
 * without a map: `sizes` (consumed) becomes each cluster's offset into one array of the
 * clustered ids (4 B each), and the lines are streamed out.
 */
async function writeClusters(run: Storage, parent: Uint32Array, sizes: Uint32Array, offsets: number[], shardOf: (g: number) => number): Promise<void> {
  let clustered = 0;
  for (let g = 0; g < parent.length; g++) {
    if (parent[g] !== g) continue;
    const n = sizes[g]!;
    sizes[g] = n >= 2 ? clustered : SINGLE;
    if (n >= 2) clustered += n;
  }
  const members = new Uint32Array(clustered);
  for (let g = 0; g < parent.length; g++) {
    const r = parent[g]!;
    if (sizes[r] !== SINGLE) members[sizes[r]!++] = g; // sizes[r] ends as the cluster's end
  }
  const out = await run.create(clustersPath);
  try {
    let text = '';
    let start = 0;
    for (let r = 0; r < parent.length; r++) {
      if (parent[r] !== r || sizes[r] === SINGLE) continue;
      const end = sizes[r]!;
      const list: [number, number][] = [];
      for (let k = start; k < end; k++) {
        const g = members[k]!;
        const s = shardOf(g);
        list.push([s, g - offsets[s]!]);
      }
      text += JSON.stringify({ size: end - start, members: list }) + '\n';
      start = end;
      if (text.length >= 1 << 20) {
        await out.write(Buffer.from(text));
        text = '';
      }
    }
    if (text) await out.write(Buffer.from(text));
    await out.commit();
  } catch (e) {
    await out.abort();
    throw e;
  }
}

export const clustersPass: CorpusPass<MinhashConfig> = {
  name: PASS_CLUSTERS,
  writesDocs: false,
  async plan(ctx) {
    checkConfig(ctx.options);
    return 1;
  },
  async run(rank, ctx) {
    const started = Date.now();
    const c = checkConfig(ctx.options);
    if (rank !== 0) throw new RefineryError('ERR_CONFIG', `${PASS_CLUSTERS} has one task, got rank ${rank}`);
    const { headers, offsets, total } = await signatureHeaders(ctx);
    const uf = new DocClusters(total);
    let pairs = 0;
    for (const f of await numberedFiles(ctx.run, `${PASS_BUCKETS}/pairs`, bucketTasks(c))) {
      const t = await readTrailer(ctx.run, f.path, f.size, PAIRS_MAGIC, 2);
      if (t.aux !== total) throw new RefineryError('ERR_CORRUPT', `pairs for ${t.aux} documents, signatures have ${total}; rerun ${PASS_BUCKETS}`, { file: f.path });
      for await (const chunk of readRecords(ctx.run, f.path, t.body, 2, t.bodyCrc)) uf.addPairs(chunk);
      pairs += t.count;
    }
    // finish() runs after every union, so parent[] holds each doc's final root.
    const { sizes, clusters, removed, histogram } = uf.finish();
    const shardOf = (g: number) => {
      let lo = 0, hi = offsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (offsets[mid]! <= g) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    // Each shard's list is streamed out (sorted by row), not held.
    for (const [s, h] of headers.entries()) {
      const list = new TrailerWriter(await ctx.run.create(removePath(s)), REMOVE_MAGIC, 3);
      try {
        for (let i = 0; i < h.docs; i++) {
          const g = offsets[s]! + i;
          const r = uf.parent[g]!;
          if (r !== g) {
            const rs = shardOf(r);
            if (list.push3(i, rs, r - offsets[rs]!)) await list.flush();
          }
        }
      } catch (e) {
        await list.abort();
        throw e;
      }
      await list.commit(h.docs);
    }
    if (c.write_clusters) await writeClusters(ctx.run, uf.parent, sizes, offsets, shardOf);
    ctx.log(`${PASS_CLUSTERS}: ${total} docs, ${pairs} pairs, ${clusters} clusters, ${removed} to remove`);
    const stats = emptyStageStats();
    stats.docsIn = total;
    stats.docsOut = total - removed;
    stats.dropped.minhash_duplicate = { docs: removed, chars: 0 };
    stats.events.pairs = pairs;
    stats.events.clusters = clusters;
    stats.histograms.cluster_size = histogram;
    stats.ms = Date.now() - started;
    return taskStats(PASS_CLUSTERS, 0, stats, started);
  },
};

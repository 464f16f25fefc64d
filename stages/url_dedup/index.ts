/**
 * URL dedup across dumps (spec §9, RW 3.3): a document whose normalized URL was already kept
 * earlier is dropped. "Earlier" is the documented order: dump name (CommonCrawl's
 * `CC-MAIN-YYYY-WW` sorts chronologically; a missing dump sorts first), then input file (shard
 * path order), then record (row in the file). Documents with an empty URL are never deduped.
 *
 *  1. `url_dedup_keys` (task per shard): each document's normalized URL and order key, to a
 *     bucket file by URL hash.
 *  2. `url_dedup_select` (task per bucket): per URL the first document wins; the others are
 *     listed for their shard.
 *  3. `url_dedup` (task per shard): drop the listed documents.
 * Memory: pass 2 holds one bucket's URLs (1/buckets of the whole input's: raise `buckets`
 * with the corpus); passes 1 and 3 stream the shard (a Parquet row group, and per bucket a
 * 1 MB buffer of key lines), pass 3 also holds the shard's list of dropped rows.
 */
import { int } from '../../src/options.js';
import xxhash from 'xxhash-wasm';
import type { CorpusPass, CorpusStep, PassExplanation } from '../../src/pass.js';
import { RefineryError } from '../../src/errors.js';
import type { AtomicWriter } from '../../src/storage/storage.js';
import { auxTaskStats, fileNumber, inputShardFiles, inputShards, shardDocs, taskDocsWriter } from '../../src/pass-io.js';
import { pad } from '../../src/run-dir.js';

export interface UrlDedupConfig {
  /** URL-hash buckets (tasks of the select pass). */
  buckets: number;
}

export const defaults: UrlDedupConfig = { buckets: 16 };

const P = { keys: 'url_dedup_keys', select: 'url_dedup_select', apply: 'url_dedup' };

/**
 * Normalized URL (spec §9 **choice**): scheme and host lowercased, default port and fragment
 * removed (the WHATWG URL parser does the first two, and also punycodes IDN hosts and resolves
 * `.`/`..` path segments); path and query are kept as they are (they are case-sensitive).
 * A string that does not parse as a URL is compared as itself, trimmed.
 */
export function normalizeUrl(url: string): string {
  const raw = url.trim();
  if (!raw) return '';
  try {
    const u = new URL(raw);
    u.hash = '';
    return u.href;
  } catch {
    return raw;
  }
}

// xxHash32 (seed 0) of the UTF-8 URL: buckets only partition the keys (the first copy wins
// whatever its bucket), so a fast non-cryptographic hash serves; ~25x cheaper than md5 per URL.
const hasher = xxhash();

function bucketOfUrl(h32: (s: string) => number, norm: string, buckets: number): number {
  return Math.floor((h32(norm) * buckets) / 2 ** 32);
}

interface KeyRecord {
  url: string;
  dump: string;
  row: number;
}

const keysPass: CorpusPass<UrlDedupConfig> = {
  name: P.keys,
  writesDocs: false,
  async plan(ctx) {
    if (!(Number.isInteger(ctx.options.buckets) && ctx.options.buckets >= 1)) throw new RefineryError('ERR_CONFIG', 'url_dedup.buckets: expected a positive integer');
    return (await inputShards(ctx.run, ctx.input)).length;
  },
  async run(rank, ctx) {
    const t0 = performance.now();
    const shard = (await inputShardFiles(ctx.run, ctx.input))[rank]!;
    // Per bucket, key lines go out through a writer opened at the bucket's first line.
    const { h32 } = await hasher;
    const files: (AtomicWriter | undefined)[] = new Array(ctx.options.buckets);
    const pending: string[] = new Array(ctx.options.buckets).fill('');
    const flush = async (b: number) => {
      if (!pending[b]) return;
      const out = (files[b] ??= await ctx.run.create(`${P.keys}/${pad(b)}/${pad(rank)}.jsonl`));
      await out.write(Buffer.from(pending[b]!));
      pending[b] = '';
    };
    try {
      let row = 0;
      for await (const doc of shardDocs(ctx.run, shard)) {
        const url = normalizeUrl(doc.url);
        if (url) {
          const rec: KeyRecord = { url, dump: doc.dump ?? '', row };
          const b = bucketOfUrl(h32, url, ctx.options.buckets);
          pending[b] += JSON.stringify(rec) + '\n';
          if (pending[b]!.length >= KEY_BUFFER_CHARS) await flush(b);
        }
        row++;
      }
      for (let b = 0; b < files.length; b++) await flush(b);
      for (const f of files) await f?.commit();
    } catch (e) {
      for (const f of files) await f?.abort();
      throw e;
    }
    return auxTaskStats(P.keys, rank, performance.now() - t0, shard.path);
  },
};

/** Key lines buffered per bucket before they are written. */
const KEY_BUFFER_CHARS = 1 << 20;

interface Loser {
  row: number;
  /** Where the kept copy is. */
  kept: { dump: string; shard: number; row: number };
}

const selectPass: CorpusPass<UrlDedupConfig> = {
  name: P.select,
  writesDocs: false,
  async plan(ctx) {
    return ctx.options.buckets;
  },
  async run(bucket, ctx) {
    const t0 = performance.now();
    const first = new Map<string, { dump: string; shard: number; row: number }>();
    const all: { url: string; dump: string; shard: number; row: number }[] = [];
    for (const f of await ctx.run.list(`${P.keys}/${pad(bucket)}/`)) {
      const shard = fileNumber(f.path);
      for (const line of (await ctx.run.readAll(f.path)).toString('utf8').split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as KeyRecord;
        all.push({ url: r.url, dump: r.dump, shard, row: r.row });
      }
    }
    const before = (a: { dump: string; shard: number; row: number }, b: { dump: string; shard: number; row: number }) =>
      a.dump !== b.dump ? a.dump < b.dump : a.shard !== b.shard ? a.shard < b.shard : a.row < b.row;
    for (const r of all) {
      const cur = first.get(r.url);
      if (!cur || before(r, cur)) first.set(r.url, r);
    }
    const losers = new Map<number, Loser[]>();
    for (const r of all) {
      const win = first.get(r.url)!;
      if (win.shard === r.shard && win.row === r.row) continue;
      if (!losers.has(r.shard)) losers.set(r.shard, []);
      losers.get(r.shard)!.push({ row: r.row, kept: { dump: win.dump, shard: win.shard, row: win.row } });
    }
    for (const [shard, list] of [...losers].sort((a, b) => a[0] - b[0])) {
      list.sort((a, b) => a.row - b.row);
      await ctx.run.writeAll(`${P.select}/drop/${pad(shard)}/${pad(bucket)}.json`, JSON.stringify(list));
    }
    return auxTaskStats(P.select, bucket, performance.now() - t0);
  },
};

/** Documents named in `refinery explain` as removed for a kept document's URL. */
const EXPLAIN_LOSERS = 20;

const applyPass: CorpusPass<UrlDedupConfig> = {
  name: P.apply,
  writesDocs: true,
  // `refinery explain`: which document kept the URL, or which ones lost it to this one (the
  // select pass's drop lists, read whole: a few bytes per removed document of the run).
  async explain(at, ctx) {
    const related: NonNullable<PassExplanation['related']> = [];
    for (const f of await ctx.run.list(`${P.select}/drop/`)) {
      const shard = Number(f.path.split('/').at(-2));
      if (!at.kept && shard !== at.shard) continue;
      for (const l of JSON.parse((await ctx.run.readAll(f.path)).toString('utf8')) as Loser[]) {
        if (!at.kept && l.row === at.row) return { facts: { kept_dump: l.kept.dump || '(no dump)' }, related: [{ role: 'kept this URL', shard: l.kept.shard, row: l.kept.row }] };
        if (at.kept && l.kept.shard === at.shard && l.kept.row === at.row && related.length < EXPLAIN_LOSERS) related.push({ role: 'removed for the same URL', shard, row: l.row });
      }
    }
    return related.length ? { related } : undefined;
  },
  async plan(ctx) {
    return (await inputShards(ctx.run, ctx.input)).length;
  },
  async run(rank, ctx) {
    const t0 = performance.now();
    const shard = (await inputShardFiles(ctx.run, ctx.input))[rank]!;
    const drop = new Map<number, Loser['kept']>();
    for (const f of await ctx.run.list(`${P.select}/drop/${pad(rank)}/`)) {
      for (const l of JSON.parse((await ctx.run.readAll(f.path)).toString('utf8')) as Loser[]) drop.set(l.row, l.kept);
    }
    const out = taskDocsWriter(ctx.run, P.apply, rank, 'url_dedup');
    try {
      let row = 0;
      for await (const doc of shardDocs(ctx.run, shard)) {
        out.read(doc);
        const k = drop.get(row++);
        if (!k) await out.keep(doc);
        else await out.exclude(doc, { reason: 'duplicate_url', detail: `kept: ${k.dump || '(no dump)'} shard ${k.shard} row ${k.row}` });
      }
    } catch (e) {
      await out.abort();
      throw e;
    }
    return out.close(shard.path, performance.now() - t0);
  },
};

export const urlDedup: CorpusStep<UrlDedupConfig> = {
  name: 'url_dedup',
  description: 'Drop a document whose normalized URL was kept from an earlier dump, file or record',
  defaults,
  ranges: { buckets: int(1, 65536) },
  passes: [keysPass, selectPass, applyPass],
};

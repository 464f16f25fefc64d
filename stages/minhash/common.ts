/** What the MinHash passes share: folder names, the input shard list, stats shells. */
import { crc32 } from 'node:zlib';
import type { PassContext } from '../../src/pass.js';
import type { ObjectInfo, Storage } from '../../src/storage/storage.js';
import type { StageStats, TaskStats } from '../../src/stats.js';
import { emptyStageStats } from '../../src/stats.js';
import { RefineryError } from '../../src/errors.js';
import { pad } from '../../src/run-dir.js';
import { inputShardFiles } from '../../src/pass-io.js';
import type { MinhashConfig } from './config.js';

export const PASS_SIGNATURES = 'minhash_signatures';
export const PASS_BUCKETS = 'minhash_buckets';
export const PASS_CLUSTERS = 'minhash_clusters';
export const PASS_FILTER = 'minhash_filter';

export const sigPath = (shard: number) => `${PASS_SIGNATURES}/sigs/${pad(shard)}.bin`;
export const pairsPath = (task: number) => `${PASS_BUCKETS}/pairs/${pad(task)}.bin`;
/** Tasks of the buckets pass, hence its pairs files: one per `bands_per_task` bands. */
export const bucketTasks = (c: MinhashConfig) => Math.ceil(c.bands / c.bands_per_task);
export const removePath = (shard: number) => `${PASS_CLUSTERS}/remove/${pad(shard)}.bin`;
export const clustersPath = `${PASS_CLUSTERS}/clusters.jsonl`;

export { pad };

export type MinhashContext = PassContext & { options: MinhashConfig };

/** The input documents: `<input>/data/*.parquet`, sorted by path; shard i = rank i. */
export async function inputShards(ctx: PassContext): Promise<ObjectInfo[]> {
  return inputShardFiles(ctx.run, ctx.input);
}

/**
 * Files `<dir>/<5-digit index>.bin` for indexes 0..count-1, each present (a missing one is
 * named: an earlier pass did not finish it).
 */
export async function numberedFiles(run: Storage, dir: string, count: number): Promise<ObjectInfo[]> {
  const byName = new Map((await run.list(`${dir}/`)).map((o) => [o.path, o]));
  const out: ObjectInfo[] = [];
  for (let i = 0; i < count; i++) {
    const path = `${dir}/${pad(i)}.bin`;
    const o = byName.get(path);
    if (!o) throw new RefineryError('ERR_CORRUPT', `missing (its pass did not complete)`, { file: `${run.root}/${path}` });
    out.push(o);
  }
  return out;
}

/** Fingerprint of the options that change signatures: files of another config are refused. */
export function configTag(c: MinhashConfig): number {
  return crc32(JSON.stringify([c.shingle, c.ngram, c.bands, c.rows, c.seed, c.digits_to_zero]));
}

export function taskStats(pass: string, rank: number, stage: StageStats, started: number, extra: Partial<TaskStats> = {}): TaskStats {
  return {
    pass,
    rank,
    stages: [{ name: pass, stats: stage }],
    docsWritten: 0,
    tokensWritten: 0,
    retries: {},
    ms: Date.now() - started,
    ...extra,
  };
}

export { emptyStageStats };

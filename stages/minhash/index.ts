/**
 * minhash: fuzzy deduplication at corpus scale (spec §7; RW 3.3 and G.3.1), as four passes:
 *   minhash_signatures (per input shard) -> minhash_buckets (per group of bands) ->
 *   minhash_clusters (one task, union-find) -> minhash_filter (per input shard, writes docs).
 * Defaults are RefinedWeb's (GPT-2 token 5-grams, 450 bands x 20 rows); FineWeb's preset is
 * `MINHASH_PRESETS.fineweb` (word 5-grams, digits -> 0, 14 x 8). The survivor of a cluster is
 * its first document in input order (see clusters.ts).
 *
 * The b*r components of a signature come from an exponential race (native/src/minhash.cc):
 * each is distributed exactly as a MinHash under its own truly random hash function, so a pair
 * with Jaccard s becomes a candidate with probability 1-(1-s^r)^b, at a cost of about
 * K ln K arrivals per document (K = b*r) instead of K hashes per shingle.
 */
import { int, oneOf } from '../../src/options.js';
import type { CorpusStep } from '../../src/pass.js';
import type { MinhashConfig } from './config.js';
import { MINHASH_DEFAULTS } from './config.js';
import { signaturesPass } from './signatures.js';
import { bucketsPass } from './buckets.js';
import { clustersPass } from './clusters.js';
import { filterPass } from './filter.js';

export { MINHASH_DEFAULTS, MINHASH_PRESETS, candidateProbability } from './config.js';
export type { MinhashConfig } from './config.js';

export const minhash: CorpusStep<MinhashConfig> = {
  name: 'minhash',
  description: 'Fuzzy dedup: MinHash LSH (450x20 over GPT-2 token 5-grams by default), union-find clusters, one survivor each',
  defaults: MINHASH_DEFAULTS,
  // The bounds stages/minhash/config.ts checkConfig applies, declared so they are checked at start.
  ranges: {
    bands: int(1, 100_000),
    rows: int(1, 1000),
    ngram: int(1, 1000),
    shingle: oneOf('gpt2', 'words'),
    seed: int(0),
    bands_per_task: int(1, 100_000),
  },
  passes: [signaturesPass, bucketsPass, clustersPass, filterPass],
};

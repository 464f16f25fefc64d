/** MinHash options (spec §7): defaults are RefinedWeb's; `MINHASH_PRESETS.fineweb` is FineWeb's. */
import { RefineryError } from '../../src/errors.js';

// A type alias (not an interface) so it satisfies PassContext's Record<string, unknown> options.
export type MinhashConfig = {
  /** Number of bands b: a pair is a candidate when all rows of any band agree. */
  bands: number;
  /** Rows (hashes) per band r. b*r hashes in all. */
  rows: number;
  /** Shingle length n (n-grams of the shingle units). */
  ngram: number;
  /** Shingle units: `gpt2` (GPT-2 BPE tokens, RefinedWeb) or `words` (FineWeb). */
  shingle: string;
  /** Map every digit to 0 before shingling (FineWeb). */
  digits_to_zero: boolean;
  /** Seed of the b*r MinHash components: runs compared with each other must share it. */
  seed: number;
  /** Also write `minhash_clusters/clusters.jsonl` (members of each cluster) for inspection. */
  write_clusters: boolean;
  /**
   * Bands merged by one minhash_buckets task: 450 one-band tasks spent more time starting
   * and reading headers than merging. Fewer, longer tasks; more for more parallelism.
   */
  bands_per_task: number;
  /**
   * Documents per sorted run of a signature file: the signature task holds one run's keys and
   * sections (~20 B per band per document), whatever the documents per shard. 0: as many as
   * fit SIGNATURE_RUN_BYTES. The pairs, clusters and kept documents do not depend on it.
   */
  chunk_docs: number;
};

/** Memory of one run of the signature task when `chunk_docs` is 0 (automatic). */
export const SIGNATURE_RUN_BYTES = 128 * 1024 * 1024;
/** Bytes per band per document of a run: its key (8 B) and its record (12 B). */
const RUN_BYTES_PER_BAND_DOC = 20;

/** Documents per run of the signature pass (see `chunk_docs`). */
export function signatureChunkDocs(c: MinhashConfig): number {
  return c.chunk_docs > 0 ? c.chunk_docs : Math.max(1, Math.floor(SIGNATURE_RUN_BYTES / (RUN_BYTES_PER_BAND_DOC * c.bands)));
}

export const MINHASH_DEFAULTS: MinhashConfig = {
  bands: 450,
  rows: 20,
  ngram: 5,
  shingle: 'gpt2',
  digits_to_zero: false,
  seed: 1,
  write_clusters: false,
  bands_per_task: 15,
  chunk_docs: 0,
};

/** RefinedWeb (RW G.3.1: GPT-2 token 5-grams, 450 x 20) and FineWeb (word 5-grams, digits -> 0, 14 x 8). */
export const MINHASH_PRESETS: Record<'refinedweb' | 'fineweb', MinhashConfig> = {
  refinedweb: { ...MINHASH_DEFAULTS },
  fineweb: { ...MINHASH_DEFAULTS, bands: 14, rows: 8, shingle: 'words', digits_to_zero: true },
};

export function checkConfig(c: MinhashConfig): MinhashConfig {
  const positive = (k: keyof MinhashConfig, max: number) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < 1 || v > max) throw new RefineryError('ERR_CONFIG', `minhash.${k}: expected an integer in [1, ${max}], got ${v}`);
  };
  positive('bands', 100_000);
  positive('rows', 1000);
  positive('ngram', 1000);
  positive('bands_per_task', 100_000);
  if (!Number.isInteger(c.chunk_docs) || c.chunk_docs < 0) throw new RefineryError('ERR_CONFIG', `minhash.chunk_docs: expected a non-negative integer (0: automatic), got ${c.chunk_docs}`);
  if (c.shingle !== 'gpt2' && c.shingle !== 'words') {
    throw new RefineryError('ERR_CONFIG', `minhash.shingle: expected "gpt2" or "words", got ${JSON.stringify(c.shingle)}`);
  }
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new RefineryError('ERR_CONFIG', `minhash.seed: expected a non-negative integer, got ${c.seed}`);
  return c;
}

/** Probability that a pair with Jaccard similarity s becomes a candidate: 1-(1-s^r)^b. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands;
}

/** The native MinHash kernel (native/src/minhash.cc) behind typed signatures. */
import { loadNative } from '../../src/native.js';
import { gpt2Native } from '../../src/tokenizer/gpt2.js';
import type { MinhashConfig } from './config.js';

interface MinhashNative {
  minhashBands(
    texts: string[],
    opts: { shingle: string; ngram: number; bands: number; rows: number; seed: number; normalize: boolean; digits_to_zero: boolean; portable: boolean },
  ): [BigUint64Array, Uint32Array];
  minhashSections(keys: BigUint64Array, bands: number, include: Uint32Array, base: number): Uint8Array;
}

function native(shingle: string): MinhashNative {
  if (shingle === 'gpt2') gpt2Native(); // loads the GPT-2 ranks into the addon once
  return loadNative() as unknown as MinhashNative;
}

/** How bandKeys treats its texts. */
export interface BandKeyOptions {
  /** Normalize each text first (normalizeForMinhash, in native code): the signature pass. */
  normalize?: boolean;
  /** Turn off the AVX-512 path (for the test that checks both paths agree). */
  portable?: boolean;
}

/**
 * Band keys of texts: `keys[d * bands + k]` is document d's key for band k; `shingles[d]` its
 * number of distinct shingles (0: no key is meaningful). Texts are taken as already
 * normalized unless `normalize` is set.
 */
export function bandKeys(
  texts: string[],
  c: Pick<MinhashConfig, 'shingle' | 'ngram' | 'bands' | 'rows' | 'seed'> & { digits_to_zero?: boolean },
  o: BandKeyOptions = {},
): { keys: BigUint64Array; shingles: Uint32Array } {
  const [keys, shingles] = native(c.shingle).minhashBands(texts, {
    shingle: c.shingle,
    ngram: c.ngram,
    bands: c.bands,
    rows: c.rows,
    seed: c.seed,
    normalize: o.normalize ?? false,
    digits_to_zero: c.digits_to_zero ?? false,
    portable: o.portable ?? false,
  });
  return { keys, shingles };
}

/**
 * Per band, records (key_hi, key_lo, base + doc) of the `include`d docs (indexes into `keys`)
 * sorted by (key, doc): one run of a signature file whose first document is row `base`.
 */
export function sortedSections(keys: BigUint64Array, bands: number, include: Uint32Array, base = 0): Uint8Array {
  return native('words').minhashSections(keys, bands, include, base);
}

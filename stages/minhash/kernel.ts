/** The native MinHash kernel (native/src/minhash.cc) behind typed signatures. */
import { loadNative } from '../../src/native.js';
import { gpt2Native } from '../../src/tokenizer/gpt2.js';
import type { MinhashConfig } from './config.js';

interface MinhashNative {
  minhashBands(texts: string[], opts: { shingle: string; ngram: number; bands: number; rows: number; seed: number }): [BigUint64Array, Uint32Array];
  minhashSections(keys: BigUint64Array, bands: number, include: Uint32Array): Uint8Array;
}

function native(shingle: string): MinhashNative {
  if (shingle === 'gpt2') gpt2Native(); // loads the GPT-2 ranks into the addon once
  return loadNative() as unknown as MinhashNative;
}

/**
 * Band keys of normalized texts: `keys[d * bands + k]` is document d's key for band k;
 * `shingles[d]` its number of distinct shingles (0: no key is meaningful).
 */
export function bandKeys(texts: string[], c: Pick<MinhashConfig, 'shingle' | 'ngram' | 'bands' | 'rows' | 'seed'>): { keys: BigUint64Array; shingles: Uint32Array } {
  const [keys, shingles] = native(c.shingle).minhashBands(texts, { shingle: c.shingle, ngram: c.ngram, bands: c.bands, rows: c.rows, seed: c.seed });
  return { keys, shingles };
}

/** Per band, records (key_hi, key_lo, doc) of the `include`d docs sorted by (key, doc). */
export function sortedSections(keys: BigUint64Array, bands: number, include: Uint32Array): Uint8Array {
  return native('words').minhashSections(keys, bands, include);
}

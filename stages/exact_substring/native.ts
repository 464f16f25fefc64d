/** Typed access to the suffix-array kernels of native/src/suffix_array.cc. */
import { loadNative } from '../../src/native.js';

export interface ExactWindows {
  /** Sorted starts (+ base) of k-token windows that occur at least twice in the part. */
  dupStarts: Uint32Array;
  /** One record per distinct window: its fingerprint (two 64-bit hashes) and smallest position (+ base)... */
  windowHash: BigUint64Array;
  windowHash2: BigUint64Array;
  windowPos: Uint32Array;
  /** ...grouped by bucket (range of windowHash): bucket b is [bucketStarts[b], bucketStarts[b+1]), sorted by (windowHash, windowHash2, position). */
  bucketStarts: Uint32Array;
}

interface SuffixArrayKernels {
  suffixArray(text: Uint32Array, alphabetSize: number): Int32Array;
  lcpArray(text: Uint32Array, sa: Int32Array): Int32Array;
  /** Bucket of a hash: its range of the 64-bit space, floor(hash / 2^32 * buckets / 2^32). */
  exactWindows(tokens: Uint32Array, docLengths: Uint32Array, k: number, buckets: number, base: number, seed: number): ExactWindows;
  /** Fingerprints of consecutive k-token windows, interleaved [h1, h2, h1, h2, ...]. */
  windowHashes(windows: Uint32Array, k: number, seed: number): BigUint64Array;
}

export function suffixArrayKernels(): SuffixArrayKernels {
  return loadNative() as unknown as SuffixArrayKernels;
}

/** Typed access to the suffix-array kernels of native/src/suffix_array.cc. */
import { loadNative } from '../../src/native.js';

export interface ExactWindows {
  /** Sorted starts (+ base) of k-token windows that occur at least twice in the part. */
  dupStarts: Uint32Array;
  /** One record per distinct window: its hash and smallest position (+ base)... */
  windowHash: BigUint64Array;
  windowPos: Uint32Array;
  /** ...grouped by hash bucket: bucket b is [bucketStarts[b], bucketStarts[b+1]), sorted by (hash, position). */
  bucketStarts: Uint32Array;
}

interface SuffixArrayKernels {
  suffixArray(text: Uint32Array, alphabetSize: number): Int32Array;
  lcpArray(text: Uint32Array, sa: Int32Array): Int32Array;
  /** Bucket of a hash: its range of the 64-bit space, floor(hash / 2^32 * buckets / 2^32). */
  exactWindows(tokens: Uint32Array, docLengths: Uint32Array, k: number, buckets: number, base: number): ExactWindows;
  windowHashes(windows: Uint32Array, k: number): BigUint64Array;
}

export function suffixArrayKernels(): SuffixArrayKernels {
  return loadNative() as unknown as SuffixArrayKernels;
}

/** Typed access to the suffix-array kernels of native/src/suffix_array.cc. */
import { loadNative } from '../../src/native.js';

export interface ExactWindows {
  /** Sorted starts of k-token windows that occur at least twice in the part. */
  dupStarts: Uint32Array;
  /** One record per distinct window, sorted by (hash, position): its smallest position... */
  windowPos: Uint32Array;
  windowHash: BigUint64Array;
  /** ...and whether it occurs more than once in the part. */
  windowLocalDup: Uint8Array;
}

interface SuffixArrayKernels {
  suffixArray(text: Uint32Array, alphabetSize: number): Int32Array;
  lcpArray(text: Uint32Array, sa: Int32Array): Int32Array;
  exactWindows(tokens: Uint32Array, docLengths: Uint32Array, k: number): ExactWindows;
  windowHashes(windows: Uint32Array, k: number): BigUint64Array;
}

export function suffixArrayKernels(): SuffixArrayKernels {
  return loadNative() as unknown as SuffixArrayKernels;
}

/** Typed access to the winnowing kernels of native/src/winnow.cc. */
import { loadNative } from '../../src/native.js';

export interface WinnowPicks {
  /** One record per pick: its gram hash and token position (documents concatenated)... */
  hash: BigUint64Array;
  pos: Uint32Array;
  /** ...grouped by bucket (range of the hash): bucket b is [bucketStarts[b], bucketStarts[b+1]), in position order. */
  bucketStarts: Uint32Array;
}

interface WinnowKernels {
  /** Winnowing picks (rightmost minimum gram hash of every k - q + 1 consecutive q-grams) of every document of >= k tokens (ids in any unsigned width). */
  winnowPicks(tokens: Uint8Array | Uint16Array | Uint32Array, docLengths: Uint32Array, k: number, q: number, buckets: number, seed: number): WinnowPicks;
  /** A tokenizer batch as token-file columns: ids, and offsets as steps from the previous token's in the document, each in its narrowest unsigned width. */
  tokenColumns(tokens: Uint16Array | Uint32Array, offsets: Uint32Array, lengths: ArrayLike<number>): { ids: Uint8Array | Uint16Array | Uint32Array; steps: Uint8Array | Uint16Array | Uint32Array };
  /** For each member x in xs: ids [pick[x] - left[x], pick[x] + right[x]) (ids holding the shard's tokens from `base` on) into context[x * S + w - 1 - left[x], ...). */
  gatherContexts(context: Uint32Array, S: number, w: number, ids: Uint8Array | Uint16Array | Uint32Array, base: number, xs: Uint32Array, pick: Uint32Array, left: Uint32Array, right: Uint32Array): void;
  /** Indices of the records whose hash occurs twice or more, sorted by (hash, index), and the group starts (+ the end). */
  winnowGroups(hash: BigUint64Array): { members: Uint32Array; groupStarts: Uint32Array };
  /**
   * Per member of each group (context: S = 2(k-q) + q tokens per member, pick at offset k-q;
   * left/right: tokens inside the document before the pick / from the pick on): its duplicated
   * span [pick - lo, pick + hi), hi = 0 for none. hashBits < 64 truncates the fingerprints (tests).
   */
  winnowSpans(context: Uint32Array, left: Uint32Array, right: Uint32Array, groupStarts: Uint32Array, k: number, q: number, seed: number, hashBits: number): { lo: Uint32Array; hi: Uint32Array; collisions: number };
}

export function winnowKernels(): WinnowKernels {
  return loadNative() as unknown as WinnowKernels;
}

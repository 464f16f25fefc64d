/**
 * What token-level stages (exact-substring dedup, token counts) need from a tokenizer: ids and,
 * for each token, the UTF-16 index in the text where it starts, so token spans map back to
 * exact character ranges. Offsets never decrease; a token that starts inside a character
 * (byte-level BPE can split one) gets that character's index.
 */
export interface Tokenizer {
  encodeWithOffsets(text: string): { ids: Uint32Array; offsets: Uint32Array };
}

/** Character range [start, end) of token `t` of a text of length `textLength`. */
export function tokenCharEnd(offsets: Uint32Array, t: number, textLength: number): number {
  return t + 1 < offsets.length ? offsets[t + 1]! : textLength;
}

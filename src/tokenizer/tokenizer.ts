/**
 * What token-level stages (exact-substring dedup, token counts) need from a tokenizer: ids and,
 * for each token, the UTF-16 index in the text where it starts, so token spans map back to
 * exact character ranges. Offsets never decrease; a token that starts inside a character
 * (byte-level BPE can split one) gets that character's index.
 */
export interface Tokenizer {
  encodeWithOffsets(text: string): { ids: Uint32Array; offsets: Uint32Array };
  /**
   * Many documents (strings, or their UTF-8 bytes) in one call, for a native batch encoder: no
   * per-document arrays. Optional; `encodeBatchWithOffsets` below falls back to per-document calls.
   */
  encodeBatchWithOffsets?(texts: (string | Uint8Array)[]): TokenBatch;
}

/** The tokens of a batch of documents, concatenated (what the native gpt2EncodeDocsWithOffsets returns). */
export interface TokenBatch {
  tokens: Uint16Array | Uint32Array;
  /** Tokens per document. */
  lengths: ArrayLike<number>;
  /** Per token, the UTF-16 offset of its start in its own document (the caller may overwrite them). */
  offsets: Uint32Array;
  /** UTF-16 code units of all the documents. */
  units: number;
}

/** Whether the tokenizer takes UTF-8 bytes (a native batch encoder), so a reader need not make strings. */
export function takesBytes(tok: Tokenizer): boolean {
  return typeof tok.encodeBatchWithOffsets === 'function';
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The tokenizer's batch encoder, or its per-document one called per text and concatenated. */
export function encodeBatchWithOffsets(tok: Tokenizer, texts: (string | Uint8Array)[]): TokenBatch {
  if (tok.encodeBatchWithOffsets) return tok.encodeBatchWithOffsets(texts);
  const parts: { ids: Uint32Array; offsets: Uint32Array }[] = [];
  const lengths = new Uint32Array(texts.length);
  let total = 0;
  let units = 0;
  texts.forEach((t, i) => {
    const text = typeof t === 'string' ? t : utf8.decode(t);
    const e = tok.encodeWithOffsets(text);
    parts.push(e);
    lengths[i] = e.ids.length;
    total += e.ids.length;
    units += text.length;
  });
  const tokens = new Uint32Array(total);
  const offsets = new Uint32Array(total);
  let at = 0;
  for (const e of parts) {
    tokens.set(e.ids, at);
    offsets.set(e.offsets, at);
    at += e.ids.length;
  }
  return { tokens, lengths, offsets, units };
}

/** Character range [start, end) of token `t` of a text of length `textLength`. */
export function tokenCharEnd(offsets: Uint32Array, t: number, textLength: number): number {
  return t + 1 < offsets.length ? offsets[t + 1]! : textLength;
}

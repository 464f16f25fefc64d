/**
 * GPT-2 BPE (tiktoken's `gpt2` encoding, token for token), run by the native addon
 * (native/src/gpt2_bpe.cc). Used by `token_count`, MinHash (RefinedWeb preset) and the
 * exact-substring stage.
 *
 * The vocabulary ships with the npm package `tiktoken` (a dependency): its
 * `encoders/gpt2.json` holds the 50,256 mergeable ranks as base64 token bytes in rank order
 * ("! <first rank> <b64> <b64> ..."). On first use we decode them into one byte buffer plus
 * offsets and hand that to the addon once per process (~20 ms); no download, no build step.
 * Text is encoded as ordinary text: `<|endoftext|>` in a document is just characters
 * (tiktoken's `encode_ordinary`).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { loadNative } from '../native.js';
import { RefineryError } from '../errors.js';
import type { TokenBatch } from './tokenizer.js';

interface Gpt2Native {
  gpt2Load(bytes: Uint8Array, offsets: Uint32Array): number;
  gpt2Encode(text: string): Uint32Array;
  gpt2EncodeWithOffsets(text: string): [Uint32Array, Uint32Array];
  gpt2Count(texts: string[]): Uint32Array;
  gpt2EncodeDocs(texts: (string | Uint8Array)[], end: number, width: number): { tokens: Uint16Array | Uint32Array; lengths: Int32Array; units: number };
  gpt2EncodeDocsWithOffsets(texts: (string | Uint8Array)[]): TokenBatch;
}

/** Number of mergeable ranks of GPT-2 (50,257 tokens minus `<|endoftext|>`). */
export const GPT2_RANKS = 50_256;

let ready: Gpt2Native | undefined;

/** Token bytes in rank order, from tiktoken's gpt2.json: one buffer and its offsets. */
export function loadGpt2Ranks(): { bytes: Uint8Array; offsets: Uint32Array } {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve('tiktoken/encoders/gpt2.json');
  } catch (e) {
    throw new RefineryError('ERR_NATIVE', 'GPT-2 ranks not found: the npm package `tiktoken` is missing (npm install)', {}, { cause: e });
  }
  const json = JSON.parse(readFileSync(file, 'utf8')) as { bpe_ranks: string };
  const tokens: Buffer[] = [];
  for (const line of json.bpe_ranks.split('\n')) {
    const parts = line.split(' ');
    if (parts.length < 2) continue;
    const first = Number(parts[1]);
    if (first !== tokens.length) throw new RefineryError('ERR_INPUT', `${file}: ranks not contiguous at ${first}`, { file });
    for (let i = 2; i < parts.length; i++) tokens.push(Buffer.from(parts[i]!, 'base64'));
  }
  if (tokens.length !== GPT2_RANKS) throw new RefineryError('ERR_INPUT', `${file}: ${tokens.length} ranks, expected ${GPT2_RANKS}`, { file });
  const offsets = new Uint32Array(tokens.length + 1);
  let total = 0;
  tokens.forEach((t, i) => {
    offsets[i] = total;
    total += t.length;
  });
  offsets[tokens.length] = total;
  return { bytes: Buffer.concat(tokens), offsets };
}

/** The addon with the GPT-2 ranks loaded (once per process). */
export function gpt2Native(): Gpt2Native {
  if (ready) return ready;
  const native = loadNative() as unknown as Gpt2Native;
  const { bytes, offsets } = loadGpt2Ranks();
  native.gpt2Load(bytes, offsets);
  ready = native;
  return ready;
}

/** GPT-2 token ids of `text`. */
export function encode(text: string): Uint32Array {
  return gpt2Native().gpt2Encode(text);
}

/**
 * Token ids and, per token, the UTF-16 offset in `text` where it starts. A token that starts
 * inside a multi-byte character (BPE splits some characters' UTF-8 bytes) gets that
 * character's offset, so offsets never decrease and always fall on a character boundary.
 */
export function encodeWithOffsets(text: string): { ids: Uint32Array; offsets: Uint32Array } {
  const [ids, offsets] = gpt2Native().gpt2EncodeWithOffsets(text);
  return { ids, offsets };
}

/** Token counts of many texts in one native call. */
export function countTokens(texts: string[]): Uint32Array {
  return gpt2Native().gpt2Count(texts);
}

/**
 * Documents (strings or UTF-8 bytes) in one native call: every document's ids followed by
 * `end`, concatenated at `width` bytes per id, and the ids per document (end included).
 */
export function encodeDocs(texts: (string | Uint8Array)[], end: number, width: 2 | 4): { tokens: Uint16Array | Uint32Array; lengths: Int32Array; units: number } {
  return gpt2Native().gpt2EncodeDocs(texts, end, width);
}

/**
 * encodeWithOffsets for many documents (strings or UTF-8 bytes, read as TextDecoder reads
 * them) in one native call, concatenated; `lengths` splits them.
 */
/** Documents' ids with, per token, the UTF-16 offset of its start within its document (for bytes: in the string TextDecoder makes of them); no end token. */
export function encodeDocsWithOffsets(texts: (string | Uint8Array)[]): TokenBatch {
  return gpt2Native().gpt2EncodeDocsWithOffsets(texts);
}

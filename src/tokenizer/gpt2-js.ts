/**
 * GPT-2 BPE (r50k_base, 50,257 ids) through the pure-JS npm package `gpt-tokenizer`, with
 * UTF-16 start offsets per token. A stand-in until the native tokenizer (src/tokenizer/gpt2.ts)
 * lands: same `Tokenizer` shape, same ids.
 */
import r50k from 'gpt-tokenizer/encoding/r50k_base';
import type { Tokenizer } from './tokenizer.js';

export const GPT2_VOCAB_SIZE = 50257;

interface BpeCore {
  decodeNativeGenerator(tokens: Iterable<number>): Generator<Uint8Array | string, void, void>;
}

// The UTF-8 byte length of each token id, learned on first use. `decodeNativeGenerator` is
// the package's per-token byte decoder (not in its typings, hence the cast).
const byteLengths = new Int32Array(GPT2_VOCAB_SIZE).fill(-1);
const utf8 = new TextEncoder();
function tokenByteLength(id: number): number {
  let n = byteLengths[id]!;
  if (n >= 0) return n;
  const core = (r50k as unknown as { bytePairEncodingCoreProcessor: BpeCore }).bytePairEncodingCoreProcessor;
  n = 0;
  for (const part of core.decodeNativeGenerator([id])) n += typeof part === 'string' ? utf8.encode(part).length : part.length;
  byteLengths[id] = n;
  return n;
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

export function encodeWithOffsets(text: string): { ids: Uint32Array; offsets: Uint32Array } {
  const ids = Uint32Array.from(r50k.encode(text, { disallowedSpecial: new Set() }));
  const offsets = new Uint32Array(ids.length);
  // Walk tokens (in UTF-8 bytes) and characters together.
  let byte = 0; // byte offset of the current token's start
  let charByte = 0; // byte offset of character `ci`
  let ci = 0;
  for (let t = 0; t < ids.length; t++) {
    // Advance to the character containing byte `byte`.
    while (ci < text.length) {
      const cp = text.codePointAt(ci)!;
      const len = utf8Length(cp);
      if (charByte + len > byte) break;
      charByte += len;
      ci += cp > 0xffff ? 2 : 1;
    }
    offsets[t] = ci;
    byte += tokenByteLength(ids[t]!);
  }
  return { ids, offsets };
}

export function gpt2Tokenizer(): Tokenizer {
  return { encodeWithOffsets };
}

/**
 * A tokenizer as a training job sees it: text to token ids (one document at a time, or a
 * batch with each document ended by the end-of-text token), ids back to text, the size of
 * the id space (which decides uint16 vs uint32 shards) and a fingerprint for manifests.
 * `openTextTokenizer('gpt2')` is the native GPT-2 tokenizer (tiktoken's `gpt2`); any other
 * name is the path of a Hugging Face `tokenizer.json` (byte-level BPE, src/tokenizer/hf-bpe.ts).
 * Text is always encoded as ordinary text: a special token's spelling inside a document is
 * just characters (tiktoken's `encode_ordinary`), so documents cannot inject control tokens.
 */
import { createHash } from 'node:crypto';
import { encode as gpt2Encode, encodeDocs as gpt2EncodeDocs, loadGpt2Ranks, GPT2_RANKS } from './gpt2.js';
import { loadHfTokenizer } from './hf-bpe.js';

/** A document's text: a string, or its UTF-8 bytes. */
export type DocText = string | Uint8Array;

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
/** A document's text as a string (TextDecoder's reading of bytes: a BOM kept, bad bytes U+FFFD). */
export function docString(t: DocText): string {
  return typeof t === 'string' ? t : utf8.decode(t);
}

export interface EncodedDocs {
  /** Every document's ids, each followed by the end-of-text id, concatenated. */
  tokens: Uint16Array | Uint32Array;
  /** Ids per document, the end-of-text id included. */
  lengths: Int32Array;
  /** The documents' length in UTF-16 units, all together (the stats' characters). */
  units: number;
}

export interface TextTokenizer {
  /** `gpt2`, or the tokenizer.json path as given. */
  name: string;
  /** Every id is below this (vocabulary and special tokens). */
  vocabSize: number;
  endOfText: number;
  endOfTextName: string;
  /** sha256 of what defines the tokenizer (the ranks file, the tokenizer.json). */
  fingerprint: string;
  encode(text: string): Uint32Array;
  /**
   * Many documents in one native call: each a string or its UTF-8 bytes (a Parquet text value
   * read as bytes; decoded as TextDecoder would, so the ids are the same as for the string).
   */
  encodeDocs(texts: DocText[], width: 2 | 4): EncodedDocs;
  decode(ids: ArrayLike<number>): string;
}

/** Token bytes by id, for decoding: token i = bytes[offsets[i], offsets[i+1]). */
export interface TokenBytes {
  bytes: Uint8Array;
  offsets: Uint32Array;
}

export function decodeTokenBytes(table: TokenBytes, ids: ArrayLike<number>, name: string): string {
  const { bytes, offsets } = table;
  let total = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (!(id >= 0 && id + 1 < offsets.length)) throw new RangeError(`${name}: token id ${id} is not in the vocabulary`);
    total += offsets[id + 1]! - offsets[id]!;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    out.set(bytes.subarray(offsets[id]!, offsets[id + 1]!), at);
    at += offsets[id + 1]! - offsets[id]!;
  }
  return out.toString('utf8');
}

/** Concatenate per-document ids, each followed by `end`, at the given width. */
export function packDocs(perDoc: Uint32Array[], end: number, width: 2 | 4, units: number): EncodedDocs {
  const lengths = new Int32Array(perDoc.length);
  let total = 0;
  perDoc.forEach((ids, i) => {
    lengths[i] = ids.length + 1;
    total += ids.length + 1;
  });
  const tokens = width === 2 ? new Uint16Array(total) : new Uint32Array(total);
  let at = 0;
  for (const ids of perDoc) {
    tokens.set(ids, at);
    at += ids.length;
    tokens[at++] = end;
  }
  return { tokens, lengths, units };
}

let gpt2Bytes: TokenBytes | undefined;

/** GPT-2: the native kernel (src/tokenizer/gpt2.ts), `<|endoftext|>` = 50256 ends documents. */
export function gpt2TextTokenizer(): TextTokenizer {
  const name = 'gpt2';
  const end = GPT2_RANKS;
  const table = (): TokenBytes => {
    if (gpt2Bytes) return gpt2Bytes;
    const { bytes, offsets } = loadGpt2Ranks();
    const eot = Buffer.from('<|endoftext|>');
    const all = Buffer.concat([bytes, eot]);
    const offs = new Uint32Array(offsets.length + 1);
    offs.set(offsets);
    offs[offsets.length] = all.length;
    gpt2Bytes = { bytes: all, offsets: offs };
    return gpt2Bytes;
  };
  return {
    name,
    vocabSize: GPT2_RANKS + 1,
    endOfText: end,
    endOfTextName: '<|endoftext|>',
    get fingerprint() {
      const t = table();
      return createHash('sha256').update(t.bytes).update(new Uint8Array(t.offsets.buffer)).digest('hex');
    },
    encode: gpt2Encode,
    encodeDocs: (texts, width) => gpt2EncodeDocs(texts, end, width),
    decode: (ids) => decodeTokenBytes(table(), ids, name),
  };
}

export interface TokenizerOptions {
  /** The token that ends every document; default: the tokenizer's usual end-of-text token. */
  end_token?: string;
}

/** `gpt2`, or the path of a Hugging Face tokenizer.json. */
export function openTextTokenizer(spec: string, opts: TokenizerOptions = {}): TextTokenizer {
  if (spec === 'gpt2') {
    const t = gpt2TextTokenizer();
    if (opts.end_token && opts.end_token !== t.endOfTextName) throw new RangeError(`gpt2: the only end token is <|endoftext|>, not ${opts.end_token}`);
    return t;
  }
  return loadHfTokenizer(spec, opts.end_token);
}

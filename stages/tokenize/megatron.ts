/**
 * The Megatron-LM indexed dataset (`.bin` + `.idx`, read by Megatron-LM, NeMo and GPT-NeoX),
 * written from the layout in megatron/core/datasets/indexed_dataset.py (_IndexWriter):
 *
 *   .bin  the token ids of every sequence, back to back, little-endian, of the index's dtype
 *   .idx  "MMIDIDX\0\0"          9 bytes
 *         version = 1            uint64
 *         dtype code             uint8   (Megatron's DType enum: uint16 = 8, int32 = 4)
 *         sequence count S       uint64
 *         document count D       uint64  (entries of the document index: documents + 1)
 *         sequence lengths       int32[S]  (tokens)
 *         sequence pointers      int64[S]  (byte offset of each sequence in .bin)
 *         document index         int64[D]  (0, then the sequence count after each document)
 *
 * One document is one sequence (what preprocess_data.py writes without sentence splitting),
 * so the document index is 0, 1, ..., S. Megatron has no uint32 dtype: ids that do not fit
 * 16 bits are written as int32 (code 4), which is what its own preprocessing picks
 * (DType.optimal_dtype) for vocabularies of 65,500 ids or more.
 */
export const INDEX_HEADER = Buffer.from([0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]); // MMIDIDX\0\0
export const INDEX_VERSION = 1n;

export const DTYPE = {
  uint16: { code: 8, bytes: 2 },
  int32: { code: 4, bytes: 4 },
} as const;

export type TokenDType = keyof typeof DTYPE;

/** uint16 when every id fits, else int32. */
export function dtypeFor(vocabSize: number): TokenDType {
  return vocabSize <= 0x10000 ? 'uint16' : 'int32';
}

/** The `.idx` of sequences of the given lengths (one document each), for tokens of `dtype`. */
export function encodeIndex(lengths: ArrayLike<number>, dtype: TokenDType): Buffer {
  const s = lengths.length;
  const head = INDEX_HEADER.length + 8 + 1 + 8 + 8;
  const out = Buffer.alloc(head + 4 * s + 8 * s + 8 * (s + 1));
  let at = INDEX_HEADER.copy(out, 0);
  at = out.writeBigUInt64LE(INDEX_VERSION, at);
  at = out.writeUInt8(DTYPE[dtype].code, at);
  at = out.writeBigUInt64LE(BigInt(s), at);
  at = out.writeBigUInt64LE(BigInt(s + 1), at);
  for (let i = 0; i < s; i++) at = out.writeInt32LE(lengths[i]!, at);
  let pointer = 0;
  for (let i = 0; i < s; i++) {
    at = out.writeBigInt64LE(BigInt(pointer), at);
    pointer += lengths[i]! * DTYPE[dtype].bytes;
  }
  for (let i = 0; i <= s; i++) at = out.writeBigInt64LE(BigInt(i), at);
  return out;
}

export interface IndexFacts {
  dtype: TokenDType;
  lengths: Int32Array;
  pointers: BigInt64Array;
  documents: BigInt64Array;
}

/** Read an `.idx` back (for `refinery tokens`); errors name what is wrong. */
export function decodeIndex(idx: Buffer, name: string): IndexFacts {
  const bad = (what: string) => new Error(`${name}: not a Megatron index (${what})`);
  if (idx.length < 34 || !idx.subarray(0, 9).equals(INDEX_HEADER)) throw bad('header');
  if (idx.readBigUInt64LE(9) !== INDEX_VERSION) throw bad(`version ${idx.readBigUInt64LE(9)}`);
  const code = idx.readUInt8(17);
  const dtype = (Object.keys(DTYPE) as TokenDType[]).find((k) => DTYPE[k].code === code);
  if (!dtype) throw bad(`dtype code ${code}`);
  const s = Number(idx.readBigUInt64LE(18));
  const d = Number(idx.readBigUInt64LE(26));
  if (idx.length !== 34 + 4 * s + 8 * s + 8 * d) throw bad(`length ${idx.length} for ${s} sequences and ${d} document entries`);
  const copy = (from: number, bytes: number) => {
    const b = new ArrayBuffer(bytes);
    new Uint8Array(b).set(idx.subarray(from, from + bytes));
    return b;
  };
  return {
    dtype,
    lengths: new Int32Array(copy(34, 4 * s)),
    pointers: new BigInt64Array(copy(34 + 4 * s, 8 * s)),
    documents: new BigInt64Array(copy(34 + 12 * s, 8 * d)),
  };
}

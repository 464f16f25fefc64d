/**
 * A plain TypeScript fastText classifier, the readable reference for the native kernel
 * (native/src/fasttext.cc): same file format, tokens, hashes and arithmetic, none of the speed
 * work (no caches, no bitsets, no SIMD). Tests check the kernel against it where fastText's own
 * CLI cannot run. Float32 arithmetic is emulated with Math.fround after every operation, in
 * fastText's order, so results match the C++ float code (exp/log may differ in the last bit).
 */
import { readFileSync } from 'node:fs';

const MAGIC = 793712314;
const LABEL_PREFIX = '__label__';
const EOS = '</s>';
const SEPARATORS = new Set([0x20, 0x0a, 0x0d, 0x09, 0x0b, 0x0c, 0x00]);
const f32 = Math.fround;

interface Quantizer {
  nsubq: number;
  dsub: number;
  lastdsub: number;
  centroids: Float32Array;
}

interface MatrixData {
  rows: number;
  cols: number;
  dense?: Float32Array;
  codes?: Uint8Array;
  pq?: Quantizer;
  normCodes?: Uint8Array;
  npq?: Quantizer;
}

export interface ReferenceModel {
  labels: string[];
  predict(text: string, k: number): { label: number; score: number }[];
}

class Cursor {
  private view: DataView;
  pos = 0;
  constructor(private bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i64(): number {
    const v = Number(this.view.getBigInt64(this.pos, true));
    this.pos += 8;
    return v;
  }
  u8(): number {
    return this.bytes[this.pos++]!;
  }
  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  f32s(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getFloat32(this.pos + 4 * i, true);
    this.pos += 4 * n;
    return out;
  }
  bytesOf(n: number): Uint8Array {
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  cstring(): Uint8Array {
    const end = this.bytes.indexOf(0, this.pos);
    const out = this.bytes.slice(this.pos, end);
    this.pos = end + 1;
    return out;
  }
}

function readQuantizer(c: Cursor): Quantizer {
  const dim = c.i32();
  const nsubq = c.i32();
  const dsub = c.i32();
  const lastdsub = c.i32();
  return { nsubq, dsub, lastdsub, centroids: c.f32s(dim * 256) };
}

function readMatrix(c: Cursor, quantized: boolean): MatrixData {
  if (!quantized) {
    const rows = c.i64();
    const cols = c.i64();
    return { rows, cols, dense: c.f32s(rows * cols) };
  }
  const qnorm = c.u8() !== 0;
  const rows = c.i64();
  const cols = c.i64();
  const codes = c.bytesOf(c.i32());
  const pq = readQuantizer(c);
  const m: MatrixData = { rows, cols, codes, pq };
  if (qnorm) {
    m.normCodes = c.bytesOf(rows);
    m.npq = readQuantizer(c);
  }
  return m;
}

/** Centroid `i` of sub-quantizer `m`: the last sub-vector may be shorter. */
function centroid(q: Quantizer, m: number, i: number): { at: number; d: number } {
  if (m === q.nsubq - 1) return { at: m * 256 * q.dsub + i * q.lastdsub, d: q.lastdsub };
  return { at: (m * 256 + i) * q.dsub, d: q.dsub };
}

function rowNorm(mat: MatrixData, i: number): number {
  return mat.npq ? mat.npq.centroids[mat.normCodes![i]!]! : 1;
}

function addRow(mat: MatrixData, x: Float32Array, i: number): void {
  if (mat.dense) {
    for (let j = 0; j < mat.cols; j++) x[j] = f32(x[j]! + mat.dense[i * mat.cols + j]!);
    return;
  }
  const q = mat.pq!;
  const norm = rowNorm(mat, i);
  for (let m = 0; m < q.nsubq; m++) {
    const { at, d } = centroid(q, m, mat.codes![i * q.nsubq + m]!);
    for (let j = 0; j < d; j++) x[m * q.dsub + j] = f32(x[m * q.dsub + j]! + f32(norm * q.centroids[at + j]!));
  }
}

function dotRow(mat: MatrixData, x: Float32Array, i: number): number {
  let res = 0;
  if (mat.dense) {
    for (let j = 0; j < mat.cols; j++) res = f32(res + f32(mat.dense[i * mat.cols + j]! * x[j]!));
    return res;
  }
  const q = mat.pq!;
  for (let m = 0; m < q.nsubq; m++) {
    const { at, d } = centroid(q, m, mat.codes![i * q.nsubq + m]!);
    for (let j = 0; j < d; j++) res = f32(res + f32(x[m * q.dsub + j]! * q.centroids[at + j]!));
  }
  return f32(res * rowNorm(mat, i));
}

/** fastText's FNV-1a over bytes taken as signed chars. */
function hashBytes(b: Uint8Array): number {
  let h = 2166136261;
  for (const byte of b) {
    h = (h ^ ((byte << 24) >> 24)) >>> 0;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

const stdLog = (x: number): number => f32(Math.log(x + 1e-5));
/** A string with one character per byte: a byte-exact map key. */
const byteKey = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

export function loadReferenceModel(path: string): ReferenceModel {
  const c = new Cursor(readFileSync(path));
  if (c.i32() !== MAGIC || c.i32() !== 12) throw new Error('not a version-12 fastText model');
  const dim = c.i32();
  c.i32(); // ws
  c.i32(); // epoch
  c.i32(); // minCount
  c.i32(); // neg
  const wordNgrams = c.i32();
  const loss = c.i32(); // 1 hs, 2 ns, 3 softmax, 4 ova
  c.i32(); // model
  const bucket = c.i32();
  const minn = c.i32();
  const maxn = c.i32();
  c.i32(); // lrUpdateRate
  c.f64(); // t
  const size = c.i32();
  const nwords = c.i32();
  const nlabels = c.i32();
  c.i64(); // ntokens
  const pruneSize = c.i64();
  const ids = new Map<string, number>();
  const counts: number[] = [];
  const labels: string[] = [];
  for (let i = 0; i < size; i++) {
    const word = c.cstring();
    const count = c.i64();
    c.u8(); // type: words come first, then labels
    ids.set(byteKey(word), i);
    if (i >= nwords) {
      counts.push(count);
      labels.push(new TextDecoder().decode(word));
    }
  }
  const pruned = new Map<number, number>();
  for (let i = 0; i < pruneSize; i++) pruned.set(c.i32(), c.i32());
  const quantInput = c.u8() !== 0;
  const input = readMatrix(c, quantInput);
  const quantOutput = c.u8() !== 0;
  const output = readMatrix(c, quantInput && quantOutput);

  const bucketRow = (id: number): number | undefined => {
    if (pruneSize === 0) return undefined;
    if (pruneSize > 0) {
      const to = pruned.get(id);
      return to === undefined ? undefined : nwords + to;
    }
    return nwords + id;
  };

  // Char n-grams of '<' + word + '>' (minn..maxn UTF-8 characters).
  const charNgrams = (word: Uint8Array, rows: number[]): void => {
    const w = new Uint8Array(word.length + 2);
    w[0] = 0x3c;
    w.set(word, 1);
    w[w.length - 1] = 0x3e;
    const cont = (b: number) => (b & 0xc0) === 0x80;
    for (let i = 0; i < w.length; i++) {
      if (cont(w[i]!)) continue;
      let j = i;
      for (let n = 1; j < w.length && n <= maxn; n++) {
        j++;
        while (j < w.length && cont(w[j]!)) j++;
        if (n >= minn && !(n === 1 && (i === 0 || j === w.length))) {
          const row = bucket > 0 ? bucketRow(hashBytes(w.subarray(i, j)) % bucket) : undefined;
          if (row !== undefined) rows.push(row);
        }
      }
    }
  };

  // Huffman tree over label counts (hierarchical softmax).
  const left: number[] = new Array(2 * nlabels - 1).fill(-1);
  const right: number[] = new Array(2 * nlabels - 1).fill(-1);
  const weight: number[] = new Array(2 * nlabels - 1).fill(1e15);
  counts.forEach((n, i) => (weight[i] = n));
  let leaf = nlabels - 1;
  let node = nlabels;
  for (let i = nlabels; i < 2 * nlabels - 1; i++) {
    const pick: number[] = [];
    for (let j = 0; j < 2; j++) pick.push(leaf >= 0 && weight[leaf]! < weight[node]! ? leaf-- : node++);
    left[i] = pick[0]!;
    right[i] = pick[1]!;
    weight[i] = weight[pick[0]!]! + weight[pick[1]!]!;
  }

  const sigmoidTable = Array.from({ length: 513 }, (_, i) => f32(1 / (1 + f32(Math.exp(-f32(f32(i * 16) / 512 - 8))))));
  const tableSigmoid = (x: number): number =>
    x < -8 ? 0 : x > 8 ? 1 : sigmoidTable[Math.trunc(f32(f32(f32(f32(x + 8) * 512) / 8) / 2))]!;

  return {
    labels,
    predict(text, k) {
      const bytes = new TextEncoder().encode(text);
      const tokens: Uint8Array[] = [];
      let start = -1;
      for (let i = 0; i <= bytes.length; i++) {
        const sep = i === bytes.length || SEPARATORS.has(bytes[i]!);
        if (sep && start >= 0) {
          tokens.push(bytes.subarray(start, i));
          start = -1;
        } else if (!sep && start < 0) start = i;
      }
      const rows: number[] = [];
      const hashes: number[] = [];
      let ended = false;
      for (const t of tokens) {
        const key = byteKey(t);
        const id = ids.get(key);
        const isLabel = id !== undefined ? id >= nwords : key.startsWith(LABEL_PREFIX);
        if (isLabel) continue;
        hashes.push(hashBytes(t) | 0);
        if (id !== undefined) {
          rows.push(id);
          if (key !== EOS && maxn > 0) charNgrams(t, rows);
        } else if (key !== EOS) charNgrams(t, rows);
        if (key === EOS) {
          ended = true;
          break;
        }
      }
      if (!ended) {
        const id = ids.get(EOS);
        hashes.push(hashBytes(new TextEncoder().encode(EOS)) | 0);
        if (id !== undefined) rows.push(id);
      }
      for (let a = 0; a < hashes.length && bucket > 0; a++) {
        let h = BigInt.asUintN(64, BigInt(hashes[a]!));
        for (let b = a + 1; b < hashes.length && b < a + wordNgrams; b++) {
          h = BigInt.asUintN(64, h * 116049371n + BigInt.asUintN(64, BigInt(hashes[b]!)));
          const row = bucketRow(Number(h % BigInt(bucket)));
          if (row !== undefined) rows.push(row);
        }
      }
      if (rows.length === 0) return [];
      const hidden = new Float32Array(dim);
      for (const r of rows) addRow(input, hidden, r);
      const inv = f32(1 / rows.length);
      for (let j = 0; j < dim; j++) hidden[j] = f32(hidden[j]! * inv);

      // The k best (log-probability, label), as a list kept sorted best first; ties keep the
      // earlier one, as fastText's heap does for the labels it visits first.
      const best: { score: number; label: number }[] = [];
      const offer = (score: number, label: number) => {
        best.push({ score, label });
        best.sort((x, y) => y.score - x.score);
        if (best.length > k) best.pop();
      };
      const floor = stdLog(0);
      if (loss === 1) {
        const visit = (n: number, score: number): void => {
          if (score < floor) return;
          if (best.length === k && score < best[best.length - 1]!.score) return;
          if (left[n] === -1 && right[n] === -1) return offer(score, n);
          const f = f32(1 / f32(1 + f32(Math.exp(-dotRow(output, hidden, n - nlabels)))));
          visit(left[n]!, f32(score + stdLog(f32(1 - f))));
          visit(right[n]!, f32(score + stdLog(f)));
        };
        visit(2 * nlabels - 2, 0);
      } else {
        const out = Array.from({ length: nlabels }, (_, j) => dotRow(output, hidden, j));
        if (loss === 3) {
          const max = out.reduce((a, b) => Math.max(a, b), out[0]!);
          let z = 0;
          for (let j = 0; j < nlabels; j++) {
            out[j] = f32(Math.exp(f32(out[j]! - max)));
            z = f32(z + out[j]!);
          }
          for (let j = 0; j < nlabels; j++) out[j] = f32(out[j]! / z);
        } else {
          for (let j = 0; j < nlabels; j++) out[j] = tableSigmoid(out[j]!);
        }
        for (let j = 0; j < nlabels; j++) {
          const lp = stdLog(out[j]!);
          if (best.length === k && lp < best[best.length - 1]!.score) continue;
          offer(lp, j);
        }
      }
      return best.map((b) => ({ label: b.label, score: f32(Math.exp(b.score)) }));
    },
  };
}

/**
 * A straightforward TypeScript implementation of the band keys that native/src/minhash.cc
 * computes, bit for bit: the test checks the native kernel against it, and `bench/minhash.ts`
 * measures both. 64-bit arithmetic is done on (hi, lo) 32-bit halves, as plain JS must.
 */

// Results of the u64 helpers (avoid allocating a pair per operation).
let H = 0;
let L = 0;

/** Low 64 bits of (ah:al) * (bh:bl) into H:L. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  L = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const hiOfLo = p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 65536);
  H = (hiOfLo + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = al + bl;
  L = lo >>> 0;
  H = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** splitmix64's finalizer on H:L, result in H:L. */
function mix(h: number, l: number): void {
  // z ^= z >> 30; z *= 0xbf58476d1ce4e5b9
  l = (l ^ ((l >>> 30) | (h << 2))) >>> 0;
  h = (h ^ (h >>> 30)) >>> 0;
  mul(h, l, 0xbf58476d, 0x1ce4e5b9);
  // z ^= z >> 27; z *= 0x94d049bb133111eb
  l = (L ^ ((L >>> 27) | (H << 5))) >>> 0;
  h = (H ^ (H >>> 27)) >>> 0;
  mul(h, l, 0x94d049bb, 0x133111eb);
  // z ^= z >> 31
  L = (L ^ ((L >>> 31) | (H << 1))) >>> 0;
  H = (H ^ (H >>> 31)) >>> 0;
}

/** Units as (hi, lo) pairs in one array: [h0, l0, h1, l1, ...]. */
type Units = number[];

function tokenUnits(ids: ArrayLike<number>): Units {
  const out: Units = [];
  for (let i = 0; i < ids.length; i++) {
    add(0, ids[i]!, 0, 0x51ed27);
    mix(H, L);
    out.push(H, L);
  }
  return out;
}

function hashUnits(s: string, from: number, to: number): void {
  const n = to - from;
  let h = 0x84222325, l = (0xcbf29ce4 ^ n) >>> 0;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const wl = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)) >>> 0;
    const wh = (s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16)) >>> 0;
    mix((h ^ wh) >>> 0, (l ^ wl) >>> 0);
    h = H;
    l = L;
  }
  const c = (k: number) => (i + k < to ? s.charCodeAt(i + k) : 0);
  const wl = (c(0) | (c(1) << 16)) >>> 0;
  const wh = (c(2) | (c(3) << 16)) >>> 0;
  mix((h ^ wh ^ 0x9e3779b9) >>> 0, (l ^ wl ^ 0x7f4a7c15) >>> 0);
}

function wordUnits(s: string): Units {
  const out: Units = [];
  const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;
  let i = 0;
  while (i < s.length) {
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    let j = i;
    while (j < s.length && !isSpace(s.charCodeAt(j))) j++;
    if (j > i) {
      hashUnits(s, i, j);
      out.push(H, L);
    }
    i = j;
  }
  return out;
}

/** Hash of units[from, from+len) (pairs), into H:L. */
function shingleHash(u: ArrayLike<number>, from: number, len: number): void {
  let h = 0x6a09e667, l = 0xf3bcc909;
  for (let k = from; k < from + len; k++) {
    mul(u[2 * k]!, u[2 * k + 1]!, 0x9e3779b9, 0x7f4a7c15);
    add(h, l, H, L);
    mix(H, L);
    h = H;
    l = L;
  }
  H = h;
  L = l;
}

export interface ReferenceParams {
  shingle: 'gpt2' | 'words';
  ngram: number;
  bands: number;
  rows: number;
  seed: number;
}

/** a_j, b_j of the b*r hash functions, as in MakeCoefficients (minhash.cc). */
function coefficients(p: ReferenceParams): { a: Uint32Array; b: Uint32Array } {
  const k = p.bands * p.rows;
  const a = new Uint32Array(2 * k), b = new Uint32Array(2 * k);
  const seed = BigInt(p.seed);
  const s0 = BigInt.asUintN(64, seed * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn);
  let sh = Number(s0 >> 32n), sl = Number(s0 & 0xffffffffn);
  for (let j = 0; j < k; j++) {
    add(sh, sl, 0x9e3779b9, 0x7f4a7c15);
    sh = H;
    sl = L;
    mix(sh, sl);
    a[2 * j] = H;
    a[2 * j + 1] = (L | 1) >>> 0;
    add(sh, sl, 0x9e3779b9, 0x7f4a7c15);
    sh = H;
    sl = L;
    mix(sh, sl);
    b[2 * j] = H;
    b[2 * j + 1] = L;
  }
  return { a, b };
}

/**
 * Band keys of normalized texts (texts x bands, row-major) and distinct shingle counts.
 * `tokenize` gives GPT-2 ids for the `gpt2` shingle (any implementation equal to tiktoken).
 */
export function referenceBands(
  texts: string[],
  p: ReferenceParams,
  tokenize: (text: string) => ArrayLike<number>,
): { keys: BigUint64Array; shingles: Uint32Array } {
  const { a, b } = coefficients(p);
  const k = p.bands * p.rows;
  const keys = new BigUint64Array(texts.length * p.bands);
  const counts = new Uint32Array(texts.length);
  const sig = new Uint32Array(2 * k);
  texts.forEach((text, d) => {
    const units = p.shingle === 'gpt2' ? tokenUnits(tokenize(text)) : wordUnits(text);
    const n = units.length / 2;
    if (n === 0) return;
    const seen = new Set<bigint>();
    const xs: number[] = [];
    const windows = n < p.ngram ? 1 : n - p.ngram + 1;
    for (let i = 0; i < windows; i++) {
      shingleHash(units, i, Math.min(p.ngram, n));
      const key = (BigInt(H) << 32n) | BigInt(L);
      if (!seen.has(key)) {
        seen.add(key);
        xs.push(H, L);
      }
    }
    counts[d] = seen.size;
    sig.fill(0xffffffff);
    for (let i = 0; i < xs.length; i += 2) {
      const xh = xs[i]!, xl = xs[i + 1]!;
      for (let j = 0; j < k; j++) {
        mul(a[2 * j]!, a[2 * j + 1]!, xh, xl);
        add(H, L, b[2 * j]!, b[2 * j + 1]!);
        const sh = sig[2 * j]!;
        if (H < sh || (H === sh && L < sig[2 * j + 1]!)) {
          sig[2 * j] = H;
          sig[2 * j + 1] = L;
        }
      }
    }
    for (let band = 0; band < p.bands; band++) {
      shingleHash(sig, band * p.rows, p.rows);
      keys[d * p.bands + band] = (BigInt(H) << 32n) | BigInt(L);
    }
  });
  return { keys, shingles: counts };
}

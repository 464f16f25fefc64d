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

/** PositionMultipliers (minhash.cc): odd 64-bit multipliers as (hi, lo) pairs. */
function positionMultipliers(n: number): Uint32Array {
  const m = new Uint32Array(2 * n);
  for (let k = 0; k < n; k++) {
    mul(0, k + 1, 0x9e3779b9, 0x7f4a7c15);
    add(H, L, 0x6a09e667, 0xf3bcc909);
    mix(H, L);
    m[2 * k] = H;
    m[2 * k + 1] = (L | 1) >>> 0;
  }
  return m;
}

/** SequenceHash (minhash.cc) of v[from, from+len) (pairs), into H:L. */
function sequenceHash(v: ArrayLike<number>, from: number, len: number, m: Uint32Array): void {
  let h = 0, l = len;
  for (let k = 0; k < len; k++) {
    mul(v[2 * (from + k)]!, v[2 * (from + k) + 1]!, m[2 * k]!, m[2 * k + 1]!);
    add(h, l, H, L);
    h = H;
    l = L;
  }
  mix(h, l);
}

export interface ReferenceParams {
  shingle: 'gpt2' | 'words';
  ngram: number;
  bands: number;
  rows: number;
  seed: number;
}

const M64 = (1n << 64n) - 1n;
const u64 = (h: number, l: number) => (BigInt(h) << 32n) | BigInt(l);

/** The Poisson bounds of PoissonTable (minhash.cc): the same doubles, so the same integers. */
function poissonBounds(): bigint[] {
  const rate = 16 * Math.LN2;
  let p = 1 / 65536, cdf = 0;
  const bound: bigint[] = [];
  for (let c = 0; c < 64; c++) {
    if (c > 0) p = (p * rate) / c;
    cdf = cdf + p;
    const scaled = cdf * 2 ** 64;
    bound.push(scaled >= 2 ** 64 ? M64 : BigInt(Math.floor(scaled)));
  }
  return bound;
}

/** kRaceSlots (minhash.cc): slots the race runs before the rest is drawn per component. */
const RACE_SLOTS = 10;

/**
 * The race of RaceMins (minhash.cc), written as its definition: slot by slot, every shingle
 * draws Poisson arrivals; a component takes the smallest (slot, word) that lands on it. After
 * RACE_SLOTS slots, a component still empty takes (RACE_SLOTS, smallest tail word).
 */
function raceMins(xs: number[], key: bigint, k: number, bound: bigint[]): Uint32Array {
  const sig = new Uint32Array(2 * k);
  const set = new Uint8Array(k);
  let empty = k;
  for (let slot = 0; empty > 0 && slot < RACE_SLOTS; slot++) {
    const sk = BigInt.asUintN(64, key + BigInt(slot) * 0x9e3779b97f4a7c15n);
    mix(Number(sk >> 32n), Number(sk & 0xffffffffn));
    const kh = H, kl = L;
    const best = new Map<number, number>();
    for (let i = 0; i < xs.length; i += 2) {
      mix((xs[i]! ^ kh) >>> 0, (xs[i + 1]! ^ kl) >>> 0);
      const eh = H, el = L;
      const e = u64(eh, el);
      let n = 0;
      while (n < 63 && e >= bound[n]!) n++;
      for (let j = 1; j <= n; j++) {
        mul(0, j, 0x9e3779b9, 0x7f4a7c15);
        add(eh, el, H, L);
        mix(H, L);
        const w = Math.min(H, 0xfffffffe); // kMaxWord (minhash.cc)
        const c = Math.floor((w * k) / 2 ** 32);
        if (set[c]) continue;
        const old = best.get(c);
        if (old === undefined || w < old) best.set(c, w);
      }
    }
    for (const [c, w] of best) {
      set[c] = 1;
      sig[2 * c] = slot;
      sig[2 * c + 1] = w;
      empty--;
    }
  }
  if (empty === 0) return sig;
  const tk = key ^ 0x7a11c0de5eedn;
  mix(Number(tk >> 32n), Number(tk & 0xffffffffn));
  const tailKey = u64(H, L);
  for (let c = 0; c < k; c++) {
    if (set[c]) continue;
    const ck = BigInt.asUintN(64, tailKey + BigInt(c) * 0x9e3779b97f4a7c15n);
    mix(Number(ck >> 32n), Number(ck & 0xffffffffn));
    const ch = H, cl = L;
    let w = 0xffffffff;
    for (let i = 0; i < xs.length; i += 2) {
      mix((xs[i]! ^ ch) >>> 0, (xs[i + 1]! ^ cl) >>> 0);
      if (H < w) w = H;
    }
    sig[2 * c] = RACE_SLOTS;
    sig[2 * c + 1] = w;
  }
  return sig;
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
  const k = p.bands * p.rows;
  const m = positionMultipliers(Math.max(p.ngram, p.rows));
  const key = BigInt.asUintN(64, BigInt(p.seed) * 0x9e3779b97f4a7c15n + 0x2545f4914f6cdd1dn);
  mix(Number(key >> 32n), Number(key & 0xffffffffn));
  const raceKey = u64(H, L);
  const bound = poissonBounds();
  const keys = new BigUint64Array(texts.length * p.bands);
  const counts = new Uint32Array(texts.length);
  texts.forEach((text, d) => {
    const units = p.shingle === 'gpt2' ? tokenUnits(tokenize(text)) : wordUnits(text);
    const n = units.length / 2;
    if (n === 0) return;
    const seen = new Set<bigint>();
    const xs: number[] = [];
    const windows = n < p.ngram ? 1 : n - p.ngram + 1;
    for (let i = 0; i < windows; i++) {
      sequenceHash(units, i, Math.min(p.ngram, n), m);
      const x = u64(H, L);
      if (!seen.has(x)) {
        seen.add(x);
        xs.push(H, L);
      }
    }
    counts[d] = seen.size;
    const sig = raceMins(xs, raceKey, k, bound);
    for (let j = 0; j < k; j++) {
      mix(sig[2 * j]!, sig[2 * j + 1]!);
      sig[2 * j] = H;
      sig[2 * j + 1] = L;
    }
    for (let band = 0; band < p.bands; band++) {
      sequenceHash(sig, band * p.rows, p.rows, m);
      keys[d * p.bands + band] = u64(H, L);
    }
  });
  return { keys, shingles: counts };
}

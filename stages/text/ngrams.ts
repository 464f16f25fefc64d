/**
 * Word n-gram measures for Gopher's repetition filter (Rae et al. 2021, Table A1), on word ids
 * instead of joined strings: each distinct word gets a small integer, an n-gram is a run of
 * ids, and n-grams are counted in an open-addressing table that stores the n-gram's first
 * position and compares ids on a hash match (exact: no false merges). Tables are reused
 * between calls (a generation stamp marks live slots), so a document allocates little.
 */
import type { Words } from './words.js';

/** Word ids (equal words, equal ids) and the prefix sums of word lengths. */
export interface WordIds {
  ids: Int32Array;
  /** lenPrefix[i] = total length of words [0, i). */
  lenPrefix: Float64Array;
}

/** A reusable open-addressing table of int keys with a generation stamp per slot. */
class Scratch {
  key = new Int32Array(1024);
  count = new Int32Array(1024);
  stamp = new Uint32Array(1024);
  gen = 0;
  mask = 1023;
  /** Start a new use for about `expected` entries. */
  reset(expected: number): void {
    let cap = 1024;
    while (cap < expected * 2) cap <<= 1;
    if (cap > this.key.length) {
      this.key = new Int32Array(cap);
      this.count = new Int32Array(cap);
      this.stamp = new Uint32Array(cap);
      this.gen = 0;
    }
    this.mask = cap - 1;
    this.gen++;
    if (this.gen === 0xffffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
  }
}

const internTable = new Scratch();
const gramTable = new Scratch();

function hashSpan(text: string, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

function sameSpan(text: string, a: number, ae: number, b: number, be: number): boolean {
  if (ae - a !== be - b) return false;
  for (let i = 0; i < ae - a; i++) if (text.charCodeAt(a + i) !== text.charCodeAt(b + i)) return false;
  return true;
}

/**
 * Duplicates among spans of a text (lines, paragraphs) without cutting them out: how many
 * spans repeat an earlier one, and their characters (see `findDuplicates`).
 */
export function duplicateSpans(text: string, start: ArrayLike<number>, end: ArrayLike<number>, count: number): { count: number; chars: number } {
  const t = internTable;
  t.reset(count);
  let dups = 0;
  let chars = 0;
  for (let i = 0; i < count; i++) {
    const s = start[i]!;
    const e = end[i]!;
    let slot = hashSpan(text, s, e) & t.mask;
    for (;;) {
      if (t.stamp[slot] !== t.gen) {
        t.stamp[slot] = t.gen;
        t.key[slot] = i;
        break;
      }
      const f = t.key[slot]!;
      if (sameSpan(text, start[f]!, end[f]!, s, e)) {
        dups++;
        chars += e - s;
        break;
      }
      slot = (slot + 1) & t.mask;
    }
  }
  return { count: dups, chars };
}

export function wordIds(w: Words): WordIds {
  const n = w.count;
  const ids = new Int32Array(n);
  const lenPrefix = new Float64Array(n + 1);
  const t = internTable;
  t.reset(n);
  const { text, start, end } = w;
  let next = 1;
  for (let i = 0; i < n; i++) {
    const s = start[i]!;
    const e = end[i]!;
    let slot = hashSpan(text, s, e) & t.mask;
    for (;;) {
      if (t.stamp[slot] !== t.gen) {
        t.stamp[slot] = t.gen;
        t.key[slot] = i; // first occurrence
        t.count[slot] = next;
        ids[i] = next++;
        break;
      }
      const f = t.key[slot]!;
      if (sameSpan(text, start[f]!, end[f]!, s, e)) {
        ids[i] = t.count[slot]!;
        break;
      }
      slot = (slot + 1) & t.mask;
    }
    lenPrefix[i + 1] = lenPrefix[i]! + (e - s);
  }
  return { ids, lenPrefix };
}

/**
 * Hashes of every n-gram, extended one word at a time: `hashes[i]` holds the hash of the
 * n-gram starting at word i, so going from n to n + 1 costs one mix per position instead of
 * rehashing n words. Call `next()` for n = 1, 2, 3, ... in order.
 */
export class NgramHashes {
  readonly hashes: Uint32Array;
  n = 0;
  constructor(private readonly ids: Int32Array) {
    this.hashes = new Uint32Array(ids.length);
  }
  next(): number {
    const { ids, hashes } = this;
    const n = ++this.n;
    const total = ids.length - n + 1;
    for (let i = 0; i < total; i++) {
      let h = Math.imul(hashes[i]! ^ ids[i + n - 1]!, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      hashes[i] = (h ^ (h >>> 16)) >>> 0;
    }
    return n;
  }
  /** Advance to n (no-op when already there). */
  to(n: number): void {
    if (n < this.n) throw new Error(`NgramHashes: already at ${this.n} > ${n}`);
    while (this.n < n) this.next();
  }
}

function sameAt(ids: Int32Array, a: number, b: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (ids[a + k] !== ids[b + k]) return false;
  return true;
}

/** The slot of the n-gram at `at` if seen before, else `-(slot + 1)` after inserting it. */
function findGram(ids: Int32Array, hash: number, at: number, n: number): number {
  const t = gramTable;
  let slot = hash & t.mask;
  for (;;) {
    if (t.stamp[slot] !== t.gen) {
      t.stamp[slot] = t.gen;
      t.key[slot] = at;
      t.count[slot] = 0;
      return -(slot + 1);
    }
    if (sameAt(ids, t.key[slot]!, at, n)) return slot;
    slot = (slot + 1) & t.mask;
  }
}

/**
 * Characters of the most frequent n-gram times its count (ties: the one seen first), where an
 * n-gram's characters are its words joined by single spaces. 0 when there are fewer than n words.
 */
export function topNgramChars(w: WordIds, n: number, hashes = new NgramHashes(w.ids)): number {
  const total = w.ids.length - n + 1;
  if (total <= 0) return 0;
  hashes.to(n);
  const h = hashes.hashes;
  gramTable.reset(total);
  const counts = gramTable.count;
  const keys = gramTable.key;
  let bestCount = 0;
  let bestFirst = 0;
  for (let i = 0; i < total; i++) {
    const f = findGram(w.ids, h[i]!, i, n);
    const slot = f >= 0 ? f : -f - 1;
    const c = ++counts[slot]!;
    const first = keys[slot]!;
    if (c > bestCount || (c === bestCount && first < bestFirst)) {
      bestCount = c;
      bestFirst = first;
    }
  }
  const chars = w.lenPrefix[bestFirst + n]! - w.lenPrefix[bestFirst]! + (n - 1);
  return chars * bestCount;
}

/**
 * Characters inside duplicated n-grams, not counting overlaps: scan left to right; an n-gram
 * already seen adds its characters (its words' lengths) and the scan jumps past it, otherwise
 * it is remembered and the scan moves one word. (Gopher's "duplicate n-gram character
 * fraction"; the same greedy scan as datatrove's `find_all_duplicate`.)
 */
export function duplicateNgramChars(w: WordIds, n: number, hashes = new NgramHashes(w.ids)): number {
  const total = w.ids.length - n + 1;
  if (total <= 0) return 0;
  hashes.to(n);
  const h = hashes.hashes;
  gramTable.reset(total);
  let chars = 0;
  let i = 0;
  while (i < total) {
    if (findGram(w.ids, h[i]!, i, n) >= 0) {
      chars += w.lenPrefix[i + n]! - w.lenPrefix[i]!;
      i += n;
    } else i++;
  }
  return chars;
}

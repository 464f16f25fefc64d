/**
 * Word n-gram measures for Gopher's repetition filter (Rae et al. 2021, Table A1), on word ids
 * instead of joined strings: each distinct word gets a small integer, an n-gram is a run of
 * ids, and n-grams are counted in an open-addressing table that stores the n-gram's first
 * position and compares ids on a hash match (exact: no false merges). Tables are reused
 * between calls (a generation stamp marks live slots), so a document allocates little.
 */
import { hashSpan, type Words } from './words.js';

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
    // Grow as needed; give memory back after a huge document (a table > 1M slots, 16x too big).
    if (cap > this.key.length || (this.key.length > 1 << 20 && cap * 16 < this.key.length)) {
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
let slotOf = new Int32Array(1024);

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
  const { text, start, end, hash } = w;
  let next = 1;
  for (let i = 0; i < n; i++) {
    const s = start[i]!;
    const e = end[i]!;
    let slot = hash[i]! & t.mask;
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
 * The n-gram measures of one document, for n = 2, 3, ... in increasing order (Gopher's
 * order). Two shortcuts keep it near O(words) per n, both exact:
 * - hashes are extended one word per n (`hash(i, n)` from `hash(i, n - 1)`);
 * - an n-gram can only occur twice if the (n-1)-grams at i and i+1 both do, so positions
 *   whose n-gram is certainly unique are skipped: they never count as a duplicate, and an
 *   n-gram seen once cannot be the most frequent unless every n-gram is seen once (then the
 *   first one is, with count 1, as in datatrove's tie rule).
 */
export class NgramScanner {
  private readonly hashes: Uint32Array;
  /** 1 when the n-gram at i may occur more than once (exact for word and top n-gram levels). */
  private readonly maybe: Uint8Array;
  private n = 1;

  constructor(private readonly w: WordIds) {
    const len = w.ids.length;
    this.hashes = new Uint32Array(len);
    this.maybe = new Uint8Array(len);
    const seen = new Uint8Array(len + 2);
    for (let i = 0; i < len; i++) {
      const id = w.ids[i]!;
      seen[id] = Math.min(2, seen[id]! + 1);
      this.hashes[i] = Math.imul(id, 0x9e3779b1) >>> 0;
    }
    for (let i = 0; i < len; i++) this.maybe[i] = seen[w.ids[i]!]! >= 2 ? 1 : 0;
  }

  /** Move to n: extend hashes and narrow the candidates. */
  private advance(n: number): void {
    if (n < this.n + 1) throw new Error(`NgramScanner: n must increase (at ${this.n}, asked ${n})`);
    const { ids } = this.w;
    const { hashes, maybe } = this;
    while (this.n < n) {
      const m = ++this.n;
      const total = ids.length - m + 1;
      for (let i = 0; i < total; i++) {
        if (maybe[i] && maybe[i + 1]) {
          let h = Math.imul(hashes[i]! ^ ids[i + m - 1]!, 0x85ebca6b);
          h ^= h >>> 13;
          h = Math.imul(h, 0xc2b2ae35);
          hashes[i] = (h ^ (h >>> 16)) >>> 0;
        } else maybe[i] = 0;
      }
      for (let i = Math.max(total, 0); i < ids.length; i++) maybe[i] = 0;
    }
  }

  /** The number of n-grams of n words (0: fewer than n words), their hashes and candidates made ready, the table emptied. */
  private begin(n: number): number {
    const total = this.w.ids.length - n + 1;
    if (total <= 0) return 0;
    this.advance(n);
    gramTable.reset(total);
    return total;
  }

  private chars(first: number, n: number): number {
    return this.w.lenPrefix[first + n]! - this.w.lenPrefix[first]!;
  }

  /**
   * Characters of the most frequent n-gram times its count (ties: the one seen first), an
   * n-gram's characters being its words joined by single spaces. 0 with fewer than n words.
   */
  topNgramChars(n: number): number {
    const total = this.begin(n);
    if (total === 0) return 0;
    const ids = this.w.ids;
    const { hashes, maybe } = this;
    const counts = gramTable.count;
    const keys = gramTable.key;
    let bestCount = 1;
    let bestFirst = 0; // every n-gram once: the first one
    let candidates = 0;
    if (slotOf.length < total) slotOf = new Int32Array(total * 2);
    for (let i = 0; i < total; i++) {
      if (!maybe[i]) continue;
      candidates++;
      const f = findGram(ids, hashes[i]!, i, n);
      const slot = f >= 0 ? f : -f - 1;
      slotOf[i] = slot;
      const c = ++counts[slot]!;
      const first = keys[slot]!;
      if (c > bestCount || (c === bestCount && c > 1 && first < bestFirst)) {
        bestCount = c;
        bestFirst = first;
      }
    }
    // Make the candidates exact for the next n: keep only n-grams that occurred twice.
    if (candidates > 0) {
      for (let i = 0; i < total; i++) if (maybe[i] && counts[slotOf[i]!]! < 2) maybe[i] = 0;
    }
    return (this.chars(bestFirst, n) + (n - 1)) * bestCount;
  }

  /**
   * Characters inside duplicated n-grams, not counting overlaps: scan left to right; an n-gram
   * already seen adds its characters (its words' lengths) and the scan jumps past it, otherwise
   * it is remembered and the scan moves one word. (Gopher's "duplicate n-gram character
   * fraction"; the same greedy scan as datatrove's `find_all_duplicate`.)
   */
  duplicateNgramChars(n: number): number {
    const total = this.begin(n);
    if (total === 0) return 0;
    const ids = this.w.ids;
    const { hashes, maybe } = this;
    let chars = 0;
    let i = 0;
    while (i < total) {
      if (maybe[i] && findGram(ids, hashes[i]!, i, n) >= 0) {
        chars += this.chars(i, n);
        i += n;
      } else i++;
    }
    return chars;
  }
}

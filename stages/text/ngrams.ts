/**
 * Word n-gram measures for Gopher's repetition filter (Rae et al. 2021, Table A1), on word ids
 * instead of joined strings: each distinct word gets a small integer, an n-gram is a run of
 * ids, and n-grams are counted in an open-addressing table that stores the n-gram's first
 * position and compares ids on a hash match (exact: no false merges).
 */
import type { Words } from './words.js';

/** Word ids (equal words, equal ids) and the prefix sums of word lengths. */
export interface WordIds {
  ids: Int32Array;
  /** lenPrefix[i] = total length of words [0, i). */
  lenPrefix: Float64Array;
}

export function wordIds(w: Words): WordIds {
  const ids = new Int32Array(w.count);
  const lenPrefix = new Float64Array(w.count + 1);
  const intern = new Map<string, number>();
  for (let i = 0; i < w.count; i++) {
    const s = w.text.slice(w.start[i]!, w.end[i]!);
    let id = intern.get(s);
    if (id === undefined) {
      id = intern.size + 1;
      intern.set(s, id);
    }
    ids[i] = id;
    lenPrefix[i + 1] = lenPrefix[i]! + s.length;
  }
  return { ids, lenPrefix };
}

function hashAt(ids: Int32Array, at: number, n: number): number {
  let h = 0x9e3779b9 ^ n;
  for (let k = 0; k < n; k++) {
    h = Math.imul(h ^ ids[at + k]!, 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameAt(ids: Int32Array, a: number, b: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (ids[a + k] !== ids[b + k]) return false;
  return true;
}

/** A set/counter of n-grams (given by their start position) for one n. */
class NgramTable {
  private readonly mask: number;
  /** first position + 1 of the n-gram in the slot (0 = empty) */
  private readonly pos: Int32Array;
  readonly counts: Int32Array;
  constructor(
    private readonly ids: Int32Array,
    private readonly n: number,
    expected: number,
  ) {
    let cap = 16;
    while (cap < expected * 2) cap <<= 1;
    this.mask = cap - 1;
    this.pos = new Int32Array(cap);
    this.counts = new Int32Array(cap);
  }
  /** The slot of the n-gram at `at` if it was seen before, else `-(slot + 1)` after inserting it. */
  find(at: number): number {
    let slot = hashAt(this.ids, at, this.n) & this.mask;
    for (;;) {
      const p = this.pos[slot]!;
      if (p === 0) {
        this.pos[slot] = at + 1;
        return -(slot + 1);
      }
      if (sameAt(this.ids, p - 1, at, this.n)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }
  firstPosition(slot: number): number {
    return this.pos[slot]! - 1;
  }
}

/**
 * Characters of the most frequent n-gram times its count (ties: the one seen first), where an
 * n-gram's characters are its words joined by single spaces. 0 when there are fewer than n words.
 */
export function topNgramChars(w: WordIds, n: number): number {
  const total = w.ids.length - n + 1;
  if (total <= 0) return 0;
  const table = new NgramTable(w.ids, n, total);
  let bestSlot = -1;
  let bestCount = 0;
  let bestFirst = 0;
  for (let i = 0; i < total; i++) {
    const f = table.find(i);
    const slot = f >= 0 ? f : -f - 1;
    const c = ++table.counts[slot]!;
    const first = table.firstPosition(slot);
    if (c > bestCount || (c === bestCount && first < bestFirst)) {
      bestCount = c;
      bestSlot = slot;
      bestFirst = first;
    }
  }
  if (bestSlot < 0) return 0;
  const chars = w.lenPrefix[bestFirst + n]! - w.lenPrefix[bestFirst]! + (n - 1);
  return chars * bestCount;
}

/**
 * Characters inside duplicated n-grams, not counting overlaps: scan left to right; an n-gram
 * already seen adds its characters (its words' lengths) and the scan jumps past it, otherwise
 * it is remembered and the scan moves one word. (Gopher's "duplicate n-gram character
 * fraction"; the same greedy scan as datatrove's `find_all_duplicate`.)
 */
export function duplicateNgramChars(w: WordIds, n: number): number {
  const total = w.ids.length - n + 1;
  if (total <= 0) return 0;
  const table = new NgramTable(w.ids, n, total);
  let chars = 0;
  let i = 0;
  while (i < total) {
    if (table.find(i) >= 0) {
      chars += w.lenPrefix[i + n]! - w.lenPrefix[i]!;
      i += n;
    } else i++;
  }
  return chars;
}

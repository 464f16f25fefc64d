/**
 * From duplicated windows to removed characters (spec §8, CUT): a token is duplicated when a
 * k-token window covering it occurs more than once; the union of those windows is exactly the
 * union of all duplicated spans of >= k tokens. Token ranges map to character ranges through
 * the tokenizer's UTF-16 start offsets; overlapping or touching ranges are merged.
 */
import { tokenCharEnd } from '../../src/tokenizer/tokenizer.js';

export type Range = [start: number, end: number];

/** Token ranges covered by windows [s, s + k) for sorted starts `starts` (doc-local). */
export function coveredTokenRanges(starts: ArrayLike<number>, k: number): Range[] {
  const out: Range[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], s + k);
    else out.push([s, s + k]);
  }
  return out;
}

/** Character ranges of token ranges, merged (a token's end is the next token's start). */
export function tokenRangesToChars(ranges: Range[], offsets: Uint32Array, textLength: number): Range[] {
  const out: Range[] = [];
  for (const [a, b] of ranges) {
    const start = offsets[a]!;
    const end = tokenCharEnd(offsets, b - 1, textLength);
    if (end <= start) continue;
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

export function rangesLength(ranges: Range[]): number {
  return ranges.reduce((a, [s, e]) => a + e - s, 0);
}

/** The text with the (sorted, disjoint) ranges removed. */
export function cutRanges(text: string, ranges: Range[]): string {
  let out = '';
  let at = 0;
  for (const [s, e] of ranges) {
    out += text.slice(at, s);
    at = e;
  }
  return out + text.slice(at);
}

/**
 * FineWeb's quality filters (spec "FineWeb additions"; FineWeb paper, arXiv 2406.17557 §3.4,
 * as released in datatrove's FineWebQualityFilter): too few lines ending in punctuation, too
 * many characters in duplicated lines, too many short lines, and (released code, on by
 * default) too many newlines per word (`list_ratio`). Lines are the `\n`-separated lines
 * that are not blank, as in the released filter whose thresholds these are.
 */
import { fraction, int, num, type OptionRanges } from '../../src/options.js';
import { dropFor, textFilter, type Drop } from '../../src/stage.js';
import { countOccurrences, findDuplicates, splitLinesKeepEmpty, words } from '../text/words.js';
// FineWeb-2's per-language punctuated-line and newline thresholds: docs/languages.md.
import languageDefaults from './languages.json' with { type: 'json' };

export interface FinewebQualityConfig {
  /** Drop when the fraction of lines ending in terminal punctuation is <= this. */
  line_punct_thr: number;
  /** Do not apply the punctuation rule when the fraction is exactly 0. */
  line_punct_exclude_zero: boolean;
  /** What ends a line "in punctuation". */
  stop_chars: string[];
  /** Drop when the fraction of lines of at most `short_line_length` chars is >= this. */
  short_line_thr: number;
  short_line_length: number;
  /** Drop when the characters in duplicated (non-blank) lines / all non-newline characters >= this. */
  char_duplicates_ratio: number;
  /** Drop when newlines / words > this (0 = off). */
  new_line_ratio: number;
}

export const defaults: FinewebQualityConfig = {
  line_punct_thr: 0.12,
  line_punct_exclude_zero: false,
  // datatrove's TERMINAL_PUNCTUATION: ASCII plus the sentence ends of other scripts (CJK, Arabic, Indic...).
  stop_chars: ['.', "'", '"', '!', '?', '。', '！', '？', '．', '｡', '؟', '۔', '।', '॥', '။', '።', '‼', '‽', '⁇', '⁈', '⁉', '﹒', '﹖', '﹗', '։', '՞'],
  short_line_thr: 0.67,
  short_line_length: 30,
  char_duplicates_ratio: 0.01,
  new_line_ratio: 0.3,
};

// Fractions of lines or characters are in [0, 1]; newlines per word may exceed 1 (0 = off).
export const ranges: OptionRanges<FinewebQualityConfig> = {
  line_punct_thr: fraction(),
  short_line_thr: fraction(),
  short_line_length: int(0),
  char_duplicates_ratio: fraction(),
  new_line_ratio: num(0),
};

const endTests = new WeakMap<string[], (line: string) => boolean>();

/** `line.endsWith(any of stops)`, as one Set lookup of the last character when stops are single characters. */
function endTest(stops: string[]): (line: string) => boolean {
  let f = endTests.get(stops);
  if (!f) {
    const single = stops.every((x) => x.length === 1);
    const set = new Set(stops);
    f = single ? (line) => line.length > 0 && set.has(line[line.length - 1]!) : (line) => stops.some((x) => line.endsWith(x));
    endTests.set(stops, f);
  }
  return f;
}

export function checkFineweb(text: string, c: FinewebQualityConfig, observe?: (m: string, v: number) => void, language?: string): Drop | undefined {
  const obs = observe ?? (() => {});
  const all = splitLinesKeepEmpty(text);
  const lines = all.filter((l) => l.trim().length > 0);
  if (lines.length === 0) return { reason: 'empty' };
  let punct = 0;
  let short = 0;
  const ends = endTest(c.stop_chars);
  for (const line of lines) {
    if (ends(line)) punct++;
    if (line.length <= c.short_line_length) short++;
  }
  const punctRatio = punct / lines.length;
  obs('line_punct_ratio', punctRatio);
  if (punctRatio <= c.line_punct_thr && !(punctRatio === 0 && c.line_punct_exclude_zero)) {
    return dropFor('line_punct_ratio', punctRatio, '<=', c.line_punct_thr);
  }
  const shortRatio = short / lines.length;
  obs('short_line_ratio', shortRatio);
  if (shortRatio >= c.short_line_thr) return dropFor('short_line_ratio', shortRatio, '>=', c.short_line_thr);

  const chars = text.length - (all.length - 1); // characters other than the newlines
  const dupRatio = chars === 0 ? 0 : findDuplicates(lines).chars / chars;
  obs('char_dup_ratio', dupRatio);
  if (dupRatio >= c.char_duplicates_ratio) return dropFor('char_dup_ratio', dupRatio, '>=', c.char_duplicates_ratio);

  if (c.new_line_ratio) {
    const n = words(text, language).count;
    const ratio = n === 0 ? Infinity : countOccurrences(text, '\n') / n;
    if (n > 0) obs('list_ratio', ratio);
    if (ratio > c.new_line_ratio) return dropFor('list_ratio', ratio, '>', c.new_line_ratio);
  }
  return undefined;
}

export const finewebQuality = textFilter<FinewebQualityConfig>({
  name: 'fineweb_quality',
  description: 'FineWeb quality filters: punctuated lines, duplicated-line characters, short lines, newline ratio',
  defaults,
  ranges,
  languageDefaults,
  check: (text, c, doc, tools) => checkFineweb(text, c, tools.observe, doc.language),
});

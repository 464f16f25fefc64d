/**
 * Document-wise quality (spec §5; Gopher, Rae et al. 2021): word count, mean word length,
 * `#` and ellipsis ratios, bullet and ellipsis line ratios, alphabetic-word ratio, stop words.
 * Reasons are datatrove's names (`gopher_short_doc`, `gopher_below_alpha_threshold`, ...).
 *
 * Words are the shared splitter's (stages/text/words.ts): punctuation marks are tokens; the
 * word count and mean length count only tokens with a letter, digit or mark; the `#`,
 * ellipsis and alphabetic ratios divide by all tokens (as datatrove does).
 */
import { fraction, int, num, type OptionRanges } from '../../src/options.js';
import { dropFor, textFilter, type Drop } from '../../src/stage.js';
import { ALPHA, WS, classOf } from '../text/chars.js';
import { WORD_BITS, countOccurrences, lineSpans, wordClasses, words } from '../text/words.js';
// Per-language values (stop words, word-length bounds, alphabetic-word ratio): docs/languages.md.
import languageDefaults from './languages.json' with { type: 'json' };

export interface GopherQualityConfig {
  min_words: number;
  max_words: number;
  min_mean_word_length: number;
  max_mean_word_length: number;
  /** Max ratio of `#` characters to words. */
  max_hash_word_ratio: number;
  /** Max ratio of ellipses (`...`, `…`) to words. */
  max_ellipsis_word_ratio: number;
  /** Max fraction of (non-blank) lines starting with a bullet. */
  max_bullet_lines_ratio: number;
  /** Max fraction of (non-blank) lines ending with an ellipsis. */
  max_ellipsis_lines_ratio: number;
  /** Min fraction of words that contain an alphabetic character. */
  min_alpha_words_ratio: number;
  /**
   * Min number of distinct stop words, matched case-sensitively as in Gopher/datatrove (a
   * capitalized "The" in a title of a French page should not make it English).
   */
  min_stop_words: number;
  stop_words: string[];
  /** Characters that make a line a bullet line when it starts with one (after spaces). */
  bullets: string[];
}

export const defaults: GopherQualityConfig = {
  min_words: 50,
  max_words: 100_000,
  min_mean_word_length: 3,
  max_mean_word_length: 10,
  max_hash_word_ratio: 0.1,
  max_ellipsis_word_ratio: 0.1,
  max_bullet_lines_ratio: 0.9,
  max_ellipsis_lines_ratio: 0.3,
  min_alpha_words_ratio: 0.8,
  min_stop_words: 2,
  stop_words: ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'],
  bullets: ['•', '‣', '◦', '⁃', '●', '○', '▪', '■', '-', '*'],
};

// Spec §5: word counts are whole numbers, mean word lengths positive; symbol-to-word ratios
// may exceed 1, line and word shares are fractions.
export const ranges: OptionRanges<GopherQualityConfig> = {
  min_words: int(0),
  max_words: int(0),
  min_mean_word_length: num(0),
  max_mean_word_length: num(0),
  max_hash_word_ratio: num(0),
  max_ellipsis_word_ratio: num(0),
  max_bullet_lines_ratio: fraction(),
  max_ellipsis_lines_ratio: fraction(),
  min_alpha_words_ratio: fraction(),
  min_stop_words: int(0),
};

export function checkQuality(text: string, c: GopherQualityConfig, observe?: (m: string, v: number) => void, language?: string): Drop | undefined {
  const obs = observe ?? (() => {});
  const w = words(text, language);
  const nTokens = w.count;
  let nWords = 0;
  let wordChars = 0;
  let alphaTokens = 0;
  const stop = new Set(c.stop_words);
  const stopSeen = new Set<string>();
  let maxStopLen = 0;
  for (const s of c.stop_words) maxStopLen = Math.max(maxStopLen, s.length);
  for (let i = 0; i < nTokens; i++) {
    const bits = wordClasses(w, i);
    if (bits & WORD_BITS) {
      nWords++;
      wordChars += w.end[i]! - w.start[i]!;
    }
    if (bits & ALPHA) {
      alphaTokens++;
      const len = w.end[i]! - w.start[i]!;
      if (len <= maxStopLen && stopSeen.size < stop.size) {
        const s = text.slice(w.start[i]!, w.end[i]!);
        if (stop.has(s)) stopSeen.add(s);
      }
    }
  }
  obs('words', nWords);
  if (nWords < c.min_words) return dropFor('gopher_short_doc', nWords, '<', c.min_words);
  if (nWords > c.max_words) return dropFor('gopher_long_doc', nWords, '>', c.max_words);

  const mean = nWords === 0 ? 0 : wordChars / nWords;
  obs('mean_word_length', mean);
  if (mean < c.min_mean_word_length) return dropFor('gopher_below_avg_threshold', mean, '<', c.min_mean_word_length);
  if (mean > c.max_mean_word_length) return dropFor('gopher_above_avg_threshold', mean, '>', c.max_mean_word_length);

  const denom = Math.max(nTokens, 1);
  const hashRatio = countOccurrences(text, '#') / denom;
  obs('hash_word_ratio', hashRatio);
  if (hashRatio > c.max_hash_word_ratio) return dropFor('gopher_too_many_hashes', hashRatio, '>', c.max_hash_word_ratio);
  const ellipsisRatio = (countOccurrences(text, '...') + countOccurrences(text, '…')) / denom;
  obs('ellipsis_word_ratio', ellipsisRatio);
  if (ellipsisRatio > c.max_ellipsis_word_ratio) return dropFor('gopher_too_many_ellipsis', ellipsisRatio, '>', c.max_ellipsis_word_ratio);

  let lines = 0;
  let bulletLines = 0;
  let ellipsisLines = 0;
  const spans = lineSpans(text);
  for (let i = 0; i < spans.count; i++) {
    // the line trimmed, without cutting it out: [s, e)
    let s = spans.start[i]!;
    let e = spans.end[i]!;
    while (s < e && classOf(text.charCodeAt(s)) & WS) s++;
    while (e > s && classOf(text.charCodeAt(e - 1)) & WS) e--;
    if (s === e) continue;
    lines++;
    if (c.bullets.some((b) => text.startsWith(b, s))) bulletLines++;
    const last = text.charCodeAt(e - 1);
    if (last === 0x2026 || (last === 0x2e && e - s >= 3 && text.startsWith('...', e - 3))) ellipsisLines++;
  }
  const bulletRatio = lines === 0 ? 0 : bulletLines / lines;
  obs('bullet_lines_ratio', bulletRatio);
  if (bulletRatio > c.max_bullet_lines_ratio) return dropFor('gopher_too_many_bullets', bulletRatio, '>', c.max_bullet_lines_ratio);
  const endEllipsis = lines === 0 ? 0 : ellipsisLines / lines;
  obs('ellipsis_lines_ratio', endEllipsis);
  if (endEllipsis > c.max_ellipsis_lines_ratio) return dropFor('gopher_too_many_end_ellipsis', endEllipsis, '>', c.max_ellipsis_lines_ratio);

  const alphaRatio = alphaTokens / denom;
  obs('alpha_words_ratio', alphaRatio);
  if (alphaRatio < c.min_alpha_words_ratio) return dropFor('gopher_below_alpha_threshold', alphaRatio, '<', c.min_alpha_words_ratio);

  obs('stop_words', stopSeen.size);
  if (stopSeen.size < c.min_stop_words) return dropFor('gopher_enough_stop_words', stopSeen.size, '<', c.min_stop_words);
  return undefined;
}

export const gopherQuality = textFilter<GopherQualityConfig>({
  name: 'gopher_quality',
  description: 'Gopher document-wise quality rules: length, word length, symbols, bullets, alphabetic words, stop words (spec §5)',
  defaults,
  ranges,
  languageDefaults,
  check: (text, c, doc, tools) => checkQuality(text, c, tools.observe, doc.language),
});

/**
 * Repetition removal (spec §4; Gopher, Rae et al. 2021, Table A1): drop a document whose
 * duplicated lines/paragraphs or repeated word n-grams cover too much of it. Reasons are
 * datatrove's names (`dup_para_frac`, `dup_line_char_frac`, `top_2_gram`,
 * `duplicated_5_n_grams`, ...); measures are checked in that order and the first one over its
 * threshold drops the document (the ones after it are not computed).
 */
import { fraction, type OptionRanges } from '../../src/options.js';
import { dropFor, textFilter, type Drop } from '../../src/stage.js';
import { lineSpans, paragraphSpans, words } from '../text/words.js';
import { NgramScanner, duplicateSpans, wordIds } from '../text/ngrams.js';
// Per-language thresholds (duplicate lines, n-gram fractions): docs/languages.md.
import languageDefaults from './languages.json' with { type: 'json' };

export interface GopherRepetitionConfig {
  /** Max fraction of lines that repeat an earlier line. */
  dup_line_frac: number;
  /** Max fraction of paragraphs that repeat an earlier paragraph. */
  dup_para_frac: number;
  /** Max fraction of the document's characters in repeated lines. */
  dup_line_char_frac: number;
  /** Max fraction of the document's characters in repeated paragraphs. */
  dup_para_char_frac: number;
  /** Max character fraction of the most frequent n-gram, n = 2, 3, 4 (index 0 is n = 2). */
  top_ngram_char_frac: number[];
  /** Max character fraction in duplicated n-grams, n = 5..10 (index 0 is n = 5). */
  dup_ngram_char_frac: number[];
}

export const defaults: GopherRepetitionConfig = {
  dup_line_frac: 0.3,
  dup_para_frac: 0.3,
  dup_line_char_frac: 0.2,
  dup_para_char_frac: 0.2,
  top_ngram_char_frac: [0.2, 0.18, 0.16],
  dup_ngram_char_frac: [0.15, 0.14, 0.13, 0.12, 0.11, 0.1],
};

// Every threshold is a fraction of lines, paragraphs or characters (spec §4); lists: each element.
export const ranges: OptionRanges<GopherRepetitionConfig> = {
  dup_line_frac: fraction(),
  dup_para_frac: fraction(),
  dup_line_char_frac: fraction(),
  dup_para_char_frac: fraction(),
  top_ngram_char_frac: fraction(),
  dup_ngram_char_frac: fraction(),
};

/** Thresholds that are 0 are off (as in datatrove, where a falsy threshold disables a rule). */
export function checkRepetition(text: string, c: GopherRepetitionConfig, observe?: (m: string, v: number) => void, language?: string): Drop | undefined {
  const len = text.length;
  if (len === 0) return undefined;
  const obs = observe ?? (() => {});

  const paragraphs = paragraphSpans(text);
  const pd = duplicateSpans(text, paragraphs.start, paragraphs.end, paragraphs.count);
  const paraFrac = pd.count / paragraphs.count;
  obs('dup_para_frac', paraFrac);
  if (c.dup_para_frac && paraFrac > c.dup_para_frac) return dropFor('dup_para_frac', paraFrac, '>', c.dup_para_frac);
  const paraChar = pd.chars / len;
  obs('dup_para_char_frac', paraChar);
  if (c.dup_para_char_frac && paraChar > c.dup_para_char_frac) return dropFor('dup_para_char_frac', paraChar, '>', c.dup_para_char_frac);

  const lines = lineSpans(text);
  const ld = duplicateSpans(text, lines.start, lines.end, lines.count);
  const lineFrac = ld.count / lines.count;
  obs('dup_line_frac', lineFrac);
  if (c.dup_line_frac && lineFrac > c.dup_line_frac) return dropFor('dup_line_frac', lineFrac, '>', c.dup_line_frac);
  const lineChar = ld.chars / len;
  obs('dup_line_char_frac', lineChar);
  if (c.dup_line_char_frac && lineChar > c.dup_line_char_frac) return dropFor('dup_line_char_frac', lineChar, '>', c.dup_line_char_frac);

  const ids = wordIds(words(text, language));
  const scanner = new NgramScanner(ids);
  for (let k = 0; k < c.top_ngram_char_frac.length; k++) {
    const n = k + 2;
    const max = c.top_ngram_char_frac[k]!;
    if (ids.ids.length < n) continue; // (datatrove: no n-grams, rule skipped)
    const frac = scanner.topNgramChars(n) / len;
    obs(`top_${n}_gram`, frac);
    if (max && frac > max) return dropFor(`top_${n}_gram`, frac, '>', max);
  }
  for (let k = 0; k < c.dup_ngram_char_frac.length; k++) {
    const n = k + 5;
    const max = c.dup_ngram_char_frac[k]!;
    const frac = scanner.duplicateNgramChars(n) / len;
    obs(`duplicated_${n}_n_grams`, frac);
    if (max && frac > max) return dropFor(`duplicated_${n}_n_grams`, frac, '>', max);
  }
  return undefined;
}

export const gopherRepetition = textFilter<GopherRepetitionConfig>({
  name: 'gopher_repetition',
  description: 'Gopher repetition removal: duplicated lines, paragraphs and word n-grams (RW 3.2, spec §4)',
  defaults,
  ranges,
  languageDefaults,
  check: (text, c, doc, tools) => checkRepetition(text, c, tools.observe, doc.language),
});

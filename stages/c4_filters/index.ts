/**
 * C4's line and document filters (Raffel et al. 2020 §2.2, as FineWeb applies them through
 * datatrove's C4QualityFilter; spec "FineWeb additions"). Per line (stripped): drop it if a
 * word is over 1000 chars; strip citation markers ([1], [edit], [citation needed]); optionally
 * drop it without terminal punctuation (C4 itself; FineWeb turned it off, so off here); drop
 * it under 3 words; drop the document on "lorem ipsum" or "{"; drop lines mentioning
 * "javascript" or a cookie/terms policy phrase. Then drop the document with fewer than 5
 * sentences in the kept lines; otherwise the text becomes the kept lines.
 */
import { int, type OptionRanges } from '../../src/options.js';
import type { Doc } from '../../src/doc.js';
import { dropFor, measurements, type Measurements, type StageModule, type StepResult } from '../../src/stage.js';
import { countSentences, splitLinesUniversal, whitespaceWordStats } from '../text/words.js';

export interface C4FiltersConfig {
  max_word_length: number;
  remove_citations: boolean;
  /** C4's "keep only lines ending in . ! ? \" '" (FineWeb: off). */
  filter_no_terminal_punct: boolean;
  min_words_per_line: number;
  filter_lorem_ipsum: boolean;
  filter_javascript: boolean;
  filter_curly_bracket: boolean;
  policy_phrases: string[];
  /** Min sentences in the kept lines (0 = off). */
  min_num_sentences: number;
}

export const defaults: C4FiltersConfig = {
  max_word_length: 1000,
  remove_citations: true,
  filter_no_terminal_punct: false,
  min_words_per_line: 3,
  filter_lorem_ipsum: true,
  filter_javascript: true,
  filter_curly_bracket: true,
  policy_phrases: ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'],
  min_num_sentences: 5,
};

// Counts and lengths (C4, spec §6): whole numbers.
export const ranges: OptionRanges<C4FiltersConfig> = {
  max_word_length: int(1),
  min_words_per_line: int(0),
  min_num_sentences: int(0),
};

const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/g;
const TERMINAL = ['.', '?', '!', '"', "'"];

export interface C4Outcome {
  result: StepResult | undefined;
  /** The kept lines joined by `\n` (when kept). */
  text?: string;
  linesDropped: Record<string, number>;
  /** Lines seen and kept (until a document-level drop). */
  lines: number;
  linesKept: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One case-insensitive test for every phrase a line is checked for (most lines have none). */
function phraseTest(c: C4FiltersConfig): RegExp {
  const phrases = [...c.policy_phrases];
  if (c.filter_lorem_ipsum) phrases.push('lorem ipsum');
  if (c.filter_javascript) phrases.push('javascript');
  return phrases.length ? new RegExp(phrases.map(escapeRegExp).join('|'), 'i') : /(?!)/;
}
const phraseCache = new WeakMap<C4FiltersConfig, RegExp>();

/**
 * The line filters and document rules on `text`. Through `m`: the document rules broken
 * (annotate mode goes on past the first) and, in annotate mode, the exact sentence count.
 */
export function checkC4(text: string, c: C4FiltersConfig, m: Measurements = measurements()): C4Outcome {
  let phrases = phraseCache.get(c);
  if (!phrases) phraseCache.set(c, (phrases = phraseTest(c)));
  const dropped: Record<string, number> = {};
  const drop = (r: string) => (dropped[r] = (dropped[r] ?? 0) + 1);
  const kept: string[] = [];
  let sentences = 0;
  let lines = 0;
  const out = (result: StepResult | undefined, text?: string): C4Outcome => ({ result, text, linesDropped: dropped, lines, linesKept: kept.length });
  for (const raw of splitLinesUniversal(text)) {
    lines++;
    let line = raw.trim();
    const ws = whitespaceWordStats(line, c.min_words_per_line, c.max_word_length);
    if (ws.tooLong) {
      drop('line_too_long_word');
      continue;
    }
    if (c.remove_citations && line.includes('[')) line = line.replace(CITATION, '');
    if (c.filter_no_terminal_punct && (!TERMINAL.some((t) => line.endsWith(t)) || line.endsWith('...'))) {
      drop('line_no_terminal_punct');
      continue;
    }
    if (ws.count < c.min_words_per_line) {
      drop('line_too_few_words');
      continue;
    }
    const lower = phrases.test(line) ? line.toLowerCase() : '';
    if (c.filter_lorem_ipsum && lower.includes('lorem ipsum') && m.broke({ reason: 'lorem_ipsum' })) return out(m.drop);
    if (c.filter_javascript && lower.includes('javascript')) {
      drop('line_javascript');
      continue;
    }
    if (c.filter_curly_bracket && line.includes('{') && m.broke({ reason: 'curly_bracket' })) return out(m.drop);
    if (lower && c.policy_phrases.some((p) => lower.includes(p))) {
      drop('line_policy');
      continue;
    }
    // Counting stops at the minimum: only "fewer than" matters (the value of a drop is exact);
    // annotate mode counts them all.
    if (m.all || sentences < c.min_num_sentences) sentences += countSentences(line);
    kept.push(line);
  }
  if (m.all) m.observe('sentences', sentences);
  if (sentences < c.min_num_sentences && m.broke(dropFor('too_few_sentences', sentences, '<', c.min_num_sentences))) return out(m.drop);
  return out(m.drop, m.drop ? undefined : kept.join('\n').trim());
}

export const c4Filters: StageModule<C4FiltersConfig> = {
  name: 'c4_filters',
  description: 'C4 line filters (long words, short lines, javascript, policy, citations) and document rules (lorem ipsum, {, < 5 sentences)',
  defaults,
  ranges,
  create(config, ctx) {
    return {
      name: 'c4_filters',
      apply(doc: Doc): StepResult {
        const m = measurements((k, v) => ctx.observe(k, v, doc), ctx.annotate === true);
        const out = checkC4(doc.text, config, m);
        for (const [k, n] of Object.entries(out.linesDropped)) ctx.count(k, n);
        if (out.lines > 0) m.observe('lines_kept_frac', out.linesKept / out.lines);
        if (out.result) return out.result;
        doc.text = out.text!;
        return doc;
      },
    };
  },
};

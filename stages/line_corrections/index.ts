/**
 * Line-wise corrections (spec §6; RW Appendix G.2, thresholds as DCLM's RefinedWeb
 * reproduction sets them). Per `\n` line: drop it if mainly uppercase (> 50% of its
 * characters are uppercase letters), only digits, a social counter ("3 likes"), or one word;
 * for lines of at most 10 words, strip a boilerplate phrase at the start ("sign-in"), at the
 * end ("read more..."), or anywhere ("items in cart"). If the words removed exceed 5% of the
 * document's words, drop the document (`removed_words_frac`); otherwise keep the corrected
 * text (blank-line runs collapsed to at most one blank line).
 *
 * The phrases and counter words are options, so each language has its own (`languages.json`,
 * data: "Weiterlesen", "Lire la suite", "12 Kommentare"; docs/languages.md). English keeps the
 * spec's phrases; the other languages' lists add their own to the English ones (English
 * boilerplate is common on pages in other languages).
 */
import { fraction, int, type OptionRanges } from '../../src/options.js';
import type { Doc } from '../../src/doc.js';
import { dropFor, type StageModule, type StepResult } from '../../src/stage.js';
import { ALPHA, NUM, UPPER, WS, classOf } from '../text/chars.js';
import { countWhitespaceWords, splitLinesKeepEmpty } from '../text/words.js';
import languageDefaults from './languages.json' with { type: 'json' };

export interface LineCorrectionsConfig {
  /** A line is "mainly uppercase" when uppercase letters / characters > this. */
  max_uppercase_ratio: number;
  drop_numeric_lines: boolean;
  drop_counter_lines: boolean;
  /** Lines with fewer words than this are dropped (2 = drop one-word lines). */
  min_words_per_line: number;
  /** Only lines of at most this many words get boilerplate stripped. */
  boilerplate_max_words: number;
  /** Stripped at the start of a line (case-insensitive). */
  boilerplate_prefixes: string[];
  /** Stripped at the end of a line (case-insensitive). */
  boilerplate_suffixes: string[];
  /** Stripped anywhere in a line (case-insensitive). */
  boilerplate_anywhere: string[];
  /** What a social counter counts: "3 likes", "1.2K shares" (case-insensitive, whole word). */
  counter_words: string[];
  /** Drop the document when removed words / words > this. */
  max_removed_words_frac: number;
}

export const defaults: LineCorrectionsConfig = {
  max_uppercase_ratio: 0.5,
  drop_numeric_lines: true,
  drop_counter_lines: true,
  min_words_per_line: 2,
  boilerplate_max_words: 10,
  boilerplate_prefixes: ['sign-in'],
  boilerplate_suffixes: ['read more...'],
  boilerplate_anywhere: ['items in cart'],
  counter_words: [
    'like', 'likes', 'share', 'shares', 'comment', 'comments', 'retweet', 'retweets', 'repost', 'reposts', 'quote', 'quotes',
    'bookmark', 'bookmarks', 'upvote', 'upvotes', 'downvote', 'downvotes', 'vote', 'votes', 'view', 'views',
    'follower', 'followers', 'following', 'replies', 'reply', 'reaction', 'reactions', 'download', 'downloads', 'point', 'points',
  ],
  max_removed_words_frac: 0.05,
};

export const ranges: OptionRanges<LineCorrectionsConfig> = {
  max_uppercase_ratio: fraction(),
  min_words_per_line: int(0),
  boilerplate_max_words: int(0),
  max_removed_words_frac: fraction(),
};

/** "3 likes", "1.2K shares", "12 comments" (an optional K/M/B multiplier; punctuation around). */
function counterPattern(words: string[]): RegExp {
  const alternatives = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')).join('|');
  return new RegExp(`^[^\\p{L}\\p{N}]*\\d[\\d.,]*\\s*[kmb]?\\s+(?:${alternatives})[^\\p{L}\\p{N}]*$`, 'iu');
}
const counterPatterns = new WeakMap<string[], RegExp>();
function counterFor(words: string[]): RegExp {
  let re = counterPatterns.get(words);
  if (!re) counterPatterns.set(words, (re = counterPattern(words)));
  return re;
}
const ONLY_DIGITS = /^[\s\p{Nd}]+$/u;

/** One scan of a line: whitespace words, uppercase letters, and whether its first letter-or-digit is a digit. */
function scanLine(t: string): { words: number; upper: number; digitFirst: boolean } {
  let words = 0;
  let upper = 0;
  let digitFirst = false;
  let seenAlnum = false;
  let inWord = false;
  for (let i = 0; i < t.length; i++) {
    const k = classOf(t.charCodeAt(i));
    if (k & WS) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
    if (k & UPPER) upper++;
    if (!seenAlnum && k & (ALPHA | NUM)) {
      seenAlnum = true;
      digitFirst = (k & NUM) !== 0;
    }
  }
  return { words, upper, digitFirst };
}

export type LineRule = 'uppercase' | 'numeric' | 'counter' | 'short' | 'boilerplate';

/** Apply the line rules to one line: the corrected line, or undefined to drop it. */
export function correctLine(line: string, c: LineCorrectionsConfig): { line?: string; rule?: LineRule; words: number } {
  const t = line.trim();
  if (t.length === 0) return { line, words: 0 }; // blank lines carry no words
  const { words: nWords, upper, digitFirst } = scanLine(t);
  const drop = (rule: LineRule) => ({ rule, words: nWords });
  if (upper / t.length > c.max_uppercase_ratio) return drop('uppercase');
  if (digitFirst) {
    if (c.drop_numeric_lines && ONLY_DIGITS.test(t)) return drop('numeric');
    if (c.drop_counter_lines && counterFor(c.counter_words).test(t)) return drop('counter');
  }
  if (nWords < c.min_words_per_line) return drop('short');
  if (nWords <= c.boilerplate_max_words) {
    let s = t;
    let lower = s.toLowerCase();
    let changed = false;
    for (const p of c.boilerplate_prefixes) {
      if (lower.startsWith(p)) {
        s = s.slice(p.length).trimStart();
        lower = s.toLowerCase();
        changed = true;
      }
    }
    for (const p of c.boilerplate_suffixes) {
      if (lower.endsWith(p)) {
        s = s.slice(0, s.length - p.length).trimEnd();
        lower = s.toLowerCase();
        changed = true;
      }
    }
    for (const p of c.boilerplate_anywhere) {
      let at = lower.indexOf(p);
      while (at !== -1) {
        s = (s.slice(0, at) + s.slice(at + p.length)).replace(/\s{2,}/g, ' ').trim();
        lower = s.toLowerCase();
        changed = true;
        at = lower.indexOf(p);
      }
    }
    if (changed) return s.length === 0 ? drop('boilerplate') : { line: s, rule: 'boilerplate', words: nWords };
  }
  return { line, words: nWords };
}

export interface LineOutcome {
  text: string;
  words: number;
  removedWords: number;
  linesRemoved: Record<string, number>;
}

export function correctLines(text: string, c: LineCorrectionsConfig): LineOutcome {
  const out: string[] = [];
  let words = 0;
  let removed = 0;
  const linesRemoved: Record<string, number> = {};
  for (const line of splitLinesKeepEmpty(text)) {
    const r = correctLine(line, c);
    const n = r.words;
    words += n;
    if (r.rule) linesRemoved[r.rule] = (linesRemoved[r.rule] ?? 0) + 1;
    if (r.line === undefined) removed += n;
    else {
      if (r.rule) removed += n - countWhitespaceWords(r.line);
      out.push(r.line);
    }
  }
  const joined = out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return { text: joined, words, removedWords: removed, linesRemoved };
}

export const lineCorrections: StageModule<LineCorrectionsConfig> = {
  name: 'line_corrections',
  description: 'RefinedWeb line-wise corrections: drop uppercase/numeric/counter/one-word lines, strip boilerplate; drop the document past 5% removed words',
  defaults,
  ranges,
  languageDefaults,
  create(config, ctx) {
    return {
      name: 'line_corrections',
      apply(doc: Doc): StepResult {
        const r = correctLines(doc.text, config);
        const frac = r.words === 0 ? 0 : r.removedWords / r.words;
        ctx.observe('removed_words_frac', frac, doc);
        if (frac > config.max_removed_words_frac) return dropFor('removed_words_frac', frac, '>', config.max_removed_words_frac);
        for (const [k, n] of Object.entries(r.linesRemoved)) ctx.count(`lines_${k}`, n);
        if (Object.keys(r.linesRemoved).length > 0) doc.text = r.text;
        return doc;
      },
    };
  },
};

/**
 * The one word splitter, line/paragraph splitters and small counters that every text filter
 * uses (Gopher repetition and quality, line-wise corrections, C4, FineWeb).
 *
 * Word splitting follows the shape of spaCy's English tokenizer, which datatrove's filters use
 * (so thresholds tuned on datatrove mean the same here): split on whitespace, then peel
 * punctuation off the front and back of each chunk one mark at a time (`"Hello,` -> `"`,
 * `Hello`, `,`), split a final `.` after a lowercase letter or digit but keep abbreviations
 * (`Mr.`, `U.S.`, `e.g.`), split `'s` / `n't` / `'re`, keep URLs and e-mails whole, and split
 * inside a chunk at hyphens between letters, `...`, and `a,b`. Punctuation tokens are tokens
 * (the Gopher alphabetic-word ratio and FineWeb's newline ratio count them, as datatrove does).
 *
 * Beyond English: Han, Hiragana and Katakana characters are one word each. Those scripts
 * have no spaces, so a whitespace or spaCy split would make a whole paragraph one "word".
 * One character per word is deterministic, O(n), and needs no dictionary; a dictionary
 * segmenter (Intl.Segmenter) would give longer words, but its output depends on the ICU data
 * of the running Node (it could change with the Node version) and it was slower when measured
 * here (13K characters of Chinese: 18 ms vs 8 ms; one 132K-character string: 15 s). Each Han
 * character is roughly a morpheme, so repetition and n-gram measures stay meaningful.
 * Thai, Lao, Khmer and Myanmar words are several characters long, so a run of those letters
 * is cut by Intl.Segmenter (ICU's dictionary breaker; only such runs pay for it).
 *
 * By language (`words(text, language)`, the document's lid.176 code; data in
 * `languages.json`, sources in docs/languages.md): English and every language not listed split
 * as above. Listed languages do not split English clitics (`'s`, `n't`: Dutch `auto's` is one
 * word); French and Italian split elisions after the apostrophe (`l'homme` -> `l'`, `homme`,
 * as spaCy's French and Italian tokenizers do, so FineWeb-2's stop words `l'`, `d'` match)
 * except listed words (`aujourd'hui`); German, Dutch and Swedish keep words joined by one
 * hyphen (`E-Mail-Adresse`: spaCy's German infixes split only `--` between letters).
 *
 * Lengths are UTF-16 code units (`string.length`); they differ from Python's code-point
 * lengths (datatrove) only for astral characters (emoji, rare CJK), which count 2.
 */
import { ALPHA, CJK, CURRENCY, DIGIT, ICON, LOWER, NUM, MARK, PLAIN, PUNCT, SEGMENT, SPLIT, UNCASED, UPPER, WS, classAt, classOf, unitsAt } from './chars.js';
import languageTable from './languages.json' with { type: 'json' };

/** How a language writes its words (see the module comment). */
export interface WordProfile {
  englishClitics: boolean;
  hyphenJoins: boolean;
  elision: boolean;
  elisionExceptions: Set<string>;
}

const DEFAULT_PROFILE: WordProfile = { englishClitics: true, hyphenJoins: false, elision: false, elisionExceptions: new Set() };

const PROFILES = new Map<string, WordProfile>(
  Object.entries(languageTable as Record<string, { english_clitics?: boolean; hyphen_joins?: boolean; elision?: boolean; elision_exceptions?: string[] }>).map(
    ([code, p]) => [
      code,
      {
        englishClitics: p.english_clitics ?? true,
        hyphenJoins: p.hyphen_joins ?? false,
        elision: p.elision ?? false,
        // both apostrophes: web text writes `aujourd’hui` as often as `aujourd'hui`
        elisionExceptions: new Set((p.elision_exceptions ?? []).flatMap((w) => [w, w.replace(/'/g, '\u2019')])),
      },
    ],
  ),
);

/** The word profile of a lid.176 language code (the default for English and unlisted ones). */
export function wordProfile(language: string | undefined): WordProfile {
  return (language !== undefined && PROFILES.get(language)) || DEFAULT_PROFILE;
}

/** The profile of the text being split (set by splitInto; the splitter is synchronous). */
let profile = DEFAULT_PROFILE;

let segmenter: Intl.Segmenter | undefined;

/** The words of a text, as spans into it (no copies until asked for). */
export interface Words {
  readonly text: string;
  readonly count: number;
  /** Word i is `text.slice(start[i], end[i])`. */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** `hashSpan` of each word, computed while splitting (equal words, equal hashes). */
  readonly hash: Uint32Array;
}

/** FNV-1a over the UTF-16 units of text[s, e), then mixed: the hash of a word or line. */
export function hashSpan(text: string, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return finishHash(h);
}

function finishHash(h: number): number {
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Lines and paragraphs

/** Lines as Gopher / the spec split them: on runs of `\n` (so no empty line inside the text). */
export function splitLines(text: string): string[] {
  return text.split(/\n+/);
}

/** Spans of a text's parts, as start/end offsets. */
export interface Spans {
  start: number[];
  end: number[];
  count: number;
}

/** The spans of `splitLines(text)` (runs of `\n` separate lines), without cutting them out. */
export function lineSpans(text: string): Spans {
  return spansBetween(text, 0, text.length, 1);
}

/** The spans of `splitParagraphs(text)`: the trimmed text split on runs of 2+ `\n`. */
export function paragraphSpans(text: string): Spans {
  let s = 0;
  let e = text.length;
  while (s < e && classOf(text.charCodeAt(s)) & WS) s++;
  while (e > s && classOf(text.charCodeAt(e - 1)) & WS) e--;
  return spansBetween(text, s, e, 2);
}

/** Split text[s, e) at every run of at least `minRun` newlines. */
function spansBetween(text: string, s: number, e: number, minRun: number): Spans {
  const out: Spans = { start: [], end: [], count: 0 };
  let partStart = s;
  let i = text.indexOf('\n', s);
  while (i !== -1 && i < e) {
    let j = i;
    while (j < e && text.charCodeAt(j) === 0x0a) j++;
    if (j - i >= minRun) {
      out.start.push(partStart);
      out.end.push(i);
      partStart = j;
    }
    i = text.indexOf('\n', j);
  }
  out.start.push(partStart);
  out.end.push(e);
  out.count = out.start.length;
  return out;
}

/** Every `\n`-separated line, empty ones included (FineWeb's ratios count them). */
export function splitLinesKeepEmpty(text: string): string[] {
  return text.split('\n');
}

/** Paragraphs: the trimmed text split on two or more newlines (Gopher, spec §4). */
export function splitParagraphs(text: string): string[] {
  return text.trim().split(/\n{2,}/);
}

const OTHER_BREAKS = /[\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/**
 * Python's `str.splitlines()` boundaries (C4's reference splits lines this way): `\r\n`, `\n`,
 * `\r`, `\v`, `\f`, `\x1c-\x1e`, `\x85`, `\u2028`, `\u2029`. No trailing empty line.
 */
export function splitLinesUniversal(text: string): string[] {
  if (text.length === 0) return [];
  const lines = OTHER_BREAKS.test(text) ? text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/) : text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Whitespace-separated words of a line, counted up to `countUpTo` (the scan stops there),
 * and whether one is longer than `maxLength` (checked only when the line is that long).
 */
export function whitespaceWordStats(text: string, countUpTo: number, maxLength: number): { count: number; tooLong: boolean } {
  let count = 0;
  let tooLong = false;
  const checkLength = text.length > maxLength;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const ws = i === text.length || (classOf(text.charCodeAt(i)) & WS) !== 0;
    if (ws) {
      if (start >= 0) {
        count++;
        if (i - start > maxLength) tooLong = true;
        start = -1;
        if (count >= countUpTo && !checkLength) break;
      }
    } else if (start < 0) start = i;
  }
  return { count, tooLong };
}

/** How many whitespace-separated words, without allocating them. */
export function countWhitespaceWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ws = (classOf(text.charCodeAt(i)) & WS) !== 0;
    if (!ws && !inWord) n++;
    inWord = !ws;
  }
  return n;
}

/**
 * Duplicates in a list: how many items repeat an earlier one, and their characters
 * (occurrences beyond the first; spec §4, Gopher's "duplicate line/paragraph" measures).
 */
export function findDuplicates(items: string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let count = 0;
  let chars = 0;
  for (const s of items) {
    if (seen.has(s)) {
      count++;
      chars += s.length;
    } else seen.add(s);
  }
  return { count, chars };
}

/** Non-overlapping occurrences of `needle` (Python's `str.count`). */
export function countOccurrences(text: string, needle: string): number {
  let n = 0;
  let i = text.indexOf(needle);
  while (i !== -1) {
    n++;
    i = text.indexOf(needle, i + needle.length);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Words

/** Abbreviations that keep their final period (a subset of spaCy's English exceptions). */
const ABBREVIATIONS = new Set(
  (
    'Mr. Mrs. Ms. Dr. Jr. Sr. St. Mt. Prof. Gen. Gov. Sen. Rep. Rev. Inc. Ltd. Co. Corp. vs. ' +
    'Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec. ' +
    'Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ill. Ind. Kan. Ky. La. Mass. Md. Mich. ' +
    'Minn. Miss. Mo. Mont. Neb. Nev. Okla. Ore. Pa. Tenn. Va. Wash. Wis. Wyo.'
  ).split(' '),
);
const INITIALS = /^(?:[A-Za-z]\.)+$/;
/**
 * URL or e-mail (spaCy's url_match keeps them one token). As in spaCy, the top-level domain
 * must be lowercase, so `lower.Upper` (a missing space, `Options.Builder`) is not a URL and
 * gets split at the period.
 */
const URL_LIKE =
  /^(?:[A-Za-z][\w+.-]*:\/\/\S+|(?:[\w.+-]+@)?[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.[a-z]{2,63}(?::\d+)?(?:[/?#]\S*)?)$/;
/** Units split off a number (`5km` -> `5`, `km`), a subset of spaCy's LIST_UNITS. */
const UNITS = new Set(
  (
    'km km² km³ m m² m³ dm cm mm µm nm mi yd ft in kg g mg µg lb lbs oz t l ml h min s ms mph kmh ' +
    'hz khz mhz ghz kb mb gb tb kw mw gw w v a °c °f'
  ).split(' '),
);

const APOS = 0x27;
const RSQUO = 0x2019;

function isApostrophe(u: number): boolean {
  return u === APOS || u === RSQUO;
}

/** Length of a prefix to split off `text[s, e)`, or 0. */
function prefixLen(text: string, s: number, e: number): number {
  const u = text.charCodeAt(s);
  if (u === 0x2e /* . */) {
    let j = s;
    while (j < e && text.charCodeAt(j) === 0x2e) j++;
    return j - s >= 2 ? j - s : 0; // `...word`
  }
  if (u === 0x2026 /* … */) return 1;
  const k = classAt(text, s);
  if (k & (SPLIT | CURRENCY)) return unitsAt(text, s);
  if (u === 0x25 /* % */ || u === 0xa7 /* § */) return 1;
  if (u === 0x2b /* + */ && !(s + 1 < e && classOf(text.charCodeAt(s + 1)) & DIGIT)) return 1;
  return 0;
}

/** Length of a suffix to split off `text[s, e)`, or 0. */
function suffixLen(text: string, s: number, e: number): number {
  const last = e - 1;
  const u = text.charCodeAt(last);
  if (u === 0x2e /* . */) {
    let j = last;
    while (j > s && text.charCodeAt(j - 1) === 0x2e) j--;
    if (last - j >= 1) return e - j; // `word...`
    if (last === s) return 0;
    const p = text.charCodeAt(last - 1);
    const pk = classOf(p);
    if (pk & (DIGIT | LOWER | UNCASED | PUNCT) || p === 0x25 || p === 0xb2 || p === 0x2b) return 1;
    if (pk & UPPER && last - 2 >= s && classOf(text.charCodeAt(last - 2)) & (UPPER | UNCASED)) return 1;
    return 0;
  }
  if (u === 0x2026) return 1;
  const len = e - s;
  // 's, n't, 're, 've, 'll, 'm, 'd after a letter
  if (profile.englishClitics && len > 2 && (u === 0x73 || u === 0x53) && isApostrophe(text.charCodeAt(last - 1))) return 2;
  if (profile.englishClitics && len > 3 && (u === 0x74 || u === 0x54) && isApostrophe(text.charCodeAt(last - 1))) {
    const n = text.charCodeAt(last - 2);
    if ((n === 0x6e || n === 0x4e) && classOf(text.charCodeAt(last - 3)) & ALPHA) return 3;
  }
  if (profile.englishClitics) for (const tail of CLITICS) {
    if (len > tail.length + 1) {
      const at = e - tail.length;
      if (isApostrophe(text.charCodeAt(at - 1)) && classOf(text.charCodeAt(at - 2)) & ALPHA && text.slice(at, e).toLowerCase() === tail) {
        return tail.length + 1;
      }
    }
  }
  // A surrogate pair at the end (emoji): one token.
  if (u >= 0xdc00 && u <= 0xdfff && len >= 2) {
    return classAt(text, last - 1) & (SPLIT | ICON) ? 2 : 0;
  }
  const k = classOf(u);
  if (k & SPLIT) return 1;
  if (len > 1 && classOf(text.charCodeAt(last - 1)) & DIGIT && (u === 0x25 || u === 0x2b || k & CURRENCY)) return 1;
  return 0;
}
const CLITICS = ['re', 've', 'll', 'm', 'd'];

/** Emit the spans of one whitespace-free chunk `text[s, e)`. */
function splitChunk(text: string, s: number, e: number, out: SpanSink): void {
  let suffixStack: number[] | undefined;
  for (;;) {
    if (s >= e) break;
    const len = e - s;
    if (len > 1 && text.charCodeAt(e - 1) === 0x2e) {
      const t = text.slice(s, e);
      if (ABBREVIATIONS.has(t) || INITIALS.test(t)) break;
    }
    const p = prefixLen(text, s, e);
    if (p > 0 && p < len) {
      out.push(s, s + p);
      s += p;
      continue;
    }
    const q = suffixLen(text, s, e);
    if (q > 0 && q < len) {
      (suffixStack ??= []).push(e - q, e);
      e -= q;
      continue;
    }
    break;
  }
  if (s < e) splitMiddle(text, s, e, out);
  if (suffixStack) for (let i = suffixStack.length - 2; i >= 0; i -= 2) out.push(suffixStack[i]!, suffixStack[i + 1]!);
}

function hasUrlMark(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const u = text.charCodeAt(i);
    if (u === 0x2e || u === 0x3a || u === 0x40) return true;
  }
  return false;
}

/** Infix splits inside a chunk (spaCy's infixes) and one-character CJK words. */
function splitMiddle(text: string, s: number, e: number, out: SpanSink): void {
  const len = e - s;
  if (len === 1) {
    out.push(s, e);
    return;
  }
  // Units after a number: `5km`.
  const d0 = classOf(text.charCodeAt(s));
  if (d0 & DIGIT) {
    let j = s;
    while (j < e && classOf(text.charCodeAt(j)) & DIGIT) j++;
    if (j < e && j - s > 0 && UNITS.has(text.slice(j, e).toLowerCase())) {
      out.push(s, j);
      out.push(j, e);
      return;
    }
  }
  if (hasUrlMark(text, s, e) && URL_LIKE.test(text.slice(s, e))) {
    out.push(s, e);
    return;
  }
  let tokStart = s;
  let i = s;
  const elide = profile.elision && !profile.elisionExceptions.has(text.slice(s, e).toLowerCase());
  while (i < e) {
    const u = text.charCodeAt(i);
    const k = classAt(text, i);
    const w = unitsAt(text, i);
    let cut = 0; // length of an infix token starting at i
    if (k & SEGMENT) {
      if (tokStart < i) out.push(tokStart, i);
      i = segmentRun(text, i, e, out);
      tokStart = i;
      continue;
    }
    if (k & (CJK | ICON)) cut = w;
    else if (u === 0x2e /* . */) {
      let j = i;
      while (j < e && text.charCodeAt(j) === 0x2e) j++;
      if (j - i >= 2) cut = j - i;
      else if (i > s && i + 1 < e) {
        const pk = classOf(text.charCodeAt(i - 1));
        const nk = classOf(text.charCodeAt(i + 1));
        if (pk & (LOWER | UNCASED) && nk & (UPPER | UNCASED)) cut = 1;
      }
    } else if (u === 0x2026) cut = 1;
    else if (i > s && i + 1 < e) {
      const pk = classAt(text, i - 1);
      if (elide && isApostrophe(u) && pk & ALPHA && classAt(text, i + 1) & ALPHA) {
        // an elision ends its word: `l'` + `homme`
        out.push(tokStart, i + 1);
        i++;
        tokStart = i;
        continue;
      } else if (u === 0x2c /* , */) {
        if (pk & ALPHA && classAt(text, i + 1) & ALPHA) cut = 1;
      } else if (u === 0x2d /* - */ || u === 0x2013 || u === 0x2014 || u === 0x7e /* ~ */) {
        let j = i;
        while (j < e && (text.charCodeAt(j) === u)) j++;
        if (j < e && pk & (ALPHA | NUM) && classAt(text, j) & ALPHA) cut = u === 0x2d && j - i === 1 && profile.hyphenJoins ? 0 : j - i;
        else if (u === 0x2d && pk & DIGIT && classOf(text.charCodeAt(i + 1)) & DIGIT) cut = 1;
      } else if (u === 0x3a || u === 0x3c || u === 0x3e || u === 0x3d || u === 0x2f) {
        if (pk & (ALPHA | DIGIT) && classAt(text, i + 1) & ALPHA) cut = 1;
      } else if (u === 0x2b || u === 0x2a || u === 0x5e) {
        if (pk & DIGIT && (classOf(text.charCodeAt(i + 1)) & DIGIT || text.charCodeAt(i + 1) === 0x2d)) cut = 1;
      }
    }
    if (cut > 0) {
      if (tokStart < i) out.push(tokStart, i);
      out.push(i, i + cut);
      i += cut;
      tokStart = i;
    } else i += w;
  }
  if (tokStart < e) out.push(tokStart, e);
}

/** Cut the run of SEGMENT letters at text[s, ...) (< e) into words; returns the run's end. */
function segmentRun(text: string, s: number, e: number, out: SpanSink): number {
  let r = s;
  while (r < e && classAt(text, r) & SEGMENT) r++;
  segmenter ??= new Intl.Segmenter('th', { granularity: 'word' });
  for (const seg of segmenter.segment(text.slice(s, r))) out.push(s + seg.index, s + seg.index + seg.segment.length);
  return r;
}

class SpanSink {
  start = new Int32Array(256);
  end = new Int32Array(256);
  hash = new Uint32Array(256);
  count = 0;
  /** The text being split (set by splitInto). */
  text = '';
  push(s: number, e: number): void {
    this.pushHashed(s, e, hashSpan(this.text, s, e));
  }
  pushHashed(s: number, e: number, h: number): void {
    if (this.count === this.start.length) {
      const grow = <T extends Int32Array | Uint32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(this.count * 2);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.hash = grow(this.hash);
    }
    this.start[this.count] = s;
    this.end[this.count] = e;
    this.hash[this.count] = h;
    this.count++;
  }
}

const scratch = new SpanSink();

/** Closing marks that are split off the end of a plain word directly (the common case). */
function isSimpleSuffix(u: number): boolean {
  return u === 0x2c || u === 0x3b || u === 0x3a || u === 0x21 || u === 0x3f || u === 0x29 || u === 0x22;
}

/** Split `text` into spans in `sink` (cleared first); `fast` = false skips the plain-word shortcut. */
function splitInto(text: string, sink: SpanSink, fast = true, as: WordProfile = DEFAULT_PROFILE): void {
  profile = as;
  sink.count = 0;
  sink.text = text;
  // Give memory back after a huge document.
  if (sink.start.length > 1 << 20 && text.length < sink.start.length / 16) {
    sink.start = new Int32Array(256);
    sink.end = new Int32Array(256);
    sink.hash = new Uint32Array(256);
  }
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && classOf(text.charCodeAt(i)) & WS) i++;
    if (i >= n) break;
    // Fast path: a chunk of plain letters/digits, optionally closed by one simple mark,
    // hashed while it is scanned.
    let j = i;
    let k = 0;
    let h = 0x811c9dc5;
    // (a chunk starting with a digit may be `5km`: the full path splits units)
    if (fast && !(classOf(text.charCodeAt(i)) & DIGIT)) {
      while (j < n) {
        const u = text.charCodeAt(j);
        k = classOf(u);
        if (!(k & PLAIN)) break;
        h = Math.imul(h ^ u, 0x01000193);
        j++;
      }
    }
    if (j > i && (j === n || k & WS)) {
      sink.pushHashed(i, j, finishHash(h));
      i = j;
      continue;
    }
    if (fast && j > i && isSimpleSuffix(text.charCodeAt(j)) && (j + 1 === n || classOf(text.charCodeAt(j + 1)) & WS)) {
      sink.pushHashed(i, j, finishHash(h));
      sink.push(j, j + 1);
      i = j + 1;
      continue;
    }
    while (j < n && !(classOf(text.charCodeAt(j)) & WS)) j++;
    splitChunk(text, i, j, sink);
    i = j;
  }
}

/** Split a text into words (see the module comment), as `language` writes them. Pure; no memo. */
export function tokenize(text: string, language?: string): Words {
  splitInto(text, scratch, true, wordProfile(language));
  const n = scratch.count;
  return { text, count: n, start: scratch.start.slice(0, n), end: scratch.end.slice(0, n), hash: scratch.hash.slice(0, n) };
}

/** `tokenize` without the plain-word shortcut: the reference the shortcut is tested against. */
export function tokenizeReference(text: string, language?: string): Words {
  const sink = new SpanSink();
  splitInto(text, sink, false, wordProfile(language));
  const n = sink.count;
  return { text, count: n, start: sink.start.slice(0, n), end: sink.end.slice(0, n), hash: sink.hash.slice(0, n) };
}

// Filters run one after another on the same document: keep the last split.
let memoText: string | undefined;
let memoProfile: WordProfile | undefined;
let memoWords: Words | undefined;

/** `tokenize`, remembered for the last text (the next filter usually asks for the same one). */
export function words(text: string, language?: string): Words {
  const p = wordProfile(language);
  if (memoWords !== undefined && memoText === text && memoProfile === p) return memoWords;
  memoWords = tokenize(text, language);
  memoText = text;
  memoProfile = p;
  return memoWords;
}

/** The words as strings. */
export function wordStrings(w: Words): string[] {
  const out = new Array<string>(w.count);
  for (let i = 0; i < w.count; i++) out[i] = w.text.slice(w.start[i]!, w.end[i]!);
  return out;
}

/** The class bits of word i's characters, OR-ed (one scan answers several questions). */
export function wordClasses(w: Words, i: number): number {
  const t = w.text;
  const e = w.end[i]!;
  let bits = 0;
  for (let j = w.start[i]!; j < e; j++) {
    const u = t.charCodeAt(j);
    if (u >= 0xd800 && u <= 0xdbff) {
      bits |= classAt(t, j);
      j++;
    } else bits |= classOf(u);
  }
  return bits;
}

/** Class bits that make a token a word (it is not only punctuation/symbols). */
export const WORD_BITS = ALPHA | NUM | MARK;

/** Does word i contain a letter, digit or mark (i.e. it is not only punctuation/symbols)? */
export function isWordLike(w: Words, i: number): boolean {
  return (wordClasses(w, i) & WORD_BITS) !== 0;
}

/** Does word i contain an alphabetic character (Python's `isalpha` on some char)? */
export function hasAlpha(w: Words, i: number): boolean {
  return (wordClasses(w, i) & ALPHA) !== 0;
}

/** Is word i made only of Unicode punctuation (spaCy's `is_punct`)? */
export function isPunctuation(w: Words, i: number): boolean {
  const t = w.text;
  for (let j = w.start[i]!; j < w.end[i]!; j += unitsAt(t, j)) if (!(classAt(t, j) & PUNCT)) return false;
  return true;
}

/** Sentence-final marks (spaCy's sentencizer list, the common part). */
const SENTENCE_END = new Set('!.?։؟۔।॥။።‼‽⁇⁈⁉﹒﹖﹗！．？。｡'.split(''));

/**
 * Sentences in a text, counted like spaCy's rule-based sentencizer (which datatrove's C4
 * filter uses): a new sentence starts at the first non-punctuation word after a
 * sentence-final mark. `Mr.`, `3.5`, `U.S.` are single words, so they end nothing.
 */
export function countSentences(text: string): number {
  splitInto(text, scratch);
  const w: Words = { text, count: scratch.count, start: scratch.start, end: scratch.end, hash: scratch.hash };
  if (w.count === 0) return 0;
  let n = 1;
  let seenEnd = false;
  for (let i = 0; i < w.count; i++) {
    const single = w.end[i]! - w.start[i]! === 1;
    const isEnd = single && SENTENCE_END.has(text[w.start[i]!]!);
    if (seenEnd && !isEnd && !isPunctuation(w, i)) {
      n++;
      seenEnd = false;
    } else if (isEnd) seenEnd = true;
  }
  return n;
}

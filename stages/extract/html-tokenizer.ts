/**
 * The HTML tokenizer (WHATWG HTML §13.2.5), pulled one token at a time by the tree builder
 * (html-tree.ts), which switches its state for RCDATA / RAWTEXT / script data / PLAINTEXT
 * elements and says when CDATA sections are allowed (foreign content).
 *
 * No object per token: the current token lives in the tokenizer's fields. Text is never
 * copied: a character token is the source span [s, e) of raw text. In the data and RCDATA
 * states character references stay encoded in the span (`decode` is the caller's: the
 * extractor decodes what it keeps; `RAW_TEXT` marks spans from RAWTEXT / script / PLAINTEXT /
 * CDATA, where `&` is literal). Runs of text are found with `indexOf('<')`; a U+0000 in data
 * is its own token (the tree builder drops it in body, foreign content makes it U+FFFD).
 * CR / CRLF normalization (§13.2.3.5) is left to whoever reads a span: to the tree, CR is
 * whitespace like LF.
 *
 * Tags: name and attribute spans go to `attrs` (4 ints per attribute: name start/end, value
 * start/end, value start -1 when there is none); the tag id is looked up without allocating
 * for known lowercase names (tags.ts). A tag cut by the end of the input is dropped, as the
 * spec says (EOF in a tag emits nothing).
 */
import { TAG_IDS, FIRST_DYNAMIC_TAG, MAX_TAG_ID } from './tags.js';

// token types
export const EOF = 0;
export const CHARS = 1;
/** One U+0000 in the data state (span of one character). */
export const NUL = 2;
export const START = 3;
export const END = 4;
export const COMMENT = 5;
export const DOCTYPE = 6;

// tokenizer states the tree builder sets
export const DATA = 0;
export const RCDATA = 1;
export const RAWTEXT = 2;
export const SCRIPT_DATA = 3;
export const PLAINTEXT = 4;

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
const isAlpha = (c: number): boolean => ((c | 32) >= 97 && (c | 32) <= 122);

/** Known tag names grouped by length * 32 + (first char & 31), as [name, id, name, id, ...]. */
const KNOWN_BY_KEY: (string | number)[][] = [];
let MAX_KNOWN_LEN = 0;
for (const [name, id] of TAG_IDS) {
  const key = name.length * 32 + (name.charCodeAt(0) & 31);
  (KNOWN_BY_KEY[key] ??= []).push(name, id);
  MAX_KNOWN_LEN = Math.max(MAX_KNOWN_LEN, name.length);
}

/** Case-insensitive (ASCII) test that `src` has the lowercase `word` at `at`. */
export function hasWordAt(src: string, at: number, word: string): boolean {
  if (src.startsWith(word, at)) return true;
  if (at + word.length > src.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = src.charCodeAt(at + k);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

export interface Doctype { name: string; publicId: string | null; systemId: string | null; forceQuirks: boolean }

export class Tokenizer {
  readonly src: string;
  readonly len: number;
  pos = 0;
  state = DATA;
  /** The end tag name that ends RCDATA / RAWTEXT / script data (the element's lowercase name). */
  rawName = '';
  /** The adjusted current node is not an HTML element: `<![CDATA[` starts a CDATA section. */
  foreign = false;

  // the current token
  type = EOF;
  /** CHARS / NUL / COMMENT: data span. START / END: the tag name span. */
  s = 0;
  e = 0;
  /** CHARS: the span is raw text (no character references). */
  raw = false;
  tag = 0;
  selfClosing = false;
  attrCount = 0;
  attrs = new Int32Array(64);
  doctype: Doctype | undefined;

  /** Position of the next U+0000 at or after `pos` (len when none). */
  private nextNul = -1;
  private dynamicTags: Map<string, number> | undefined;
  private nextDynamic = FIRST_DYNAMIC_TAG;

  /**
   * `splitNul`: U+0000 in the data state is its own token, as the spec says (the full mode).
   * Without it, U+0000 stays inside the text span (the extractor drops control characters when
   * it writes text): finding them costs a scan of the whole page, ~10% of the tree's time.
   */
  constructor(src: string, splitNul = true) {
    this.src = src;
    this.len = src.length;
    if (!splitNul) this.nextNul = this.len;
  }

  /** Read the next token into the fields; returns its type. */
  next(): number {
    const src = this.src;
    const len = this.len;
    let pos = this.pos;
    for (;;) {
      if (pos >= len) return (this.type = EOF);
      if (this.state !== DATA) return this.rawText();
      if (src.charCodeAt(pos) !== 60 /* < */) break;
      const m = this.markup(pos);
      if (m === 1) return this.type;
      if (m === 0) break;
      pos = this.pos; // "</>" or an empty CDATA section: no token, read on
    }
    // text up to the next '<' that starts markup, or the next U+0000
    if (this.nextNul < pos) {
      const z = src.indexOf('\0', pos); // (splitNul false: nextNul is len, never searched)
      this.nextNul = z < 0 ? len : z;
    }
    if (this.nextNul === pos) {
      this.pos = pos + 1;
      this.s = pos; this.e = pos + 1;
      return (this.type = NUL);
    }
    let at = pos + 1;
    let stop = len;
    for (;;) {
      const lt = src.indexOf('<', at);
      if (lt < 0 || lt + 1 >= len) break;
      const c = src.charCodeAt(lt + 1);
      if (isAlpha(c) || c === 33 || c === 63 || (c === 47 && lt + 2 < len)) { stop = lt; break; }
      at = lt + 1;
    }
    if (this.nextNul < stop) stop = this.nextNul;
    this.s = pos; this.e = stop; this.raw = false;
    this.pos = stop;
    return (this.type = CHARS);
  }

  /** Markup at `lt` (a '<'): 1 = a token is set, 2 = markup that makes no token, 0 = the '<' is text. */
  private markup(lt: number): number {
    const src = this.src;
    const len = this.len;
    if (lt + 1 >= len) return 0;
    const c = src.charCodeAt(lt + 1);
    if (isAlpha(c)) { this.tagToken(lt + 1, false); return 1; }
    if (c === 47 /* / */) {
      if (lt + 2 >= len) return 0; // "</" at EOF is text
      const c2 = src.charCodeAt(lt + 2);
      if (isAlpha(c2)) { this.tagToken(lt + 2, true); return 1; }
      if (c2 === 62) { this.pos = lt + 3; return 2; } // "</>" is dropped
      this.bogusComment(lt + 2);
      return 1;
    }
    if (c === 33 /* ! */) {
      if (src.startsWith('--', lt + 2)) { this.comment(lt + 4); return 1; }
      if (hasWordAt(src, lt + 2, 'doctype')) { this.doctypeToken(lt + 9); return 1; }
      if (this.foreign && src.startsWith('[CDATA[', lt + 2)) {
        const s = lt + 9;
        const close = src.indexOf(']]>', s);
        const e = close < 0 ? len : close;
        this.pos = close < 0 ? len : close + 3;
        if (e === s) return 2;
        this.s = s; this.e = e; this.raw = true;
        this.type = CHARS;
        return 1;
      }
      this.bogusComment(lt + 2);
      return 1;
    }
    if (c === 63 /* ? */) { this.bogusComment(lt + 1); return 1; }
    return 0;
  }

  private bogusComment(s: number): void {
    const close = this.src.indexOf('>', s);
    const e = close < 0 ? this.len : close;
    this.s = s; this.e = e;
    this.pos = close < 0 ? this.len : close + 1;
    this.type = COMMENT;
  }

  /** Comment states (§13.2.5.43-52): `s` is just after "<!--". */
  private comment(s: number): void {
    const src = this.src;
    const len = this.len;
    this.type = COMMENT;
    this.s = s;
    // "<!-->" and "<!--->" are empty comments
    if (src.charCodeAt(s) === 62) { this.e = s; this.pos = s + 1; return; }
    if (src.charCodeAt(s) === 45 && src.charCodeAt(s + 1) === 62) { this.e = s; this.pos = s + 2; return; }
    let a = src.indexOf('--', s);
    for (;;) {
      if (a < 0) {
        // EOF in a comment: up to two trailing dashes are not data
        let e = len;
        if (e > s && src.charCodeAt(e - 1) === 45) e--;
        if (e > s && src.charCodeAt(e - 1) === 45) e--;
        this.e = e; this.pos = len;
        return;
      }
      let b = a + 2;
      while (b < len && src.charCodeAt(b) === 45) b++; // "--->": extra dashes are data
      const dataEnd = b - 2;
      if (b < len && src.charCodeAt(b) === 62) { this.e = dataEnd; this.pos = b + 1; return; }
      if (b + 1 < len && src.charCodeAt(b) === 33 && src.charCodeAt(b + 1) === 62) { this.e = dataEnd; this.pos = b + 2; return; }
      if (b >= len || (b + 1 >= len && src.charCodeAt(b) === 33)) {
        this.e = dataEnd; this.pos = len;
        return;
      }
      a = src.indexOf('--', b - 1 > a + 1 ? b - 1 : a + 1);
    }
  }

  /** DOCTYPE states (§13.2.5.53-68), `p` just after "<!doctype". Rare: strings are fine. */
  private doctypeToken(p: number): void {
    const src = this.src;
    const len = this.len;
    const d: Doctype = { name: '', publicId: null, systemId: null, forceQuirks: false };
    this.doctype = d;
    this.type = DOCTYPE;
    const skipSpace = (): void => { while (p < len && isSpace(src.charCodeAt(p))) p++; };
    const finish = (quirks: boolean): void => {
      if (quirks) d.forceQuirks = true;
      if (p >= len) { d.forceQuirks = true; this.pos = len; return; }
      this.pos = p + 1; // p at '>'
    };
    const bogus = (): void => {
      d.forceQuirks = true;
      const close = src.indexOf('>', p);
      this.pos = close < 0 ? len : close + 1;
    };
    skipSpace();
    if (p >= len) { d.forceQuirks = true; d.name = ''; this.pos = len; (d as { missing?: boolean }).missing = true; return; }
    if (src.charCodeAt(p) === 62) { (d as { missing?: boolean }).missing = true; finish(true); return; }
    const ns = p;
    while (p < len && !isSpace(src.charCodeAt(p)) && src.charCodeAt(p) !== 62) p++;
    d.name = src.slice(ns, p).replace(/[A-Z]+/g, (m) => m.toLowerCase()).replace(/\0/g, '\ufffd');
    skipSpace();
    if (p >= len) { finish(true); return; }
    if (src.charCodeAt(p) === 62) { finish(false); return; }
    const isPublic = hasWordAt(src, p, 'public');
    if (!isPublic && !hasWordAt(src, p, 'system')) { bogus(); return; }
    p += 6;
    const readId = (): string | null => {
      skipSpace();
      const q = src.charCodeAt(p);
      if (q !== 34 && q !== 39) return null;
      const s = p + 1;
      let e = s;
      while (e < len && src.charCodeAt(e) !== q && src.charCodeAt(e) !== 62) e++;
      const v = src.slice(s, e).replace(/\0/g, '\ufffd');
      if (e >= len || src.charCodeAt(e) === 62) { p = e; d.forceQuirks = true; return v; } // abrupt: '>' ends the doctype
      p = e + 1;
      return v;
    };
    if (isPublic) {
      const id = readId();
      if (id === null) { if (p < len && src.charCodeAt(p) === 62) finish(true); else if (p >= len) finish(true); else bogus(); return; }
      d.publicId = id;
      if (p >= len || src.charCodeAt(p) === 62) { finish(false); return; }
      skipSpace();
      if (p >= len) { finish(true); return; }
      if (src.charCodeAt(p) === 62) { finish(false); return; }
      const sys = readId();
      if (sys === null) { bogus(); return; }
      d.systemId = sys;
    } else {
      const id = readId();
      if (id === null) { if (p < len && src.charCodeAt(p) === 62) finish(true); else if (p >= len) finish(true); else bogus(); return; }
      d.systemId = id;
    }
    if (p >= len || src.charCodeAt(p) === 62) { finish(false); return; }
    skipSpace();
    if (p >= len) { finish(true); return; }
    if (src.charCodeAt(p) === 62) { finish(false); return; }
    // anything after the identifiers: bogus doctype state, no force-quirks
    const close = src.indexOf('>', p);
    this.pos = close < 0 ? len : close + 1;
    if (close < 0) d.forceQuirks = true;
  }

  /**
   * Tag open through the attribute states (§13.2.5.6-40), `p` at the name's first letter.
   * Sets START/END, or EOF when the input ends inside the tag (the tag is dropped).
   */
  private tagToken(p: number, isEnd: boolean): void {
    const src = this.src;
    const len = this.len;
    const ns = p;
    while (p < len) {
      const ch = src.charCodeAt(p);
      if (isSpace(ch) || ch === 47 || ch === 62) break;
      p++;
    }
    this.s = ns; this.e = p;
    this.tag = this.lookupTag(ns, p);
    this.selfClosing = false;
    let count = 0;
    let attrs = this.attrs;
    for (;;) {
      // before attribute name
      while (p < len && isSpace(src.charCodeAt(p))) p++;
      if (p >= len) { this.pos = len; this.type = EOF; return; }
      let ch = src.charCodeAt(p);
      if (ch === 62) { p++; break; }
      if (ch === 47) {
        // self-closing start tag state: '/' then '>' self-closes, else the '/' is ignored
        p++;
        if (p < len && src.charCodeAt(p) === 62) { this.selfClosing = true; p++; break; }
        continue;
      }
      // attribute name ('=' as the first character is part of the name)
      const an = p;
      p++;
      while (p < len) {
        ch = src.charCodeAt(p);
        if (isSpace(ch) || ch === 47 || ch === 62 || ch === 61) break;
        p++;
      }
      const ae = p;
      // after attribute name
      while (p < len && isSpace(src.charCodeAt(p))) p++;
      let vs = -1, ve = -1;
      if (p < len && src.charCodeAt(p) === 61) {
        p++;
        while (p < len && isSpace(src.charCodeAt(p))) p++;
        if (p >= len) { this.pos = len; this.type = EOF; return; }
        const q = src.charCodeAt(p);
        if (q === 34 || q === 39) {
          vs = p + 1;
          ve = src.indexOf(q === 34 ? '"' : "'", vs);
          if (ve < 0) { this.pos = len; this.type = EOF; return; }
          p = ve + 1;
        } else if (q === 62) {
          vs = ve = p; // "a=>": empty value
        } else {
          vs = p;
          while (p < len) {
            ch = src.charCodeAt(p);
            if (isSpace(ch) || ch === 62) break;
            p++;
          }
          ve = p;
        }
      }
      if (count * 4 + 4 > attrs.length) {
        const b = new Int32Array(attrs.length * 2);
        b.set(attrs);
        this.attrs = attrs = b;
      }
      const k = count * 4;
      attrs[k] = an; attrs[k + 1] = ae; attrs[k + 2] = vs; attrs[k + 3] = ve;
      count++;
    }
    this.attrCount = count;
    this.pos = p;
    this.type = isEnd ? END : START;
  }

  /** Read the tag whose name starts at `at` into the token fields (a second look at a start tag's attributes). */
  readTag(at: number): void {
    this.tagToken(at, false);
  }

  lookupTag(a: number, b: number): number {
    const src = this.src;
    // fast path, no allocation: known lowercase names by (length, first letter)
    const len = b - a;
    if (len <= MAX_KNOWN_LEN) {
      const cands = KNOWN_BY_KEY[len * 32 + (src.charCodeAt(a) & 31)];
      if (cands !== undefined) {
        for (let k = 0; k < cands.length; k += 2) {
          if (src.startsWith(cands[k] as string, a)) return cands[k + 1] as number;
        }
      }
    }
    const name = this.tagName(a, b);
    let id = TAG_IDS.get(name);
    if (id !== undefined) return id;
    if (!this.dynamicTags) this.dynamicTags = new Map();
    id = this.dynamicTags.get(name);
    if (id !== undefined) return id;
    // beyond 2,048 distinct unknown names in one page, the rest share one id (tags.ts)
    id = this.nextDynamic < MAX_TAG_ID ? this.nextDynamic++ : MAX_TAG_ID;
    this.dynamicTags.set(name, id);
    return id;
  }

  /** The tag name of span [a, b) as the tokenizer emits it: ASCII-lowercased, U+0000 -> U+FFFD. */
  tagName(a: number, b: number): string {
    let name = this.src.slice(a, b);
    if (/[A-Z]/.test(name)) name = name.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    if (name.indexOf('\0') >= 0) name = name.replace(/\0/g, '\ufffd');
    return name;
  }

  /** RCDATA / RAWTEXT / script data / PLAINTEXT: text up to the appropriate end tag. */
  private rawText(): number {
    const src = this.src;
    const len = this.len;
    const pos = this.pos;
    if (this.state === PLAINTEXT) {
      this.s = pos; this.e = len; this.raw = true; this.pos = len;
      return (this.type = CHARS);
    }
    if (this.isEndTagAt(pos)) {
      this.tagToken(pos + 2, true);
      return this.type;
    }
    const stop = this.state === SCRIPT_DATA ? this.scriptDataEnd(pos) : this.rawEnd(pos);
    this.s = pos; this.e = stop; this.raw = this.state !== RCDATA;
    this.pos = stop;
    return (this.type = CHARS);
  }

  /** Is there `</rawName` followed by whitespace, '/' or '>' at `at`? */
  private isEndTagAt(at: number): boolean {
    const src = this.src;
    if (src.charCodeAt(at) !== 60 || src.charCodeAt(at + 1) !== 47) return false;
    const name = this.rawName;
    if (!hasWordAt(src, at + 2, name)) return false;
    const ne = at + 2 + name.length;
    if (ne >= this.len) return false;
    const c = src.charCodeAt(ne);
    return c === 62 || c === 47 || isSpace(c);
  }

  private rawEnd(from: number): number {
    let at = from;
    for (;;) {
      const lt = this.src.indexOf('</', at);
      if (lt < 0) return this.len;
      if (this.isEndTagAt(lt)) return lt;
      at = lt + 2;
    }
  }

  /**
   * Script data with its escaped and double-escaped states (§13.2.5.15-32): `<!--` enters the
   * escaped state (where `<script>` double-escapes, so that its `</script>` does not end the
   * element), `-->` leaves it. Returns where the text ends (the `</script` or the input's end).
   */
  private scriptDataEnd(from: number): number {
    const src = this.src;
    const len = this.len;
    let state = 0; // 0 script data, 1 escaped, 2 double escaped
    let at = from;
    let dd = -2; // the next "-->" at or after `at` (cached: searching it again at every '<' is quadratic)
    for (;;) {
      const lt = src.indexOf('<', at);
      if (state === 0) {
        if (lt < 0) return len;
        if (src.startsWith('!--', lt + 1)) { state = 1; at = lt + 2; /* the "--" can be the "-->" */ continue; }
        if (this.isEndTagAt(lt)) return lt;
        at = lt + 1;
        continue;
      }
      if (dd !== -1 && dd < at) dd = src.indexOf('-->', at);
      if (dd >= 0 && (lt < 0 || dd < lt)) { state = 0; at = dd + 3; continue; }
      if (lt < 0) return len;
      if (state === 1) {
        if (this.isEndTagAt(lt)) return lt;
        if (hasWordAt(src, lt + 1, 'script') && lt + 7 < len && isDelim(src.charCodeAt(lt + 7))) state = 2;
      } else if (src.charCodeAt(lt + 1) === 47 && hasWordAt(src, lt + 2, 'script') && lt + 8 < len && isDelim(src.charCodeAt(lt + 8))) {
        state = 1;
      }
      at = lt + 1;
    }
  }
}

const isDelim = (c: number): boolean => isSpace(c) || c === 47 || c === 62;

/**
 * A compact HTML tree, built in one forward scan of the string (no DOM objects, no recursion).
 *
 * Nodes are numbered in document (pre-)order; node 0 is the document. For node i:
 * `tag[i]` (tags.ts id, TEXT for text), `parent[i]`, `end[i]` (one past the last node of its
 * subtree, so the subtree is the index range [i, end[i])), and for text nodes the source span
 * `[start[i], stop[i])` of the raw (entity-encoded) text. Attributes the extractor uses are
 * parsed while scanning: class/id/role go to `names[i]` (lowercased, space-joined),
 * hidden-ness to `flags[i]`, image sources to `imgSrc/imgAlt`.
 *
 * Tree construction follows the HTML5 rules that matter for text (WHATWG HTML §13.2.6,
 * simplified): void elements, raw-text elements, implied end tags of p/li/dt/dd/tr/td/th/
 * option, end tags matched against the stack of open elements and ignored when nothing
 * matches. Unclosed tags close at the end of the document.
 *
 * The scan is linear; pathological inputs are bounded by `maxNodes` (the tree stops growing;
 * `truncated` says so).
 */
import {
  TEXT, TAG_IDS, FIRST_DYNAMIC_TAG, MAX_TAG_ID, TAG_FLAGS, VOID, RAW, CLOSES_P, HEADING, T,
} from './tags.js';

/** flags[i] bits */
export const HIDDEN = 1;
export const ARTICLE_BODY = 2; // itemprop="articleBody" / "text" / "reviewBody" (schema.org)
export const ARTICLE_TYPE = 8; // itemtype of a schema.org Article / BlogPosting / Review (wraps title, byline, body)
export const LINK_HREF = 4; // <a> with href

export interface HtmlTree {
  src: string;
  /** Number of nodes (node 0 = document). */
  n: number;
  tag: Int32Array;
  parent: Int32Array;
  end: Int32Array;
  start: Int32Array;
  stop: Int32Array;
  flags: Uint8Array;
  /** Lowercased `class` + ' ' + `id` + ' ' + `role` (+ itemprop) of element i, when any. */
  names: (string | undefined)[];
  imgSrc: Map<number, string>;
  imgAlt: Map<number, string>;
  /** Raw span of the <title> text, or [-1, -1]. */
  titleSpan: [number, number];
  /** True when the node budget cut the tree short. */
  truncated: boolean;
}

export interface TreeOptions {
  /** Stop adding nodes past this count (the per-document budget). */
  maxNodes: number;
}

function grow<A extends Int32Array | Uint8Array>(a: A, size: number): A {
  const b = new (a.constructor as { new(n: number): A })(size);
  b.set(a);
  return b;
}

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
const isAlpha = (c: number): boolean => ((c | 32) >= 97 && (c | 32) <= 122);

const SCOPE_SEARCH = 256;

/** Known tag names grouped by length * 32 + (first char & 31), as [name, id, name, id, ...]. */
const KNOWN_BY_KEY: (string | number)[][] = [];
let MAX_KNOWN_LEN = 0;
for (const [name, id] of TAG_IDS) {
  const key = name.length * 32 + (name.charCodeAt(0) & 31);
  (KNOWN_BY_KEY[key] ??= []).push(name, id);
  MAX_KNOWN_LEN = Math.max(MAX_KNOWN_LEN, name.length);
}

/** Table/list "scope" boundaries used when looking for an element to close implicitly. */
const SCOPE_STOP = new Uint8Array(MAX_TAG_ID + 1);
for (const t of [T.table, T.td, T.th, T.html, T.button, T.template, T.object, T.applet, T.caption]) SCOPE_STOP[t] = 1;

export function buildTree(src: string, opts: TreeOptions): HtmlTree {
  const len = src.length;
  let cap = Math.max(64, Math.min(opts.maxNodes + 1, (len >>> 5) + 64));
  let tag = new Int32Array(cap);
  let parent = new Int32Array(cap);
  let end = new Int32Array(cap);
  let start = new Int32Array(cap);
  let stop = new Int32Array(cap);
  let flags = new Uint8Array(cap);
  const names: (string | undefined)[] = [undefined];
  const imgSrc = new Map<number, string>();
  const imgAlt = new Map<number, string>();
  const titleSpan: [number, number] = [-1, -1];
  const maxNodes = opts.maxNodes;
  let truncated = false;

  // stack of open elements (node ids); openCount per tag id makes an unmatched end tag O(1)
  let stack = new Int32Array(256);
  let depth = 1;
  stack[0] = 0;
  const openCount = new Int32Array(MAX_TAG_ID + 1);
  let dynamicTags: Map<string, number> | undefined;
  let nextDynamic = FIRST_DYNAMIC_TAG;
  let n = 1;
  tag[0] = 0; parent[0] = -1;

  function addNode(t: number, a: number, b: number): number {
    if (n >= cap) {
      cap = Math.min(cap * 2, maxNodes + 1);
      tag = grow(tag, cap); parent = grow(parent, cap); end = grow(end, cap);
      start = grow(start, cap); stop = grow(stop, cap); flags = grow(flags, cap);
    }
    const i = n++;
    tag[i] = t; parent[i] = stack[depth - 1]; start[i] = a; stop[i] = b; flags[i] = 0;
    end[i] = i + 1;
    names.push(undefined);
    return i;
  }
  function push(i: number): void {
    if (depth >= stack.length) stack = grow(stack, stack.length * 2);
    stack[depth++] = i;
    openCount[tag[i]]++;
  }
  function popTo(d: number): void {
    // close elements stack[d..depth-1]: their subtrees end at the current node count
    while (depth > d) {
      const i = stack[--depth];
      end[i] = n;
      openCount[tag[i]]--;
    }
  }
  /**
   * Close the nearest open element with tag t, not looking past a scope boundary, nor deeper
   * than SCOPE_SEARCH levels: a failed search pops nothing, so an unbounded one would make
   * 100k nested <div>s in a cell quadratic.
   */
  function closeInScope(t: number, alsoStop?: number, alsoStop2?: number): void {
    if (openCount[t] === 0) return;
    for (let d = depth - 1, k = 0; d > 0 && k < SCOPE_SEARCH; d--, k++) {
      const tt = tag[stack[d]];
      if (tt === t) { popTo(d); return; }
      if (SCOPE_STOP[tt] || tt === alsoStop || tt === alsoStop2) return;
    }
  }
  function lookupTag(a: number, b: number): number {
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
    let name = src.slice(a, b);
    let id = TAG_IDS.get(name);
    if (id !== undefined) return id;
    name = name.toLowerCase();
    id = TAG_IDS.get(name);
    if (id !== undefined) return id;
    if (!dynamicTags) dynamicTags = new Map();
    id = dynamicTags.get(name);
    if (id !== undefined) return id;
    id = nextDynamic < MAX_TAG_ID ? nextDynamic++ : MAX_TAG_ID;
    dynamicTags.set(name, id);
    return id;
  }

  let pos = 0;
  let textStart = 0;
  const flushText = (upTo: number): void => {
    if (upTo > textStart && n < maxNodes) addNode(TEXT, textStart, upTo);
    else if (upTo > textStart) truncated = true;
  };

  while (pos < len) {
    const lt = src.indexOf('<', pos);
    if (lt < 0 || lt + 1 >= len) break;
    const c = src.charCodeAt(lt + 1);
    if (c === 33 /* ! */) {
      flushText(lt);
      let close: number;
      if (src.startsWith('--', lt + 2)) {
        close = src.indexOf('-->', lt + 4);
        close = close < 0 ? len : close + 3;
      } else {
        close = src.indexOf('>', lt + 2);
        close = close < 0 ? len : close + 1;
      }
      pos = textStart = close;
      continue;
    }
    if (c === 63 /* ? */) {
      flushText(lt);
      const close = src.indexOf('>', lt + 2);
      pos = textStart = close < 0 ? len : close + 1;
      continue;
    }
    const isEnd = c === 47; /* / */
    let p = isEnd ? lt + 2 : lt + 1;
    if (p >= len || !isAlpha(src.charCodeAt(p))) {
      if (isEnd && p < len) {
        // "</ not-a-letter": a bogus comment up to '>'
        flushText(lt);
        const close = src.indexOf('>', p);
        pos = textStart = close < 0 ? len : close + 1;
      } else {
        pos = lt + 1; // a literal '<' in text
      }
      continue;
    }
    flushText(lt);
    const nameStart = p;
    while (p < len) {
      const ch = src.charCodeAt(p);
      if (isSpace(ch) || ch === 47 || ch === 62) break;
      p++;
    }
    const t = lookupTag(nameStart, p);

    if (isEnd) {
      const close = src.indexOf('>', p);
      pos = textStart = close < 0 ? len : close + 1;
      if (t === T.br) { if (n < maxNodes) addNode(T.br, 0, 0); continue; }
      if (openCount[t] === 0) continue;
      if (t === T.p || t === T.li || t === T.dd || t === T.dt) {
        closeInScope(t, t === T.li ? T.ul : T.dl, t === T.li ? T.ol : -1);
        continue;
      }
      for (let d = depth - 1; d > 0; d--) {
        if (tag[stack[d]] === t) { popTo(d); break; }
      }
      continue;
    }

    // start tag: parse attributes up to '>' (quotes respected)
    const f = TAG_FLAGS[t];
    let cls: string | undefined;
    let nodeFlags = 0;
    let src1: string | undefined;
    let alt: string | undefined;
    let selfClose = false;
    for (;;) {
      while (p < len && (isSpace(src.charCodeAt(p)) || src.charCodeAt(p) === 47)) {
        if (src.charCodeAt(p) === 47) selfClose = true;
        p++;
      }
      if (p >= len) break;
      if (src.charCodeAt(p) === 62) { p++; break; }
      selfClose = false;
      const an = p;
      while (p < len) {
        const ch = src.charCodeAt(p);
        if (isSpace(ch) || ch === 47 || ch === 62 || ch === 61) break;
        p++;
      }
      if (p === an) p++; // stray '=' etc
      const ae = p;
      while (p < len && isSpace(src.charCodeAt(p))) p++;
      let vs = -1, ve = -1;
      if (p < len && src.charCodeAt(p) === 61) {
        p++;
        while (p < len && isSpace(src.charCodeAt(p))) p++;
        const q = src.charCodeAt(p);
        if (q === 34 || q === 39) {
          vs = p + 1;
          ve = src.indexOf(q === 34 ? '"' : "'", vs);
          if (ve < 0) ve = len;
          p = ve + 1;
        } else {
          vs = p;
          while (p < len) {
            const ch = src.charCodeAt(p);
            if (isSpace(ch) || ch === 62) break;
            p++;
          }
          ve = p;
        }
      }
      const al = ae - an;
      if (al < 2 || al > 11) continue;
      const a0 = src.charCodeAt(an) | 32;
      // only the attributes the extractor reads are materialized
      switch (a0) {
        case 99: // c
          if (al === 5 && vs >= 0 && attrIs(src, an, 'class')) cls = cls ? cls + ' ' + src.slice(vs, ve) : src.slice(vs, ve);
          break;
        case 105: // i
          if (al === 2 && vs >= 0 && attrIs(src, an, 'id')) cls = cls ? cls + ' ' + src.slice(vs, ve) : src.slice(vs, ve);
          else if (al === 8 && vs >= 0 && attrIs(src, an, 'itemprop')) {
            const v = src.slice(vs, ve).toLowerCase();
            if (v === 'articlebody' || v === 'text' || v === 'reviewbody') nodeFlags |= ARTICLE_BODY;
          } else if (al === 8 && vs >= 0 && attrIs(src, an, 'itemtype')) {
            const v = src.slice(vs, ve);
            if (/(?:Article|BlogPosting|Report|Review)\b/.test(v)) nodeFlags |= ARTICLE_TYPE;
          }
          break;
        case 114: // r
          if (al === 4 && vs >= 0 && attrIs(src, an, 'role')) cls = cls ? cls + ' role-' + src.slice(vs, ve) : 'role-' + src.slice(vs, ve);
          break;
        case 104: // h
          if (al === 6 && attrIs(src, an, 'hidden')) nodeFlags |= HIDDEN;
          else if (al === 4 && t === T.a && attrIs(src, an, 'href')) nodeFlags |= LINK_HREF;
          break;
        case 97: // a
          if (al === 11 && vs >= 0 && attrIs(src, an, 'aria-hidden') && src.slice(vs, ve).trim().toLowerCase() === 'true') nodeFlags |= HIDDEN;
          else if (al === 3 && vs >= 0 && t === T.img && attrIs(src, an, 'alt')) alt = src.slice(vs, ve);
          break;
        case 115: // s
          if (al === 5 && vs >= 0 && attrIs(src, an, 'style') && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(src.slice(vs, ve))) nodeFlags |= HIDDEN;
          else if (al === 3 && vs >= 0 && t === T.img && attrIs(src, an, 'src')) { if (!src1 || src1.startsWith('data:')) src1 = src.slice(vs, ve); }
          break;
        case 100: // d
          if (al === 8 && vs >= 0 && t === T.img && attrIs(src, an, 'data-src')) src1 = src.slice(vs, ve);
          break;
        case 116: // t
          if (al === 4 && vs >= 0 && t === T.input && attrIs(src, an, 'type') && src.slice(vs, ve).toLowerCase() === 'hidden') nodeFlags |= HIDDEN;
          break;
      }
    }
    pos = textStart = p;

    // implied end tags (HTML5 §13.2.6.4.7, the cases that shape text)
    if (f & CLOSES_P) closeInScope(T.p);
    if (t === T.li) closeInScope(T.li, T.ul, T.ol);
    else if (t === T.dt || t === T.dd) { closeInScope(T.dt, T.dl); closeInScope(T.dd, T.dl); }
    else if (t === T.tr) { closeInScope(T.td, T.tr); closeInScope(T.th, T.tr); closeInScope(T.tr); }
    else if (t === T.td || t === T.th) { closeInScope(T.td, T.tr); closeInScope(T.th, T.tr); }
    else if (t === T.option) closeInScope(T.option);
    else if ((TAG_FLAGS[t] & HEADING) && (TAG_FLAGS[tag[stack[depth - 1]]] & HEADING)) popTo(depth - 1); // <h2><h3>: a heading does not nest in a heading
    else if (t === T.tbody || t === T.thead || t === T.tfoot) {
      closeInScope(T.td, T.tr); closeInScope(T.th, T.tr); closeInScope(T.tr);
      closeInScope(T.tbody); closeInScope(T.thead); closeInScope(T.tfoot);
    }

    if (n >= maxNodes) {
      truncated = true;
      // keep scanning only to skip raw text properly; no new nodes
      if (f & RAW) pos = textStart = skipRaw(src, p, t);
      continue;
    }
    const i = addNode(t, 0, 0);
    if (nodeFlags) flags[i] = nodeFlags;
    if (cls !== undefined) names[i] = cls.toLowerCase();
    if (t === T.img) {
      if (src1 !== undefined) imgSrc.set(i, src1);
      if (alt !== undefined) imgAlt.set(i, alt);
    }
    if (f & RAW) {
      const rawEnd = t === T.plaintext ? len : skipRaw(src, p, t);
      if (t === T.title && titleSpan[0] < 0) {
        titleSpan[0] = p;
        titleSpan[1] = lastRawTextEnd;
      }
      pos = textStart = rawEnd;
      continue;
    }
    if ((f & VOID) || (selfClose && t >= FIRST_DYNAMIC_TAG)) continue;
    push(i);
  }
  if (textStart < len) flushText(len);
  popTo(1);
  end[0] = n;
  return {
    src, n, tag, parent, end, start, stop, flags, names, imgSrc, imgAlt, titleSpan, truncated,
  };
}

function attrIs(src: string, at: number, name: string): boolean {
  if (src.startsWith(name, at)) return true;
  return src.slice(at, at + name.length).toLowerCase() === name;
}

const RAW_NAMES = new Map<number, string>();
for (const [name, id] of TAG_IDS) if (TAG_FLAGS[id] & RAW) RAW_NAMES.set(id, name);

/** Where the text of the last raw-text element skipped by skipRaw ends. */
let lastRawTextEnd = 0;

/** Position just after the end tag `</name` closing a raw-text element that starts at `p`. */
function skipRaw(src: string, p: number, t: number): number {
  const name = RAW_NAMES.get(t)!;
  const len = src.length;
  let at = p;
  for (;;) {
    const lt = src.indexOf('</', at);
    if (lt < 0) { lastRawTextEnd = len; return len; }
    lastRawTextEnd = lt;
    const ne = lt + 2 + name.length;
    if (attrIs(src, lt + 2, name)) {
      const c = ne < len ? src.charCodeAt(ne) : 62;
      if (c === 62 || c === 47 || isSpace(c)) {
        const close = src.indexOf('>', ne);
        return close < 0 ? len : close + 1;
      }
    }
    at = lt + 2;
  }
}


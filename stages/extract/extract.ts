/**
 * Main-content extraction: HTML + URL -> the article's text, with its structure kept as lines.
 *
 * How a page is read (every step is a linear pass over the compact tree of html-tree.ts):
 *  1. Removed outright: elements that are never text (script, style, forms controls, embeds:
 *     tags.ts SKIP) and hidden ones (`hidden`, `aria-hidden="true"`, inline display:none).
 *  2. Boilerplate containers: HTML5 semantics (nav, aside, header, footer), ARIA landmark
 *     roles, and class/id words (signals.ts). Kept when they hold the page's article markers
 *     (<article>, <main>, itemprop=articleBody): a site-wide wrapper named "page-sidebar-left"
 *     must not take the article with it.
 *  3. The main container, chosen as Readability.js does (its scoring is the best-documented
 *     explainable one): every paragraph-like block with >= 25 characters of its own text scores
 *     1 + commas + min(chars/100, 3), credited to its ancestors with decaying weight; a
 *     container's score starts from its tag and class weight and is scaled by
 *     (1 - link density). schema.org's articleBody property, when present and substantial,
 *     names the container directly.
 *  4. The container's siblings that look like continuation of the article join it.
 *  5. Inside the chosen content, link-dense or form-like containers are dropped (Readability's
 *     conditional cleaning, boilerpipe's link density), then the text is written with its
 *     structure: blocks as lines, paragraphs separated by a blank line, list items and table
 *     rows one per line, cells joined by " | ", <br> as a line break, <pre> verbatim.
 */
import { decodeHTML } from 'entities';
import { buildTree, HIDDEN, ARTICLE_BODY, ARTICLE_TYPE, LINK_HREF, type HtmlTree } from './html-tree.js';
import { TEXT, FIRST_DYNAMIC_TAG, TAG_FLAGS, BLOCK, SKIP, PARA, BOILER_TAG, HEADING, T } from './tags.js';
import { boilerplateWord, classWeight, isContentName, isStrongBoilerplate, isLeafBoilerplate, isCommentWord } from './signals.js';

export interface ExtractOptions {
  /** Put the page's <title> as the first line. */
  includeTitle: boolean;
  /** Collect `[src, alt]` of the images inside the main content. */
  includeImages: boolean;
  /** Per-document budget: HTML beyond this many characters is not read. */
  maxHtmlChars: number;
  /** Per-document budget: the tree stops growing at this many nodes. */
  maxNodes: number;
  /** Keep the page's user comments after the article (RefinedWeb and datatrove drop them). */
  includeComments: boolean;
}

export const DEFAULT_EXTRACT_OPTIONS: ExtractOptions = {
  includeTitle: false,
  includeImages: true,
  maxHtmlChars: 8_000_000,
  maxNodes: 400_000,
  includeComments: false,
};

export interface Extraction {
  text: string;
  /** `[absolute src, alt]` of the images in the main content, in document order, unique. */
  imageUrls: [string, string][];
  title: string;
  /** Which per-document budget was hit, if any. */
  budgetHit?: 'html_chars' | 'nodes';
}

// removal states (per node)
const KEEP = 0;
const HARD = 1; // never text
const SOFT = 2; // boilerplate container

interface Analysis {
  removed: Uint8Array;
  /** Normalized visible text length of the subtree (whitespace runs count 1). */
  textLen: Int32Array;
  /** Part of textLen inside links. */
  linkLen: Int32Array;
  commas: Int32Array;
  /** Text of a block that is not inside a nested block (its own paragraph text). */
  ownLen: Int32Array;
  ownCommas: Int32Array;
  /** Counts in the subtree, for conditional cleaning. */
  pCount: Int32Array;
  imgCount: Int32Array;
  liCount: Int32Array;
  inputCount: Int32Array;
  hasBlockChild: Uint8Array;
}

export function extractMainContent(html: string, url: string, options: Partial<ExtractOptions> = {}): Extraction {
  const opts = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  let budgetHit: Extraction['budgetHit'];
  if (html.length > opts.maxHtmlChars) {
    html = html.slice(0, opts.maxHtmlChars);
    budgetHit = 'html_chars';
  }
  const tree = buildTree(html, { maxNodes: opts.maxNodes });
  if (tree.truncated && !budgetHit) budgetHit = 'nodes';

  const title = tree.titleSpan[0] >= 0 ? normalizeInline(decode(html.slice(tree.titleSpan[0], tree.titleSpan[1]))).trim() : '';

  // With boilerplate rules on first; if they leave almost nothing of a page that has text,
  // the page's own naming misled them (a wrapper called "content-sidebar"): retry without
  // the class/id rules, keeping tag semantics; and if that still leaves almost nothing, the
  // page misused the semantic tags too (a post written as an <aside>): retry without them.
  let { a, content, out } = attempt(tree, RULES_ALL, url, opts, title);
  for (const rules of [RULES_TAGS, RULES_NONE]) {
    if (out.text.length >= 250) break;
    const b = analyze(tree, rules, false);
    if (b.textLen[0] > a.textLen[0] * 2 && b.textLen[0] > 500) {
      const second = attempt(tree, rules, url, opts, title, b);
      if (second.out.text.length > out.text.length * 2) ({ a, content, out } = second);
    }
  }
  let text = out.text;
  if (opts.includeComments) {
    // the comments are read from a second analysis in which comment sections are kept; the
    // article was chosen (and is written) without them, so a long thread never displaces it
    const c = analyze(tree, RULES_ALL, true);
    for (const section of commentSections(tree, c, content.roots)) {
      const s = render(tree, c, { roots: [section], core: -1 }, url, { ...opts, includeImages: false }, title, { commentsKept: true }).text;
      if (s) text = text ? `${text}\n\n${s}` : s;
    }
  }
  if (opts.includeTitle && title) text = text ? `${title}\n\n${text}` : title;
  const result: Extraction = { text, imageUrls: out.images, title };
  if (budgetHit) result.budgetHit = budgetHit;
  return result;
}

/** One reading of the page with the given boilerplate rules: analysis, content, text. */
function attempt(tree: HtmlTree, rules: number, url: string, opts: ExtractOptions, title: string, analysis?: Analysis): { a: Analysis; content: Content; out: { text: string; images: [string, string][] } } {
  const a = analysis ?? analyze(tree, rules, false);
  const content = chooseContent(tree, a);
  let out = render(tree, a, content, url, opts, title);
  // Conditional cleaning removes link-dense containers inside the article; when that leaves
  // under a fifth of the chosen content's text (a post that is a list of links, a short post
  // in link-heavy wrappers), the cleaning took the article, not its boilerplate: write it
  // with the tag and class rules only.
  const chosenLen = content.roots.reduce((sum, r) => sum + a.textLen[r], 0);
  if (chosenLen >= 100 && out.text.length < chosenLen * 0.2) {
    const out2 = render(tree, a, content, url, opts, title, { cleaning: false });
    if (out2.text.length > out.text.length) out = out2;
  }
  return { a, content, out };
}

// ---------------------------------------------------------------------------------------------
// 1-2. removal and per-subtree measures

/** Which boilerplate rules an analysis applies (never-text elements are always removed). */
const RULES_ALL = 2; // semantic tags and class/id words
const RULES_TAGS = 1; // semantic tags only
const RULES_NONE = 0;

function analyze(tree: HtmlTree, rules: number, includeComments: boolean): Analysis {
  const classRules = rules >= RULES_ALL;
  const { n, tag, parent, flags, names, src, start, stop } = tree;
  const removed = new Uint8Array(n);
  const textLen = new Int32Array(n);
  const linkLen = new Int32Array(n);
  const commas = new Int32Array(n);
  const ownLen = new Int32Array(n);
  const ownCommas = new Int32Array(n);
  const pCount = new Int32Array(n);
  const imgCount = new Int32Array(n);
  const liCount = new Int32Array(n);
  const inputCount = new Int32Array(n);
  const hasBlockChild = new Uint8Array(n);
  const inLink = new Uint8Array(n);

  // Which elements hold an article marker (needed before the top-down pass can spare them).
  const holdsMarker = new Uint8Array(n);
  for (let i = n - 1; i > 0; i--) {
    const t = tag[i];
    if (holdsMarker[i] || t === T.article || t === T.main || (flags[i] & (ARTICLE_BODY | ARTICLE_TYPE))) holdsMarker[parent[i]] = 1;
  }
  // never-text elements first, then each element's share of the remaining prose (text
  // outside links): a layout wrapper whose class says "sidebar" but that holds most of the
  // page is not a sidebar. Link text is left out of the shares so that a page with long link
  // lists (archives, tag clouds, blogrolls) does not make its article look small.
  for (let i = 1; i < n; i++) {
    const p = parent[i];
    if (removed[p]) { removed[i] = HARD; continue; }
    const t = tag[i];
    // a link is an <a href>: an anchor (<a name="top">) left open is, as in a browser, around
    // everything after it, and its text is not link text
    inLink[i] = inLink[p] | (t === T.a && (flags[i] & LINK_HREF) ? 1 : 0);
    if (t !== TEXT && ((TAG_FLAGS[t] & SKIP) || (flags[i] & HIDDEN))) removed[i] = HARD;
  }
  const nodeText = new Int32Array(n);
  const prose = new Int32Array(n);
  for (let i = n - 1; i > 0; i--) {
    if (removed[i]) continue;
    if (tag[i] === TEXT) {
      nodeText[i] = textLength(src, start[i], stop[i]);
      if (!inLink[i]) prose[i] = nodeText[i];
    }
    nodeText[parent[i]] += nodeText[i];
    prose[parent[i]] += prose[i];
  }
  const spareAbove = prose[0] * 0.5;

  // top-down: boilerplate containers and link context (pre-order: a parent is always seen first)
  for (let i = 1; i < n; i++) {
    const p = parent[i];
    const t = tag[i];
    if (removed[i]) continue;
    if (removed[p]) { removed[i] = removed[p]; continue; }
    if (t === TEXT) continue;
    const f = TAG_FLAGS[t];
    if (t === T.body || t === T.html || t === T.article || t === T.main || (flags[i] & (ARTICLE_BODY | ARTICLE_TYPE))) continue;
    if (holdsMarker[i] || rules === RULES_NONE) continue;
    if (f & BOILER_TAG) { removed[i] = SOFT; continue; }
    if (t === T.form) { if (prose[i] < spareAbove) removed[i] = SOFT; continue; }
    // captions and credits describe a picture, they are not the article's prose
    if (t === T.figcaption) { removed[i] = SOFT; continue; }
    if (classRules) {
      const nm = names[i];
      if (nm === undefined) continue;
      const word = boilerplateWord(nm);
      if (word === undefined) continue;
      if (includeComments && isCommentWord(word)) continue;
      // a strong word removes the block, except a content-named wrapper of most of the page
      // ("post-content social-enabled"); comment threads are never spared this way
      const spared = prose[i] >= spareAbove && isContentName(nm) && !isCommentWord(word);
      if ((isStrongBoilerplate(word) && !spared)
        || (prose[i] < spareAbove && !isContentName(nm) && !isLeafBoilerplate(word))
        || (isLeafBoilerplate(word) && prose[i] < prose[0] * 0.1)) removed[i] = SOFT;
    }
  }

  // bottom-up: text measures of what is kept
  for (let i = n - 1; i > 0; i--) {
    const p = parent[i];
    const t = tag[i];
    if (removed[i]) {
      // form controls are never text, but they tell a form-like block from an article
      if (!removed[p] && (t === T.input || t === T.textarea || t === T.select || t === T.button) && !(flags[i] & HIDDEN)) inputCount[p]++;
      continue;
    }
    if (t === TEXT) {
      const len = nodeText[i];
      const c = len > 0 ? countCommas(src, start[i], stop[i]) : 0;
      textLen[i] = len; ownLen[i] = len; commas[i] = c; ownCommas[i] = c;
      if (inLink[i]) linkLen[i] = len;
      // paragraph text that is not in a <p> (text between <br>s) counts as a paragraph
      if (len >= 80 && tag[p] !== T.p) pCount[i]++;
    } else if (t === T.p) pCount[i]++;
    // a div holding only inline content is a paragraph too (Readability turns such divs into <p>)
    else if (t === T.div && !hasBlockChild[i] && ownLen[i] > 0) pCount[i]++;
    else if (t === T.img) imgCount[i]++;
    else if (t === T.li) liCount[i]++;
    textLen[p] += textLen[i];
    linkLen[p] += linkLen[i];
    commas[p] += commas[i];
    pCount[p] += pCount[i];
    imgCount[p] += imgCount[i];
    liCount[p] += liCount[i];
    inputCount[p] += inputCount[i];
    if (t === TEXT || !(TAG_FLAGS[t] & BLOCK)) {
      ownLen[p] += ownLen[i];
      ownCommas[p] += ownCommas[i];
    } else {
      hasBlockChild[p] = 1;
    }
  }
  return { removed, textLen, linkLen, commas, ownLen, ownCommas, pCount, imgCount, liCount, inputCount, hasBlockChild };
}

/** Normalized length of raw text: non-space characters, plus one per inner whitespace run. */
function textLength(src: string, a: number, b: number): number {
  let len = 0, space = false;
  for (let k = a; k < b; k++) {
    const ch = src.charCodeAt(k);
    if (ch === 32 || ch === 10 || ch === 9 || ch === 13 || ch === 12) { space = len > 0; continue; }
    if (space) { len++; space = false; }
    len++;
  }
  return len;
}

function countCommas(src: string, a: number, b: number): number {
  let c = 0;
  for (let k = a; k < b; k++) {
    const ch = src.charCodeAt(k);
    if (ch === 44 || ch === 0xff0c || ch === 0x3001) c++;
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// 3-4. the main container and its siblings

function tagBaseScore(t: number): number {
  if (t === T.div || t === T.article || t === T.main || t === T.section) return 5;
  if (t === T.pre || t === T.td || t === T.blockquote) return 3;
  if (t === T.ol || t === T.ul || t === T.dl || t === T.dd || t === T.dt || t === T.li || t === T.form) return -3;
  if ((TAG_FLAGS[t] & HEADING) || t === T.th) return -5;
  return 0;
}

function linkDensity(a: Analysis, i: number): number {
  const L = a.textLen[i];
  return L > 0 ? a.linkLen[i] / L : 0;
}

/** Readability's number of best candidates looked at for a common ancestor. */
const TOP_CANDIDATES = 5;

/**
 * The main content: `roots` (in document order) are the subtrees that make the main text;
 * `core` is the best-scored block among them (or -1): it and the wrappers between it and its
 * root are the article itself, never cleaned away as link-dense containers.
 */
interface Content { roots: number[]; core: number }

function chooseContent(tree: HtmlTree, a: Analysis, trace?: { score?: Float64Array; top?: number }): Content {
  const { n, tag, parent, flags, names } = tree;
  const { removed, ownLen, ownCommas } = a;
  const score = new Float64Array(n);
  const scored = new Uint8Array(n);
  const initCandidate = (i: number): void => {
    scored[i] = 1;
    let s = tagBaseScore(tag[i]) + classWeight(names[i]);
    if (tag[i] === T.article) s += 10;
    if (flags[i] & ARTICLE_BODY) s += 25;
    else if (flags[i] & ARTICLE_TYPE) s += 10;
    score[i] = s;
  };

  // schema.org: an element marked as the article (itemtype Article, below <body>) or as its
  // body (itemprop articleBody) is trusted when it holds a substantial part of the text
  let bodyProp = -1;
  for (let i = 1; i < n; i++) {
    const marked = (flags[i] & ARTICLE_BODY) || ((flags[i] & ARTICLE_TYPE) && tag[i] !== T.html && tag[i] !== T.body);
    if (marked && !removed[i] && tag[i] !== TEXT && a.textLen[i] >= 250) {
      // the innermost substantial marked element wins (itemtype=Article wraps itemprop=articleBody)
      if (bodyProp < 0 || (i < tree.end[bodyProp] && a.textLen[i] >= a.textLen[bodyProp] * 0.5)) bodyProp = i;
    }
  }

  for (let i = 1; i < n; i++) {
    const t = tag[i];
    if (t === TEXT || removed[i]) continue;
    const f = TAG_FLAGS[t];
    if (!(f & BLOCK) || (f & HEADING) || t === T.tr || t === T.body || t === T.html) continue;
    const own = ownLen[i];
    // a list item is a paragraph when it is one in length (guestbooks, FAQs, bulleted prose);
    // the short items of menus and link lists are not
    if (own < (t === T.li ? 80 : 25)) continue;
    const s = 1 + ownCommas[i] + Math.min(Math.floor(own / 100), 3);
    let anc = t === T.p || t === T.pre || t === T.td || t === T.blockquote || t === T.dd || t === T.li ? parent[i] : i;
    // a leaf div/section with its own text scores for itself and its ancestors, like a <p> would
    if (anc === i) {
      if (!scored[i]) initCandidate(i);
      score[i] += s;
      anc = parent[i];
    }
    for (let level = 0; level < 5 && anc > 0; level++, anc = parent[anc]) {
      if (tag[anc] === T.body || tag[anc] === T.html) break;
      if (!scored[anc]) initCandidate(anc);
      score[anc] += level === 0 ? s : level === 1 ? s / 2 : s / (level * 3);
    }
  }

  let top = -1;
  let topScore = -Infinity;
  // the best TOP_CANDIDATES candidates, best first
  const best: number[] = [];
  for (let i = 1; i < n; i++) {
    if (!scored[i]) continue;
    score[i] *= 1 - linkDensity(a, i);
    if (score[i] > topScore) { topScore = score[i]; top = i; }
    if (best.length < TOP_CANDIDATES || score[i] > score[best[best.length - 1]]) {
      let k = Math.min(best.length, TOP_CANDIDATES - 1);
      best[k] = i;
      for (; k > 0 && score[best[k - 1]] < score[i]; k--) { best[k] = best[k - 1]; best[k - 1] = i; }
    }
  }
  if (trace) { trace.score = score; trace.top = top; }
  if (bodyProp >= 0 && (top < 0 || a.textLen[bodyProp] >= 0.3 * a.textLen[top] || isAncestor(tree, bodyProp, top))) return { roots: [bodyProp], core: bodyProp };
  if (top < 0) {
    // no paragraph anywhere: the body's text as it is (short pages, listings)
    for (let i = 1; i < n; i++) if (tag[i] === T.body && !removed[i]) return { roots: [i], core: -1 };
    return { roots: [0], core: -1 };
  }

  // Readability: when at least three of the other best candidates score close to the top
  // (>= 75%), the article is split into blocks (steps, cards, sections): their nearest common
  // ancestor that holds three of them (and the top) is the article, when it is not link-heavy
  // (distinct blocks: of a candidate and its own wrappers only the innermost counts)
  const isClose = (c: number): boolean => c !== top && score[c] >= 0.75 * topScore && !isAncestor(tree, c, top);
  const close = best.filter((c) => isClose(c) && !best.some((d) => d !== c && isClose(d) && isAncestor(tree, c, d)));
  if (close.length >= 3) {
    for (let p = parent[top]; p > 0 && tag[p] !== T.body && tag[p] !== T.html; p = parent[p]) {
      if (close.filter((c) => isAncestor(tree, p, c)).length >= 3) {
        // ... unless that ancestor is link-heavy: then the close blocks are teasers around the article
        if (linkDensity(a, p) < 0.3) top = p;
        break;
      }
    }
  }
  // Readability: a parent whose score is close to the top's holds more of the article
  let lastScore = score[top];
  const threshold = topScore / 3;
  for (let p = parent[top]; p > 0 && tag[p] !== T.body && tag[p] !== T.html; p = parent[p]) {
    if (!scored[p]) continue;
    if (score[p] < threshold) break;
    if (score[p] > lastScore) { top = p; break; }
    lastScore = score[p];
  }
  const core = top;
  // a sole child stands for its parent
  for (let p = parent[top]; p > 0 && tag[p] !== T.body && tag[p] !== T.html; p = parent[p]) {
    if (countKeptElementChildren(tree, a, p) !== 1) break;
    top = p;
  }

  // siblings that continue the article
  const p = parent[top];
  if (p < 0) return { roots: [top], core };
  const roots: number[] = [];
  // Readability's max(10, 20% of the top's score); a block of the top's own kind (the rows of
  // a table layout, the posts of a short blog) needs no more than half the top's score: the
  // floor of 10, above a short top's own score, kept every such sibling out
  const siblingThreshold = Math.max(10, score[top] * 0.2);
  const shortThreshold = Math.max(score[top] * 0.2, Math.min(10, score[top] * 0.5));
  const topNames = names[top];
  for (let c = p + 1; c < tree.end[p]; c = tree.end[c]) {
    if (c === top) { roots.push(c); continue; }
    if (removed[c] || tag[c] === TEXT) continue;
    // a repeated block of the same kind as the top one (an article split into "cards") continues it
    if (topNames && names[c] === topNames && tag[c] === tag[top] && a.textLen[c] > 0 && linkDensity(a, c) < 0.3) { roots.push(c); continue; }
    if (scored[c] && score[c] >= siblingThreshold) { roots.push(c); continue; }
    if (scored[c] && tag[c] === tag[top] && score[c] >= shortThreshold && linkDensity(a, c) < 0.25) { roots.push(c); continue; }
    if (tag[c] === T.p || (tag[c] === T.div && !a.hasBlockChild[c])) {
      const len = a.textLen[c];
      const ld = linkDensity(a, c);
      if (len > 80 && ld < 0.25) roots.push(c);
      else if (len > 0 && len <= 80 && ld === 0 && /\.( |$)/.test(plainText(tree, a, c))) roots.push(c);
    }
  }
  return { roots, core };
}

/** A comment section's own (non-link) text must be at least this long: "12 comments" links are not a thread. */
const MIN_COMMENT_TEXT = 80;

/**
 * The page's user-comment sections, in document order: the outermost elements named with a
 * comment word (signals.ts) that the comment-keeping analysis `c` keeps (a "recent comments"
 * widget inside a sidebar stays removed), that hold prose rather than links, and that are not
 * the article itself or one of its wrappers.
 */
function commentSections(tree: HtmlTree, c: Analysis, roots: number[]): number[] {
  const { n, tag, names, end } = tree;
  const out: number[] = [];
  for (let i = 1; i < n; i++) {
    if (c.removed[i]) { i = end[i] - 1; continue; }
    const nm = names[i];
    if (tag[i] === TEXT || nm === undefined) continue;
    const word = boilerplateWord(nm);
    if (word === undefined || !isCommentWord(word)) continue;
    if (roots.some((r) => isAncestor(tree, i, r) || r === i)) continue;
    // a comment block inside the article's container: the article's writing dropped it; an
    // outer one is kept whole (its nested comments and replies with it)
    if (c.textLen[i] - c.linkLen[i] >= MIN_COMMENT_TEXT && linkDensity(c, i) < 0.5) out.push(i);
    i = end[i] - 1;
  }
  return out;
}

/**
 * The kept text of a small subtree, whitespace-normalized. Reads at most PLAIN_TEXT_NODES
 * nodes, so that calling it on nested elements (100k unclosed <h2>) stays linear.
 */
const PLAIN_TEXT_NODES = 512;
function plainText(tree: HtmlTree, a: Analysis, i: number): string {
  let s = '';
  const stop = Math.min(tree.end[i], i + 1 + PLAIN_TEXT_NODES);
  for (let k = i + 1; k < stop; k++) {
    if (a.removed[k]) { k = tree.end[k] - 1; continue; }
    if (tree.tag[k] === TEXT) s += tree.src.slice(tree.start[k], tree.stop[k]);
  }
  return normalizeInline(decode(s)).trim();
}

function isAncestor(tree: HtmlTree, anc: number, i: number): boolean {
  return i > anc && i < tree.end[anc];
}

function countKeptElementChildren(tree: HtmlTree, a: Analysis, p: number): number {
  let k = 0;
  for (let c = p + 1; c < tree.end[p]; c = tree.end[c]) {
    if (a.removed[c]) continue;
    if (tree.tag[c] === TEXT) { if (a.textLen[c] > 0) return 2; continue; }
    if (++k > 1) return k;
  }
  return k;
}

// ---------------------------------------------------------------------------------------------
// 5. cleaning inside the content and writing the text

/** Readability's conditional cleaning: is container i (inside the content) boilerplate? */
function dropContainer(tree: HtmlTree, a: Analysis, i: number, commentsKept = false): boolean {
  const t = tree.tag[i];
  const isList = t === T.ul || t === T.ol || t === T.dl;
  const isContainer = isList || t === T.table || t === T.form
    || ((t === T.div || t === T.section || t >= FIRST_DYNAMIC_TAG) && a.hasBlockChild[i] === 1);
  if (!isContainer) return false;
  const textLen = a.textLen[i];
  if (textLen === 0) return a.imgCount[i] === 0; // nothing to say (images are kept)
  const weight = classWeight(tree.names[i], commentsKept);
  if (weight < 0) return true;
  if (a.commas[i] >= 10) return false;
  const ld = linkDensity(a, i);
  // a data table inside the article is content unless it is mostly links or a form
  if (t === T.table) return ld > 0.5 || a.inputCount[i] > 2;
  const p = a.pCount[i];
  const img = a.imgCount[i];
  const li = a.liCount[i] - 100;
  if (img > 1 && p / img < 0.5) return true;
  if (!isList && li > p) return true;
  if (a.inputCount[i] > Math.floor(p / 3)) return true;
  if (!isList && textLen < 25 && (img === 0 || img > 2)) return true;
  if (weight < 25 && ld > 0.2) return true;
  if (weight >= 25 && ld > 0.5) return true;
  return false;
}

// pending-break levels between two pieces of text; the strongest one pending wins
const SPACE = 1;
const CELL = 2;
const LINE = 3;
const BLANK = 4;
const BREAKS = ['', ' ', ' | ', '\n', '\n\n'];

const URL_RE = /\b(?:https?|ftp):\/\/[^\s<>"'\u00a0]+|\bwww\.[a-z0-9-]+\.[^\s<>"'\u00a0]+/gi;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/g;

const COPYRIGHT_RE = /^(?:copyright\b|\(c\) ?\d{4}|©)|©\s*(?:\d{4}|copyright)|all rights reserved/i;

function decode(s: string): string {
  return s.indexOf('&') >= 0 ? decodeHTML(s) : s;
}

function normalizeInline(s: string): string {
  return s.replace(/[\s\u00a0\u200b\u2028\u2029\ufeff]+/g, ' ');
}

interface RenderMode {
  /** Comment words do not make a container boilerplate (writing a comment section). */
  commentsKept?: boolean;
  /** Readability's conditional cleaning of containers (default on). */
  cleaning?: boolean;
}

function render(tree: HtmlTree, a: Analysis, { roots, core }: Content, baseUrl: string, opts: ExtractOptions, title = '', mode: RenderMode = {}): { text: string; images: [string, string][] } {
  const commentsKept = mode.commentsKept === true;
  const cleaning = mode.cleaning !== false;
  const lowerTitle = title.toLowerCase();
  const { tag, end, src, start, stop } = tree;
  const out: string[] = [];
  let pending = 0; // 0 none, 1 space, 2 cell separator, 3 newline, 4 blank line
  let started = false;
  let rowHasText = false;
  let preDepth = 0;
  const images: [string, string][] = [];
  const seenImages = new Set<string>();
  // open elements to close: node ids whose end we have not reached yet
  const open: number[] = [];

  const brk = (level: number): void => { if (level > pending) pending = level; };
  // A heading with nothing after it (its section was boilerplate: "Related stories", "Top
  // stories") is dropped: `headingAt` is where its text starts in `out`.
  let headingAt = -1;
  let afterHeading = false;
  const dropOrphanHeading = (): void => {
    if (afterHeading && headingAt >= 0) {
      out.length = headingAt;
      started = out.length > 0;
    }
    headingAt = -1;
    afterHeading = false;
  };
  // a list item's line starts with "- " (as trafilatura writes them; the Gopher bullet rule, spec §5, reads it)
  let bullet = false;
  let listDepth = 0;
  const write = (s: string): void => {
    if (afterHeading) { headingAt = -1; afterHeading = false; }
    if (started && pending) out.push(BREAKS[pending]);
    started = true;
    pending = 0;
    if (bullet) { out.push('- '); bullet = false; }
    out.push(s);
    rowHasText = true;
  };
  const closeElement = (j: number): void => {
    const t = tag[j];
    if (t === T.pre) preDepth--;
    if ((TAG_FLAGS[t] & HEADING) && headingAt >= 0) afterHeading = true;
    if (t === T.li) bullet = false;
    if (t === T.ul || t === T.ol || t === T.dl) listDepth--;
    const f = TAG_FLAGS[t];
    if (t === T.td || t === T.th) return;
    if ((f & PARA) && listDepth === 0) brk(BLANK);
    else if (f & BLOCK) brk(LINE);
  };

  for (const root of roots) {
    brk(BLANK);
    for (let i = root; i < end[root]; i++) {
      while (open.length && end[open[open.length - 1]] <= i) closeElement(open.pop()!);
      if (a.removed[i]) { i = end[i] - 1; continue; }
      const t = tag[i];
      if (t === TEXT) {
        if (a.textLen[i] === 0 && preDepth === 0) {
          if (stop[i] > start[i]) brk(SPACE);
          continue;
        }
        let s = decode(src.slice(start[i], stop[i]));
        if (preDepth > 0) {
          s = s.replace(URL_RE, '').replace(CONTROL_RE, '');
          if (s) write(s);
          continue;
        }
        s = normalizeInline(s.replace(CONTROL_RE, ''));
        if (s.charCodeAt(0) === 32) brk(SPACE);
        const trailing = s.charCodeAt(s.length - 1) === 32;
        s = s.trim();
        if (s.indexOf('.') >= 0 || s.indexOf('/') >= 0) s = s.replace(URL_RE, '').replace(/ {2,}/g, ' ').trim();
        if (s) write(s);
        if (trailing) brk(SPACE);
        continue;
      }
      const holdsCore = core >= i && core < end[i];
      if (cleaning && i !== root && !holdsCore && dropContainer(tree, a, i, commentsKept)) { i = end[i] - 1; continue; }
      // a short line that is all link is navigation ("Share on ...", "Next story", "More news")
      // (boilerpipe: link-only short blocks are boilerplate; list items and cells are left to
      // their container's link density)
      if ((TAG_FLAGS[t] & BLOCK) && t !== T.li && t !== T.td && t !== T.th && a.textLen[i] > 0
        && a.textLen[i] < 80 && a.linkLen[i] === a.textLen[i]) { i = end[i] - 1; continue; }
      // ... and so is a paragraph that is mostly links ("Don't miss: A | B | C")
      if ((TAG_FLAGS[t] & BLOCK) && t !== T.li && t !== T.td && t !== T.th && linkDensity(a, i) > 0.7) { i = end[i] - 1; continue; }
      // the page's title repeated as the article's heading is metadata (include_title puts it first)
      if ((TAG_FLAGS[t] & HEADING) && lowerTitle && a.textLen[i] <= lowerTitle.length) {
        const h = plainText(tree, a, i).toLowerCase();
        if (h.length >= 8 && lowerTitle.includes(h)) { i = end[i] - 1; continue; }
      }
      // a short copyright / rights notice is the site's, not the article's
      if ((t === T.p || t === T.div) && !a.hasBlockChild[i] && a.textLen[i] > 0 && a.textLen[i] < 200
        && COPYRIGHT_RE.test(plainText(tree, a, i))) { i = end[i] - 1; continue; }
      if (TAG_FLAGS[t] & HEADING) {
        dropOrphanHeading();
        if (a.textLen[i] < 200) headingAt = out.length; // a longer "heading" is a paragraph in disguise
      }
      if (t === T.br) { brk(LINE); continue; }
      if (t === T.img) {
        if (opts.includeImages) addImage(tree, i, baseUrl, images, seenImages);
        continue;
      }
      const f = TAG_FLAGS[t];
      if (t === T.tr) rowHasText = false;
      if (t === T.td || t === T.th) { if (rowHasText) brk(CELL); }
      else if ((f & PARA) && listDepth === 0) brk(BLANK); // inside a list, every block is one line
      else if (f & BLOCK) brk(LINE);
      if (t === T.pre) preDepth++;
      if (t === T.ul || t === T.ol || t === T.dl) listDepth++;
      if (t === T.li) bullet = true;
      if (end[i] > i + 1) open.push(i);
      else closeElement(i);
    }
    while (open.length) closeElement(open.pop()!);
  }
  dropOrphanHeading();
  let text = out.join('');
  if (text.indexOf('\n\n\n') >= 0) text = text.replace(/\n{3,}/g, '\n\n');
  return { text: text.trim(), images };
}

/** At most this many images per page (a gallery of thousands is not "the images of the article"). */
const MAX_IMAGES = 256;

function addImage(tree: HtmlTree, i: number, baseUrl: string, images: [string, string][], seen: Set<string>): void {
  const raw = tree.imgSrc.get(i);
  if (!raw || images.length >= MAX_IMAGES) return;
  const s = decode(raw).trim();
  if (!s || s.startsWith('data:')) return;
  let abs: string;
  try {
    abs = baseUrl ? new URL(s, baseUrl).href : s;
  } catch {
    return;
  }
  if (seen.has(abs)) return;
  seen.add(abs);
  images.push([abs, normalizeInline(decode(tree.imgAlt.get(i) ?? '')).trim()]);
}

/** For tests and debugging: the steps of extractMainContent one by one. */
export const internals = { analyze, chooseContent, render, dropContainer };

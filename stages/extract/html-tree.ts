/**
 * A compact HTML tree, built as a browser builds it: the WHATWG HTML tree construction
 * algorithm (§13.2.6, scripting off) over the tokens of html-tokenizer.ts. No DOM objects, no
 * recursion, typed arrays throughout.
 *
 * Output (`HtmlTree`): nodes numbered in document (pre-)order; node 0 is the document. For node
 * i: `tag[i]` (tags.ts id; TEXT for text), `parent[i]`, `end[i]` (one past the last node of its
 * subtree: the subtree is the index range [i, end[i])), and for text nodes the source span
 * `[start[i], stop[i])` of the raw text, entity-encoded unless `flags[i] & RAW_TEXT` (script,
 * style, CDATA: the reader decodes). Text appended to one parent in two source pieces (around a
 * dropped tag, a U+0000, or moved by foster parenting) stays two adjacent TEXT nodes. The
 * attributes the extractor uses are read while building: class/id/role to `names[i]`
 * (lowercased, space-joined), hidden-ness and schema.org markers to `flags[i]`, image sources
 * to `imgSrc/imgAlt`.
 *
 * How: the adoption agency algorithm and foster parenting move nodes after they are created,
 * so the tree is first a linked tree (parent / first child / last child / siblings) in creation
 * order, flattened to pre-order at the end by a loop over those links.
 *
 * Bounded work (deviations from the spec, each also in the stage README):
 *  - "in scope" tests are O(1): each slot of the stack of open elements records the nearest
 *    scope boundary at or below it (per scope kind), and each tag the topmost open element
 *    with that tag; the spec's stack walks are replaced by comparisons (exact, no deviation).
 *  - the list of active formatting elements keeps at most MAX_FORMATTING entries (the oldest
 *    goes), so reconstructing it after every block costs at most that many clones.
 *  - the adoption agency runs only when the formatting element is within ADOPTION_DEPTH levels
 *    of the current node; deeper, the end tag is ignored.
 *  - an end tag in foreign content looks at most FOREIGN_END_SEARCH levels up for its element.
 *  - beyond 2,048 distinct unknown tag names in one page, the rest share one tag id (tags.ts).
 *  - `maxNodes` bounds the nodes created; when it is reached the tree stops there
 *    (`truncated`).
 *
 * Full mode (`full: true`, for the conformance test and debugging) also keeps comments, the
 * doctype, every element's name, namespace and attributes (`full`); it is the same code path,
 * the production mode just does not materialize what the extractor does not read.
 */
import { decodeHTMLAttribute } from 'entities';
import {
  Tokenizer, EOF, CHARS, NUL, START, END, COMMENT as COMMENT_TOKEN, DOCTYPE as DOCTYPE_TOKEN,
  RCDATA, RAWTEXT, SCRIPT_DATA, PLAINTEXT, DATA, type Doctype,
} from './html-tokenizer.js';
import { TEXT, TAG_IDS, FIRST_DYNAMIC_TAG, MAX_TAG_ID, COMMENT, DOCTYPE, TEMPLATE_CONTENT, type TagName } from './tags.js';
import { svgTagName, foreignAttrName } from './html-foreign.js';

/** flags[i] bits */
export const HIDDEN = 1;
export const ARTICLE_BODY = 2; // itemprop="articleBody" / "text" / "reviewBody" (schema.org)
export const LINK_HREF = 4; // <a> with href
export const ARTICLE_TYPE = 8; // itemtype of a schema.org Article / BlogPosting / Review (wraps title, byline, body)
/** Text node: the span is literal text (RAWTEXT, script data, PLAINTEXT, CDATA), not to be entity-decoded. */
export const RAW_TEXT = 16;

/** Namespaces (full.ns). */
export const NS_HTML = 0;
export const NS_SVG = 1;
export const NS_MATHML = 2;

export interface FullTree {
  /** Namespace of element i (NS_*). */
  ns: Uint8Array;
  /** Element i's name as serialized (SVG names case-adjusted). */
  name: (string | undefined)[];
  /** Element i's attributes [name, decoded value], in source order, first of duplicates. */
  attrs: ([string, string][] | undefined)[];
  /** Doctype nodes. */
  doctypes: Map<number, Doctype>;
}

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
  /** Only in full mode. */
  full?: FullTree;
}

export interface TreeOptions {
  /** Stop adding nodes past this count (the per-document budget). */
  maxNodes: number;
  /** Keep comments, doctype, names and attributes of every element (tests, debugging). */
  full?: boolean;
}

/** At most this many entries in the list of active formatting elements (see the header). */
export const MAX_FORMATTING = 16;
/** The adoption agency runs only for a formatting element this close to the current node. */
export const ADOPTION_DEPTH = 128;
/** How far up an end tag in foreign content looks for its element. */
export const FOREIGN_END_SEARCH = 128;

// ---------------------------------------------------------------------------------------------
// tag tables

const id = (name: TagName): number => TAG_IDS.get(name)!;
const ID_NAME: string[] = [];
for (const [name, i] of TAG_IDS) ID_NAME[i] = name;

const t_html = id('html'), t_head = id('head'), t_body = id('body'), t_title = id('title');
const t_p = id('p'), t_li = id('li'), t_dd = id('dd'), t_dt = id('dt'), t_a = id('a');
const t_table = id('table'), t_tbody = id('tbody'), t_thead = id('thead'), t_tfoot = id('tfoot');
const t_tr = id('tr'), t_td = id('td'), t_th = id('th'), t_caption = id('caption');
const t_colgroup = id('colgroup'), t_col = id('col'), t_template = id('template');
const t_select = id('select'), t_option = id('option'), t_optgroup = id('optgroup');
const t_form = id('form'), t_button = id('button'), t_noscript = id('noscript'), t_script = id('script');
const t_frameset = id('frameset'), t_frame = id('frame'), t_nobr = id('nobr'), t_ruby = id('ruby');
const t_rtc = id('rtc'), t_img = id('img'), t_image = id('image'), t_input = id('input');
const t_svg = id('svg'), t_math = id('math'), t_mglyph = id('mglyph'), t_malignmark = id('malignmark');
const t_annotationXml = id('annotation-xml'), t_font = id('font'), t_hr = id('hr'), t_br = id('br');
const t_noframes = id('noframes'), t_style = id('style'), t_textarea = id('textarea');
const HEADINGS = [id('h1'), id('h2'), id('h3'), id('h4'), id('h5'), id('h6')];

const TABLE_SIZE = MAX_TAG_ID + 1;
const tagSet = (names: TagName[]): Uint8Array => {
  const s = new Uint8Array(TABLE_SIZE);
  for (const n of names) s[id(n)] = 1;
  return s;
};

// per-tag masks of HTML elements on the stack of open elements
const M_DEFAULT = 1; // boundary of "in scope"
const M_LIST = 2; // ... of "in list item scope"
const M_BUTTON = 4; // ... of "in button scope"
const M_TABLE = 8; // ... of "in table scope" (html, table, template)
const M_SPECIAL = 32; // the "special" category
const M_SPECIAL_LI = 64; // special but not address, div, p (where <li>/<dd>/<dt> stop looking)
const M_RESET = 128; // elements "reset the insertion mode appropriately" stops at
const M_IMPLIED = 256; // "generate implied end tags" pops these
const M_IMPLIED_ALL = 512; // ... and, thoroughly, these too

/** (Without select: since customizable <select>, html5lib-tests expect `</b>` to close a <select> opened inside <b>.) */
const SPECIAL: TagName[] = ['address', 'applet', 'area', 'article', 'aside', 'base', 'basefont',
  'bgsound', 'blockquote', 'body', 'br', 'button', 'caption', 'center', 'col', 'colgroup', 'dd',
  'details', 'dir', 'div', 'dl', 'dt', 'embed', 'fieldset', 'figcaption', 'figure', 'footer',
  'form', 'frame', 'frameset', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'header', 'hgroup',
  'hr', 'html', 'iframe', 'img', 'input', 'keygen', 'li', 'link', 'listing', 'main', 'marquee',
  'menu', 'meta', 'nav', 'noembed', 'noframes', 'noscript', 'object', 'ol', 'p', 'param',
  'plaintext', 'pre', 'script', 'search', 'section', 'source', 'style', 'summary',
  'table', 'tbody', 'td', 'template', 'textarea', 'tfoot', 'th', 'thead', 'title', 'tr', 'track',
  'ul', 'wbr', 'xmp'];
const HMASK = new Uint16Array(TABLE_SIZE);
const mark = (m: number, names: TagName[]): void => { for (const n of names) HMASK[id(n)] |= m; };
mark(M_DEFAULT | M_LIST | M_BUTTON, ['applet', 'caption', 'html', 'table', 'td', 'th', 'marquee', 'object', 'template']);
mark(M_LIST, ['ol', 'ul']);
mark(M_BUTTON, ['button']);
mark(M_TABLE, ['html', 'table', 'template']);
mark(M_SPECIAL | M_SPECIAL_LI, SPECIAL);
HMASK[id('address')] &= ~M_SPECIAL_LI; HMASK[id('div')] &= ~M_SPECIAL_LI; HMASK[t_p] &= ~M_SPECIAL_LI;
mark(M_RESET, ['td', 'th', 'tr', 'tbody', 'thead', 'tfoot', 'caption', 'colgroup', 'table',
  'template', 'head', 'body', 'frameset', 'html']);
mark(M_IMPLIED | M_IMPLIED_ALL, ['dd', 'dt', 'li', 'optgroup', 'option', 'p', 'rb', 'rp', 'rt', 'rtc']);
mark(M_IMPLIED_ALL, ['caption', 'colgroup', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
/** MathML mi/mo/mn/ms/mtext/annotation-xml and SVG foreignObject/desc/title: scope boundaries, special. */
const FOREIGN_BOUNDARY = M_DEFAULT | M_LIST | M_BUTTON | M_SPECIAL | M_SPECIAL_LI;
const MATHML_TEXT_IP = tagSet(['mi', 'mo', 'mn', 'ms', 'mtext']);
const SVG_HTML_IP = tagSet(['foreignobject', 'desc', 'title']);

const FORMATTING = tagSet(['a', 'b', 'big', 'code', 'em', 'font', 'i', 'nobr', 's', 'small', 'strike', 'strong', 'tt', 'u']);
const TABLE_FOSTER = tagSet(['table', 'tbody', 'tfoot', 'thead', 'tr']);
const IN_HEAD_START = tagSet(['base', 'basefont', 'bgsound', 'link', 'meta', 'noframes', 'script', 'style', 'template', 'title']);
/** Start tags that leave foreign content (§13.2.6.5). */
const FOREIGN_BREAKOUT = tagSet(['b', 'big', 'blockquote', 'body', 'br', 'center', 'code', 'dd', 'div',
  'dl', 'dt', 'em', 'embed', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'hr', 'i', 'img', 'li',
  'listing', 'menu', 'meta', 'nobr', 'ol', 'p', 'pre', 'ruby', 's', 'small', 'span', 'strong',
  'strike', 'sub', 'sup', 'table', 'tt', 'u', 'ul', 'var']);

// in body start tag groups (a jump table instead of a chain of compares)
const S_OTHER = 0, S_HTML = 1, S_HEAD_RULES = 2, S_BODY = 3, S_FRAMESET = 4, S_BLOCK = 5,
  S_HEADING = 6, S_PRE = 7, S_FORM = 8, S_LI = 9, S_DDDT = 10, S_PLAINTEXT = 11, S_BUTTON = 12,
  S_A = 13, S_FORMATTING = 14, S_NOBR = 15, S_APPLET = 16, S_TABLE = 17, S_VOID = 18, S_INPUT = 19,
  S_PARAM = 20, S_HR = 21, S_IMAGE = 22, S_TEXTAREA = 23, S_XMP = 24, S_IFRAME = 25,
  S_NOEMBED = 26, S_SELECT = 27, S_OPTION = 28, S_RB = 29, S_RP = 30, S_MATH = 31, S_SVG = 32,
  S_IGNORE = 33;
const START_GROUP = new Uint8Array(TABLE_SIZE);
const group = (table: Uint8Array, g: number, names: TagName[]): void => { for (const n of names) table[id(n)] = g; };
group(START_GROUP, S_HTML, ['html']);
group(START_GROUP, S_HEAD_RULES, ['base', 'basefont', 'bgsound', 'link', 'meta', 'noframes', 'script', 'style', 'template', 'title']);
group(START_GROUP, S_BODY, ['body']);
group(START_GROUP, S_FRAMESET, ['frameset']);
group(START_GROUP, S_BLOCK, ['address', 'article', 'aside', 'blockquote', 'center', 'details', 'dialog',
  'dir', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'header', 'hgroup', 'main', 'menu',
  'nav', 'ol', 'p', 'search', 'section', 'summary', 'ul']);
group(START_GROUP, S_HEADING, ['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
group(START_GROUP, S_PRE, ['pre', 'listing']);
group(START_GROUP, S_FORM, ['form']);
group(START_GROUP, S_LI, ['li']);
group(START_GROUP, S_DDDT, ['dd', 'dt']);
group(START_GROUP, S_PLAINTEXT, ['plaintext']);
group(START_GROUP, S_BUTTON, ['button']);
group(START_GROUP, S_A, ['a']);
group(START_GROUP, S_FORMATTING, ['b', 'big', 'code', 'em', 'font', 'i', 's', 'small', 'strike', 'strong', 'tt', 'u']);
group(START_GROUP, S_NOBR, ['nobr']);
group(START_GROUP, S_APPLET, ['applet', 'marquee', 'object']);
group(START_GROUP, S_TABLE, ['table']);
group(START_GROUP, S_VOID, ['area', 'br', 'embed', 'img', 'keygen', 'wbr']);
group(START_GROUP, S_INPUT, ['input']);
group(START_GROUP, S_PARAM, ['param', 'source', 'track']);
group(START_GROUP, S_HR, ['hr']);
group(START_GROUP, S_IMAGE, ['image']);
group(START_GROUP, S_TEXTAREA, ['textarea']);
group(START_GROUP, S_XMP, ['xmp']);
group(START_GROUP, S_IFRAME, ['iframe']);
group(START_GROUP, S_NOEMBED, ['noembed']); // <noscript> too when scripting is on; here it is off
group(START_GROUP, S_SELECT, ['select']);
group(START_GROUP, S_OPTION, ['optgroup', 'option']);
group(START_GROUP, S_RB, ['rb', 'rtc']);
group(START_GROUP, S_RP, ['rp', 'rt']);
group(START_GROUP, S_MATH, ['math']);
group(START_GROUP, S_SVG, ['svg']);
group(START_GROUP, S_IGNORE, ['caption', 'col', 'colgroup', 'frame', 'head', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);

const E_OTHER = 0, E_TEMPLATE = 1, E_BODY = 2, E_HTML = 3, E_BLOCK = 4, E_FORM = 5, E_P = 6,
  E_LI = 7, E_DDDT = 8, E_HEADING = 9, E_FORMATTING = 10, E_APPLET = 11, E_BR = 12, E_SELECT = 13;
const END_GROUP = new Uint8Array(TABLE_SIZE);
group(END_GROUP, E_TEMPLATE, ['template']);
group(END_GROUP, E_BODY, ['body']);
group(END_GROUP, E_HTML, ['html']);
group(END_GROUP, E_BLOCK, ['address', 'article', 'aside', 'blockquote', 'button', 'center', 'details',
  'dialog', 'dir', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'header', 'hgroup',
  'listing', 'main', 'menu', 'nav', 'ol', 'pre', 'search', 'section', 'summary', 'ul']);
group(END_GROUP, E_FORM, ['form']);
group(END_GROUP, E_P, ['p']);
group(END_GROUP, E_LI, ['li']);
group(END_GROUP, E_DDDT, ['dd', 'dt']);
group(END_GROUP, E_HEADING, ['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
group(END_GROUP, E_FORMATTING, ['a', 'b', 'big', 'code', 'em', 'font', 'i', 'nobr', 's', 'small', 'strike', 'strong', 'tt', 'u']);
group(END_GROUP, E_APPLET, ['applet', 'marquee', 'object']);
group(END_GROUP, E_BR, ['br']);
group(END_GROUP, E_SELECT, ['select']);

const TABLE_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
const CAPTION_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
const CAPTION_END_IGNORED = tagSet(['body', 'col', 'colgroup', 'html', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
const TBODY_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'tfoot', 'thead']);
const TBODY_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html', 'td', 'th', 'tr']);
const ROW_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'tfoot', 'thead', 'tr']);
const ROW_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html', 'td', 'th']);
const CELL_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
const CELL_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html']);
const CELL_END_CLOSERS = tagSet(['table', 'tbody', 'tfoot', 'thead', 'tr']);

// insertion modes
const INITIAL = 0, BEFORE_HTML = 1, BEFORE_HEAD = 2, IN_HEAD = 3, IN_HEAD_NOSCRIPT = 4,
  AFTER_HEAD = 5, IN_BODY = 6, TEXT_MODE = 7, IN_TABLE = 8, IN_TABLE_TEXT = 9, IN_CAPTION = 10,
  IN_COLUMN_GROUP = 11, IN_TABLE_BODY = 12, IN_ROW = 13, IN_CELL = 14, IN_TEMPLATE = 17, AFTER_BODY = 18, IN_FRAMESET = 19,
  AFTER_FRAMESET = 20, AFTER_AFTER_BODY = 21, AFTER_AFTER_FRAMESET = 22;

/** lns bits above the namespace: integration points (§13.2.6.5). */
const MATHML_TIP = 4;
const HTML_IP = 8;

const MARKER = -1;
const BUDGET = new Error('node budget');

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13 || c === 12;

function grow<A extends Int32Array | Uint8Array | Uint16Array>(a: A, size: number): A {
  const b = new (a.constructor as { new(n: number): A })(size);
  b.set(a);
  return b;
}

// ---------------------------------------------------------------------------------------------

export function buildTree(src: string, opts: TreeOptions): HtmlTree {
  const full = opts.full === true;
  const maxNodes = opts.maxNodes;
  const tok = new Tokenizer(src, full);
  const len = src.length;

  // the linked tree, in creation order (node 0 = document)
  let cap = Math.max(64, Math.min(maxNodes + 1, (len >>> 5) + 64));
  let ltag = new Int32Array(cap);
  let lpar = new Int32Array(cap);
  let lfirst = new Int32Array(cap);
  let llast = new Int32Array(cap);
  let lnext = new Int32Array(cap);
  let lprev = new Int32Array(cap);
  let lstart = new Int32Array(cap);
  let lstop = new Int32Array(cap);
  let lflags = new Uint8Array(cap);
  let lns = new Uint8Array(cap); // namespace | integration point bits
  let lmask = new Uint16Array(cap);
  let lpos = new Int32Array(cap); // position on the stack of open elements, or -1
  let lafe = new Uint8Array(cap); // in the list of active formatting elements
  const lnames: (string | undefined)[] = [undefined]; // dense: one entry per node
  // formatting elements: where their start tag's name starts (-1: no attributes), for the
  // Noah's Ark clause, which compares attributes; the comparison key is made only when needed
  let ltagAt = new Int32Array(cap);
  const sigCache = new Map<number, string>();
  const imgSrcL = new Map<number, string>();
  const imgAltL = new Map<number, string>();
  const fullName: (string | undefined)[] = [];
  const fullAttrs: ([string, string][] | undefined)[] = [];
  const doctypesL = new Map<number, Doctype>();
  let count = 1;
  let truncated = false;
  lpar[0] = -1; lfirst[0] = -1; llast[0] = -1; lnext[0] = -1; lprev[0] = -1; lpos[0] = -1;

  function newNode(t: number): number {
    if (count >= maxNodes) { truncated = true; throw BUDGET; }
    if (count >= cap) {
      cap = Math.min(cap * 2, maxNodes + 1);
      ltag = grow(ltag, cap); lpar = grow(lpar, cap); lfirst = grow(lfirst, cap); llast = grow(llast, cap);
      lnext = grow(lnext, cap); lprev = grow(lprev, cap); lstart = grow(lstart, cap); lstop = grow(lstop, cap);
      lflags = grow(lflags, cap); lns = grow(lns, cap); lmask = grow(lmask, cap); lpos = grow(lpos, cap);
      lafe = grow(lafe, cap); ltagAt = grow(ltagAt, cap);
    }
    const i = count++;
    lnames.push(undefined);
    ltag[i] = t; lpar[i] = -1; lfirst[i] = -1; llast[i] = -1; lnext[i] = -1; lprev[i] = -1;
    lpos[i] = -1;
    return i;
  }
  function append(parent: number, node: number): void {
    lpar[node] = parent;
    const last = llast[parent];
    lprev[node] = last; lnext[node] = -1;
    if (last >= 0) lnext[last] = node; else lfirst[parent] = node;
    llast[parent] = node;
  }
  function insertBefore(parent: number, node: number, ref: number): void {
    if (ref < 0) { append(parent, node); return; }
    lpar[node] = parent;
    const prev = lprev[ref];
    lprev[node] = prev; lnext[node] = ref; lprev[ref] = node;
    if (prev >= 0) lnext[prev] = node; else lfirst[parent] = node;
  }
  function detach(node: number): void {
    const p = lpar[node];
    if (p < 0) return;
    const prev = lprev[node], next = lnext[node];
    if (prev >= 0) lnext[prev] = next; else lfirst[p] = next;
    if (next >= 0) lprev[next] = prev; else llast[p] = prev;
    lpar[node] = -1; lprev[node] = -1; lnext[node] = -1;
  }
  function moveChildren(from: number, to: number): void {
    for (let c = lfirst[from]; c >= 0;) {
      const next = lnext[c];
      detach(c);
      append(to, c);
      c = next;
    }
  }
  const isHtml = (node: number): boolean => (lns[node] & 3) === NS_HTML;
  const isHtmlTag = (node: number, t: number): boolean => ltag[node] === t && (lns[node] & 3) === NS_HTML;

  // ---- the stack of open elements, with per-slot nearest scope boundaries (see the header)
  let scap = 256;
  let stk = new Int32Array(scap);
  let nbDefault = new Int32Array(scap);
  let nbList = new Int32Array(scap);
  let nbButton = new Int32Array(scap);
  let nbTable = new Int32Array(scap);
  let nbSpecial = new Int32Array(scap);
  let nbSpecialLi = new Int32Array(scap);
  let nbReset = new Int32Array(scap);
  let prevSame = new Int32Array(scap);
  let sp = 0;
  /** Slot of the topmost open HTML element with each tag id, or -1. */
  const topIdx = new Int32Array(TABLE_SIZE).fill(-1);

  function push(node: number): void {
    if (sp >= scap) {
      scap *= 2;
      stk = grow(stk, scap); nbDefault = grow(nbDefault, scap); nbList = grow(nbList, scap);
      nbButton = grow(nbButton, scap); nbTable = grow(nbTable, scap);
      nbSpecial = grow(nbSpecial, scap); nbSpecialLi = grow(nbSpecialLi, scap); nbReset = grow(nbReset, scap);
      prevSame = grow(prevSame, scap);
    }
    const i = sp++;
    const m = lmask[node];
    stk[i] = node;
    lpos[node] = i;
    if (i === 0) {
      nbDefault[0] = 0; nbList[0] = 0; nbButton[0] = 0; nbTable[0] = 0;
      nbSpecial[0] = 0; nbSpecialLi[0] = 0; nbReset[0] = 0;
    } else {
      const j = i - 1;
      nbDefault[i] = m & M_DEFAULT ? i : nbDefault[j];
      nbList[i] = m & M_LIST ? i : nbList[j];
      nbButton[i] = m & M_BUTTON ? i : nbButton[j];
      nbTable[i] = m & M_TABLE ? i : nbTable[j];
      nbSpecial[i] = m & M_SPECIAL ? i : nbSpecial[j];
      nbSpecialLi[i] = m & M_SPECIAL_LI ? i : nbSpecialLi[j];
      nbReset[i] = m & M_RESET ? i : nbReset[j];
    }
    if ((lns[node] & 3) === NS_HTML) {
      const t = ltag[node];
      prevSame[i] = topIdx[t];
      topIdx[t] = i;
    } else {
      prevSame[i] = -2;
    }
  }
  function pop(): number {
    const i = --sp;
    const node = stk[i];
    lpos[node] = -1;
    if (prevSame[i] !== -2) topIdx[ltag[node]] = prevSame[i];
    return node;
  }
  /** Pop up to and including the topmost open HTML element with tag t (which must be open). */
  function popUntilTag(t: number): void {
    const k = topIdx[t];
    if (k < 0) return;
    while (sp > k) pop();
  }
  function popUntilSlot(k: number): void {
    while (sp > k) pop();
  }
  /** Remove the element at slot k from the middle of the stack (rare: <form>, <a>, the head). */
  const scratch: number[] = [];
  function removeFromStack(node: number): void {
    const k = lpos[node];
    if (k < 0) return;
    scratch.length = 0;
    while (sp > k + 1) scratch.push(pop());
    pop();
    for (let q = scratch.length - 1; q >= 0; q--) push(scratch[q]);
  }
  const current = (): number => stk[sp - 1];
  const inScope = (t: number): boolean => topIdx[t] >= 0 && topIdx[t] >= nbDefault[sp - 1];
  const inListScope = (t: number): boolean => topIdx[t] >= 0 && topIdx[t] >= nbList[sp - 1];
  const inButtonScope = (t: number): boolean => topIdx[t] >= 0 && topIdx[t] >= nbButton[sp - 1];
  const inTableScope = (t: number): boolean => topIdx[t] >= 0 && topIdx[t] >= nbTable[sp - 1];
  const nodeInScope = (node: number): boolean => lpos[node] >= 0 && lpos[node] >= nbDefault[sp - 1];
  const headingTop = (): number => {
    let k = -1;
    for (const h of HEADINGS) if (topIdx[h] > k) k = topIdx[h];
    return k;
  };
  function generateImpliedEndTags(except: number): void {
    while (sp > 0) {
      const c = stk[sp - 1];
      if (!(lmask[c] & M_IMPLIED) || ltag[c] === except || !isHtml(c)) return;
      pop();
    }
  }
  function generateAllImpliedEndTags(): void {
    while (sp > 0 && (lmask[stk[sp - 1]] & M_IMPLIED_ALL) && isHtml(stk[sp - 1])) pop();
  }
  function closeP(): void {
    generateImpliedEndTags(t_p);
    popUntilTag(t_p);
  }

  // ---- the list of active formatting elements (capped at MAX_FORMATTING entries)
  const afe = new Int32Array(MAX_FORMATTING + 2);
  let afeLen = 0;
  function afeRemoveAt(k: number): void {
    const node = afe[k];
    if (node !== MARKER) lafe[node] = 0;
    afe.copyWithin(k, k + 1, afeLen);
    afeLen--;
  }
  function afeIndexOf(node: number): number {
    if (!lafe[node]) return -1;
    for (let k = afeLen - 1; k >= 0; k--) if (afe[k] === node) return k;
    return -1;
  }
  function afeInsertAt(k: number, node: number): void {
    afe.copyWithin(k + 1, k, afeLen);
    afe[k] = node;
    afeLen++;
    if (node !== MARKER) lafe[node] = 1;
  }
  function afePushMarker(): void {
    if (afeLen >= MAX_FORMATTING) afeDropOldest();
    afe[afeLen++] = MARKER;
  }
  function afeDropOldest(): void {
    for (let k = 0; k < afeLen; k++) if (afe[k] !== MARKER) { afeRemoveAt(k); return; }
    afeRemoveAt(0);
  }
  function afePush(node: number): void {
    // Noah's Ark: at most three identical entries (tag and attributes) after the last marker
    const t = ltag[node];
    let sameTag = 0;
    for (let k = afeLen - 1; k >= 0; k--) {
      const e = afe[k];
      if (e === MARKER) break;
      if (ltag[e] === t) sameTag++;
    }
    if (sameTag >= 3) {
      let same = 0, earliest = -1;
      const sig = signature(node);
      for (let k = afeLen - 1; k >= 0; k--) {
        const e = afe[k];
        if (e === MARKER) break;
        if (ltag[e] === t && signature(e) === sig) { same++; earliest = k; }
      }
      if (same >= 3) afeRemoveAt(earliest);
    }
    if (afeLen >= MAX_FORMATTING) afeDropOldest();
    afe[afeLen++] = node;
    lafe[node] = 1;
  }
  function afeClearToMarker(): void {
    while (afeLen > 0) {
      const e = afe[--afeLen];
      if (e === MARKER) return;
      lafe[e] = 0;
    }
  }
  function reconstructFormatting(): void {
    if (afeLen === 0) return;
    let e = afe[afeLen - 1];
    if (e === MARKER || lpos[e] >= 0) return;
    let k = afeLen - 1;
    while (k > 0) {
      e = afe[k - 1];
      if (e === MARKER || lpos[e] >= 0) break;
      k--;
    }
    for (; k < afeLen; k++) {
      const old = afe[k];
      const clone = cloneElement(old);
      insertAtPlace(clone, current());
      push(clone);
      afe[k] = clone;
      lafe[old] = 0;
      lafe[clone] = 1;
    }
  }

  // ---- creating and inserting nodes
  let fosterParenting = false;
  let insP = 0, insB = -1;
  /** The appropriate place for inserting a node (§13.2.6.1), into insP before insB. */
  function place(target: number): void {
    if (fosterParenting && TABLE_FOSTER[ltag[target]] && isHtml(target)) {
      const lt = topIdx[t_table], ltp = topIdx[t_template];
      if (ltp >= 0 && (lt < 0 || ltp > lt)) { insP = lfirst[stk[ltp]]; insB = -1; return; }
      if (lt < 0) { insP = stk[0]; insB = -1; return; }
      const table = stk[lt];
      if (lpar[table] >= 0) { insP = lpar[table]; insB = table; }
      else { insP = stk[lt - 1]; insB = -1; }
    } else {
      insP = target; insB = -1;
    }
    if (ltag[insP] === t_template && isHtml(insP)) insP = lfirst[insP];
  }
  function insertAtPlace(node: number, target: number): void {
    place(target);
    insertBefore(insP, node, insB);
  }

  /** Create an element; `withAttrs`: read the current token's attributes. */
  function createElement(t: number, ns: number, withAttrs: boolean): number {
    const node = newNode(t);
    let nsBits = ns;
    if (ns === NS_HTML) lmask[node] = HMASK[t];
    else {
      lmask[node] = 0;
      if (ns === NS_MATHML) {
        if (MATHML_TEXT_IP[t]) { nsBits |= MATHML_TIP; lmask[node] = FOREIGN_BOUNDARY; }
        else if (t === t_annotationXml) {
          lmask[node] = FOREIGN_BOUNDARY;
          const enc = withAttrs ? attrValue('encoding') : undefined;
          if (enc !== undefined) {
            const v = enc.toLowerCase();
            if (v === 'text/html' || v === 'application/xhtml+xml') nsBits |= HTML_IP;
          }
        }
      } else if (SVG_HTML_IP[t]) { nsBits |= HTML_IP; lmask[node] = FOREIGN_BOUNDARY; }
    }
    lns[node] = nsBits;
    lflags[node] = 0;
    lafe[node] = 0;
    if (withAttrs && tok.attrCount > 0) readAttributes(node, t, ns);
    ltagAt[node] = withAttrs && tok.attrCount > 0 ? tok.s : -1;
    if (full) {
      const nm = t < FIRST_DYNAMIC_TAG && withAttrs === false ? ID_NAME[t] : t < FIRST_DYNAMIC_TAG && ns === NS_HTML ? ID_NAME[t] : tok.tagName(tok.s, tok.e);
      fullName[node] = ns === NS_SVG ? svgTagName(nm) : nm;
    }
    if (t === t_template && ns === NS_HTML) append(node, newNode(TEMPLATE_CONTENT));
    return node;
  }
  function cloneElement(old: number): number {
    const node = newNode(ltag[old]);
    lns[node] = lns[old]; lmask[node] = lmask[old]; lflags[node] = lflags[old]; lafe[node] = 0;
    if (lnames[old] !== undefined) lnames[node] = lnames[old];
    ltagAt[node] = ltagAt[old];
    if (full) { fullName[node] = fullName[old]; if (fullAttrs[old]) fullAttrs[node] = fullAttrs[old]!.slice(); }
    return node;
  }
  /** Insert an HTML element for the current token (or a bare one) at the appropriate place and push it. */
  function insertHtml(t: number, withAttrs = true): number {
    const node = createElement(t, NS_HTML, withAttrs);
    insertAtPlace(node, current());
    push(node);
    return node;
  }
  function insertForeign(t: number, ns: number): number {
    const node = createElement(t, ns, true);
    insertAtPlace(node, current());
    push(node);
    return node;
  }
  function insertText(s: number, e: number, raw: boolean): void {
    place(current());
    if (insP === 0) return; // the document takes no text
    const prev = insB >= 0 ? lprev[insB] : llast[insP];
    const f = raw ? RAW_TEXT : 0;
    if (prev >= 0 && ltag[prev] === TEXT && lstop[prev] === s && lflags[prev] === f) { lstop[prev] = e; return; }
    const node = newNode(TEXT);
    lstart[node] = s; lstop[node] = e; lflags[node] = f; lns[node] = 0; lmask[node] = 0; lafe[node] = 0;
    insertBefore(insP, node, insB);
  }
  function insertComment(parent: number): void {
    if (!full) return;
    const node = newNode(COMMENT);
    lstart[node] = tok.s; lstop[node] = tok.e; lns[node] = 0; lmask[node] = 0; lflags[node] = 0; lafe[node] = 0;
    if (parent >= 0) append(parent, node);
    else insertAtPlace(node, current());
  }

  // ---- attributes
  function attrIs(k: number, name: string): boolean {
    const a = tok.attrs;
    const an = a[k], ae = a[k + 1];
    if (ae - an !== name.length) return false;
    if (src.startsWith(name, an)) return true;
    for (let q = 0; q < name.length; q++) {
      let c = src.charCodeAt(an + q);
      if (c >= 65 && c <= 90) c |= 32;
      if (c !== name.charCodeAt(q)) return false;
    }
    return true;
  }
  function attrValue(name: string): string | undefined {
    const a = tok.attrs;
    for (let k = 0; k < tok.attrCount * 4; k += 4) {
      if (attrIs(k, name)) return a[k + 2] < 0 ? '' : decodeAttr(src.slice(a[k + 2], a[k + 3]));
    }
    return undefined;
  }
  const attrName = (k: number): string => tok.tagName(tok.attrs[k], tok.attrs[k + 1]);
  /** A formatting element's attributes as a comparable key (its start tag is read again). */
  const sigTok = new Tokenizer(src);
  function signature(node: number): string {
    const at = ltagAt[node];
    if (at < 0) return '';
    let sig = sigCache.get(at);
    if (sig !== undefined) return sig;
    sigTok.readTag(at);
    const a = sigTok.attrs;
    const parts: string[] = [];
    const seen = new Set<string>();
    for (let k = 0; k < sigTok.attrCount * 4; k += 4) {
      const name = sigTok.tagName(a[k], a[k + 1]);
      if (seen.has(name)) continue; // duplicates: the first wins
      seen.add(name);
      parts.push(name + '\u0000' + (a[k + 2] < 0 ? '' : decodeAttr(src.slice(a[k + 2], a[k + 3]))));
    }
    sig = parts.sort().join('\u0001'); // order does not matter
    sigCache.set(at, sig);
    return sig;
  }
  /** The attributes the extractor reads (and, in full mode, all of them). */
  function readAttributes(node: number, t: number, ns: number): void {
    const a = tok.attrs;
    const n4 = tok.attrCount * 4;
    let cls: string | undefined;
    let nodeFlags = 0;
    let src1: string | undefined;
    let alt: string | undefined;
    for (let k = 0; k < n4; k += 4) {
      const an = a[k], al = a[k + 1] - an, vs = a[k + 2], ve = a[k + 3];
      if (al < 2 || al > 11) continue;
      switch (src.charCodeAt(an) | 32) {
        case 99: // c
          if (al === 5 && vs >= 0 && attrIs(k, 'class')) cls = cls ? cls + ' ' + src.slice(vs, ve) : src.slice(vs, ve);
          break;
        case 105: // i
          if (al === 2 && vs >= 0 && attrIs(k, 'id')) cls = cls ? cls + ' ' + src.slice(vs, ve) : src.slice(vs, ve);
          else if (al === 8 && vs >= 0 && attrIs(k, 'itemprop')) {
            const v = src.slice(vs, ve).toLowerCase();
            if (v === 'articlebody' || v === 'text' || v === 'reviewbody') nodeFlags |= ARTICLE_BODY;
          } else if (al === 8 && vs >= 0 && attrIs(k, 'itemtype')) {
            if (/(?:Article|BlogPosting|Report|Review)\b/.test(src.slice(vs, ve))) nodeFlags |= ARTICLE_TYPE;
          }
          break;
        case 114: // r
          if (al === 4 && vs >= 0 && attrIs(k, 'role')) cls = cls ? cls + ' role-' + src.slice(vs, ve) : 'role-' + src.slice(vs, ve);
          break;
        case 104: // h
          if (al === 6 && attrIs(k, 'hidden')) nodeFlags |= HIDDEN;
          else if (al === 4 && t === t_a && attrIs(k, 'href')) nodeFlags |= LINK_HREF;
          break;
        case 97: // a
          if (al === 11 && vs >= 0 && attrIs(k, 'aria-hidden') && src.slice(vs, ve).trim().toLowerCase() === 'true') nodeFlags |= HIDDEN;
          else if (al === 3 && vs >= 0 && t === t_img && attrIs(k, 'alt')) { if (alt === undefined) alt = src.slice(vs, ve); }
          break;
        case 115: // s
          if (al === 5 && vs >= 0 && attrIs(k, 'style') && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(src.slice(vs, ve))) nodeFlags |= HIDDEN;
          else if (al === 3 && vs >= 0 && t === t_img && attrIs(k, 'src')) { if (!src1 || src1.startsWith('data:')) src1 = src.slice(vs, ve); }
          break;
        case 100: // d
          if (al === 8 && vs >= 0 && t === t_img && attrIs(k, 'data-src')) src1 = src.slice(vs, ve);
          break;
        case 116: // t
          if (al === 4 && vs >= 0 && t === t_input && attrIs(k, 'type') && src.slice(vs, ve).toLowerCase() === 'hidden') nodeFlags |= HIDDEN;
          break;
      }
    }
    if (ns !== NS_HTML) nodeFlags &= HIDDEN; // schema.org / link markers are HTML's
    lflags[node] = nodeFlags;
    if (cls !== undefined) lnames[node] = lowerAscii(cls);
    if (t === t_img && ns === NS_HTML) {
      if (src1 !== undefined) imgSrcL.set(node, src1);
      if (alt !== undefined) imgAltL.set(node, alt);
    }
    if (full) fullAttrs[node] = allAttributes(ns);
  }
  function allAttributes(ns: number): [string, string][] {
    const a = tok.attrs;
    const out: [string, string][] = [];
    const seen = new Set<string>();
    for (let k = 0; k < tok.attrCount * 4; k += 4) {
      const lower = attrName(k);
      if (seen.has(lower)) continue;
      seen.add(lower);
      const name = ns === NS_HTML ? lower : foreignAttrName(lower, ns);
      out.push([name, a[k + 2] < 0 ? '' : decodeAttr(src.slice(a[k + 2], a[k + 3]))]);
    }
    return out;
  }
  /** <html> / <body> again: their attributes join the first element's, where not already there. */
  function mergeAttributes(node: number): void {
    if (!full || tok.attrCount === 0) return;
    const have = fullAttrs[node] ?? (fullAttrs[node] = []);
    const names = new Set(have.map((x) => x[0]));
    for (const [k, v] of allAttributes(NS_HTML)) if (!names.has(k)) have.push([k, v]);
  }

  // ---- parser state
  let mode = INITIAL;
  let origMode = INITIAL;
  let headEl = -1;
  let formEl = -1;
  let framesetOk = true;
  let quirks = false;
  let skipNewline = false;
  const tmodes: number[] = []; // stack of template insertion modes
  let pend = new Int32Array(64); // pending table character tokens: [s, e] pairs
  let pendLen = 0;
  let pendNonSpace = false;
  let reprocessEof = false;

  const firstNonSpace = (s: number, e: number): number => {
    while (s < e && isSpace(src.charCodeAt(s))) s++;
    return s;
  };

  function genericText(state: number): void {
    insertHtml(tok.tag);
    tok.state = state;
    tok.rawName = ID_NAME[tok.tag];
    origMode = mode;
    mode = TEXT_MODE;
  }

  function resetInsertionMode(): void {
    for (let k = nbReset[sp - 1]; ; k = nbReset[k - 1]) {
      const node = stk[k];
      const t = ltag[node];
      const last = k === 0;
      if ((t === t_td || t === t_th) && !last) { mode = IN_CELL; return; }
      if (t === t_tr) { mode = IN_ROW; return; }
      if (t === t_tbody || t === t_thead || t === t_tfoot) { mode = IN_TABLE_BODY; return; }
      if (t === t_caption) { mode = IN_CAPTION; return; }
      if (t === t_colgroup) { mode = IN_COLUMN_GROUP; return; }
      if (t === t_table) { mode = IN_TABLE; return; }
      if (t === t_template) { mode = tmodes[tmodes.length - 1]; return; }
      if (t === t_head && !last) { mode = IN_HEAD; return; }
      if (t === t_body) { mode = IN_BODY; return; }
      if (t === t_frameset) { mode = IN_FRAMESET; return; }
      if (t === t_html) { mode = headEl < 0 ? BEFORE_HEAD : AFTER_HEAD; return; }
      if (last) { mode = IN_BODY; return; }
    }
  }

  function clearStackTo(mask: (t: number) => boolean): void {
    while (sp > 0) {
      const c = stk[sp - 1];
      if (isHtml(c) && mask(ltag[c])) return;
      pop();
    }
  }
  const tableContext = (t: number): boolean => t === t_table || t === t_template || t === t_html;
  const tableBodyContext = (t: number): boolean => t === t_tbody || t === t_tfoot || t === t_thead || t === t_template || t === t_html;
  const rowContext = (t: number): boolean => t === t_tr || t === t_template || t === t_html;

  // ---- quirks mode (§13.2.6.4.1): only <table> closing an open <p> depends on it
  function setQuirksFromDoctype(d: Doctype): void {
    if (d.forceQuirks || d.name !== 'html') { quirks = true; return; }
    const pub = d.publicId?.toLowerCase();
    const sys = d.systemId?.toLowerCase();
    if (sys === 'http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd') { quirks = true; return; }
    if (pub === undefined) return;
    if (pub === '-//w3o//dtd w3 html strict 3.0//en//' || pub === '-/w3c/dtd html 4.0 transitional/en' || pub === 'html') { quirks = true; return; }
    for (const p of QUIRKS_PUBLIC_PREFIXES) if (pub.startsWith(p)) { quirks = true; return; }
    if (sys === undefined && (pub.startsWith('-//w3c//dtd html 4.01 frameset//') || pub.startsWith('-//w3c//dtd html 4.01 transitional//'))) quirks = true;
  }

  // ---- the adoption agency algorithm (§13.2.6.4.7)
  const seg: number[] = [];
  function adoptionAgency(subject: number): void {
    const cur = current();
    if (isHtmlTag(cur, subject) && !lafe[cur]) { pop(); return; }
    for (let outer = 0; outer < 8; outer++) {
      let fi = -1;
      for (let k = afeLen - 1; k >= 0; k--) {
        const e = afe[k];
        if (e === MARKER) break;
        if (ltag[e] === subject) { fi = k; break; }
      }
      if (fi < 0) { anyOtherEndTag(subject); return; }
      const fe = afe[fi];
      const fePos = lpos[fe];
      if (fePos < 0) { afeRemoveAt(fi); return; }
      if (fePos < nbDefault[sp - 1]) return; // not in scope
      if (sp - fePos > ADOPTION_DEPTH) return; // bounded (see the header)
      let fbPos = -1;
      for (let k = fePos + 1; k < sp; k++) if (lmask[stk[k]] & M_SPECIAL) { fbPos = k; break; }
      if (fbPos < 0) {
        popUntilSlot(fePos);
        afeRemoveAt(afeIndexOf(fe));
        return;
      }
      const fb = stk[fbPos];
      const commonAncestor = stk[fePos - 1];
      let bookmark = fi;
      // the stack from fePos up, as a copy the inner loop edits; written back at the end
      seg.length = 0;
      for (let k = fePos; k < sp; k++) seg.push(stk[k]);
      const fbIdx = fbPos - fePos;
      let nodeIdx = fbIdx;
      let lastNode = fb;
      for (let inner = 1; ; inner++) {
        nodeIdx--;
        while (seg[nodeIdx] === -1) nodeIdx--;
        let node = seg[nodeIdx];
        if (node === fe) break;
        let ai = afeIndexOf(node);
        if (inner > 3 && ai >= 0) {
          afeRemoveAt(ai);
          if (ai < bookmark) bookmark--;
          ai = -1;
        }
        if (ai < 0) { seg[nodeIdx] = -1; continue; }
        const clone = cloneElement(node);
        afe[ai] = clone; lafe[node] = 0; lafe[clone] = 1;
        seg[nodeIdx] = clone;
        node = clone;
        if (lastNode === fb) bookmark = ai + 1;
        detach(lastNode);
        append(node, lastNode);
        lastNode = node;
      }
      detach(lastNode);
      insertAtPlace(lastNode, commonAncestor);
      const ne = cloneElement(fe);
      moveChildren(fb, ne);
      append(fb, ne);
      afeInsertAt(bookmark, ne);
      afeRemoveAt(afeIndexOf(fe));
      popUntilSlot(fePos);
      for (let k = 0; k < seg.length; k++) {
        const node = seg[k];
        if (node === -1 || node === fe) continue;
        push(node);
        if (node === fb) push(ne);
      }
    }
  }
  function anyOtherEndTag(t: number): void {
    const k = topIdx[t];
    if (k < 0 || k < nbSpecial[sp - 1]) return;
    generateImpliedEndTags(t);
    popUntilSlot(k);
  }

  // ---- insertion modes

  function inHeadNoscriptOrHead(type: number): boolean {
    // "in head" rules for a token (returns false when it falls to "anything else")
    const t = tok.tag;
    if (type === START) {
      if (t === t_html) { inBody(type); return true; }
      if (t === id('base') || t === id('basefont') || t === id('bgsound') || t === id('link') || t === id('meta')) {
        insertHtml(t); pop(); return true;
      }
      if (t === t_title) { genericText(RCDATA); return true; }
      if (t === t_noscript) { insertHtml(t); mode = IN_HEAD_NOSCRIPT; return true; } // scripting off
      if (t === t_noframes || t === t_style) { genericText(RAWTEXT); return true; }
      if (t === t_script) { genericText(SCRIPT_DATA); return true; }
      if (t === t_template) {
        insertHtml(t);
        afePushMarker();
        framesetOk = false;
        mode = IN_TEMPLATE;
        tmodes.push(IN_TEMPLATE);
        return true;
      }
      if (t === t_head) return true; // ignored
      return false;
    }
    if (type === END) {
      if (t === t_template) {
        if (topIdx[t_template] < 0) return true;
        generateAllImpliedEndTags();
        popUntilTag(t_template);
        afeClearToMarker();
        tmodes.pop();
        resetInsertionMode();
        return true;
      }
      return false;
    }
    return false;
  }

  function inHead(type: number): void {
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k > tok.s) insertText(tok.s, k, false);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    else if (type === DOCTYPE_TOKEN) return;
    else if (type === START) {
      if (inHeadNoscriptOrHead(type)) return;
    } else if (type === END) {
      const t = tok.tag;
      if (t === t_head) { pop(); mode = AFTER_HEAD; return; }
      if (inHeadNoscriptOrHead(type)) return;
      if (t !== t_body && t !== t_html && t !== t_br) return;
    }
    pop(); // the head
    mode = AFTER_HEAD;
    afterHead(type);
  }

  function inHeadNoscript(type: number): void {
    const t = tok.tag;
    if (type === DOCTYPE_TOKEN) return;
    if (type === START && t === t_html) { inBody(type); return; }
    if (type === END && t === t_noscript) { pop(); mode = IN_HEAD; return; }
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k > tok.s) insertText(tok.s, k, false);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    else if (type === START) {
      if (t === id('basefont') || t === id('bgsound') || t === id('link') || t === id('meta') || t === t_noframes || t === t_style) { inHead(type); return; }
      if (t === t_head || t === t_noscript) return;
    } else if (type === END) {
      if (t !== t_br) return;
    }
    pop(); // the noscript
    mode = IN_HEAD;
    inHead(type);
  }

  function afterHead(type: number): void {
    const t = tok.tag;
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k > tok.s) insertText(tok.s, k, false);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    else if (type === DOCTYPE_TOKEN) return;
    else if (type === START) {
      if (t === t_html) { inBody(type); return; }
      if (t === t_body) { insertHtml(t); framesetOk = false; mode = IN_BODY; return; }
      if (t === t_frameset) { insertHtml(t); mode = IN_FRAMESET; return; }
      if (IN_HEAD_START[t]) {
        const head = headEl;
        push(head);
        inHead(type);
        removeFromStack(head);
        return;
      }
      if (t === t_head) return;
    } else if (type === END) {
      if (t === t_template) { inHead(type); return; }
      if (t !== t_body && t !== t_html && t !== t_br) return;
    }
    insertHtml(t_body, false);
    mode = IN_BODY;
    inBody(type);
  }

  function hasNonSpace(s: number, e: number): boolean {
    for (let k = s; k < e; k++) if (!isSpace(src.charCodeAt(k))) return true;
    return false;
  }

  function bodyText(s: number, e: number, raw: boolean): void {
    reconstructFormatting();
    insertText(s, e, raw);
    if (framesetOk && hasNonSpace(s, e)) framesetOk = false;
  }

  function inBody(type: number): void {
    if (type === CHARS) { bodyText(tok.s, tok.e, tok.raw); return; }
    if (type === START) { inBodyStart(tok.tag); return; }
    if (type === END) { inBodyEnd(tok.tag); return; }
    if (type === NUL) return;
    if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    if (type === EOF) { if (tmodes.length > 0) inTemplate(type); return; }
  }

  function inBodyStart(t: number): void {
    switch (START_GROUP[t]) {
      case S_OTHER:
        reconstructFormatting();
        insertHtml(t);
        return;
      case S_HTML:
        if (topIdx[t_template] >= 0) return;
        mergeAttributes(stk[0]);
        return;
      case S_HEAD_RULES:
        inHeadNoscriptOrHead(START);
        return;
      case S_BODY:
        if (sp < 2 || !isHtmlTag(stk[1], t_body) || topIdx[t_template] >= 0) return;
        framesetOk = false;
        mergeAttributes(stk[1]);
        return;
      case S_FRAMESET:
        if (sp < 2 || !isHtmlTag(stk[1], t_body) || !framesetOk) return;
        detach(stk[1]);
        popUntilSlot(1);
        insertHtml(t);
        mode = IN_FRAMESET;
        return;
      case S_BLOCK:
        if (inButtonScope(t_p)) closeP();
        insertHtml(t);
        return;
      case S_HEADING: {
        if (inButtonScope(t_p)) closeP();
        const c = current();
        if (START_GROUP[ltag[c]] === S_HEADING && isHtml(c)) pop();
        insertHtml(t);
        return;
      }
      case S_PRE:
        if (inButtonScope(t_p)) closeP();
        insertHtml(t);
        skipNewline = true;
        framesetOk = false;
        return;
      case S_FORM:
        if (formEl >= 0 && topIdx[t_template] < 0) return;
        if (inButtonScope(t_p)) closeP();
        {
          const f = insertHtml(t);
          if (topIdx[t_template] < 0) formEl = f;
        }
        return;
      case S_LI:
        framesetOk = false;
        if (topIdx[t_li] >= 0 && topIdx[t_li] >= nbSpecialLi[sp - 1]) {
          generateImpliedEndTags(t_li);
          popUntilTag(t_li);
        }
        if (inButtonScope(t_p)) closeP();
        insertHtml(t);
        return;
      case S_DDDT: {
        framesetOk = false;
        const k = Math.max(topIdx[t_dd], topIdx[t_dt]);
        if (k >= 0 && k >= nbSpecialLi[sp - 1]) {
          const tt = ltag[stk[k]];
          generateImpliedEndTags(tt);
          popUntilSlot(k);
        }
        if (inButtonScope(t_p)) closeP();
        insertHtml(t);
        return;
      }
      case S_PLAINTEXT:
        if (inButtonScope(t_p)) closeP();
        insertHtml(t);
        tok.state = PLAINTEXT;
        return;
      case S_BUTTON:
        if (inScope(t_button)) {
          generateImpliedEndTags(-1);
          popUntilTag(t_button);
        }
        reconstructFormatting();
        insertHtml(t);
        framesetOk = false;
        return;
      case S_A: {
        for (let k = afeLen - 1; k >= 0; k--) {
          const e = afe[k];
          if (e === MARKER) break;
          if (ltag[e] === t_a) {
            adoptionAgency(t_a);
            const q = afeIndexOf(e);
            if (q >= 0) afeRemoveAt(q);
            if (lpos[e] >= 0) removeFromStack(e);
            break;
          }
        }
        reconstructFormatting();
        afePush(insertHtml(t));
        return;
      }
      case S_FORMATTING:
        reconstructFormatting();
        afePush(insertHtml(t));
        return;
      case S_NOBR:
        reconstructFormatting();
        if (inScope(t_nobr)) {
          adoptionAgency(t_nobr);
          reconstructFormatting();
        }
        afePush(insertHtml(t));
        return;
      case S_APPLET:
        reconstructFormatting();
        insertHtml(t);
        afePushMarker();
        framesetOk = false;
        return;
      case S_TABLE:
        if (!quirks && inButtonScope(t_p)) closeP();
        insertHtml(t);
        framesetOk = false;
        mode = IN_TABLE;
        return;
      case S_VOID:
        reconstructFormatting();
        insertHtml(t);
        pop();
        framesetOk = false;
        return;
      case S_INPUT: {
        if (inScope(t_select)) popUntilTag(t_select); // an <input> is not select content
        reconstructFormatting();
        const type = attrValue('type');
        insertHtml(t);
        pop();
        if (type === undefined || type.toLowerCase() !== 'hidden') framesetOk = false;
        return;
      }
      case S_PARAM:
        insertHtml(t);
        pop();
        return;
      case S_HR:
        if (inButtonScope(t_p)) closeP();
        if (inScope(t_select)) generateImpliedEndTags(-1);
        insertHtml(t);
        pop();
        framesetOk = false;
        return;
      case S_IMAGE:
        tok.tag = t_img;
        inBodyStart(t_img);
        return;
      case S_TEXTAREA:
        insertHtml(t);
        skipNewline = true;
        tok.state = RCDATA;
        tok.rawName = 'textarea';
        origMode = mode;
        framesetOk = false;
        mode = TEXT_MODE;
        return;
      case S_XMP:
        if (inButtonScope(t_p)) closeP();
        reconstructFormatting();
        framesetOk = false;
        genericText(RAWTEXT);
        return;
      case S_IFRAME:
        framesetOk = false;
        genericText(RAWTEXT);
        return;
      case S_NOEMBED:
        genericText(RAWTEXT);
        return;
      case S_SELECT:
        // customizable <select> (whatwg/html #10548): its content is parsed in body; a nested
        // <select> closes the open one
        if (inScope(t_select)) { popUntilTag(t_select); return; }
        reconstructFormatting();
        insertHtml(t);
        framesetOk = false;
        return;
      case S_OPTION:
        if (inScope(t_select)) generateImpliedEndTags(t === t_option ? t_optgroup : -1);
        else if (isHtmlTag(current(), t_option)) pop();
        reconstructFormatting();
        insertHtml(t);
        return;
      case S_RB:
        if (inScope(t_ruby)) generateImpliedEndTags(-1);
        insertHtml(t);
        return;
      case S_RP:
        if (inScope(t_ruby)) generateImpliedEndTags(t_rtc);
        insertHtml(t);
        return;
      case S_MATH:
        reconstructFormatting();
        insertForeign(t, NS_MATHML);
        if (tok.selfClosing) pop();
        return;
      case S_SVG:
        reconstructFormatting();
        insertForeign(t, NS_SVG);
        if (tok.selfClosing) pop();
        return;
      case S_IGNORE:
        return;
    }
  }

  function inBodyEnd(t: number): void {
    switch (END_GROUP[t]) {
      case E_OTHER:
        anyOtherEndTag(t);
        return;
      case E_TEMPLATE:
        inHeadNoscriptOrHead(END);
        return;
      case E_BODY:
        if (!inScope(t_body)) return;
        mode = AFTER_BODY;
        return;
      case E_HTML:
        if (!inScope(t_body)) return;
        mode = AFTER_BODY;
        afterBody(END);
        return;
      case E_BLOCK:
        if (!inScope(t)) return;
        generateImpliedEndTags(-1);
        popUntilTag(t);
        return;
      case E_FORM:
        if (topIdx[t_template] < 0) {
          const node = formEl;
          formEl = -1;
          if (node < 0 || !nodeInScope(node)) return;
          generateImpliedEndTags(-1);
          removeFromStack(node);
        } else {
          if (!inScope(t_form)) return;
          generateImpliedEndTags(-1);
          popUntilTag(t_form);
        }
        return;
      case E_P:
        if (!inButtonScope(t_p)) insertHtml(t_p, false);
        closeP();
        return;
      case E_LI:
        if (!inListScope(t_li)) return;
        generateImpliedEndTags(t_li);
        popUntilTag(t_li);
        return;
      case E_DDDT:
        if (!inScope(t)) return;
        generateImpliedEndTags(t);
        popUntilTag(t);
        return;
      case E_HEADING: {
        const k = headingTop();
        if (k < 0 || k < nbDefault[sp - 1]) return;
        generateImpliedEndTags(-1);
        popUntilSlot(headingTop());
        return;
      }
      case E_FORMATTING:
        adoptionAgency(t);
        return;
      case E_APPLET:
        if (!inScope(t)) return;
        generateImpliedEndTags(-1);
        popUntilTag(t);
        afeClearToMarker();
        return;
      case E_SELECT:
        if (inScope(t_select)) popUntilTag(t_select);
        return;
      case E_BR:
        // "</br>" is a <br> without attributes
        tok.attrCount = 0;
        reconstructFormatting();
        insertHtml(t_br, false);
        pop();
        framesetOk = false;
        return;
    }
  }

  function inTable(type: number): void {
    const t = tok.tag;
    if (type === CHARS || type === NUL) {
      const c = current();
      if (TABLE_FOSTER[ltag[c]] && isHtml(c) || isHtmlTag(c, t_template)) {
        pendLen = 0;
        pendNonSpace = false;
        origMode = mode;
        mode = IN_TABLE_TEXT;
        inTableText(type);
        return;
      }
    } else if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    else if (type === DOCTYPE_TOKEN) return;
    else if (type === START) {
      if (t === t_caption) { clearStackTo(tableContext); afePushMarker(); insertHtml(t); mode = IN_CAPTION; return; }
      if (t === t_colgroup) { clearStackTo(tableContext); insertHtml(t); mode = IN_COLUMN_GROUP; return; }
      if (t === t_col) { clearStackTo(tableContext); insertHtml(t_colgroup, false); mode = IN_COLUMN_GROUP; inColumnGroup(type); return; }
      if (t === t_tbody || t === t_tfoot || t === t_thead) { clearStackTo(tableContext); insertHtml(t); mode = IN_TABLE_BODY; return; }
      if (t === t_td || t === t_th || t === t_tr) { clearStackTo(tableContext); insertHtml(t_tbody, false); mode = IN_TABLE_BODY; inTableBody(type); return; }
      if (t === t_table) {
        if (!inTableScope(t_table)) return;
        popUntilTag(t_table);
        resetInsertionMode();
        processToken(type);
        return;
      }
      if (t === t_style || t === t_script || t === t_template) { inHead(type); return; }
      if (t === t_input) {
        const v = attrValue('type');
        if (v !== undefined && v.toLowerCase() === 'hidden') { insertHtml(t); pop(); return; }
      }
      if (t === t_form) {
        if (topIdx[t_template] >= 0 || formEl >= 0) return;
        formEl = insertHtml(t);
        pop();
        return;
      }
    } else if (type === END) {
      if (t === t_table) {
        if (!inTableScope(t_table)) return;
        popUntilTag(t_table);
        resetInsertionMode();
        return;
      }
      if (TABLE_END_IGNORED[t]) return;
      if (t === t_template) { inHead(type); return; }
    } else if (type === EOF) { inBody(type); return; }
    // anything else: foster parenting
    fosterParenting = true;
    inBody(type);
    fosterParenting = false;
  }

  function inTableText(type: number): void {
    if (type === NUL) return;
    if (type === CHARS) {
      if (pendLen + 2 > pend.length) pend = grow(pend, pend.length * 2);
      pend[pendLen++] = tok.s; pend[pendLen++] = tok.e;
      if (!pendNonSpace && hasNonSpace(tok.s, tok.e)) pendNonSpace = true;
      return;
    }
    if (pendNonSpace) {
      // non-whitespace text in a table goes before it (foster parenting, "anything else" of in table)
      fosterParenting = true;
      for (let k = 0; k < pendLen; k += 2) bodyText(pend[k], pend[k + 1], false);
      fosterParenting = false;
    } else {
      for (let k = 0; k < pendLen; k += 2) insertText(pend[k], pend[k + 1], false);
    }
    pendLen = 0;
    mode = origMode;
    processToken(type);
  }

  function closeCaption(): boolean {
    if (!inTableScope(t_caption)) return false;
    generateImpliedEndTags(-1);
    popUntilTag(t_caption);
    afeClearToMarker();
    mode = IN_TABLE;
    return true;
  }
  function inCaption(type: number): void {
    const t = tok.tag;
    if (type === END && t === t_caption) { closeCaption(); return; }
    if ((type === START && CAPTION_CLOSERS[t]) || (type === END && t === t_table)) {
      if (closeCaption()) processToken(type);
      return;
    }
    if (type === END && CAPTION_END_IGNORED[t]) return;
    inBody(type);
  }

  function inColumnGroup(type: number): void {
    const t = tok.tag;
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k > tok.s) insertText(tok.s, k, false);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    else if (type === DOCTYPE_TOKEN) return;
    else if (type === START) {
      if (t === t_html) { inBody(type); return; }
      if (t === t_col) { insertHtml(t); pop(); return; }
      if (t === t_template) { inHead(type); return; }
    } else if (type === END) {
      if (t === t_colgroup) {
        if (!isHtmlTag(current(), t_colgroup)) return;
        pop(); mode = IN_TABLE; return;
      }
      if (t === t_col) return;
      if (t === t_template) { inHead(type); return; }
    } else if (type === EOF) { inBody(type); return; }
    if (!isHtmlTag(current(), t_colgroup)) return;
    pop();
    mode = IN_TABLE;
    processToken(type);
  }

  function inTableBody(type: number): void {
    const t = tok.tag;
    if (type === START) {
      if (t === t_tr) { clearStackTo(tableBodyContext); insertHtml(t); mode = IN_ROW; return; }
      if (t === t_th || t === t_td) { clearStackTo(tableBodyContext); insertHtml(t_tr, false); mode = IN_ROW; inRow(type); return; }
      if (TBODY_CLOSERS[t]) {
        if (!inTableScope(t_tbody) && !inTableScope(t_thead) && !inTableScope(t_tfoot)) return;
        clearStackTo(tableBodyContext); pop(); mode = IN_TABLE; processToken(type); return;
      }
    } else if (type === END) {
      if (t === t_tbody || t === t_tfoot || t === t_thead) {
        if (!inTableScope(t)) return;
        clearStackTo(tableBodyContext); pop(); mode = IN_TABLE; return;
      }
      if (t === t_table) {
        if (!inTableScope(t_tbody) && !inTableScope(t_thead) && !inTableScope(t_tfoot)) return;
        clearStackTo(tableBodyContext); pop(); mode = IN_TABLE; processToken(type); return;
      }
      if (TBODY_END_IGNORED[t]) return;
    }
    inTable(type);
  }

  function inRow(type: number): void {
    const t = tok.tag;
    if (type === START) {
      if (t === t_th || t === t_td) { clearStackTo(rowContext); insertHtml(t); mode = IN_CELL; afePushMarker(); return; }
      if (ROW_CLOSERS[t]) {
        if (!inTableScope(t_tr)) return;
        clearStackTo(rowContext); pop(); mode = IN_TABLE_BODY; processToken(type); return;
      }
    } else if (type === END) {
      if (t === t_tr) {
        if (!inTableScope(t_tr)) return;
        clearStackTo(rowContext); pop(); mode = IN_TABLE_BODY; return;
      }
      if (t === t_table) {
        if (!inTableScope(t_tr)) return;
        clearStackTo(rowContext); pop(); mode = IN_TABLE_BODY; processToken(type); return;
      }
      if (t === t_tbody || t === t_tfoot || t === t_thead) {
        if (!inTableScope(t) || !inTableScope(t_tr)) return;
        clearStackTo(rowContext); pop(); mode = IN_TABLE_BODY; processToken(type); return;
      }
      if (ROW_END_IGNORED[t]) return;
    }
    inTable(type);
  }

  function closeCell(): void {
    generateImpliedEndTags(-1);
    popUntilSlot(Math.max(topIdx[t_td], topIdx[t_th]));
    afeClearToMarker();
    mode = IN_ROW;
  }
  function inCell(type: number): void {
    const t = tok.tag;
    if (type === END) {
      if (t === t_td || t === t_th) {
        if (!inTableScope(t)) return;
        generateImpliedEndTags(-1);
        popUntilTag(t);
        afeClearToMarker();
        mode = IN_ROW;
        return;
      }
      if (CELL_END_IGNORED[t]) return;
      if (CELL_END_CLOSERS[t]) {
        if (!inTableScope(t)) return;
        closeCell();
        processToken(type);
        return;
      }
    } else if (type === START && CELL_CLOSERS[t]) {
      if (!inTableScope(t_td) && !inTableScope(t_th)) return;
      closeCell();
      processToken(type);
      return;
    }
    inBody(type);
  }

  function switchTemplateMode(m: number, type: number): void {
    tmodes.pop();
    tmodes.push(m);
    mode = m;
    processToken(type);
  }
  function inTemplate(type: number): void {
    const t = tok.tag;
    if (type === CHARS || type === NUL || type === COMMENT_TOKEN || type === DOCTYPE_TOKEN) { inBody(type); return; }
    if (type === START) {
      if (IN_HEAD_START[t]) { inHead(type); return; }
      if (t === t_caption || t === t_colgroup || t === t_tbody || t === t_tfoot || t === t_thead) { switchTemplateMode(IN_TABLE, type); return; }
      if (t === t_col) { switchTemplateMode(IN_COLUMN_GROUP, type); return; }
      if (t === t_tr) { switchTemplateMode(IN_TABLE_BODY, type); return; }
      if (t === t_td || t === t_th) { switchTemplateMode(IN_ROW, type); return; }
      switchTemplateMode(IN_BODY, type);
      return;
    }
    if (type === END) {
      if (t === t_template) inHead(type);
      return;
    }
    // EOF
    if (topIdx[t_template] < 0) return;
    popUntilTag(t_template);
    afeClearToMarker();
    tmodes.pop();
    resetInsertionMode();
    reprocessEof = true; // by the main loop: nested templates would make this recursion as deep as the nesting
  }

  function afterBody(type: number): void {
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k > tok.s) bodyText(tok.s, k, false);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(stk[0]); return; }
    else if (type === DOCTYPE_TOKEN) return;
    else if (type === START && tok.tag === t_html) { inBody(type); return; }
    else if (type === END && tok.tag === t_html) { mode = AFTER_AFTER_BODY; return; }
    else if (type === EOF) return;
    mode = IN_BODY;
    inBody(type);
  }

  /** In frameset / after frameset: only the whitespace of character tokens is kept. */
  function framesetSpaces(): void {
    let s = tok.s;
    const e = tok.e;
    while (s < e) {
      while (s < e && !isSpace(src.charCodeAt(s))) s++;
      const a = s;
      while (s < e && isSpace(src.charCodeAt(s))) s++;
      if (s > a) insertText(a, s, false);
    }
  }
  function inFrameset(type: number): void {
    const t = tok.tag;
    if (type === CHARS) { framesetSpaces(); return; }
    if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    if (type === START) {
      if (t === t_html) { inBody(type); return; }
      if (t === t_frameset) { insertHtml(t); return; }
      if (t === t_frame) { insertHtml(t); pop(); return; }
      if (t === t_noframes) { inHead(type); return; }
      return;
    }
    if (type === END && t === t_frameset) {
      if (isHtmlTag(current(), t_html)) return;
      pop();
      if (!isHtmlTag(current(), t_frameset)) mode = AFTER_FRAMESET;
    }
  }
  function afterFrameset(type: number): void {
    const t = tok.tag;
    if (type === CHARS) { framesetSpaces(); return; }
    if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    if (type === START && t === t_html) { inBody(type); return; }
    if (type === START && t === t_noframes) { inHead(type); return; }
    if (type === END && t === t_html) { mode = AFTER_AFTER_FRAMESET; }
  }
  function afterAfterBody(type: number): void {
    if (type === COMMENT_TOKEN) { insertComment(0); return; }
    if (type === DOCTYPE_TOKEN || (type === START && tok.tag === t_html)) { inBody(type); return; }
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k > tok.s) bodyText(tok.s, k, false);
      if (k === tok.e) return;
      tok.s = k;
    }
    if (type === EOF) return;
    mode = IN_BODY;
    inBody(type);
  }
  function afterAfterFrameset(type: number): void {
    if (type === COMMENT_TOKEN) { insertComment(0); return; }
    if (type === DOCTYPE_TOKEN || (type === START && tok.tag === t_html)) { inBody(type); return; }
    if (type === CHARS) {
      let s = tok.s;
      const e = tok.e;
      while (s < e) {
        while (s < e && !isSpace(src.charCodeAt(s))) s++;
        const a = s;
        while (s < e && isSpace(src.charCodeAt(s))) s++;
        if (s > a) bodyText(a, s, false);
      }
      return;
    }
    if (type === START && tok.tag === t_noframes) inHead(type);
  }

  function initial(type: number): void {
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(0); return; }
    else if (type === DOCTYPE_TOKEN) {
      const d = tok.doctype!;
      if (full) {
        const node = newNode(DOCTYPE);
        lns[node] = 0; lmask[node] = 0; lflags[node] = 0; lafe[node] = 0;
        doctypesL.set(node, d);
        append(0, node);
      }
      setQuirksFromDoctype(d);
      mode = BEFORE_HTML;
      return;
    }
    quirks = true;
    mode = BEFORE_HTML;
    beforeHtml(type);
  }
  function beforeHtml(type: number): void {
    if (type === DOCTYPE_TOKEN) return;
    if (type === COMMENT_TOKEN) { insertComment(0); return; }
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === START && tok.tag === t_html) {
      const node = createElement(t_html, NS_HTML, true);
      append(0, node);
      push(node);
      mode = BEFORE_HEAD;
      return;
    } else if (type === END && tok.tag !== t_head && tok.tag !== t_body && tok.tag !== t_html && tok.tag !== t_br) return;
    const node = createElement(t_html, NS_HTML, false);
    append(0, node);
    push(node);
    mode = BEFORE_HEAD;
    beforeHead(type);
  }
  function beforeHead(type: number): void {
    if (type === CHARS) {
      const k = firstNonSpace(tok.s, tok.e);
      if (k === tok.e) return;
      tok.s = k;
    } else if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    else if (type === DOCTYPE_TOKEN) return;
    else if (type === START && tok.tag === t_html) { inBody(type); return; }
    else if (type === START && tok.tag === t_head) { headEl = insertHtml(t_head); mode = IN_HEAD; return; }
    else if (type === END && tok.tag !== t_head && tok.tag !== t_body && tok.tag !== t_html && tok.tag !== t_br) return;
    headEl = insertHtml(t_head, false);
    mode = IN_HEAD;
    inHead(type);
  }

  function textMode(type: number): void {
    if (type === CHARS) { insertText(tok.s, tok.e, tok.raw); return; }
    if (type === EOF) {
      pop();
      mode = origMode;
      tok.state = DATA;
      processToken(type);
      return;
    }
    if (type === END) {
      pop();
      mode = origMode;
      tok.state = DATA;
    }
  }

  /** Foreign content (§13.2.6.5). */
  function inForeign(type: number): void {
    if (type === CHARS) {
      insertText(tok.s, tok.e, tok.raw);
      if (framesetOk && hasNonSpace(tok.s, tok.e)) framesetOk = false;
      return;
    }
    if (type === NUL) { insertText(tok.s, tok.e, true); return; } // serialized as U+FFFD
    if (type === COMMENT_TOKEN) { insertComment(-1); return; }
    if (type === DOCTYPE_TOKEN) return;
    const t = tok.tag;
    if ((type === START && (FOREIGN_BREAKOUT[t] || (t === t_font && (attrValue('color') !== undefined || attrValue('face') !== undefined || attrValue('size') !== undefined))))
      || (type === END && (t === t_br || t === t_p))) {
      while (sp > 0) {
        const c = current();
        if ((lns[c] & 3) === NS_HTML || (lns[c] & (MATHML_TIP | HTML_IP))) break;
        pop();
      }
      processByMode(type);
      return;
    }
    if (type === START) {
      const ns = lns[current()] & 3;
      insertForeign(t, ns);
      if (tok.selfClosing) pop();
      return;
    }
    // end tags
    let k = sp - 1;
    const stopAt = Math.max(0, sp - FOREIGN_END_SEARCH);
    for (; k > 0 && k >= stopAt; k--) {
      const node = stk[k];
      if (ltag[node] === t) { popUntilSlot(k); return; }
      if ((lns[stk[k - 1]] & 3) === NS_HTML) { processByMode(type); return; }
    }
  }

  function processByMode(type: number): void {
    switch (mode) {
      case INITIAL: initial(type); return;
      case BEFORE_HTML: beforeHtml(type); return;
      case BEFORE_HEAD: beforeHead(type); return;
      case IN_HEAD: inHead(type); return;
      case IN_HEAD_NOSCRIPT: inHeadNoscript(type); return;
      case AFTER_HEAD: afterHead(type); return;
      case IN_BODY: inBody(type); return;
      case TEXT_MODE: textMode(type); return;
      case IN_TABLE: inTable(type); return;
      case IN_TABLE_TEXT: inTableText(type); return;
      case IN_CAPTION: inCaption(type); return;
      case IN_COLUMN_GROUP: inColumnGroup(type); return;
      case IN_TABLE_BODY: inTableBody(type); return;
      case IN_ROW: inRow(type); return;
      case IN_CELL: inCell(type); return;
      case IN_TEMPLATE: inTemplate(type); return;
      case AFTER_BODY: afterBody(type); return;
      case IN_FRAMESET: inFrameset(type); return;
      case AFTER_FRAMESET: afterFrameset(type); return;
      case AFTER_AFTER_BODY: afterAfterBody(type); return;
      case AFTER_AFTER_FRAMESET: afterAfterFrameset(type); return;
    }
  }

  /** The tree construction dispatcher (§13.2.6). */
  function processToken(type: number): void {
    if (sp === 0 || type === EOF) { processByMode(type); return; }
    const acn = stk[sp - 1];
    const bits = lns[acn];
    if ((bits & 3) === NS_HTML) { processByMode(type); return; }
    if (bits & MATHML_TIP) {
      if ((type === START && tok.tag !== t_mglyph && tok.tag !== t_malignmark) || type === CHARS || type === NUL) { processByMode(type); return; }
    }
    if ((bits & 3) === NS_MATHML && ltag[acn] === t_annotationXml && type === START && tok.tag === t_svg) { processByMode(type); return; }
    if ((bits & HTML_IP) && (type === START || type === CHARS || type === NUL)) { processByMode(type); return; }
    inForeign(type);
  }

  // ---- the main loop
  try {
    for (;;) {
      tok.foreign = sp > 0 && (lns[stk[sp - 1]] & 3) !== NS_HTML;
      const type = tok.next();
      if (skipNewline) {
        skipNewline = false;
        if (type === CHARS) {
          // a newline right after <pre>, <listing>, <textarea> is not content (CRLF is one newline)
          let s = tok.s;
          if (src.charCodeAt(s) === 13) { s++; if (s < tok.e && src.charCodeAt(s) === 10) s++; }
          else if (src.charCodeAt(s) === 10) s++;
          else if (src.charCodeAt(s) === 38 && !tok.raw) s += newlineReference(src, s, tok.e);
          if (s === tok.e) continue;
          tok.s = s;
        }
      }
      processToken(type);
      if (type === EOF) {
        while (reprocessEof) { reprocessEof = false; processToken(EOF); }
        break;
      }
    }
  } catch (err) {
    if (err !== BUDGET) throw err;
  }

  return flatten();

  // ---- flatten the linked tree to pre-order
  function flatten(): HtmlTree {
    const n0 = count;
    const tag = new Int32Array(n0);
    const parent = new Int32Array(n0);
    const end = new Int32Array(n0);
    const start = new Int32Array(n0);
    const stop = new Int32Array(n0);
    const flags = new Uint8Array(n0);
    const names: (string | undefined)[] = new Array(n0);
    const newId = new Int32Array(n0);
    const imgSrc = new Map<number, string>();
    const imgAlt = new Map<number, string>();
    const titleSpan: [number, number] = [-1, -1];
    const fns = full ? new Uint8Array(n0) : undefined;
    const fname: (string | undefined)[] = full ? new Array(n0) : [];
    const fattrs: ([string, string][] | undefined)[] = full ? new Array(n0) : [];
    const doctypes = new Map<number, Doctype>();
    let k = 0;
    let titleSeen = false;
    const visit = (node: number): void => {
      const i = k++;
      newId[node] = i;
      const t = ltag[node];
      tag[i] = t;
      parent[i] = node === 0 ? -1 : newId[lpar[node]];
      start[i] = lstart[node];
      stop[i] = lstop[node];
      flags[i] = lflags[node];
      const nm = lnames[node];
      if (nm !== undefined) names[i] = nm;
      if (t === t_img) {
        const s = imgSrcL.get(node);
        if (s !== undefined) imgSrc.set(i, s);
        const a = imgAltL.get(node);
        if (a !== undefined) imgAlt.set(i, a);
      } else if (t === t_title && !titleSeen && node !== 0 && (lns[node] & 3) === NS_HTML) {
        titleSeen = true;
        const f = lfirst[node], l = llast[node];
        if (f >= 0 && ltag[f] === TEXT) { titleSpan[0] = lstart[f]; titleSpan[1] = lstop[l]; }
      }
      if (fns) {
        fns[i] = lns[node] & 3;
        fname[i] = fullName[node];
        fattrs[i] = fullAttrs[node];
        const d = doctypesL.get(node);
        if (d) doctypes.set(i, d);
      }
    };
    tag[0] = 0;
    visit(0);
    let node = 0;
    for (;;) {
      const c = lfirst[node];
      if (c >= 0) { node = c; visit(node); continue; }
      // leaf: close it and every ancestor whose last child we just left
      for (;;) {
        end[newId[node]] = k;
        if (node === 0) break;
        const next = lnext[node];
        if (next >= 0) { node = next; visit(node); break; }
        node = lpar[node];
      }
      if (node === 0) break;
    }
    tag[0] = 0;
    const out: HtmlTree = { src, n: k, tag, parent, end, start, stop, flags, names, imgSrc, imgAlt, titleSpan, truncated };
    if (fns) out.full = { ns: fns, name: fname, attrs: fattrs, doctypes };
    return out;
  }
}

/** Length of a character reference at `s` that stands for a newline (&#10; &#x0a; &NewLine;), else 0. */
function newlineReference(src: string, s: number, e: number): number {
  const m = /^&(?:#0*10;?|#[xX]0*[aA];?|NewLine;)/.exec(src.slice(s, Math.min(e, s + 16)));
  return m ? m[0].length : 0;
}

/** s lowercased; most class names already are, and toLowerCase of a slice of a two-byte page is slow. */
function lowerAscii(s: string): string {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}

function decodeAttr(v: string): string {
  return v.indexOf('&') >= 0 ? decodeHTMLAttribute(v) : v;
}

const QUIRKS_PUBLIC_PREFIXES = [
  '+//silmaril//dtd html pro v0r11 19970101//', '-//as//dtd html 3.0 aswedit + extensions//',
  '-//advasoft ltd//dtd html 3.0 aswedit + extensions//', '-//ietf//dtd html 2.0 level 1//',
  '-//ietf//dtd html 2.0 level 2//', '-//ietf//dtd html 2.0 strict level 1//',
  '-//ietf//dtd html 2.0 strict level 2//', '-//ietf//dtd html 2.0 strict//', '-//ietf//dtd html 2.0//',
  '-//ietf//dtd html 2.1e//', '-//ietf//dtd html 3.0//', '-//ietf//dtd html 3.2 final//',
  '-//ietf//dtd html 3.2//', '-//ietf//dtd html 3//', '-//ietf//dtd html level 0//',
  '-//ietf//dtd html level 1//', '-//ietf//dtd html level 2//', '-//ietf//dtd html level 3//',
  '-//ietf//dtd html strict level 0//', '-//ietf//dtd html strict level 1//',
  '-//ietf//dtd html strict level 2//', '-//ietf//dtd html strict level 3//', '-//ietf//dtd html strict//',
  '-//ietf//dtd html//', '-//metrius//dtd metrius presentational//',
  '-//microsoft//dtd internet explorer 2.0 html strict//', '-//microsoft//dtd internet explorer 2.0 html//',
  '-//microsoft//dtd internet explorer 2.0 tables//', '-//microsoft//dtd internet explorer 3.0 html strict//',
  '-//microsoft//dtd internet explorer 3.0 html//', '-//microsoft//dtd internet explorer 3.0 tables//',
  '-//netscape comm. corp.//dtd html//', '-//netscape comm. corp.//dtd strict html//',
  "-//o'reilly and associates//dtd html 2.0//", "-//o'reilly and associates//dtd html extended 1.0//",
  "-//o'reilly and associates//dtd html extended relaxed 1.0//",
  '-//sq//dtd html 2.0 hotmetal + extensions//',
  '-//softquad software//dtd hotmetal pro 6.0::19990601::extensions to html 4.0//',
  '-//softquad//dtd hotmetal pro 4.0::19971010::extensions to html 4.0//',
  '-//spyglass//dtd html 2.0 extended//', '-//sun microsystems corp.//dtd hotjava html//',
  '-//sun microsystems corp.//dtd hotjava strict html//', '-//w3c//dtd html 3 1995-03-24//',
  '-//w3c//dtd html 3.2 draft//', '-//w3c//dtd html 3.2 final//', '-//w3c//dtd html 3.2//',
  '-//w3c//dtd html 3.2s draft//', '-//w3c//dtd html 4.0 frameset//', '-//w3c//dtd html 4.0 transitional//',
  '-//w3c//dtd html experimental 19960712//', '-//w3c//dtd html experimental 970421//',
  '-//w3c//dtd w3 html//', '-//w3o//dtd w3 html 3.0//', '-//webtechs//dtd mozilla html 2.0//',
  '-//webtechs//dtd mozilla html//',
];

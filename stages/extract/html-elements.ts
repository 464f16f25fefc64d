/**
 * The element categories of the WHATWG HTML parsing algorithm (§13.2.4.2 "special", the scope
 * boundaries, the formatting elements, the start/end tag groups of "in body") as tables
 * indexed by tag id, for html-tree.ts; and quirks mode from the doctype.
 */
import { TAG_IDS, MAX_TAG_ID, type TagName } from './tags.js';
import type { Doctype } from './html-tokenizer.js';

export const id = (name: TagName): number => TAG_IDS.get(name)!;
export const ID_NAME: string[] = [];
for (const [name, i] of TAG_IDS) ID_NAME[i] = name;

export const t_html = id('html'), t_head = id('head'), t_body = id('body'), t_title = id('title');
export const t_p = id('p'), t_li = id('li'), t_dd = id('dd'), t_dt = id('dt'), t_a = id('a');
export const t_table = id('table'), t_tbody = id('tbody'), t_thead = id('thead'), t_tfoot = id('tfoot');
export const t_tr = id('tr'), t_td = id('td'), t_th = id('th'), t_caption = id('caption');
export const t_colgroup = id('colgroup'), t_col = id('col'), t_template = id('template');
export const t_select = id('select'), t_option = id('option'), t_optgroup = id('optgroup');
export const t_form = id('form'), t_button = id('button'), t_noscript = id('noscript'), t_script = id('script');
export const t_frameset = id('frameset'), t_frame = id('frame'), t_nobr = id('nobr'), t_ruby = id('ruby');
export const t_rtc = id('rtc'), t_img = id('img'), t_input = id('input');
export const t_svg = id('svg'), t_mglyph = id('mglyph'), t_malignmark = id('malignmark');
export const t_annotationXml = id('annotation-xml'), t_font = id('font'), t_br = id('br');
export const t_noframes = id('noframes'), t_style = id('style');
export const HEADINGS = [id('h1'), id('h2'), id('h3'), id('h4'), id('h5'), id('h6')];

export const TABLE_SIZE = MAX_TAG_ID + 1;
export const tagSet = (names: TagName[]): Uint8Array => {
  const s = new Uint8Array(TABLE_SIZE);
  for (const n of names) s[id(n)] = 1;
  return s;
};

// per-tag masks of HTML elements on the stack of open elements
export const M_DEFAULT = 1; // boundary of "in scope"
export const M_LIST = 2; // ... of "in list item scope"
export const M_BUTTON = 4; // ... of "in button scope"
export const M_TABLE = 8; // ... of "in table scope" (html, table, template)
export const M_SPECIAL = 32; // the "special" category
export const M_SPECIAL_LI = 64; // special but not address, div, p (where <li>/<dd>/<dt> stop looking)
export const M_RESET = 128; // elements "reset the insertion mode appropriately" stops at
export const M_IMPLIED = 256; // "generate implied end tags" pops these
export const M_IMPLIED_ALL = 512; // ... and, thoroughly, these too

/** (Without select: since customizable <select>, html5lib-tests expect `</b>` to close a <select> opened inside <b>.) */
export const SPECIAL: TagName[] = ['address', 'applet', 'area', 'article', 'aside', 'base', 'basefont',
  'bgsound', 'blockquote', 'body', 'br', 'button', 'caption', 'center', 'col', 'colgroup', 'dd',
  'details', 'dir', 'div', 'dl', 'dt', 'embed', 'fieldset', 'figcaption', 'figure', 'footer',
  'form', 'frame', 'frameset', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'header', 'hgroup',
  'hr', 'html', 'iframe', 'img', 'input', 'keygen', 'li', 'link', 'listing', 'main', 'marquee',
  'menu', 'meta', 'nav', 'noembed', 'noframes', 'noscript', 'object', 'ol', 'p', 'param',
  'plaintext', 'pre', 'script', 'search', 'section', 'source', 'style', 'summary',
  'table', 'tbody', 'td', 'template', 'textarea', 'tfoot', 'th', 'thead', 'title', 'tr', 'track',
  'ul', 'wbr', 'xmp'];
export const HMASK = new Uint16Array(TABLE_SIZE);
export const mark = (m: number, names: TagName[]): void => { for (const n of names) HMASK[id(n)] |= m; };
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
export const FOREIGN_BOUNDARY = M_DEFAULT | M_LIST | M_BUTTON | M_SPECIAL | M_SPECIAL_LI;
export const MATHML_TEXT_IP = tagSet(['mi', 'mo', 'mn', 'ms', 'mtext']);
export const SVG_HTML_IP = tagSet(['foreignobject', 'desc', 'title']);

export const TABLE_FOSTER = tagSet(['table', 'tbody', 'tfoot', 'thead', 'tr']);
export const HEAD_VOID = tagSet(['base', 'basefont', 'bgsound', 'link', 'meta']);
export const t_base = id('base');
export const IN_HEAD_START = tagSet(['base', 'basefont', 'bgsound', 'link', 'meta', 'noframes', 'script', 'style', 'template', 'title']);
/** Start tags that leave foreign content (§13.2.6.5). */
export const FOREIGN_BREAKOUT = tagSet(['b', 'big', 'blockquote', 'body', 'br', 'center', 'code', 'dd', 'div',
  'dl', 'dt', 'em', 'embed', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'hr', 'i', 'img', 'li',
  'listing', 'menu', 'meta', 'nobr', 'ol', 'p', 'pre', 'ruby', 's', 'small', 'span', 'strong',
  'strike', 'sub', 'sup', 'table', 'tt', 'u', 'ul', 'var']);

// in body start tag groups (a jump table instead of a chain of compares)
export const S_OTHER = 0, S_HTML = 1, S_HEAD_RULES = 2, S_BODY = 3, S_FRAMESET = 4, S_BLOCK = 5,
  S_HEADING = 6, S_PRE = 7, S_FORM = 8, S_LI = 9, S_DDDT = 10, S_PLAINTEXT = 11, S_BUTTON = 12,
  S_A = 13, S_FORMATTING = 14, S_NOBR = 15, S_APPLET = 16, S_TABLE = 17, S_VOID = 18, S_INPUT = 19,
  S_PARAM = 20, S_HR = 21, S_IMAGE = 22, S_TEXTAREA = 23, S_XMP = 24, S_IFRAME = 25,
  S_NOEMBED = 26, S_SELECT = 27, S_OPTION = 28, S_RB = 29, S_RP = 30, S_MATH = 31, S_SVG = 32,
  S_IGNORE = 33;
export const START_GROUP = new Uint8Array(TABLE_SIZE);
export const group = (table: Uint8Array, g: number, names: TagName[]): void => { for (const n of names) table[id(n)] = g; };
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

export const E_OTHER = 0, E_TEMPLATE = 1, E_BODY = 2, E_HTML = 3, E_BLOCK = 4, E_FORM = 5, E_P = 6,
  E_LI = 7, E_DDDT = 8, E_HEADING = 9, E_FORMATTING = 10, E_APPLET = 11, E_BR = 12, E_SELECT = 13;
export const END_GROUP = new Uint8Array(TABLE_SIZE);
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

export const TABLE_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
export const CAPTION_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
export const CAPTION_END_IGNORED = tagSet(['body', 'col', 'colgroup', 'html', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
export const TBODY_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'tfoot', 'thead']);
export const TBODY_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html', 'td', 'th', 'tr']);
export const ROW_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'tfoot', 'thead', 'tr']);
export const ROW_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html', 'td', 'th']);
export const CELL_CLOSERS = tagSet(['caption', 'col', 'colgroup', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr']);
export const CELL_END_IGNORED = tagSet(['body', 'caption', 'col', 'colgroup', 'html']);
export const CELL_END_CLOSERS = tagSet(['table', 'tbody', 'tfoot', 'thead', 'tr']);

/** Quirks mode from the doctype (§13.2.6.4.1); limited quirks changes nothing that shapes the tree. */
export function isQuirksDoctype(d: Doctype): boolean {
  if (d.forceQuirks || d.name !== 'html') return true;
  const pub = d.publicId?.toLowerCase();
  const sys = d.systemId?.toLowerCase();
  if (sys === 'http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd') return true;
  if (pub === undefined) return false;
  if (pub === '-//w3o//dtd w3 html strict 3.0//en//' || pub === '-/w3c/dtd html 4.0 transitional/en' || pub === 'html') return true;
  for (const p of QUIRKS_PUBLIC_PREFIXES) if (pub.startsWith(p)) return true;
  return sys === undefined && (pub.startsWith('-//w3c//dtd html 4.01 frameset//') || pub.startsWith('-//w3c//dtd html 4.01 transitional//'));
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

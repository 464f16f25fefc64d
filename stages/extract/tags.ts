/**
 * Tag ids and what each tag means to the extractor. Known tags get small integer ids so the
 * tree stores an Int32 per node and every rule below is a table look-up, not a string compare.
 * Tags not listed get per-document ids above `FIRST_DYNAMIC_TAG` and behave as inline elements.
 */

export const TEXT = 1;

const NAMES = [
  // structure
  'html', 'head', 'body', 'title', 'meta', 'link', 'base',
  // sectioning / blocks
  'article', 'main', 'section', 'div', 'p', 'blockquote', 'pre', 'address', 'center',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hgroup', 'hr', 'br', 'wbr',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'menu', 'dir',
  'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'colgroup', 'col',
  'figure', 'figcaption', 'details', 'summary', 'fieldset', 'legend',
  'nav', 'aside', 'header', 'footer', 'form', 'dialog', 'search',
  // inline
  'a', 'span', 'b', 'i', 'em', 'strong', 'u', 's', 'small', 'big', 'sub', 'sup', 'code', 'kbd',
  'samp', 'var', 'q', 'cite', 'abbr', 'time', 'mark', 'font', 'label', 'tt', 'del', 'ins',
  'img', 'picture', 'source', 'area', 'map',
  // never text of a page
  'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'applet',
  'canvas', 'video', 'audio', 'track', 'param', 'button', 'select', 'option', 'optgroup',
  'input', 'textarea', 'datalist', 'output', 'progress', 'meter', 'frameset', 'frame',
  'noembed', 'noframes', 'xmp', 'plaintext', 'keygen',
  // known to the tree builder (html-tree.ts): the HTML5 parsing algorithm names them
  'basefont', 'bgsound', 'listing', 'marquee', 'nobr', 'strike', 'image', 'ruby', 'rb', 'rp', 'rt',
  'rtc', 'dfn',
  // foreign content (SVG / MathML) names the algorithm treats specially
  'foreignobject', 'desc', 'mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'mglyph', 'malignmark',
] as const;

export type TagName = (typeof NAMES)[number];

/** name -> id (ids start at 2; 0 = none, 1 = text node). */
export const TAG_IDS: ReadonlyMap<string, number> = new Map(NAMES.map((n, i) => [n, i + 2]));
export const FIRST_DYNAMIC_TAG = NAMES.length + 2;
/** Per-document dynamic tag ids are capped; the rest share the last id. */
export const MAX_TAG_ID = FIRST_DYNAMIC_TAG + 2048;
/** Node kinds that are not elements (ids above every element id). */
export const COMMENT = MAX_TAG_ID + 1;
export const DOCTYPE = MAX_TAG_ID + 2;
/** The document fragment holding a <template>'s contents (its only child). */
export const TEMPLATE_CONTENT = MAX_TAG_ID + 3;

export function tagId(name: TagName): number {
  return TAG_IDS.get(name)!;
}

// Flag bits per tag id.
/** Starts and ends a line of text (a block box). */
export const BLOCK = 4;
/** Never part of the main text (scripts, styles, embedded objects, form controls). */
export const SKIP = 8;
/** A paragraph-level block whose end is a blank line in the output. */
export const PARA = 32;
/** Semantic boilerplate containers (HTML5 sectioning semantics): navigation, asides, page header/footer. */
export const BOILER_TAG = 64;
/** Headings. */
export const HEADING = 128;

export const TAG_FLAGS = new Uint8Array(TEMPLATE_CONTENT + 1);

function set(flag: number, names: readonly TagName[]): void {
  for (const n of names) TAG_FLAGS[tagId(n)] |= flag;
}

set(BLOCK, ['html', 'body', 'article', 'main', 'section', 'div', 'p', 'blockquote', 'pre',
  'address', 'center', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hgroup', 'hr', 'ul', 'ol', 'li',
  'dl', 'dt', 'dd', 'menu', 'dir', 'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'td',
  'th', 'figure', 'figcaption', 'details', 'summary', 'fieldset', 'legend', 'nav', 'aside',
  'header', 'footer', 'form', 'dialog', 'search']);
set(SKIP, ['head', 'title', 'meta', 'link', 'base', 'script', 'style', 'noscript', 'template',
  'svg', 'math', 'iframe', 'object', 'embed', 'applet', 'canvas', 'video', 'audio', 'track',
  'param', 'button', 'select', 'option', 'optgroup', 'input', 'textarea', 'datalist', 'output',
  'progress', 'meter', 'frameset', 'frame', 'noembed', 'noframes', 'xmp', 'plaintext', 'keygen',
  'dialog', 'map', 'area']);
TAG_FLAGS[COMMENT] = SKIP;
TAG_FLAGS[DOCTYPE] = SKIP;
TAG_FLAGS[TEMPLATE_CONTENT] = SKIP;
set(PARA, ['article', 'main', 'section', 'div', 'p', 'blockquote', 'pre', 'address', 'center',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hgroup', 'hr', 'ul', 'ol', 'dl', 'menu', 'dir', 'table',
  'figure', 'details', 'fieldset', 'form', 'header', 'footer', 'nav', 'aside']);
set(BOILER_TAG, ['nav', 'aside', 'header', 'footer', 'menu', 'search']);
set(HEADING, ['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

export const T = {
  html: tagId('html'), head: tagId('head'), body: tagId('body'), title: tagId('title'),
  article: tagId('article'), main: tagId('main'), section: tagId('section'), div: tagId('div'),
  p: tagId('p'), pre: tagId('pre'), blockquote: tagId('blockquote'), br: tagId('br'),
  hr: tagId('hr'), ul: tagId('ul'), ol: tagId('ol'), li: tagId('li'), dl: tagId('dl'),
  dt: tagId('dt'), dd: tagId('dd'), table: tagId('table'), tr: tagId('tr'), td: tagId('td'),
  th: tagId('th'), thead: tagId('thead'), tbody: tagId('tbody'), tfoot: tagId('tfoot'),
  caption: tagId('caption'), a: tagId('a'), img: tagId('img'), form: tagId('form'),
  option: tagId('option'), optgroup: tagId('optgroup'), button: tagId('button'),
  figure: tagId('figure'), figcaption: tagId('figcaption'), code: tagId('code'),
  script: tagId('script'), style: tagId('style'), plaintext: tagId('plaintext'),
  textarea: tagId('textarea'), header: tagId('header'), footer: tagId('footer'),
  nav: tagId('nav'), aside: tagId('aside'), h1: tagId('h1'), h6: tagId('h6'),
  template: tagId('template'), object: tagId('object'), applet: tagId('applet'),
  span: tagId('span'), input: tagId('input'), select: tagId('select'), label: tagId('label'), time: tagId('time'),
} as const;

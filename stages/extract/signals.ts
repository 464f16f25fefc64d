/**
 * The class/id/role vocabulary of boilerplate and of main content. These are the signals the
 * public extractors share (Readability.js `unlikelyCandidates`/`positive`/`negative`, the
 * boilerplate classes trafilatura prunes, boilerpipe's findings that link-dense and short
 * blocks are boilerplate), written here as two lists of words with a reason per group.
 *
 * Matched against the lowercased `class`, `id`, `role-<role>` of an element (html-tree.ts).
 */

/**
 * Boilerplate, as whole tokens (split on space, '-', '_'): matching a token, not a substring,
 * keeps "shared", "header-image-caption"... from being read as "share", "head".
 */
const BOILER_TOKENS = [
  // navigation and page chrome
  'nav', 'navbar', 'navigation', 'menu', 'menubar', 'submenu', 'breadcrumb', 'breadcrumbs',
  'crumbs', 'footer', 'masthead', 'topbar', 'toolbar', 'skip', 'skiplink', 'sitemap',
  // asides
  'sidebar', 'aside', 'sidebox',
  // comments
  'comment', 'comments', 'commentlist', 'disqus', 'respond', 'replies', 'reply',
  // sharing and social
  'share', 'sharing', 'social', 'sociallinks', 'socialmedia', 'likes', 'follow', 'addthis',
  // related / recommendation widgets
  'related', 'recommended', 'recommendations', 'recirc', 'trending', 'popular', 'outbrain',
  'taboola', 'more', 'promo', 'promos', 'teaser', 'teasers', 'cta',
  // ads
  'ad', 'ads', 'advert', 'adverts', 'advertisement', 'advertising', 'sponsor', 'sponsored',
  'dfp', 'gpt', 'adslot', 'adunit', 'banner',
  // consent, sign-up, modal layers
  'cookie', 'cookies', 'consent', 'gdpr', 'newsletter', 'subscribe', 'subscription', 'signup',
  'login', 'paywall', 'popup', 'modal', 'overlay', 'lightbox',
  // lists of pages and tags
  'pagination', 'pager', 'paging', 'tags', 'tagcloud', 'taglist', 'categories',
  // page metadata, hidden helpers
  'print', 'rss', 'visually', 'sr', 'screenreader', 'byline', 'dateline',
  'author', 'bio', 'timestamp', 'meta', 'caption', 'credit', 'credits', 'date', 'posted',
  'published', 'updated', 'submitted',
];

/**
 * Words for the small metadata blocks around an article (byline, date, tags): such a block is
 * boilerplate even when its name also has a content word ("article-tags", "entry-date"), as
 * long as it is small (the caller checks its share of the text).
 */
const LEAF = new Set(['byline', 'dateline', 'author', 'bio', 'timestamp', 'meta', 'credit',
  'credits', 'date', 'posted', 'published', 'updated', 'submitted', 'tags', 'taglist',
  'categories', 'print', 'rss']);

export function isLeafBoilerplate(word: string): boolean {
  return LEAF.has(word);
}

/** Substrings that are boilerplate wherever they appear in a class/id (camelCase ids too). */
const BOILER_SUBSTRINGS = [
  'comment', 'sidebar', 'breadcrumb', 'cookie', 'newsletter', 'disqus', 'pagination',
  'advert', 'sponsor', 'taboola', 'outbrain', 'social', 'share-', 'sharing', 'related',
  'footer', 'masthead', 'subscri', 'popup', 'consent', 'caption',
];

const ROLE_BOILER = ['navigation', 'banner', 'contentinfo', 'complementary', 'menu', 'menubar',
  'search', 'toolbar', 'dialog', 'alertdialog', 'tablist', 'form'];

/** Main-content words (Readability's `positive`, plus common CMS names). */
const CONTENT_RE = /article|body|content|entry|main|post|story|text|blog|prose|markdown|hentry/;

const boilerTokens = new Set(BOILER_TOKENS);
const boilerSubstringRe = new RegExp(BOILER_SUBSTRINGS.join('|'));
const roleRe = new RegExp(`role-(?:${ROLE_BOILER.join('|')})\\b`);
const TOKEN_SPLIT = /[\s_-]+/;
const WHITESPACE = /\s+/;

/**
 * Words that name a boilerplate block itself, never a page-wide wrapper: an element named so
 * is removed even when it holds much of the page's text (a long comment thread is still
 * comments). Other words ("sidebar", "nav", "meta") also show up on layout wrappers such as
 * "content-with-sidebar", so those elements are spared when they hold most of the text.
 */
const STRONG = new Set(['comment', 'comments', 'commentlist', 'disqus', 'respond', 'replies',
  'cookie', 'cookies', 'consent', 'gdpr', 'newsletter', 'related', 'share', 'share-', 'sharing',
  'social', 'sociallinks', 'socialmedia', 'taboola', 'outbrain', 'advert', 'advertisement',
  'sponsor', 'sponsored', 'pagination', 'pager', 'breadcrumb', 'breadcrumbs', 'popup', 'modal',
  'subscri', 'paywall', 'footer', 'masthead', 'cta', 'caption', 'hidden']);

const COMMENT_WORDS = new Set(['comment', 'comments', 'commentlist', 'disqus', 'respond', 'replies', 'reply']);

/** Words of comment sections: a long thread is still comments, whatever else it is called. */
export function isCommentWord(word: string): boolean {
  return COMMENT_WORDS.has(word);
}

export function isStrongBoilerplate(word: string): boolean {
  return STRONG.has(word) || word.startsWith('role-');
}

/**
 * Class names repeat within and across pages ("post", "col-md-8"): the verdict per distinct
 * string is memoized (bounded; only speed depends on it).
 */
const memo = new Map<string, string | null>();
const MEMO_MAX = 20_000;

/** The first boilerplate word in `names`, or undefined. */
export function boilerplateWord(names: string): string | undefined {
  let w = memo.get(names);
  if (w === undefined) {
    w = findBoilerplateWord(names) ?? null;
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(names, w);
  }
  return w ?? undefined;
}

/**
 * Whole class names that hide an element in the common CSS frameworks (Bootstrap's `hidden`,
 * `d-none`, `sr-only`, WordPress's `screen-reader-text`): compared as whole names, so the
 * responsive `hidden-xs` / `d-md-none` (shown on other screens) do not match.
 */
const HIDDEN_CLASSES = new Set(['hidden', 'hide', 'd-none', 'is-hidden', 'visually-hidden', 'sr-only',
  'screen-reader-text', 'invisible', 'visuallyhidden']);

function findBoilerplateWord(names: string): string | undefined {
  for (const c of names.split(WHITESPACE)) if (HIDDEN_CLASSES.has(c)) return 'hidden';
  const role = roleRe.exec(names);
  if (role) return role[0];
  const sub = boilerSubstringRe.exec(names);
  if (sub) return sub[0];
  for (const tok of names.split(TOKEN_SPLIT)) if (boilerTokens.has(tok)) return tok;
  return undefined;
}

export function isContentName(names: string): boolean {
  return CONTENT_RE.test(names);
}

/**
 * Readability's class weight: +25 for content words, -25 for boilerplate words (comment words
 * count as neither when the caller keeps comments).
 */
export function classWeight(names: string | undefined, commentsKept = false): number {
  if (!names) return 0;
  let w = 0;
  if (CONTENT_RE.test(names)) w += 25;
  const word = boilerplateWord(names);
  if (word !== undefined && !(commentsKept && COMMENT_WORDS.has(word))) w -= 25;
  return w;
}

/**
 * Writes data-samples/sample.warc.gz: a small CommonCrawl-shaped WARC (warcinfo with isPartOf;
 * request, response, metadata per capture; one gzip member per record) whose pages make every
 * stage of the default pipeline do something. Deterministic: fixed dates and record ids, so the
 * uncompressed records are the same on every run (the gzip bytes depend only on Node's zlib).
 *
 *   npm run samples            # writes data-samples/sample.warc.gz
 *   node dist/scripts/make-samples.js --out x.warc.gz
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import iconv from 'iconv-lite';
import { crc32 } from '../src/formats/crc32.js';
import { captureRecords, gzipMember, seededRecordId, warcinfoRecord } from '../src/formats/warc-writer.js';
import { projectRoot } from '../src/paths.js';
import {
  BULLET_ITEMS,
  FOREIGN,
  FORUM_THREAD,
  GAZETTE_ARTICLES,
  GAZETTE_NOTE,
  NEAR_DUPLICATE,
  NEAR_DUPLICATE_2,
  XHTML_ARTICLE,
  OTHER_ARTICLES,
  REPETITIVE_LINES,
  SHIFT_JIS_PAGE,
  SHORT_PAGE,
  WINDOWS_1252_PAGE,
  type Article,
} from './sample-pages.js';

export const SAMPLE_DUMP = 'CC-MAIN-2023-06';
const START = Date.UTC(2023, 1, 1, 0, 0, 0);

/** One fetched URL: the response the crawler got. */
interface Capture {
  url: string;
  status: string;
  headers: [string, string][];
  body: Buffer;
  /** Cut this record's gzip member short (the truncated final record). */
  truncate?: boolean;
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const COOKIE_BANNER =
  '<div id="cookie-banner" class="cookie-consent" role="dialog"><p>We use cookies to improve your experience on our site, to show you relevant ' +
  'advertising and to analyse our traffic. By continuing to browse you agree to our use of cookies.</p>' +
  '<button class="accept">Accept all</button> <button class="settings">Manage settings</button></div>';

const SHARE_WIDGET =
  '<div class="share-widget"><span>Share this article</span> <a href="#" class="share-fb">Facebook</a> ' +
  '<a href="#" class="share-tw">Twitter</a> <a href="#" class="share-mail">Email</a> <a href="#" class="share-print">Print</a></div>';

const TRACKER = '<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag("js", new Date());</script>';

function nav(items: string[]): string {
  return `<header class="site-header"><nav class="main-nav"><ul>${items.map((i) => `<li><a href="/${i.toLowerCase()}">${i}</a></li>`).join('')}</ul></nav></header>`;
}

function footer(site: string, extra = ''): string {
  return (
    `<footer class="site-footer"><p>&copy; 2023 ${escapeHtml(site)}. All rights reserved.</p>` +
    '<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a> | <a href="/cookies">Cookie policy</a> | <a href="/contact">Contact us</a></p>' +
    `${extra}</footer>`
  );
}

/** A page: head, cookie banner, nav, the article (paragraphs, junk lines after the second), footer. */
function articlePage(a: Article, o: { site: string; lang?: string; charsetMeta?: string; note?: string; related?: string[] }): string {
  const paras = a.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`);
  const junk = (a.junkLines ?? []).map((l) => `<div class="article-meta">${escapeHtml(l)}</div>`);
  paras.splice(Math.min(2, paras.length), 0, ...junk);
  const related = o.related?.length
    ? `<aside class="related"><h2>Related stories</h2><ul>${o.related.map((r) => `<li><a href="#">${escapeHtml(r)}</a></li>`).join('')}</ul></aside>`
    : '';
  return [
    '<!DOCTYPE html>',
    `<html lang="${o.lang ?? 'en'}"><head>`,
    o.charsetMeta ?? '<meta charset="utf-8">',
    `<title>${escapeHtml(a.title)} | ${escapeHtml(o.site)}</title>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<style>body{font-family:Georgia,serif;max-width:46em;margin:auto}.cookie-consent{position:fixed;bottom:0}</style>',
    '</head><body>',
    COOKIE_BANNER,
    nav(['Home', 'News', 'Features', 'Opinion', 'Events', 'About']),
    '<main><article>',
    `<h1>${escapeHtml(a.title)}</h1>`,
    a.byline ? `<p class="byline">${escapeHtml(a.byline)}</p>` : '',
    ...paras,
    o.note ? `<p class="editors-note">${escapeHtml(o.note)}</p>` : '',
    SHARE_WIDGET,
    '</article>',
    related,
    '</main>',
    footer(o.site),
    TRACKER,
    '</body></html>',
  ].join('\n');
}

function simplePage(title: string, bodyHtml: string): string {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>\n${bodyHtml}\n</body></html>`;
}

const HTML_UTF8: [string, string][] = [['Content-Type', 'text/html; charset=UTF-8']];

function ok(url: string, html: string | Buffer, headers: [string, string][] = HTML_UTF8): Capture {
  return { url, status: '200 OK', headers, body: typeof html === 'string' ? Buffer.from(html, 'utf8') : html };
}

/** Every capture of the sample crawl, in crawl order. */
export function sampleCaptures(): Capture[] {
  const caps: Capture[] = [];
  const gazette = 'https://www.riverbendgazette.com';
  const gazetteTitles = GAZETTE_ARTICLES.map((a) => a.title);
  for (const a of GAZETTE_ARTICLES) {
    caps.push(ok(gazette + a.path, articlePage(a, { site: 'The Riverbend Gazette', note: GAZETTE_NOTE, related: gazetteTitles.filter((t) => t !== a.title).slice(0, 3) })));
  }
  for (const a of OTHER_ARTICLES) {
    const site = a.host.replace(/^www\./, '');
    const html = articlePage(a, { site });
    if (a.path.includes('phone-batteries')) {
      // A server response stored still gzip-encoded (as some non-CC crawlers write it). Stored
      // (uncompressed) deflate blocks, so these bytes, and the page's digest, do not depend on
      // the zlib build that runs this script.
      caps.push(ok(`https://${a.host}${a.path}`, storedGzip(Buffer.from(html)), [...HTML_UTF8, ['Content-Encoding', 'gzip']]));
    } else {
      caps.push(ok(`https://${a.host}${a.path}`, html));
    }
  }
  // Exact duplicates: the bees article syndicated word for word at two other URLs.
  const bees = OTHER_ARTICLES.find((a) => a.path.includes('honeybees'))!;
  caps.push(ok('https://www.gardenersdigest.net/syndicated/how-honeybees-tell-each-other-where-the-flowers-are', articlePage(bees, { site: 'fieldandhive.org' })));
  caps.push(ok('https://mirror.fieldandhive.org/articles/how-honeybees-share-directions?utm_source=newsletter', articlePage(bees, { site: 'fieldandhive.org' })));
  // Near duplicate: the garden story, lightly edited by an aggregator.
  caps.push(ok(`https://${NEAR_DUPLICATE.host}${NEAR_DUPLICATE.path}`, articlePage(NEAR_DUPLICATE, { site: 'Valley News Roundup' })));

  caps.push(ok(`https://${NEAR_DUPLICATE_2.host}${NEAR_DUPLICATE_2.path}`, articlePage(NEAR_DUPLICATE_2, { site: 'County Herald' })));
  // The same Gazette story at its print URL: identical text, another URL.
  const school = GAZETTE_ARTICLES[2]!;
  caps.push(ok(`${gazette}${school.path}?print=1`, articlePage(school, { site: 'The Riverbend Gazette', note: GAZETTE_NOTE })));
  caps.push(ok(`https://${XHTML_ARTICLE.host}${XHTML_ARTICLE.path}`, articlePage(XHTML_ARTICLE, { site: 'Railways and Routes' }), [['Content-Type', 'application/xhtml+xml']]));
  // A tag page: navigation and links, no content of its own.
  caps.push(
    ok(
      `${gazette}/tags/environment`,
      simplePage(
        'Environment | The Riverbend Gazette',
        [COOKIE_BANNER, nav(['Home', 'News', 'Features', 'Opinion', 'Events', 'About']), '<h1>Environment</h1>', `<ul>${gazetteTitles.map((t) => `<li><a href="#">${escapeHtml(t)}</a></li>`).join('')}</ul>`, footer('The Riverbend Gazette')].join('\n'),
      ),
    ),
  );

  for (const f of FOREIGN) caps.push(ok(`https://${f.host}${f.path}`, articlePage(f, { site: f.host.replace(/^www\./, ''), lang: f.lang })));

  // Legacy charsets: the header says nothing useful for Shift_JIS (only <meta> does); the
  // windows-1252 page says so in its Content-Type.
  const sjisHtml = articlePage(SHIFT_JIS_PAGE, { site: 'machi-dayori.jp', lang: 'ja', charsetMeta: '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">' });
  caps.push(ok(`https://${SHIFT_JIS_PAGE.host}${SHIFT_JIS_PAGE.path}`, iconv.encode(sjisHtml, 'shift_jis'), [['Content-Type', 'text/html']]));
  const cp1252Html = articlePage(WINDOWS_1252_PAGE, { site: 'Old Town Chronicle', charsetMeta: '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">' });
  caps.push(ok(`https://${WINDOWS_1252_PAGE.host}${WINDOWS_1252_PAGE.path}`, iconv.encode(cp1252Html, 'windows-1252'), [['Content-Type', 'text/html; charset=windows-1252']]));

  // Gopher repetition: the same three lines over and over.
  const rep: string[] = [];
  for (let i = 0; i < 25; i++) rep.push(...REPETITIVE_LINES.map((l) => `<p>${escapeHtml(l)}</p>`));
  caps.push(ok('https://www.sunny-holiday-bargains.com/cheap-flights', simplePage('Cheap flights to the sun', rep.join('\n'))));
  // Gopher quality: too short; mostly bullet lines.
  caps.push(ok('https://www.newbakery-opening.com/', simplePage('Coming soon', SHORT_PAGE.map((l) => `<p>${l}</p>`).join('\n'))));
  caps.push(
    ok(
      'https://www.greenthumb-supplies.co.uk/offers/january',
      simplePage('January offers', '<h1>January offers</h1>\n' + BULLET_ITEMS.map((i) => `<p>\u2022 ${escapeHtml(i)}</p>`).join('\n')),
    ),
  );
  // Line-wise corrections: a thread drowned in counters, buttons and prompts.
  const posts = FORUM_THREAD.posts.map(
    ([user, text], i) =>
      `<div class="post"><p>${user}</p><p>${escapeHtml(text!)}</p>` +
      `${FORUM_THREAD.counters.slice((i * 3) % 8, ((i * 3) % 8) + 3).map((c) => `<p>${c}</p>`).join('')}</div>`,
  );
  caps.push(ok(`https://${FORUM_THREAD.host}${FORUM_THREAD.path}`, simplePage(FORUM_THREAD.title, `<h1>${FORUM_THREAD.title}</h1>\n<p>SIGN IN OR REGISTER TO POST</p>\n${posts.join('\n')}`)));

  // URL filter: an adult-looking domain, and a URL full of soft banned words.
  const bland =
    '<p>Welcome to our site. Thousands of new members join every week, and it only takes a minute to create a free account and start browsing. ' +
    'Our team checks every profile by hand, and you can cancel your membership at any time from the settings page.</p>' +
    '<p>New photos and videos are added every day. Sign up today to get instant access to the full collection, with no hidden fees and no contracts, and with the option to download everything that you like to any of your devices.</p>';
  caps.push(ok('https://www.sexcam-live.net/members/welcome', simplePage('Welcome', bland)));
  caps.push(ok('https://www.best-deals-online.com/hot-sexy-girls-webcam-chat', simplePage('Chat now', bland)));

  // Not pages: a 404, a redirect, a PDF.
  caps.push({ url: `${gazette}/news/2022/12/old-story-removed`, status: '404 Not Found', headers: HTML_UTF8, body: Buffer.from(simplePage('Page not found', '<h1>Sorry, we could not find that page.</h1>')) });
  caps.push({ url: 'http://riverbendgazette.com/', status: '301 Moved Permanently', headers: [['Location', `${gazette}/`], ['Content-Type', 'text/html']], body: Buffer.from('') });
  caps.push({ url: `${gazette}/docs/council-minutes-january-2023.pdf`, status: '200 OK', headers: [['Content-Type', 'application/pdf']], body: minimalPdf('Council minutes, January 2023') });

  // The crawl was cut off while writing its last record.
  caps.push({ ...ok('https://trailnotes.blog/2023/01/', simplePage('January archive', '<h1>Posts from January 2023</h1><ul><li>Walking the Ridgeway loop in winter</li></ul>')), truncate: true });
  return caps;
}

/** A gzip member (RFC 1952) of stored deflate blocks (RFC 1951 §3.2.4): same bytes everywhere. */
function storedGzip(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])];
  for (let i = 0; i === 0 || i < data.length; i += 65535) {
    const block = data.subarray(i, i + 65535);
    const last = i + 65535 >= data.length;
    const head = Buffer.alloc(5);
    head[0] = last ? 1 : 0;
    head.writeUInt16LE(block.length, 1);
    head.writeUInt16LE(~block.length & 0xffff, 3);
    parts.push(head, block);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  parts.push(trailer);
  return Buffer.concat(parts);
}

/** A tiny but well-formed one-page PDF showing `text`. */
function minimalPdf(text: string): Buffer {
  const content = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const uuid = (seed: string): string => seededRecordId('refinery-sample', seed);

/** The uncompressed records (one Buffer each) and which of them is to be cut short. */
export function sampleRecords(): { records: Buffer[]; truncateLast: boolean } {
  const infoId = uuid('warcinfo');
  const records: Buffer[] = [
    warcinfoRecord({
      recordId: infoId,
      dateMs: START,
      filename: 'sample.warc.gz',
      fields: [
        ['isPartOf', SAMPLE_DUMP],
        ['publisher', 'the refinery project (sample data, not a Common Crawl file)'],
        ['description', 'Pages written for refinery tests and demos by scripts/make-samples.ts'],
        ['format', 'WARC File Format 1.0'],
        ['operator', 'refinery'],
        ['robots', 'checked via crawler-commons'],
      ],
    }),
  ];
  const caps = sampleCaptures();
  caps.forEach((c, i) => {
    records.push(
      ...captureRecords(
        { ...c, dateMs: START + (i + 1) * 37_000 },
        { infoId, index: i, recordId: (kind) => uuid(`${kind}:${c.url}:${i}`), metadata: !c.truncate },
      ),
    );
  });
  return { records, truncateLast: caps[caps.length - 1]!.truncate === true };
}

/** The sample WARC: one gzip member per record; the last member cut in half if asked. */
export function buildSampleWarc(): Buffer {
  const { records, truncateLast } = sampleRecords();
  const members = records.map((r) => gzipMember(r, 9));
  if (truncateLast) members[members.length - 1] = members[members.length - 1]!.subarray(0, Math.floor(members[members.length - 1]!.length / 2));
  return Buffer.concat(members);
}

function main(): void {
  const i = process.argv.indexOf('--out');
  const out = i >= 0 ? resolve(process.argv[i + 1]!) : join(projectRoot, 'data-samples', 'sample.warc.gz');
  const bytes = buildSampleWarc();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  const { records } = sampleRecords();
  console.log(`wrote ${out}: ${records.length} records, ${sampleCaptures().length} captures, ${bytes.length} bytes`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();

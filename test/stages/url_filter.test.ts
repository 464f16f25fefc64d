import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDoc } from '../../src/doc.js';
import { isDrop, type Drop, type Stage } from '../../src/stage.js';
import { defaults, hostCandidates, parseUrl, scoreUrlWords, urlFilter, type UrlFilterConfig } from '../../stages/url_filter/index.js';
import { FingerprintSet, fingerprint, loadBlocklist } from '../../stages/url_filter/blocklist.js';
import { recordingContext } from './helpers.js';

let dir: string;

before(() => {
  // A UT1-shaped folder: category folders with domains/urls, plain and gzipped.
  dir = mkdtempSync(join(tmpdir(), 'ut1-'));
  mkdirSync(join(dir, 'adult'));
  writeFileSync(join(dir, 'adult', 'domains'), '# comment line\nbad-site.com\nonly.sub.ok-site.org\nco.uk\r\n  SPACED.example.net  \n');
  writeFileSync(join(dir, 'adult', 'urls'), 'ok-site.org/bad/page\nnews.example.com/gallery/?id=7/\n');
  mkdirSync(join(dir, 'gambling'));
  writeFileSync(join(dir, 'gambling', 'domains.gz'), gzipSync('casino-royal.net\n'));
  mkdirSync(join(dir, 'notes')); // not a category: no list files
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function stage(over: Partial<UrlFilterConfig> = {}): Promise<Stage> {
  return urlFilter.create({ ...defaults, blocklist_dirs: [dir], ...over }, recordingContext());
}

async function verdict(s: Stage, url: string): Promise<Drop | undefined> {
  const r = await s.apply(newDoc({ id: url, url }));
  return isDrop(r) ? r : undefined;
}

test('url_filter: blocklisted registered domain bans its subdomains', async () => {
  const s = await stage();
  assert.deepEqual(await verdict(s, 'https://www.bad-site.com/x'), { reason: 'url_blocklist_domain', detail: 'adult:bad-site.com' });
  assert.equal((await verdict(s, 'http://a.b.BAD-SITE.com'))?.reason, 'url_blocklist_domain');
  assert.equal(await verdict(s, 'https://notbad-site.com/'), undefined);
});

test('url_filter: a full-host entry bans that host and its subdomains, not its siblings', async () => {
  const s = await stage();
  assert.equal((await verdict(s, 'https://only.sub.ok-site.org/'))?.detail, 'adult:only.sub.ok-site.org');
  assert.equal((await verdict(s, 'https://x.only.sub.ok-site.org/'))?.reason, 'url_blocklist_domain');
  assert.equal(await verdict(s, 'https://other.sub.ok-site.org/'), undefined);
  assert.equal((await verdict(s, 'https://spaced.example.net/'))?.reason, 'url_blocklist_domain'); // trimmed, lowercased
});

test('url_filter: a public suffix on the list (co.uk) never bans a whole TLD', async () => {
  const s = await stage();
  assert.equal(await verdict(s, 'https://bbc.co.uk/news'), undefined);
  assert.deepEqual(hostCandidates('a.b.example.co.uk'), ['a.b.example.co.uk', 'b.example.co.uk', 'example.co.uk']);
  assert.deepEqual(hostCandidates('1.2.3.4'), ['1.2.3.4']);
});

test('url_filter: exact URLs from `urls` files match (scheme, www. and trailing / ignored)', async () => {
  const s = await stage();
  assert.equal((await verdict(s, 'http://www.ok-site.org/bad/page/'))?.reason, 'url_blocklist_url');
  assert.equal((await verdict(s, 'https://news.example.com/gallery/?id=7'))?.detail, 'adult:news.example.com/gallery/?id=7');
  assert.equal(await verdict(s, 'http://ok-site.org/bad/page2'), undefined);
  const noUrls = await stage({ match_urls: false });
  assert.equal(await verdict(noUrls, 'http://www.ok-site.org/bad/page/'), undefined);
});

test('url_filter: gzipped lists load; categories select what is loaded', async () => {
  assert.deepEqual(await verdict(await stage(), 'https://casino-royal.net/'), { reason: 'url_blocklist_domain', detail: 'gambling:casino-royal.net' });
  assert.equal(await verdict(await stage({ categories: ['adult'] }), 'https://casino-royal.net/'), undefined);
  const bl = await loadBlocklist([dir], []);
  assert.deepEqual(bl.categories, ['adult', 'gambling']);
  assert.equal(bl.domains.size, 5); // 4 adult + 1 gambling
  assert.equal(bl.urls.size, 2);
});

test('url_filter: strict words match as substrings of the squashed URL (1 hit bans)', () => {
  assert.deepEqual(scoreUrlWords('https://example.com/free-p.o.r.n-clips', defaults), { reason: 'url_strict_word', value: 1, detail: 'porn' });
  assert.equal(scoreUrlWords('https://example.com/news/sport', defaults), undefined);
});

test('url_filter: hard words match whole words (1 hit bans); substrings do not', () => {
  assert.equal(scoreUrlWords('https://example.com/xxx/pics', defaults)?.reason, 'url_hard_word');
  assert.equal(scoreUrlWords('https://milford-news.com/', defaults), undefined); // "milf" is only a substring
  assert.equal(scoreUrlWords('https://example.com/milf', defaults)?.detail, 'milf');
});

test('url_filter: soft words ban at 2 or more whole-word hits, not at 1', () => {
  assert.equal(scoreUrlWords('https://example.com/hot-dogs-recipe', defaults), undefined);
  const d = scoreUrlWords('https://example.com/hot/babes', defaults)!;
  assert.equal(d.reason, 'url_soft_words');
  assert.equal(d.value, 2);
  assert.equal(d.detail, '2>=2 (hot,babes)');
  assert.equal(scoreUrlWords('https://example.com/hot/babes', { ...defaults, soft_threshold: 3 }), undefined);
});

test('url_filter: the word lists leave innocent URLs alone (words joined across separators, other meanings)', () => {
  for (const url of [
    'https://www.essexcamping.co.uk/',
    'https://tfl.gov.uk/middlesex-tube-times',
    'https://recipes.example.com/ice-cream-pie',
    'https://uni.example.edu/news/summa-cum-laude',
    'https://en.wikipedia.org/wiki/Deep_Throat_(Watergate)',
    'https://birds.example.org/blue-tits-nesting',
    'https://rugby.example.com/best-hooker-2023',
    'https://www.milford-news.com/',
  ]) {
    assert.equal(scoreUrlWords(url, defaults), undefined, url);
  }
});

test('url_filter: curated-source exclusion is off by default, on by option', async () => {
  assert.equal(await verdict(await stage(), 'https://en.wikipedia.org/wiki/Toulouse'), undefined);
  const on = await stage({ exclude_curated: true });
  assert.deepEqual(await verdict(on, 'https://en.wikipedia.org/wiki/Toulouse'), { reason: 'url_curated_source', detail: 'wikipedia.org' });
  assert.equal((await verdict(on, 'https://stackoverflow.com/q/1'))?.reason, 'url_curated_source');
});

test('url_filter: a URL without a scheme is read as http', async () => {
  assert.equal((await verdict(await stage(), 'www.bad-site.com/page'))?.reason, 'url_blocklist_domain');
  assert.deepEqual(parseUrl('Example.COM/A/b/'), { host: 'example.com', bare: 'example.com/a/b' });
});

test('url_filter: unparsable URLs are kept and counted; no blocklist configured is fine', async () => {
  const ctx = recordingContext();
  const s = await urlFilter.create(defaults, ctx);
  const r = await s.apply(newDoc({ id: '1', url: 'http://exa mple.com/' }));
  assert.equal(isDrop(r), false);
  assert.equal(ctx.counted['url_unparsable'], 1);
});

test('FingerprintSet: grows past its first capacity and keeps every entry and category', () => {
  const set = new FingerprintSet(10);
  for (let i = 0; i < 50_000; i++) {
    const [a, b] = fingerprint(`domain${i}.com`);
    set.add(a, b, i % 3);
  }
  assert.equal(set.size, 50_000);
  for (const i of [0, 1, 49_999]) {
    const [a, b] = fingerprint(`domain${i}.com`);
    assert.equal(set.get(a, b), i % 3);
  }
  const [a, b] = fingerprint('domain50000.com');
  assert.equal(set.get(a, b), -1);
  assert.deepEqual(fingerprint('Example.COM/path/'), fingerprint('example.com/path')); // lowercase, trailing /
});

/**
 * URL filtering (spec §1, RW G.1): drop a document whose URL is on a UT1-style blocklist
 * (registered domain, full host or a parent host, or the exact URL), whose URL scores on the
 * strict / hard / soft word lists, or (optional) that comes from a curated-source domain.
 *
 * Domain matching walks the host up to its registered domain (`a.b.example.co.uk`,
 * `b.example.co.uk`, `example.co.uk`) and never to a public suffix (`co.uk`), so one bad
 * list entry cannot ban a TLD. The registered domain comes from the Public Suffix List's ICANN
 * section via `tldts` (private suffixes like blogspot.com are ignored, so `x.blogspot.com`
 * walks up to `blogspot.com`, as UT1's entries expect).
 */
import { int } from '../../src/options.js';
import { getDomain } from 'tldts';
import type { Doc } from '../../src/doc.js';
import type { Drop, StageModule, StepResult } from '../../src/stage.js';
import { loadBlocklist, fingerprint, type Blocklist } from './blocklist.js';
import { CURATED_DOMAINS, HARD_WORDS, RW_CATEGORIES, SOFT_WORDS, STRICT_WORDS } from './wordlists.js';

export interface UrlFilterConfig {
  /** UT1-style folders (category folders with `domains` / `urls` files, plain or .gz). */
  blocklist_dirs: string[];
  /** Categories to load (empty = every category found). */
  categories: string[];
  /** Also match the exact URL against the `urls` files. */
  match_urls: boolean;
  strict_words: string[];
  hard_words: string[];
  soft_words: string[];
  /** Soft-word hits that ban. */
  soft_threshold: number;
  /** Drop documents from curated-source domains (RW removed them; off by default). */
  exclude_curated: boolean;
  curated_domains: string[];
}

export const defaults: UrlFilterConfig = {
  blocklist_dirs: [],
  categories: RW_CATEGORIES,
  match_urls: true,
  strict_words: STRICT_WORDS,
  hard_words: HARD_WORDS,
  soft_words: SOFT_WORDS,
  soft_threshold: 2,
  exclude_curated: false,
  curated_domains: CURATED_DOMAINS,
};

export interface ParsedUrl {
  host: string;
  /** host + path + query, lowercased, without the scheme and trailing `/` (UT1 `urls` form) */
  bare: string;
}

export function parseUrl(url: string): ParsedUrl | undefined {
  let u: URL;
  try {
    // A URL without a scheme (`example.com/page`, as some corpora store them) is read as http.
    u = new URL(/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `http://${url}`);
  } catch {
    return undefined;
  }
  const host = u.hostname.replace(/\.$/, '').toLowerCase();
  if (!host) return undefined;
  const bare = (host + u.pathname + u.search).toLowerCase().replace(/\/+$/, '');
  return { host, bare };
}

/** The host and each parent host down to the registered domain (or just the host). */
export function hostCandidates(host: string): string[] {
  const out = [host];
  const registered = getDomain(host, { allowPrivateDomains: false });
  if (!registered || registered === host || !host.endsWith('.' + registered)) {
    if (registered && registered !== host) out.push(registered);
    return out;
  }
  let h = host;
  while (h.length > registered.length) {
    h = h.slice(h.indexOf('.') + 1);
    out.push(h);
  }
  return out;
}

/** Strict, hard and soft word scoring of a URL (spec §1). */
export function scoreUrlWords(url: string, c: Pick<UrlFilterConfig, 'strict_words' | 'hard_words' | 'soft_words' | 'soft_threshold'>, sets?: { hard: Set<string>; soft: Set<string> }): Drop | undefined {
  const lower = url.toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const squashed = lower.replace(/[^a-z0-9]+/g, '');
  for (const w of c.strict_words) if (squashed.includes(w)) return { reason: 'url_strict_word', value: 1, detail: w };
  const hard = sets?.hard ?? new Set(c.hard_words);
  const soft = sets?.soft ?? new Set(c.soft_words);
  const softHits: string[] = [];
  for (const w of lower.split(/[^a-z0-9]+/)) {
    if (!w) continue;
    if (hard.has(w)) return { reason: 'url_hard_word', value: 1, detail: w };
    if (soft.has(w)) softHits.push(w);
  }
  if (softHits.length >= c.soft_threshold && c.soft_threshold > 0) {
    return { reason: 'url_soft_words', value: softHits.length, detail: `${softHits.length}>=${c.soft_threshold} (${softHits.join(',')})` };
  }
  return undefined;
}

/** Blocklist lookup of one URL: the drop, or undefined. */
export function matchBlocklist(p: ParsedUrl, bl: Blocklist, matchUrls: boolean): Drop | undefined {
  if (bl.domains.size > 0) {
    for (const h of hostCandidates(p.host)) {
      const [a, b] = fingerprint(h);
      const cat = bl.domains.get(a, b);
      if (cat >= 0) return { reason: 'url_blocklist_domain', detail: `${bl.categories[cat]}:${h}` };
    }
  }
  if (matchUrls && bl.urls.size > 0) {
    const forms = p.bare.startsWith('www.') ? [p.bare, p.bare.slice(4)] : [p.bare];
    for (const f of forms) {
      const [a, b] = fingerprint(f);
      const cat = bl.urls.get(a, b);
      if (cat >= 0) return { reason: 'url_blocklist_url', detail: `${bl.categories[cat]}:${f}` };
    }
  }
  return undefined;
}

export const urlFilter: StageModule<UrlFilterConfig> = {
  name: 'url_filter',
  description: 'RefinedWeb URL filtering: UT1 domain/URL blocklists, strict/hard/soft URL words, curated sources (spec §1)',
  defaults,
  // Soft words a URL must hold to be removed (spec §1): a whole number.
  ranges: { soft_threshold: int(0) },
  async create(config, ctx) {
    const t0 = performance.now();
    const bl = await loadBlocklist(config.blocklist_dirs, config.categories, config.match_urls);
    if (config.blocklist_dirs.length > 0) {
      ctx.log(
        `url_filter: ${bl.domains.size} domains, ${bl.urls.size} urls from ${bl.categories.length} categories ` +
          `(${bl.categories.join(', ')}) in ${Math.round(performance.now() - t0)} ms`,
      );
    }
    const sets = { hard: new Set(config.hard_words), soft: new Set(config.soft_words) };
    const curated = new Set(config.curated_domains);
    return {
      name: 'url_filter',
      apply(doc: Doc): StepResult {
        const p = parseUrl(doc.url);
        if (!p) {
          ctx.count('url_unparsable');
          return doc;
        }
        const hit = matchBlocklist(p, bl, config.match_urls) ?? scoreUrlWords(doc.url, config, sets);
        if (hit) return hit;
        if (config.exclude_curated) {
          for (const h of hostCandidates(p.host)) if (curated.has(h)) return { reason: 'url_curated_source', detail: h };
        }
        return doc;
      },
    };
  },
};

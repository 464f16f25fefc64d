/**
 * Per-task samples for the report (`refinery report`, `refinery inspect`): a task offers every
 * document it removes and every document it writes; the sampler keeps a bounded, deterministic
 * reservoir per (stage, reason) plus a small profile of what was kept and removed (languages,
 * hosts, lengths). It serializes to `<pass>/samples/<rank>.json`, so the report never has to
 * read the corpus itself. Memory is bounded: `perKey` docs per reason, `maxHosts` hosts.
 *
 * Framework-free: it knows `Doc` and `Drop`, no stage, no file layout beyond `samplesPath`.
 */
import type { Doc } from '../doc.js';
import type { Drop } from '../stage.js';
import type { Storage } from '../storage/storage.js';
import { FRACTION_EDGES, LOG_EDGES, addToHistogram, mergeHistogram, newHistogram, type Histogram } from '../stats.js';
import { fnv1a, seededRandom } from '../random.js';
import { paths } from '../run-dir.js';

/** One sampled document, reduced to what a reader of the report needs. */
export interface SampleDoc {
  id: string;
  url: string;
  /** The first `excerptChars` characters of the text (of the HTML when there is no text yet). */
  excerpt: string;
  /** Length of the full text (or HTML) in characters. */
  chars: number;
  language?: string;
  languageScore?: number;
  tokenCount?: number;
  /** The measured value that removed the document (from the Drop). */
  value?: number;
  /** The comparison that removed it, e.g. `0.41>0.3`. */
  detail?: string;
}

export interface SampleGroup {
  stage: string;
  reason: string;
  /** Documents offered for this key (all of them, not only the sampled ones). */
  seen: number;
  docs: SampleDoc[];
}

/**
 * Counts over every offered document (not only the sampled ones). `hosts` is approximate once
 * more than `maxHosts` distinct hosts were seen: the rarest are pruned (lossy counting), so
 * the top of the list is right and counts are lower bounds.
 */
export interface SampleProfile {
  docs: number;
  languages: Record<string, number>;
  hosts: Record<string, number>;
  /** Characters of text per document (LOG_EDGES). */
  chars: Histogram;
  /** GPT-2 tokens per document, when counted (LOG_EDGES). */
  tokens: Histogram;
  /** Language-ID score, when known (FRACTION_EDGES). */
  languageScore: Histogram;
}

/** The file `<pass>/samples/<rank>.json`. */
export interface SampleFile {
  version: 1;
  pass: string;
  rank: number;
  perKey: number;
  removed: SampleGroup[];
  kept: { seen: number; docs: SampleDoc[] };
  profile: { kept: SampleProfile; removed: SampleProfile };
}

export interface SamplerOptions {
  /** Documents kept per (stage, reason), and of kept documents. */
  perKey: number;
  /** Characters of text kept per sampled document. */
  excerptChars: number;
  /** Distinct hosts counted exactly before pruning (per profile). */
  maxHosts: number;
}

export const DEFAULT_SAMPLER: SamplerOptions = { perKey: 10, excerptChars: 1000, maxHosts: 2000 };

export interface TaskSampler {
  /** A document that `stage` removed. */
  removed(stage: string, doc: Doc, drop: Drop): void;
  /** A document the task wrote (kept). */
  kept(doc: Doc): void;
  /** The serializable state (deterministic for the same sequence of calls). */
  toJSON(): SampleFile;
}

/** `<pass>/samples/<rank>.json`, the rank zero-padded to 5 digits like the run directory's other per-task files. */
export function samplesPath(pass: string, rank: number): string {
  return paths.samples(pass, rank);
}

/** Reservoir sampling, Algorithm R (Vitter 1985): each offered item is kept with probability k/n. */
interface Reservoir {
  seen: number;
  docs: SampleDoc[];
  random: () => number;
}

function offer(r: Reservoir, k: number, make: () => SampleDoc): void {
  r.seen++;
  if (r.docs.length < k) {
    r.docs.push(make());
    return;
  }
  const j = Math.floor(r.random() * r.seen);
  if (j < k) r.docs[j] = make();
}

/** scheme://[userinfo@]host — a regex, ~10x cheaper than `new URL` on the per-document path. */
const HOST_RE = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]+)/i;

/** Host of a URL, lowercased, without a leading `www.` and a trailing dot; '' when there is none. */
export function hostOf(url: string): string {
  const m = HOST_RE.exec(url);
  if (!m) return '';
  let h = m[1]!.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.startsWith('www.') ? h.slice(4) : h;
}

/** Top-level domain of a host (`example.co.uk` -> `uk`); '' for none. */
export function tldOf(host: string): string {
  if (!host || /^[\d.]+$/.test(host) || host.startsWith('[')) return '';
  const i = host.lastIndexOf('.');
  return i < 0 ? '' : host.slice(i + 1);
}

export function emptyProfile(): SampleProfile {
  return {
    docs: 0,
    languages: {},
    hosts: {},
    chars: newHistogram(LOG_EDGES),
    tokens: newHistogram(LOG_EDGES),
    languageScore: newHistogram(FRACTION_EDGES),
  };
}

/** Keep the `keep` largest counts (ties broken by name, so the result is deterministic). */
export function topCounts(counts: Record<string, number> | Map<string, number>, keep: number): [string, number][] {
  const entries = counts instanceof Map ? [...counts] : Object.entries(counts);
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries.slice(0, keep);
}

/**
 * The `keep` largest counts in O(n): find the smallest count that still fits the budget from a
 * histogram of the counts, then keep entries at or above it in insertion order (deterministic).
 */
export function pruneCounts(counts: Map<string, number>, keep: number): Map<string, number> {
  if (counts.size <= keep) return counts;
  const byCount = new Map<number, number>();
  for (const c of counts.values()) byCount.set(c, (byCount.get(c) ?? 0) + 1);
  const levels = [...byCount.keys()].sort((a, b) => b - a);
  // Every count above `tieLevel` fits; entries at `tieLevel` fill the `tieRoom` left.
  let above = 0;
  let tieLevel = 0;
  let tieRoom = 0;
  for (const c of levels) {
    const n = byCount.get(c)!;
    if (above + n > keep) {
      tieLevel = c;
      tieRoom = keep - above;
      break;
    }
    above += n;
  }
  const out = new Map<string, number>();
  for (const [k, c] of counts) {
    if (c > tieLevel) out.set(k, c);
    else if (c === tieLevel && tieRoom > 0) {
      out.set(k, c);
      tieRoom--;
    }
  }
  return out;
}

interface LiveProfile {
  p: SampleProfile;
  hosts: Map<string, number>;
}

/** What a profile counts of one document. */
export interface ProfiledDoc {
  url: string;
  language?: string;
  languageScore?: number;
  /** Unknown when only metadata columns were read. */
  chars?: number;
  tokenCount?: number;
}

/** Add one document to a profile; `hosts` is pruned to `maxHosts` when twice over it. */
export function profileAdd(p: SampleProfile, hosts: Map<string, number>, d: ProfiledDoc, maxHosts: number): Map<string, number> {
  p.docs++;
  if (d.language) p.languages[d.language] = (p.languages[d.language] ?? 0) + 1;
  const host = hostOf(d.url);
  if (host) {
    hosts.set(host, (hosts.get(host) ?? 0) + 1);
    // Lossy counting: prune to the budget when twice over it (amortized O(1) per doc).
    if (hosts.size > 2 * maxHosts) hosts = pruneCounts(hosts, maxHosts);
  }
  if (d.chars !== undefined) addToHistogram(p.chars, d.chars);
  if (d.tokenCount !== undefined) addToHistogram(p.tokens, d.tokenCount);
  if (d.languageScore !== undefined) addToHistogram(p.languageScore, d.languageScore);
  return hosts;
}

function liveAdd(lp: LiveProfile, doc: Doc, maxHosts: number): void {
  lp.hosts = profileAdd(lp.p, lp.hosts, { url: doc.url, language: doc.language, languageScore: doc.languageScore, chars: (doc.text || doc.html || '').length, tokenCount: doc.tokenCount }, maxHosts);
}

function sampleDoc(doc: Doc, excerptChars: number, drop?: Drop): SampleDoc {
  const body = doc.text || doc.html || '';
  const s: SampleDoc = { id: doc.id, url: doc.url, excerpt: body.slice(0, excerptChars), chars: body.length };
  if (doc.language !== undefined) s.language = doc.language;
  if (doc.languageScore !== undefined) s.languageScore = doc.languageScore;
  if (doc.tokenCount !== undefined) s.tokenCount = doc.tokenCount;
  if (drop?.value !== undefined) s.value = drop.value;
  if (drop?.detail !== undefined) s.detail = drop.detail;
  return s;
}

/**
 * A sampler for one task. Usage in a task:
 *   const sampler = newSampler(pass, rank);
 *   ... sampler.removed(stage.name, doc, drop) / sampler.kept(doc) ...
 *   await writeSamples(runStorage, sampler);   // before the done marker
 */
export function newSampler(pass: string, rank: number, options: Partial<SamplerOptions> = {}): TaskSampler {
  const opts = { ...DEFAULT_SAMPLER, ...options };
  const groups = new Map<string, Reservoir & { stage: string; reason: string }>();
  const keptRes: Reservoir = { seen: 0, docs: [], random: seededRandom(fnv1a(`${pass}\0${rank}\0kept`)) };
  const keptProfile: LiveProfile = { p: emptyProfile(), hosts: new Map() };
  const removedProfile: LiveProfile = { p: emptyProfile(), hosts: new Map() };
  const finishProfile = (lp: LiveProfile): SampleProfile => ({ ...lp.p, hosts: Object.fromEntries(topCounts(lp.hosts, opts.maxHosts)) });
  return {
    removed(stage, doc, drop) {
      const key = `${stage}\0${drop.reason}`;
      let g = groups.get(key);
      if (!g) {
        g = { stage, reason: drop.reason, seen: 0, docs: [], random: seededRandom(fnv1a(`${pass}\0${rank}\0${key}`)) };
        groups.set(key, g);
      }
      offer(g, opts.perKey, () => sampleDoc(doc, opts.excerptChars, drop));
      liveAdd(removedProfile, doc, opts.maxHosts);
    },
    kept(doc) {
      offer(keptRes, opts.perKey, () => sampleDoc(doc, opts.excerptChars));
      liveAdd(keptProfile, doc, opts.maxHosts);
    },
    toJSON() {
      const removed = [...groups.values()]
        .map((g) => ({ stage: g.stage, reason: g.reason, seen: g.seen, docs: [...g.docs] }))
        .sort((a, b) => (a.stage + '\0' + a.reason < b.stage + '\0' + b.reason ? -1 : 1));
      return {
        version: 1,
        pass,
        rank,
        perKey: opts.perKey,
        removed,
        kept: { seen: keptRes.seen, docs: [...keptRes.docs] },
        profile: { kept: finishProfile(keptProfile), removed: finishProfile(removedProfile) },
      };
    },
  };
}

/** Write `<pass>/samples/<rank>.json` atomically (write-then-commit). */
export async function writeSamples(run: Storage, sampler: TaskSampler): Promise<void> {
  const file = sampler.toJSON();
  await run.writeAll(samplesPath(file.pass, file.rank), JSON.stringify(file));
}

function isSampleFile(x: unknown): x is SampleFile {
  const f = x as SampleFile;
  return !!f && f.version === 1 && Array.isArray(f.removed) && !!f.kept && Array.isArray(f.kept.docs) && !!f.profile;
}

/** Run `fn` over `items` with at most `limit` at a time (S3 reads are latency-bound); results in order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `k` items spread evenly over `items` (all of them when k >= length), in order. */
export function spread<T>(items: T[], k: number): T[] {
  if (items.length <= k) return items;
  if (k <= 0) return [];
  if (k === 1) return [items[0]!];
  return Array.from({ length: k }, (_, i) => items[Math.round((i * (items.length - 1)) / (k - 1))]!);
}

/**
 * Read `<pass>/samples/*.json` in rank order: only ranks `accept` allows, and at most `max`
 * files spread evenly over the ranks (so a run of 8,000 tasks costs as much as one of `max`).
 * Unreadable files are reported, not thrown.
 */
export async function readSampleFiles(
  run: Storage,
  pass: string,
  opts: { accept?: (rank: number) => boolean; max?: number } = {},
): Promise<{ files: SampleFile[]; bad: string[]; available: number }> {
  const listed = (await run.list(`${pass}/samples/`))
    .map((o) => ({ path: o.path, rank: Number(/(\d+)\.json$/.exec(o.path)?.[1] ?? NaN) }))
    .filter((o) => Number.isInteger(o.rank) && (!opts.accept || opts.accept(o.rank)))
    .sort((a, b) => a.rank - b.rank);
  const chosen = spread(listed, opts.max ?? Infinity);
  const bad: string[] = [];
  const parsed = await mapLimit(chosen, 8, async (o) => {
    try {
      const x: unknown = JSON.parse((await run.readAll(o.path)).toString('utf8'));
      if (isSampleFile(x)) return x;
    } catch {
      /* reported below */
    }
    bad.push(o.path);
    return undefined;
  });
  const files = parsed.filter((f): f is SampleFile => f !== undefined).sort((a, b) => a.rank - b.rank);
  return { files, bad: bad.sort(), available: listed.length };
}

function mergeProfiles(into: SampleProfile, from: SampleProfile, maxHosts: number): void {
  into.docs += from.docs;
  for (const [k, v] of Object.entries(from.languages)) into.languages[k] = (into.languages[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.hosts)) into.hosts[k] = (into.hosts[k] ?? 0) + v;
  into.hosts = Object.fromEntries(topCounts(into.hosts, maxHosts));
  for (const k of ['chars', 'tokens', 'languageScore'] as const) {
    try {
      into[k] = mergeHistogram(into[k], from[k]);
    } catch {
      // Different edges (another version wrote it): keep what we have.
    }
  }
}

/**
 * Merge the sample files of one pass: counts add up; docs are taken round-robin across ranks
 * (so a few tasks cannot fill the sample alone), at most `perKey` per key.
 */
export function mergeSampleFiles(files: SampleFile[], perKey = DEFAULT_SAMPLER.perKey, maxHosts = DEFAULT_SAMPLER.maxHosts): Omit<SampleFile, 'rank'> & { ranks: number[] } {
  const roundRobin = (lists: SampleDoc[][]): SampleDoc[] => {
    const out: SampleDoc[] = [];
    for (let i = 0; out.length < perKey; i++) {
      let any = false;
      for (const l of lists) {
        if (i < l.length) {
          any = true;
          if (out.length < perKey) out.push(l[i]!);
        }
      }
      if (!any) break;
    }
    return out;
  };
  const byKey = new Map<string, { stage: string; reason: string; seen: number; lists: SampleDoc[][] }>();
  const kept = { seen: 0, lists: [] as SampleDoc[][] };
  const profile = { kept: emptyProfile(), removed: emptyProfile() };
  for (const f of files) {
    for (const g of f.removed) {
      const key = `${g.stage}\0${g.reason}`;
      const m = byKey.get(key) ?? { stage: g.stage, reason: g.reason, seen: 0, lists: [] };
      m.seen += g.seen;
      m.lists.push(g.docs);
      byKey.set(key, m);
    }
    kept.seen += f.kept.seen;
    kept.lists.push(f.kept.docs);
    mergeProfiles(profile.kept, f.profile.kept, maxHosts);
    mergeProfiles(profile.removed, f.profile.removed, maxHosts);
  }
  const removed = [...byKey.values()]
    .map((m) => ({ stage: m.stage, reason: m.reason, seen: m.seen, docs: roundRobin(m.lists) }))
    .sort((a, b) => (a.stage + '\0' + a.reason < b.stage + '\0' + b.reason ? -1 : 1));
  return {
    version: 1,
    pass: files[0]?.pass ?? '',
    ranks: files.map((f) => f.rank),
    perKey,
    removed,
    kept: { seen: kept.seen, docs: roundRobin(kept.lists) },
    profile,
  };
}

/**
 * The report's numbers, computed once from a loaded run (load.ts) and rendered twice (HTML
 * and Markdown). Knows no specific stage: it reads stage names, reasons and histogram names
 * from the statistics, and matches histograms to thresholds by a naming rule (`thresholdsFor`).
 */
import { documentPasses, LOG_EDGES, addToHistogram, emptyReaderStats, mergeHistogram, mergeReaderStats, newHistogram, type Histogram, type InputProblem, type LanguageCounts, type ReaderStats, type RunStats } from '../stats.js';
import type { PassData, RunData } from './load.js';
import { emptyProfile, tldOf, topCounts, type SampleDoc, type SampleGroup, type SampleProfile } from './samples.js';
import type { Threshold } from './svg.js';

/** RefinedWeb's removal funnel (RW Figure 2; spec "Removal funnel"), % kept vs CommonCrawl. */
export const RW_FUNNEL: { stage: string; removedPct: number; keptPct: number; unit: 'documents' | 'tokens' }[] = [
  { stage: 'URL filtering', removedPct: 2.24, keptPct: 97.76, unit: 'documents' },
  { stage: 'text extraction', removedPct: 1.49, keptPct: 96.31, unit: 'documents' },
  { stage: 'language ID', removedPct: 50.66, keptPct: 47.51, unit: 'documents' },
  { stage: 'repetition removal', removedPct: 24.28, keptPct: 35.97, unit: 'tokens' },
  { stage: 'document-wise filtering', removedPct: 16.19, keptPct: 30.15, unit: 'tokens' },
  { stage: 'line-wise corrections', removedPct: 22.59, keptPct: 23.34, unit: 'tokens' },
  { stage: 'fuzzy dedup', removedPct: 37.88, keptPct: 14.5, unit: 'tokens' },
  { stage: 'exact dedup', removedPct: 18.47, keptPct: 11.67, unit: 'tokens' },
];

export interface FunnelRow {
  pass: string;
  stage: string;
  docsIn: number;
  docsOut: number;
  charsIn: number;
  charsOut: number;
  /** Documents kept after this step, as a fraction of the documents that entered the first step. */
  docsKept: number;
  /** Characters of text kept, as a fraction of the text base (see Funnel.charsBase); null before it. */
  charsKept: number | null;
}

export interface Funnel {
  startDocs: number;
  startChars: number;
  rows: FunnelRow[];
  /**
   * The step whose output is the base of the chars series: the first step that rewrote its kept
   * documents to under half their size (HTML -> text); before it, chars are markup, not text.
   * Undefined when no step did: then the base is the input.
   */
  charsBase?: { pass: string; stage: string; chars: number };
  /** Documents and tokens written per pass (tokens are only counted on writing). */
  written: { pass: string; docs: number; tokens: number }[];
}

export interface ReasonRow {
  reason: string;
  docs: number;
  chars: number;
  /** Of the stage's input documents. */
  frac: number;
}

export interface StageReasons {
  pass: string;
  stage: string;
  docsIn: number;
  reasons: ReasonRow[];
  events: [string, number][];
}

export interface Distribution {
  pass: string;
  stage: string;
  name: string;
  hist: Histogram;
  thresholds: Threshold[];
}

export interface StageTime {
  pass: string;
  stage: string;
  ms: number;
  docsIn: number;
  /** Documents per second through this stage (summed over tasks, so per core). */
  docsPerSec: number;
}

export interface PassTime {
  pass: string;
  tasks: number;
  ms: number;
  maxTaskMs: number;
  medianTaskMs: number;
  readerMs?: number;
  readerBytes?: number;
  /** Task times (ms), log buckets: where stragglers show. */
  taskHist: Histogram;
}

/**
 * The funnel per document language: documents (and tokens, once counted) kept after each
 * streaming stage that saw labelled documents, then what the final shards hold per language
 * (after the corpus-wide dedup, which runs over all languages together).
 */
export interface LanguageFunnel {
  /** Languages by documents kept, most first (at most `top`). */
  languages: string[];
  rows: { pass: string; stage: string; counts: Record<string, LanguageCounts> }[];
  final?: Record<string, { rows: number; tokens: number }>;
}

export interface ReportModel {
  root: string;
  createdAt?: string;
  statsSource: RunData['statsSource'];
  notes: string[];
  summary: { passes: number; tasks: number; inputDocs: number; outputDocs: number; outputTokens: number; ms: number };
  funnel: Funnel;
  languageFunnel?: LanguageFunnel;
  reasons: StageReasons[];
  distributions: Distribution[];
  languages: { kept: [string, number][]; removed: [string, number][]; source: string };
  languageScore?: { hist: Histogram; source: string };
  domains: { keptHosts: [string, number][]; removedHosts: [string, number][]; keptTlds: [string, number][]; removedTlds: [string, number][]; source: string };
  lengths: { chars?: { hist: Histogram; source: string }; tokens?: { hist: Histogram; source: string } };
  clusterSizes: Distribution[];
  stageTimes: StageTime[];
  passTimes: PassTime[];
  slowestTasks: { pass: string; rank: number; input?: string; ms: number }[];
  reader?: ReaderStats;
  readerProblems: InputProblem[];
  retries: [string, number][];
  /** `removed`: the stage's count for the reason in stats.json (all tasks), when known. */
  removedSamples: { pass: string; source: string; groups: (SampleGroup & { removed?: number })[] }[];
  keptSamples: { pass: string; source: string; docs: SampleDoc[] }[];
  passes: { name: string; tasks: number; done: number; missingDone: number[]; planned?: number; dataFiles: number; excludedFiles: number; sampleSource: PassData['sampleSource'] }[];
}

type Options = Record<string, unknown>;

/** Stage (and pass) options from run.json, by name, in any of the shapes a config may take. */
export function configSections(runJson: Record<string, unknown> | undefined): Map<string, Options> {
  const out = new Map<string, Options>();
  if (!runJson) return out;
  const config = (runJson.config && typeof runJson.config === 'object' ? runJson.config : runJson) as Record<string, unknown>;
  for (const key of ['stages', 'passes']) {
    const list = config[key];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (!entry || typeof entry !== 'object') continue;
      const e = entry as Record<string, unknown>;
      if (typeof e.name === 'string') {
        const o = (e.options ?? e.config ?? {}) as Options;
        out.set(e.name, o && typeof o === 'object' ? o : {});
      } else {
        // YAML shape: `- gopher_quality: {max_words: 100000}`.
        for (const [k, v] of Object.entries(e)) if (v === null || typeof v === 'object') out.set(k, (v ?? {}) as Options);
      }
    }
  }
  return out;
}

/**
 * Thresholds for a histogram, by a naming rule: histogram `h` of stage S is compared to the
 * numeric option of S (or, for corpus passes, of the step whose name prefixes the pass name)
 * named `max_h` / `h_max` (removed above), `min_h` / `h_min` (removed below), or `h_threshold`
 * / `h` itself (taken as a max). E.g. `dup_line_frac` vs `max_dup_line_frac: 0.3`. When none
 * matches, `max_`/`min_` + a shorter tail of h's words is tried (`language_score` vs `min_score`).
 */
export function thresholdsFor(sections: Map<string, Options>, pass: string, stage: string, h: string): Threshold[] {
  const candidates: Options[] = [];
  const direct = sections.get(stage) ?? sections.get(pass);
  if (direct) candidates.push(direct);
  for (const [name, o] of sections) if (!candidates.includes(o) && (pass.startsWith(`${name}_`) || stage.startsWith(`${name}_`))) candidates.push(o);
  const words = h.split('_');
  const tails = words.slice(1).map((_, i) => words.slice(i + 1).join('_'));
  for (const o of candidates) {
    const out: Threshold[] = [];
    const tryRules = (rules: [string, 'max' | 'min'][]) => {
      for (const [key, side] of rules) {
        const v = o[key];
        if (typeof v === 'number' && Number.isFinite(v)) out.push({ value: v, label: `${key} = ${v}`, side });
      }
    };
    tryRules([
      [`max_${h}`, 'max'],
      [`${h}_max`, 'max'],
      [`min_${h}`, 'min'],
      [`${h}_min`, 'min'],
      [`${h}_threshold`, 'max'],
      [h, 'max'],
    ]);
    for (const t of tails) {
      if (out.length) break;
      tryRules([
        [`max_${t}`, 'max'],
        [`min_${t}`, 'min'],
      ]);
    }
    if (out.length) return out;
  }
  return [];
}

/**
 * Thresholds as the stages applied them: a Drop made by `dropFor` has the detail
 * `<value><op><threshold>` (src/stage.ts). For a histogram named like a removal reason of the
 * same stage, the sampled removals give the threshold and its side.
 */
export function thresholdsFromDrops(groups: SampleGroup[], stage: string, h: string): Threshold[] {
  const g = groups.find((x) => x.stage === stage && x.reason === h);
  for (const d of g?.docs ?? []) {
    const m = /^(-?[\d.]+(?:e[+-]?\d+)?)(>=|<=|>|<)(-?[\d.]+(?:e[+-]?\d+)?)$/i.exec(d.detail ?? '');
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const side = m[2]!.startsWith('>') ? 'max' : 'min';
    return [{ value, label: `${h} ${m[2]} ${value} (from removals)`, side }];
  }
  return [];
}

const LENGTH_HISTS = ['doc_chars', 'chars', 'length'];
const TOKEN_HISTS = ['token_count', 'tokens'];

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function tlds(hosts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [h, n] of Object.entries(hosts)) {
    const t = tldOf(h);
    if (t) out[t] = (out[t] ?? 0) + n;
  }
  return out;
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function buildModel(run: RunData, opts: { top?: number } = {}): ReportModel {
  const top = opts.top ?? 15;
  const statsPasses = run.stats?.passes ?? [];
  const sections = configSections(run.runJson);

  // Funnel: every stage of every pass that wrote documents, in run order.
  const rows: FunnelRow[] = [];
  for (const p of documentPasses({ passes: statsPasses })) for (const s of p.stages) rows.push({ pass: p.pass, stage: s.name, docsIn: s.stats.docsIn, docsOut: s.stats.docsOut, charsIn: s.stats.charsIn, charsOut: s.stats.charsOut, docsKept: 0, charsKept: null });
  const startDocs = rows[0]?.docsIn ?? statsPasses[0]?.reader?.docs ?? 0;
  const startChars = rows[0]?.charsIn ?? 0;
  let baseIdx = -1;
  rows.forEach((r, i) => {
    const stats = statsPasses.find((p) => p.pass === r.pass)?.stages.find((s) => s.name === r.stage)?.stats;
    const droppedChars = Object.values(stats?.dropped ?? {}).reduce((a, d) => a + d.chars, 0);
    const keptInputChars = r.charsIn - droppedChars;
    if (baseIdx < 0 && keptInputChars > 0 && r.charsOut < keptInputChars * 0.5) baseIdx = i;
  });
  const baseChars = baseIdx >= 0 ? rows[baseIdx]!.charsOut : startChars;
  rows.forEach((r, i) => {
    r.docsKept = startDocs > 0 ? r.docsOut / startDocs : 0;
    r.charsKept = i >= baseIdx && baseChars > 0 ? r.charsOut / baseChars : null;
  });
  const funnel: Funnel = {
    startDocs,
    startChars,
    rows,
    charsBase: baseIdx >= 0 ? { pass: rows[baseIdx]!.pass, stage: rows[baseIdx]!.stage, chars: baseChars } : undefined,
    written: statsPasses.filter((p) => p.docsWritten > 0 || p.tokensWritten > 0).map((p) => ({ pass: p.pass, docs: p.docsWritten, tokens: p.tokensWritten })),
  };

  const languageFunnel = buildLanguageFunnel(statsPasses[0], run.finalManifest, top);

  const reasons: StageReasons[] = [];
  const distributions: Distribution[] = [];
  const clusterSizes: Distribution[] = [];
  const stageTimes: StageTime[] = [];
  let languageScoreHist: { hist: Histogram; source: string } | undefined;
  let lengthHist: { hist: Histogram; source: string } | undefined;
  let tokenHist: { hist: Histogram; source: string } | undefined;
  for (const p of statsPasses) {
    for (const s of p.stages) {
      const st = s.stats;
      const rs = Object.entries(st.dropped)
        .map(([reason, d]) => ({ reason, docs: d.docs, chars: d.chars, frac: st.docsIn > 0 ? d.docs / st.docsIn : 0 }))
        .sort((a, b) => b.docs - a.docs || (a.reason < b.reason ? -1 : 1));
      const events = Object.entries(st.events).sort((a, b) => b[1] - a[1]);
      if (rs.length || events.length) reasons.push({ pass: p.pass, stage: s.name, docsIn: st.docsIn, reasons: rs, events });
      for (const [name, hist] of Object.entries(st.histograms).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (!hist || !Array.isArray(hist.edges) || !Array.isArray(hist.counts) || hist.counts.length !== hist.edges.length + 1) continue;
        const fromConfig = thresholdsFor(sections, p.pass, s.name, name);
        const thresholds = fromConfig.length ? fromConfig : thresholdsFromDrops(run.passes.find((x) => x.name === p.pass)?.removed ?? [], s.name, name);
        const d: Distribution = { pass: p.pass, stage: s.name, name, hist, thresholds };
        if (name === 'cluster_size') clusterSizes.push(d);
        else distributions.push(d);
        if (name === 'language_score' && !languageScoreHist && hist.n > 0) languageScoreHist = { hist, source: `histogram language_score of ${p.pass}/${s.name} (every document)` };
        if (LENGTH_HISTS.includes(name) && hist.n > 0) lengthHist = { hist, source: `histogram ${name} of ${p.pass}/${s.name}` };
        if (TOKEN_HISTS.includes(name) && hist.n > 0) tokenHist = { hist, source: `histogram ${name} of ${p.pass}/${s.name}` };
      }
      stageTimes.push({ pass: p.pass, stage: s.name, ms: st.ms, docsIn: st.docsIn, docsPerSec: st.ms > 0 ? (st.docsIn * 1000) / st.ms : 0 });
    }
  }

  // Profiles: kept = the last pass that profiled kept documents (what the run finally kept);
  // removed = every pass's removals together.
  const profiled = run.passes.filter((p) => p.profile);
  const keptPass = [...profiled].reverse().find((p) => p.profile!.kept.docs > 0);
  const keptProfile: SampleProfile = keptPass?.profile!.kept ?? emptyProfile();
  const removedProfile = emptyProfile();
  for (const p of profiled) {
    const r = p.profile!.removed;
    removedProfile.docs += r.docs;
    addCounts(removedProfile.languages, r.languages);
    addCounts(removedProfile.hosts, r.hosts);
    for (const k of ['chars', 'tokens', 'languageScore'] as const) {
      try {
        removedProfile[k] = mergeHistogram(removedProfile[k], r[k]);
      } catch {
        /* different edges: skip */
      }
    }
  }
  const profileSource = (p: PassData | undefined, what: string): string => {
    if (!p) return 'no samples';
    if (p.sampleSource === 'samples') {
      const f = p.sampleFiles;
      return f && f.read < f.available ? `${what}: every document of ${fmtCount(f.read)} of the ${fmtCount(f.available)} tasks of pass ${p.name} (samples/*.json)` : `${what}: every document of pass ${p.name} (samples/*.json)`;
    }
    return `${what}: ${fmtCount(p.scanned?.dataRows ?? 0)} kept and ${fmtCount(p.scanned?.excludedRows ?? 0)} removed rows read from the first shards of pass ${p.name} (no samples/*.json)`;
  };
  const subset = profiled.some((p) => p.sampleFiles && p.sampleFiles.read < p.sampleFiles.available);
  const profileSrc = profiled.length
    ? profiled.every((p) => p.sampleSource === 'samples')
      ? subset
        ? 'every document of a subset of the tasks, spread over the ranks (samples/*.json)'
        : 'every document (samples/*.json)'
      : 'a bounded prefix of the shards (some passes wrote no samples/*.json)'
    : 'no samples';
  if (!languageScoreHist) {
    const h = mergeHistogram(structuredClone(keptProfile.languageScore), removedProfile.languageScore);
    if (h.n > 0) languageScoreHist = { hist: h, source: `language_score of kept and removed documents, ${profileSrc}` };
  }
  if (keptProfile.chars.n > 0) lengthHist = { hist: keptProfile.chars, source: profileSource(keptPass, 'kept documents') };
  if (keptProfile.tokens.n > 0) tokenHist = { hist: keptProfile.tokens, source: profileSource(keptPass, 'kept documents') };

  // Reader: merged over passes that read input.
  let reader: ReaderStats | undefined;
  for (const p of statsPasses) if (p.reader) reader = mergeReaderStats(reader ?? emptyReaderStats(), p.reader);

  const retries: Record<string, number> = {};
  for (const p of statsPasses) addCounts(retries, p.retries ?? {});

  const passTimes: PassTime[] = statsPasses.map((p) => ({
    pass: p.pass,
    tasks: p.tasks,
    ms: p.ms,
    maxTaskMs: p.taskMs.reduce((a, t) => Math.max(a, t.ms), 0),
    taskHist: p.taskMs.reduce((h, t) => (addToHistogram(h, t.ms), h), newHistogram(LOG_EDGES)),
    medianTaskMs: median(p.taskMs.map((t) => t.ms)),
    readerMs: p.reader?.ms,
    readerBytes: p.reader?.bytes,
  }));
  const slowestTasks = statsPasses
    .flatMap((p) => p.taskMs.map((t) => ({ pass: p.pass, rank: t.rank, input: t.input, ms: t.ms })))
    .sort((a, b) => b.ms - a.ms || a.rank - b.rank)
    .slice(0, 10);

  const last = statsPasses.filter((p) => p.docsWritten > 0 || p.stages.length > 0).at(-1);
  const lastRow = rows.at(-1);
  const createdAt = typeof run.runJson?.createdAt === 'string' ? run.runJson.createdAt : undefined;

  return {
    root: run.root,
    createdAt,
    statsSource: run.statsSource,
    notes: run.notes,
    summary: {
      passes: statsPasses.length,
      tasks: statsPasses.reduce((a, p) => a + p.tasks, 0),
      inputDocs: startDocs,
      outputDocs: last?.docsWritten || lastRow?.docsOut || 0,
      outputTokens: last?.tokensWritten ?? 0,
      ms: statsPasses.reduce((a, p) => a + p.ms, 0),
    },
    funnel,
    languageFunnel,
    reasons,
    distributions,
    languages: { kept: topCounts(keptProfile.languages, top), removed: topCounts(removedProfile.languages, top), source: profileSrc },
    languageScore: languageScoreHist,
    domains: {
      keptHosts: topCounts(keptProfile.hosts, top),
      removedHosts: topCounts(removedProfile.hosts, top),
      keptTlds: topCounts(tlds(keptProfile.hosts), top),
      removedTlds: topCounts(tlds(removedProfile.hosts), top),
      source: profileSrc,
    },
    lengths: { chars: lengthHist, tokens: tokenHist },
    clusterSizes,
    stageTimes,
    passTimes,
    slowestTasks,
    reader,
    readerProblems: reader?.problems.slice(0, 100) ?? [],
    retries: Object.entries(retries).sort((a, b) => b[1] - a[1]),
    removedSamples: run.passes
      .filter((p) => p.removed.length)
      .map((p) => {
        const stages = statsPasses.find((s) => s.pass === p.name)?.stages ?? [];
        const groups = inPipelineOrder(p.removed, stages.map((s) => s.name)).map((g) => ({ ...g, removed: stages.find((s) => s.name === g.stage)?.stats.dropped[g.reason]?.docs }));
        return { pass: p.name, source: sampleSourceText(p), groups };
      }),
    keptSamples: run.passes.filter((p) => p.kept.length).map((p) => ({ pass: p.name, source: sampleSourceText(p), docs: p.kept })),
    passes: run.passes.map((p) => ({
      name: p.name,
      tasks: p.stats?.tasks ?? p.statsRanks.length,
      done: p.doneRanks.length,
      missingDone: p.missingDone,
      planned: p.plannedTasks,
      dataFiles: p.dataFiles.length,
      excludedFiles: p.excludedFiles.length,
      sampleSource: p.sampleSource,
    })),
  };
}

/**
 * The per-language funnel as table rows: a header (`step`, then the languages) and one row per
 * step, each cell "documents kept" plus "· tokens" where counted. One function for both
 * renderings (Markdown and HTML).
 */
export function languageFunnelTable(f: LanguageFunnel, fmt: (n: number) => string): { head: string[]; rows: string[][] } {
  const cell = (docs: number | undefined, tokens: number | undefined) => (docs === undefined ? '—' : `${fmt(docs)}${tokens ? ` · ${fmt(tokens)} t` : ''}`);
  const rows = f.rows.map((r) => [`${r.pass}/${r.stage}`, ...f.languages.map((l) => cell(r.counts[l]?.docsOut, r.counts[l]?.tokensOut))]);
  if (f.rows[0]) rows.unshift([`${f.rows[0].pass}/${f.rows[0].stage} (labelled, in)`, ...f.languages.map((l) => cell(f.rows[0]!.counts[l]?.docsIn, 0))]);
  if (f.final) rows.push(['final (after dedup)', ...f.languages.map((l) => cell(f.final![l]?.rows ?? 0, f.final![l]?.tokens))]);
  return { head: ['step', ...f.languages], rows };
}

function buildLanguageFunnel(stream: RunStats['passes'][number] | undefined, manifest: Record<string, unknown> | undefined, top: number): LanguageFunnel | undefined {
  const rows = (stream?.stages ?? []).filter((s) => s.stats.languages && Object.keys(s.stats.languages).length > 0).map((s) => ({ pass: stream!.pass, stage: s.name, counts: s.stats.languages! }));
  if (rows.length === 0) return undefined;
  const final = manifest?.languages && typeof manifest.languages === 'object' ? (manifest.languages as Record<string, { rows: number; tokens: number }>) : undefined;
  const last = rows.at(-1)!.counts;
  const kept = (l: string) => final?.[l]?.rows ?? last[l]?.docsOut ?? 0;
  const languages = Object.keys(last)
    .filter((l) => kept(l) > 0)
    .sort((a, b) => kept(b) - kept(a) || (a < b ? -1 : 1))
    .slice(0, top);
  return { languages, rows, final };
}

/** Sample groups in pipeline order (stage order of the stats), then most seen first. */
function inPipelineOrder(groups: SampleGroup[], stageOrder: string[]): SampleGroup[] {
  const pos = (s: string) => {
    const i = stageOrder.indexOf(s);
    return i < 0 ? stageOrder.length : i;
  };
  return [...groups].sort((a, b) => pos(a.stage) - pos(b.stage) || b.seen - a.seen || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

function sampleSourceText(p: PassData): string {
  if (p.sampleSource === 'samples') {
    const f = p.sampleFiles;
    const of = f && f.read < f.available ? `, ${fmtCount(f.read)} of ${fmtCount(f.available)} tasks, spread over the ranks` : '';
    return `reservoir samples written by the tasks (${p.name}/samples/*.json${of})`;
  }
  if (p.sampleSource === 'shards') {
    const s = p.scanned;
    const part = (n: number, total: number, what: string) => (n >= total ? `all ${fmtCount(total)} ${what} rows` : `the first ${fmtCount(n)} of ${fmtCount(total)} ${what} rows`);
    return `${part(s?.excludedRows ?? 0, s?.excludedTotal ?? 0, 'excluded')} and ${part(s?.dataRows ?? 0, s?.dataTotal ?? 0, 'kept')} in the first shards of ${p.name} (no samples/*.json)`;
  }
  return 'none';
}

function fmtCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

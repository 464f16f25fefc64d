/**
 * Everything the report reads from a run directory, read defensively and bounded:
 * `stats.json` (or, when absent, the merge of `<pass>/stats/*.json`), `run.json`, the `done`
 * markers, `<pass>/samples/*.json`, and only when a pass has no sample files, the first rows
 * of its excluded/data shards. Nothing here reads a whole corpus; every gap becomes a note.
 */
import type { Storage } from '../storage/storage.js';
import { mergeStats, type RunStats, type TaskStats } from '../stats.js';
import { DEFAULT_SAMPLER, emptyProfile, hostOf, mapLimit, mergeSampleFiles, profileAdd, readSampleFiles, type SampleDoc, type SampleFile, type SampleGroup, type SampleProfile } from './samples.js';
import { num, openShard, str } from './shards.js';

export type PassStats = RunStats['passes'][number];

/** A removed document from a sample file or an excluded shard. */
export interface RemovedSample extends SampleDoc {
  stage: string;
  reason: string;
}

export interface PassData {
  name: string;
  stats?: PassStats;
  /** Ranks that wrote `stats/<rank>.json`, `done/<rank>`, and ranks seen anywhere without a done marker. */
  statsRanks: number[];
  doneRanks: number[];
  missingDone: number[];
  /** Tasks the plan in run.json announced, when it says. */
  plannedTasks?: number;
  dataFiles: { path: string; size: number }[];
  excludedFiles: { path: string; size: number }[];
  /** Merged `samples/*.json`, when the pass wrote them. */
  samples?: ReturnType<typeof mergeSampleFiles>;
  /** Where `removed`/`kept` below came from. */
  sampleSource: 'samples' | 'shards' | 'none';
  removed: SampleGroup[];
  kept: SampleDoc[];
  /**
   * Languages, hosts and lengths of kept and removed documents: exact over every document
   * when the pass wrote sample files; otherwise over the scanned prefix of its shards only.
   */
  profile?: { kept: SampleProfile; removed: SampleProfile };
  /** Sample files read, of those of committed tasks (at most LoadOptions.maxSampleFiles are read). */
  sampleFiles?: { read: number; available: number };
  /** When samples come from shards: how many rows were scanned, of how many. */
  scanned?: { excludedRows: number; excludedTotal: number; dataRows: number; dataTotal: number };
}

export interface RunData {
  root: string;
  runJson?: Record<string, unknown>;
  stats?: RunStats;
  statsSource: 'stats.json' | 'task stats' | 'none';
  /** `final/manifest.json`, when the final step ran (per-language totals with `output.by_language`). */
  finalManifest?: Record<string, unknown>;
  passes: PassData[];
  /** What is missing or odd, in plain words, for the report's "Missing data" section. */
  notes: string[];
}

export interface LoadOptions {
  /** Samples per (stage, reason) and of kept docs. */
  perKey: number;
  /** Characters of text kept per sample. */
  excerptChars: number;
  /** Fallback sampling: rows scanned at most per pass, in excluded and in data shards. */
  maxScanRows: number;
  /** Fallback sampling: shards opened at most per pass and kind. */
  maxScanFiles: number;
  /** Sample files read at most per pass, spread evenly over its tasks. */
  maxSampleFiles: number;
}

export const DEFAULT_LOAD: LoadOptions = { perKey: 5, excerptChars: 600, maxScanRows: 4000, maxScanFiles: 4, maxSampleFiles: 64 };

async function readJson(storage: Storage, path: string, notes: string[]): Promise<unknown> {
  if (!(await storage.exists(path))) return undefined;
  try {
    return JSON.parse((await storage.readAll(path)).toString('utf8')) as unknown;
  } catch (e) {
    notes.push(`${path} could not be read: ${(e as Error).message}`);
    return undefined;
  }
}

function isRunStats(x: unknown): x is RunStats {
  return !!x && Array.isArray((x as RunStats).passes);
}

const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
const n0 = (x: unknown): number => num(x) ?? 0;
function numbers(x: unknown): Record<string, number> {
  return Object.fromEntries(Object.entries(obj(x)).map(([k, v]) => [k, n0(v)]));
}

/**
 * stats.json as written by another version, or by hand: every field the report reads gets a
 * value of the right type (missing counts are 0), so one odd field cannot stop the report.
 */
export function normalizeRunStats(raw: RunStats): RunStats {
  return {
    passes: raw.passes.map((p0) => {
      const p = obj(p0);
      const reader = p.reader === undefined ? undefined : obj(p.reader);
      return {
        pass: String(p.pass ?? '?'),
        tasks: n0(p.tasks),
        reader: reader && {
          files: n0(reader.files),
          records: n0(reader.records),
          docs: n0(reader.docs),
          bytes: n0(reader.bytes),
          skipped: numbers(reader.skipped),
          problems: (Array.isArray(reader.problems) ? reader.problems : []).map((q0) => {
            const q = obj(q0);
            return { code: String(q.code ?? ''), file: String(q.file ?? ''), record: num(q.record), offset: num(q.offset), message: String(q.message ?? '') };
          }),
          ms: n0(reader.ms),
        },
        stages: (Array.isArray(p.stages) ? p.stages : []).map((s0) => {
          const s = obj(s0);
          const st = obj(s.stats);
          const hists = Object.entries(obj(st.histograms)).filter(([, h]) => {
            const o = obj(h);
            return Array.isArray(o.edges) && Array.isArray(o.counts) && o.counts.length === o.edges.length + 1;
          });
          return {
            name: String(s.name ?? '?'),
            stats: {
              docsIn: n0(st.docsIn),
              docsOut: n0(st.docsOut),
              charsIn: n0(st.charsIn),
              charsOut: n0(st.charsOut),
              dropped: Object.fromEntries(Object.entries(obj(st.dropped)).map(([k, d]) => [k, { docs: n0(obj(d).docs), chars: n0(obj(d).chars) }])),
              events: numbers(st.events),
              histograms: Object.fromEntries(hists.map(([k, h]) => {
                const o = obj(h);
                return [k, { edges: (o.edges as unknown[]).map(n0), counts: (o.counts as unknown[]).map(n0), sum: n0(o.sum), n: n0(o.n) }];
              })),
              ms: n0(st.ms),
              ...(st.languages && typeof st.languages === 'object'
                ? {
                    languages: Object.fromEntries(
                      Object.entries(obj(st.languages)).map(([l, c0]) => {
                        const c = obj(c0);
                        return [l, { docsIn: n0(c.docsIn), docsOut: n0(c.docsOut), charsIn: n0(c.charsIn), charsOut: n0(c.charsOut), tokensOut: n0(c.tokensOut) }];
                      }),
                    ),
                  }
                : {}),
            },
          };
        }),
        docsWritten: n0(p.docsWritten),
        tokensWritten: n0(p.tokensWritten),
        retries: numbers(p.retries),
        ms: n0(p.ms),
        taskMs: (Array.isArray(p.taskMs) ? p.taskMs : []).map((t0) => {
          const t = obj(t0);
          return { rank: n0(t.rank), input: typeof t.input === 'string' ? t.input : undefined, ms: n0(t.ms) };
        }),
      };
    }),
  };
}

function rankOf(path: string): number | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const m = /^(\d+)/.exec(base);
  return m ? Number(m[1]) : undefined;
}

/** Tasks per pass announced by run.json, in any of the shapes a plan may take. */
function plannedTasks(runJson: Record<string, unknown> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const plan = runJson?.plan;
  if (Array.isArray(plan)) {
    for (const p of plan) {
      const o = p as Record<string, unknown>;
      const name = str(o?.pass) ?? str(o?.name);
      const n = num(o?.tasks) ?? (Array.isArray(o?.ranks) ? o.ranks.length : undefined);
      if (name && n !== undefined) out.set(name, n);
    }
  } else if (plan && typeof plan === 'object') {
    for (const [k, v] of Object.entries(plan)) {
      const n = num(v) ?? num((v as Record<string, unknown>)?.tasks);
      if (n !== undefined) out.set(k, n);
    }
  }
  return out;
}

const EXCLUDED_COLUMNS = ['id', 'url', 'content', 'language', 'language_score', 'token_count', 'stage', 'reason', 'value', 'detail'];

function rowSample(r: Record<string, unknown>, excerptChars: number): SampleDoc {
  const text = str(r.content) ?? str(r.text) ?? '';
  const s: SampleDoc = { id: str(r.id) ?? String(num(r.id) ?? ''), url: str(r.url) ?? '', excerpt: text.slice(0, excerptChars), chars: text.length };
  const lang = str(r.language);
  if (lang) s.language = lang;
  const score = num(r.language_score);
  if (score !== undefined) s.languageScore = score;
  const tokens = num(r.token_count);
  if (tokens !== undefined) s.tokenCount = tokens;
  const value = num(r.value);
  if (value !== undefined) s.value = value;
  const detail = str(r.detail);
  if (detail) s.detail = detail;
  return s;
}

/**
 * Scan the first rows of excluded shards for samples of removed documents. Each chunk is first
 * read with only `stage`/`reason` (cheap), and fully only when it holds a wanted reason.
 * `want(stage, reason)` says whether a key still needs samples.
 */
export async function scanExcluded(
  storage: Storage,
  files: { path: string; size: number }[],
  opts: {
    perKey: number;
    excerptChars: number;
    maxScanRows: number;
    maxScanFiles: number;
    want?: (stage: string, reason: string) => boolean;
    /** Stop once this many documents are sampled in all. */
    stopAfter?: number;
    /** Stop once each of these `stage\0reason` keys has `perKey` documents. */
    expect?: string[];
  },
): Promise<{ groups: SampleGroup[]; scannedRows: number; totalRows: number; bad: string[]; profile: SampleProfile }> {
  const groups = new Map<string, SampleGroup>();
  const profile = emptyProfile();
  let hosts = new Map<string, number>();
  const bad: string[] = [];
  let scanned = 0;
  let total = 0;
  const CHUNK = 1000;
  const satisfied = (): boolean => {
    if (opts.stopAfter !== undefined && [...groups.values()].reduce((a, g) => a + g.docs.length, 0) >= opts.stopAfter) return true;
    return !!opts.expect?.length && opts.expect.every((k) => (groups.get(k)?.docs.length ?? 0) >= opts.perKey);
  };
  const wants = (stage: string, reason: string) => (opts.want ? opts.want(stage, reason) : true) && (groups.get(`${stage}\0${reason}`)?.docs.length ?? 0) < opts.perKey;
  for (const f of files.slice(0, opts.maxScanFiles)) {
    let shard;
    try {
      shard = await openShard(storage, f.path, f.size);
    } catch (e) {
      bad.push(`${f.path}: ${(e as Error).message}`);
      continue;
    }
    total += shard.rows;
    for (let start = 0; start < shard.rows && scanned < opts.maxScanRows && !satisfied(); start += CHUNK) {
      const end = Math.min(shard.rows, start + CHUNK, start + (opts.maxScanRows - scanned));
      const keys = await shard.read(start, end, ['stage', 'reason', 'url', 'language', 'language_score', 'token_count']);
      scanned += end - start;
      let wanted = false;
      for (const k of keys) {
        const stage = str(k.stage) ?? '';
        const reason = str(k.reason) ?? '';
        // Length is unknown without reading `content`, so it is left out of this profile.
        hosts = profileAdd(profile, hosts, { url: str(k.url) ?? '', language: str(k.language), languageScore: num(k.language_score), tokenCount: num(k.token_count) }, DEFAULT_SAMPLER.maxHosts);
        if (opts.want && !opts.want(stage, reason)) continue;
        wanted ||= wants(stage, reason);
        const key = `${stage}\0${reason}`;
        const g = groups.get(key);
        if (g) g.seen++;
        else groups.set(key, { stage, reason, seen: 1, docs: [] });
      }
      if (!wanted) continue;
      // Only now read the text columns of this chunk, for the keys that still need samples.
      const rows = await shard.read(start, end, EXCLUDED_COLUMNS);
      for (const r of rows) {
        const g = groups.get(`${str(r.stage) ?? ''}\0${str(r.reason) ?? ''}`);
        if (g && g.docs.length < opts.perKey) g.docs.push(rowSample(r, opts.excerptChars));
      }
    }
    if (scanned >= opts.maxScanRows || satisfied()) break;
  }
  profile.hosts = Object.fromEntries(hosts);
  return { groups: [...groups.values()], scannedRows: scanned, totalRows: total, bad, profile };
}

/** The first rows of data shards (kept documents), bounded. */
export async function scanKept(
  storage: Storage,
  files: { path: string; size: number }[],
  opts: { excerptChars: number; maxScanRows: number; maxScanFiles: number },
): Promise<{ docs: SampleDoc[]; scannedRows: number; totalRows: number; bad: string[] }> {
  const docs: SampleDoc[] = [];
  const bad: string[] = [];
  let total = 0;
  for (const f of files.slice(0, opts.maxScanFiles)) {
    try {
      const shard = await openShard(storage, f.path, f.size);
      total += shard.rows;
      const need = opts.maxScanRows - docs.length;
      if (need <= 0) continue;
      for (const r of await shard.read(0, need, EXCLUDED_COLUMNS)) docs.push(rowSample(r, opts.excerptChars));
    } catch (e) {
      bad.push(`${f.path}: ${(e as Error).message}`);
    }
  }
  return { docs, scannedRows: docs.length, totalRows: total, bad };
}

/** Every known pass name, in run order: stats.json first, then folders holding pass files. */
function passNames(stats: RunStats | undefined, byPass: Map<string, unknown>, planned: Map<string, number>): string[] {
  const names: string[] = [];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  for (const p of stats?.passes ?? []) add(p.pass);
  for (const n of planned.keys()) add(n);
  for (const n of byPass.keys()) add(n);
  return names;
}

const PASS_SUBDIRS = new Set(['data', 'excluded', 'stats', 'done', 'samples']);

/** Defaults overridden by the options that are set (an `undefined` option keeps the default). */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(options)) if (v !== undefined && k in defaults) (out as Record<string, unknown>)[k] = v;
  return out;
}

export async function loadRun(storage: Storage, options: Partial<LoadOptions> = {}): Promise<RunData> {
  const opts = withDefaults(DEFAULT_LOAD, options);
  const notes: string[] = [];
  const runJsonRaw = await readJson(storage, 'run.json', notes);
  const runJson = runJsonRaw && typeof runJsonRaw === 'object' && !Array.isArray(runJsonRaw) ? (runJsonRaw as Record<string, unknown>) : undefined;
  if (!runJson) notes.push('run.json is missing: the configuration (and so the thresholds on the distributions) is unknown.');

  // Group every file by pass folder: <pass>/<kind>/<file>.
  const byPass = new Map<string, Record<string, { path: string; size: number }[]>>();
  for (const o of await storage.list('')) {
    const parts = o.path.split('/');
    if (parts.length < 3 || !PASS_SUBDIRS.has(parts[1]!)) continue;
    const kinds = byPass.get(parts[0]!) ?? {};
    (kinds[parts[1]!] ??= []).push({ path: o.path, size: o.size });
    byPass.set(parts[0]!, kinds);
  }

  let stats: RunStats | undefined;
  let statsSource: RunData['statsSource'] = 'none';
  const statsRaw = await readJson(storage, 'stats.json', notes);
  if (isRunStats(statsRaw)) {
    stats = normalizeRunStats(statsRaw);
    statsSource = 'stats.json';
  } else {
    if (statsRaw !== undefined) notes.push('stats.json does not have the RunStats shape (no `passes` list).');
    const statFiles = [...byPass.values()].flatMap((kinds) => kinds.stats ?? []);
    const read = await mapLimit(statFiles, 8, (f) => readJson(storage, f.path, notes));
    const tasks = read.filter((t): t is TaskStats => !!t && typeof (t as TaskStats).pass === 'string' && Array.isArray((t as TaskStats).stages));
    let merged: RunStats | undefined;
    try {
      merged = tasks.length ? normalizeRunStats(mergeStats(tasks)) : undefined;
    } catch (e) {
      notes.push(`The task stats files could not be merged: ${(e as Error).message}`);
    }
    if (merged) {
      stats = merged;
      statsSource = 'task stats';
      notes.push(`stats.json is missing: merged the ${tasks.length} task stats files found (<pass>/stats/<rank>.json); the run may be unfinished.`);
    } else if (!tasks.length) {
      notes.push('No statistics: neither stats.json nor any <pass>/stats/<rank>.json exists. The run has not produced any finished task.');
    }
  }

  const planned = plannedTasks(runJson);
  const passes: PassData[] = [];
  for (const name of passNames(stats, byPass, planned)) {
    const kinds = byPass.get(name) ?? {};
    const ranksOf = (k: string) => [...new Set((kinds[k] ?? []).map((f) => rankOf(f.path)).filter((r): r is number => r !== undefined))].sort((a, b) => a - b);
    const statsRanks = ranksOf('stats');
    const doneRanks = ranksOf('done');
    const seen = new Set([...statsRanks, ...ranksOf('data'), ...ranksOf('excluded'), ...ranksOf('samples')]);
    const plannedN = planned.get(name);
    if (plannedN !== undefined) for (let r = 0; r < plannedN; r++) seen.add(r);
    const done = new Set(doneRanks);
    const missingDone = [...seen].filter((r) => !done.has(r)).sort((a, b) => a - b);
    const passStats = stats?.passes.find((p) => p.pass === name);
    const pd: PassData = {
      name,
      stats: passStats,
      statsRanks,
      doneRanks,
      missingDone,
      plannedTasks: plannedN,
      dataFiles: (kinds.data ?? []).filter((f) => f.path.endsWith('.parquet')),
      excludedFiles: (kinds.excluded ?? []).filter((f) => f.path.endsWith('.parquet')),
      sampleSource: 'none',
      removed: [],
      kept: [],
    };
    if (missingDone.length) {
      const list = missingDone.length > 20 ? `${missingDone.slice(0, 20).join(', ')}, ... (${missingDone.length} in all)` : missingDone.join(', ');
      notes.push(`Pass ${name}: task(s) ${list} have no done marker (failed or unfinished); their output is not counted as committed.`);
    }
    if (!passStats && stats) notes.push(`Pass ${name}: has files but no statistics.`);

    // Only committed tasks count: a task that died after writing shards or samples left
    // files without a done marker. A pass with no done marker at all (an older layout) is used as is.
    const committed = (path: string) => !doneRanks.length || done.has(rankOf(path) ?? -1);
    pd.dataFiles = pd.dataFiles.filter((f) => committed(f.path));
    pd.excludedFiles = pd.excludedFiles.filter((f) => committed(f.path));
    if (!doneRanks.length && seen.size) notes.push(`Pass ${name}: no task has a done marker; its files are read as they are.`);
    const sampleFiles = await readSampleFiles(storage, name, { accept: (r) => !doneRanks.length || done.has(r), max: opts.maxSampleFiles });
    pd.sampleFiles = { read: sampleFiles.files.length, available: sampleFiles.available };
    for (const b of sampleFiles.bad) notes.push(`${b} is not a readable sample file.`);
    if (sampleFiles.files.length) {
      pd.samples = mergeSampleFiles(sampleFiles.files, Math.max(opts.perKey, DEFAULT_SAMPLER.perKey));
      pd.sampleSource = 'samples';
      pd.removed = pd.samples.removed.map((g) => ({ ...g, docs: g.docs.slice(0, opts.perKey).map((d) => ({ ...d, excerpt: d.excerpt.slice(0, opts.excerptChars) })) }));
      pd.kept = pd.samples.kept.docs.slice(0, opts.perKey).map((d) => ({ ...d, excerpt: d.excerpt.slice(0, opts.excerptChars) }));
      pd.profile = pd.samples.profile;
    } else if (pd.excludedFiles.length || pd.dataFiles.length) {
      const expect = (passStats?.stages ?? []).flatMap((s) => Object.keys(s.stats.dropped).map((r) => `${s.name}\0${r}`));
      const ex = await scanExcluded(storage, pd.excludedFiles, { ...opts, expect });
      const kept = await scanKept(storage, pd.dataFiles, { ...opts, maxScanRows: Math.min(opts.maxScanRows, 2000) });
      for (const b of [...ex.bad, ...kept.bad]) notes.push(`Unreadable shard ${b}`);
      pd.sampleSource = 'shards';
      pd.removed = ex.groups.sort((a, b) => (a.stage + '\0' + a.reason < b.stage + '\0' + b.reason ? -1 : 1));
      pd.kept = kept.docs.slice(0, opts.perKey);
      const keptProfile = emptyProfile();
      let keptHosts = new Map<string, number>();
      for (const d of kept.docs) keptHosts = profileAdd(keptProfile, keptHosts, d, DEFAULT_SAMPLER.maxHosts);
      keptProfile.hosts = Object.fromEntries(keptHosts);
      pd.profile = { kept: keptProfile, removed: ex.profile };
      pd.scanned = { excludedRows: ex.scannedRows, excludedTotal: ex.totalRows, dataRows: kept.scannedRows, dataTotal: kept.totalRows };
    }
    passes.push(pd);
  }
  if (!passes.length) notes.push('The run directory holds no pass: nothing ran yet (or this is not a run directory).');
  const manifestRaw = await readJson(storage, 'final/manifest.json', notes);
  const finalManifest = manifestRaw && typeof manifestRaw === 'object' && !Array.isArray(manifestRaw) ? (manifestRaw as Record<string, unknown>) : undefined;
  return { root: storage.root, runJson, stats, statsSource, finalManifest, passes, notes };
}

/** All removed samples of a run, flattened (for `inspect` and the report's sample section). */
export function removedSamples(run: RunData): RemovedSample[] {
  return run.passes.flatMap((p) => p.removed.flatMap((g) => g.docs.map((d) => ({ ...d, stage: g.stage, reason: g.reason }))));
}

export { hostOf };
export type { SampleFile };

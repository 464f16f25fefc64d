/**
 * Statistics: every task writes one `TaskStats` (`<pass>/stats/<rank>.json`); the run's
 * `stats.json` is their merge (`mergeStats`), in rank order, so it does not depend on how
 * many workers ran the tasks. The report (`refinery report`) reads only these files.
 */

/** Counts of a removal reason. */
export interface ReasonCount {
  docs: number;
  /** Characters of text (or HTML before extraction) removed. */
  chars: number;
}

/**
 * A fixed-bucket histogram (mergeable by adding counts). Buckets are `edges.length + 1`:
 * (-inf, e0), [e0, e1), ..., [e_last, +inf).
 */
export interface Histogram {
  edges: number[];
  counts: number[];
  sum: number;
  n: number;
}

export interface StageStats {
  docsIn: number;
  docsOut: number;
  charsIn: number;
  charsOut: number;
  /** Removals by reason. */
  dropped: Record<string, ReasonCount>;
  /** Other events a stage counted (not removals). */
  events: Record<string, number>;
  /** Distributions of measured values (`ctx.observe`). */
  histograms: Record<string, Histogram>;
  /** Wall time spent inside the stage. */
  ms: number;
  /**
   * The same counts per document language (lid.176 code), for documents that have one after
   * the stage (so from the language stage on): the per-language funnel. Tokens are counted
   * once documents carry a token count.
   */
  languages?: Record<string, LanguageCounts>;
}

export interface LanguageCounts {
  docsIn: number;
  docsOut: number;
  charsIn: number;
  charsOut: number;
  tokensOut: number;
}

export function emptyLanguageCounts(): LanguageCounts {
  return { docsIn: 0, docsOut: 0, charsIn: 0, charsOut: 0, tokensOut: 0 };
}

/** One problem met while reading input: always located. */
export interface InputProblem {
  code: string;
  file: string;
  record?: number;
  offset?: number;
  message: string;
}

export interface ReaderStats {
  files: number;
  /** Records read from the input (all types). */
  records: number;
  /** Documents the reader passed on to the first stage. */
  docs: number;
  /** Bytes read from storage (compressed). */
  bytes: number;
  /** Records not passed on, by reason (`not_response`, `http_404`, `not_html`, `too_large`, `corrupt`, ...). */
  skipped: Record<string, number>;
  /** Located problems; the first `maxProblems` are kept, all are counted in `skipped`. */
  problems: InputProblem[];
  /**
   * Documents passed on with a field that could not be read and was left empty, by field
   * (e.g. `timestamp`). Not skips: these documents are in `docs`. Absent in older stats.
   */
  fieldsDropped?: Record<string, number>;
  ms: number;
}

export interface TaskStats {
  pass: string;
  rank: number;
  input?: string;
  reader?: ReaderStats;
  /** Records of the input counted as bad (with a located problem); all of them = unreadable input. */
  badRecords?: number;
  /** Per stage, in pipeline order. */
  stages: { name: string; stats: StageStats }[];
  /** Documents written to the output (kept). */
  docsWritten: number;
  tokensWritten: number;
  /** Storage retries (http, s3), by kind. */
  retries: Record<string, number>;
  ms: number;
}

/** Run-level stats.json: per pass, the merge of its tasks; plus the per-task times for the report. */
export interface RunStats {
  passes: {
    pass: string;
    tasks: number;
    reader?: ReaderStats;
    stages: { name: string; stats: StageStats }[];
    docsWritten: number;
    tokensWritten: number;
    retries: Record<string, number>;
    /** Sum of task times (CPU-ish), and each task's time, for "slowest tasks". */
    ms: number;
    taskMs: { rank: number; input?: string; ms: number }[];
    /**
     * CPU time (user + system) of the process that ran the pass's tasks, all its threads (the
     * local pool), measured around the pass by `refinery run`. Absent when the run resumed
     * (the earlier tasks' CPU is not known) and on Slurm (tasks run in other processes).
     */
    cpuMs?: number;
  }[];
  /** Inputs from which nothing could be read (empty, or every record bad): exit code 1. */
  unreadableInputs?: string[];
}

/**
 * The passes whose stages belong in a removal funnel: the first (streaming) pass and every pass
 * that wrote documents. Bookkeeping passes (MinHash signatures and clusters, index passes)
 * decide removals that the pass writing the documents makes, and counts, again.
 */
export function documentPasses(stats: RunStats): RunStats['passes'] {
  return stats.passes.filter((p, i) => i === 0 || p.docsWritten > 0);
}

export function emptyStageStats(): StageStats {
  return { docsIn: 0, docsOut: 0, charsIn: 0, charsOut: 0, dropped: {}, events: {}, histograms: {}, ms: 0 };
}

export function emptyReaderStats(): ReaderStats {
  return { files: 0, records: 0, docs: 0, bytes: 0, skipped: {}, problems: [], ms: 0 };
}

/** Default histogram edges for a fraction in [0, 1]: 50 buckets. */
export const FRACTION_EDGES = Array.from({ length: 51 }, (_, i) => i / 50);

/** Default log-spaced edges for counts and lengths (1 .. 1e7). */
export const LOG_EDGES = Array.from({ length: 36 }, (_, i) => Math.round(10 ** (i / 5)));

export function newHistogram(edges: number[]): Histogram {
  return { edges, counts: new Array(edges.length + 1).fill(0), sum: 0, n: 0 };
}

export function addToHistogram(h: Histogram, value: number): void {
  // Binary search for the first edge > value.
  let lo = 0;
  let hi = h.edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h.edges[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  h.counts[lo]!++;
  h.sum += value;
  h.n++;
}

function addRecord(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function mergeHistogram(into: Histogram | undefined, from: Histogram): Histogram {
  if (!into) return structuredClone(from);
  if (into.edges.length !== from.edges.length) throw new Error('cannot merge histograms with different edges');
  for (let i = 0; i < from.counts.length; i++) into.counts[i]! += from.counts[i]!;
  into.sum += from.sum;
  into.n += from.n;
  return into;
}

export function mergeStageStats(into: StageStats, from: StageStats): StageStats {
  into.docsIn += from.docsIn;
  into.docsOut += from.docsOut;
  into.charsIn += from.charsIn;
  into.charsOut += from.charsOut;
  for (const [k, v] of Object.entries(from.dropped)) {
    const d = (into.dropped[k] ??= { docs: 0, chars: 0 });
    d.docs += v.docs;
    d.chars += v.chars;
  }
  addRecord(into.events, from.events);
  for (const [k, h] of Object.entries(from.histograms)) into.histograms[k] = mergeHistogram(into.histograms[k], h);
  into.ms += from.ms;
  if (from.languages) {
    into.languages ??= {};
    for (const [lang, c] of Object.entries(from.languages)) {
      const t = (into.languages[lang] ??= emptyLanguageCounts());
      t.docsIn += c.docsIn;
      t.docsOut += c.docsOut;
      t.charsIn += c.charsIn;
      t.charsOut += c.charsOut;
      t.tokensOut += c.tokensOut;
    }
  }
  return into;
}

export const MAX_PROBLEMS_KEPT = 1000;

/**
 * Count `n` records not passed on for `reason`, with the located problem if given: the one
 * place every reader reports a skipped record (so records = docs + sum(skipped) holds by
 * construction, and a "stop at the first bad record" hook has one place to go).
 */
export function countSkipped(stats: ReaderStats, reason: string, n = 1, problem?: InputProblem): void {
  stats.records += n;
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + n;
  if (!problem) return;
  if (stats.problems.length < MAX_PROBLEMS_KEPT) stats.problems.push(problem);
  problemHooks.get(stats)?.(problem, n);
}

/**
 * Called for every located problem `countSkipped` records (also past MAX_PROBLEMS_KEPT), with
 * the number of records it covers. It may throw to stop reading (--strict): the readers let a
 * `ERR_BAD_RECORD` error through instead of counting it as a broken stream.
 */
export type ProblemHook = (problem: InputProblem, records: number) => void;
const problemHooks = new WeakMap<ReaderStats, ProblemHook>();

/** Have `hook` see every problem counted into `stats` (one reader's stats, one hook). */
export function watchProblems(stats: ReaderStats, hook: ProblemHook): void {
  problemHooks.set(stats, hook);
}

/** Count a document passed on with `field` left empty because its value could not be read. */
export function countFieldDropped(stats: ReaderStats, field: string): void {
  const f = (stats.fieldsDropped ??= {});
  f[field] = (f[field] ?? 0) + 1;
}

export function mergeReaderStats(into: ReaderStats, from: ReaderStats): ReaderStats {
  into.files += from.files;
  into.records += from.records;
  into.docs += from.docs;
  into.bytes += from.bytes;
  addRecord(into.skipped, from.skipped);
  for (const p of from.problems) if (into.problems.length < MAX_PROBLEMS_KEPT) into.problems.push(p);
  if (from.fieldsDropped) addRecord((into.fieldsDropped ??= {}), from.fieldsDropped);
  into.ms += from.ms;
  return into;
}

/** Merge task stats (any order given; merged in rank order so the result is deterministic). */
export function mergeStats(tasks: TaskStats[]): RunStats {
  const byPass = new Map<string, TaskStats[]>();
  for (const t of tasks) {
    if (!byPass.has(t.pass)) byPass.set(t.pass, []);
    byPass.get(t.pass)!.push(t);
  }
  const passes: RunStats['passes'] = [];
  for (const [pass, list] of byPass) {
    list.sort((a, b) => a.rank - b.rank);
    let reader: ReaderStats | undefined;
    const stages: { name: string; stats: StageStats }[] = [];
    const retries: Record<string, number> = {};
    let docsWritten = 0;
    let tokensWritten = 0;
    let ms = 0;
    for (const t of list) {
      if (t.reader) reader = mergeReaderStats(reader ?? emptyReaderStats(), t.reader);
      t.stages.forEach((s, i) => {
        if (!stages[i]) stages[i] = { name: s.name, stats: emptyStageStats() };
        mergeStageStats(stages[i]!.stats, s.stats);
      });
      addRecord(retries, t.retries);
      docsWritten += t.docsWritten;
      tokensWritten += t.tokensWritten;
      ms += t.ms;
    }
    passes.push({
      pass,
      tasks: list.length,
      reader,
      stages,
      docsWritten,
      tokensWritten,
      retries,
      ms,
      taskMs: list.map((t) => ({ rank: t.rank, input: t.input, ms: t.ms })),
    });
  }
  // An input that gave no record, or only bad ones, is unreadable (an empty file alike).
  const unreadableInputs = passes.length
    ? byPass.get(passes[0]!.pass)!.filter((t) => t.reader && t.reader.records === (t.badRecords ?? 0)).map((t) => t.input ?? `task ${t.rank}`)
    : [];
  return unreadableInputs.length ? { passes, unreadableInputs } : { passes };
}

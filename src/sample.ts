/**
 * A run on a sample of the input files, and what it says about the whole input (issue #17):
 * the funnel per streaming stage, the output size and the core-hours, each with an interval.
 *
 * Design. The files are the sampling units (a cluster sample: a file's documents come from one
 * crawl slice and share its fate, so documents are not independent draws). Files are put in a
 * stratified order (by CommonCrawl segment, then by a seeded random key) and drawn by
 * systematic sampling from it, so every segment gets its share of the sample (proportional
 * allocation) and the draw depends only on the seed and the file names.
 *
 * Estimator. Every figure is a ratio of two sums over files, R = Σy / Σz (documents removed by
 * a stage per document entering it; documents written per input byte), whose variance is the
 * linearized one of the ratio estimator (Cochran, Sampling Techniques, 3rd ed., §6.3-6.4):
 * v(R) = (1 - f) / (n z̄²) · Σ (y_i - R z_i)² / (n - 1), f = n/N, with a Student t interval on
 * n - 1 degrees of freedom. The variance is that of a simple random sample of files, which
 * ignores the stratification's gain: conservative when segments differ. Totals for the whole
 * input scale by its bytes (R · X, file sizes as the auxiliary variable) when every input's
 * size is known, else by its file count (N · ȳ, the mean per file).
 */
import { dumpAndSegmentFromPath } from './readers/warc.js';
import { fnv1a, seededRandom } from './random.js';
import { documentPasses, type RunStats, type TaskStats } from './stats.js';

export interface SampleRequest {
  /** A share of the input files in (0, 1] (`--sample 0.5%`). */
  share?: number;
  /** A number of files (`--sample-files N`). */
  files?: number;
  seed: number;
}

export interface SampleSelection<T> {
  /** The files to run, sorted by name like every run's inputs. */
  picked: T[];
  /** Files in the whole input. */
  total: number;
  seed: number;
  stratifiedBy: 'segment' | 'none';
  strata: number;
  /** What was decided for the user (raised to 2 files, all files taken), to be said. */
  notes: string[];
}

/** The stratum of an input: its CommonCrawl segment when its path names one. */
function stratumOf(uri: string): string | undefined {
  return dumpAndSegmentFromPath(uri).segment;
}

/**
 * The files of a sample: a deterministic function of the seed and the file names below their
 * common folder (not of the order they were listed in, nor of where the dump is mounted).
 * Systematic sampling over the stratified order: with step N/n from a seeded start, each
 * segment gets ⌊n·N_h/N⌋ or ⌈n·N_h/N⌉ files, and when n is smaller than the number of
 * segments the sample is spread evenly over them.
 */
export function selectSample<T extends { uri: string }>(inputs: T[], req: SampleRequest): SampleSelection<T> {
  const total = inputs.length;
  const notes: string[] = [];
  let want = req.files ?? Math.ceil((req.share ?? 1) * total);
  if (req.files === undefined && want < 2 && total >= 2) {
    notes.push(`${((req.share ?? 0) * 100).toPrecision(3)}% of ${total} files is fewer than 2: raised to 2 files (an interval needs at least 2)`);
    want = 2;
  }
  const strata = new Map<string, T[]>();
  for (const input of inputs) {
    const key = stratumOf(input.uri) ?? '';
    if (!strata.has(key)) strata.set(key, []);
    strata.get(key)!.push(input);
  }
  const stratifiedBy = inputs.some((i) => stratumOf(i.uri) !== undefined) ? 'segment' : 'none';
  const base = { total, seed: req.seed, stratifiedBy, strata: strata.size, notes } as const;
  if (want >= total) {
    if (req.files !== undefined && req.files > total) notes.push(`--sample-files ${req.files} is more than the ${total} input file(s): all of them are run, so the figures are the run's own (no sampling error)`);
    else notes.push(`the sample is all ${total} input files: the figures are the run's own (no sampling error)`);
    return { ...base, picked: [...inputs].sort(byUri) };
  }
  // Keyed by the path below the inputs' common folder: the same dump read from CommonCrawl or
  // from a mirror (or a test's temporary folder) gives the same files for a seed.
  const common = commonFolder(inputs.map((i) => i.uri));
  const key = (uri: string) => seededRandom(fnv1a(`${req.seed}\0${uri.slice(common.length)}`))();
  const ordered = [...strata.keys()].sort().flatMap((k) => strata.get(k)!.map((i) => ({ i, k: key(i.uri) })).sort((a, b) => a.k - b.k || byUri(a.i, b.i)).map((e) => e.i));
  const step = total / want;
  const start = seededRandom(fnv1a(`${req.seed}\0start`))() * step;
  const picked = Array.from({ length: want }, (_, k) => ordered[Math.floor(start + k * step)]!);
  if (want === 1) notes.push('a sample of 1 file gives point estimates only: an interval needs at least 2 files');
  return { ...base, picked: picked.sort(byUri) };
}

/** The longest common prefix of the names that ends with a `/` (or is empty). */
function commonFolder(uris: string[]): string {
  if (uris.length === 0) return '';
  let prefix = uris[0]!;
  for (const u of uris) {
    let i = 0;
    while (i < prefix.length && i < u.length && prefix[i] === u[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix.slice(0, prefix.lastIndexOf('/') + 1);
}

const byUri = (a: { uri: string }, b: { uri: string }) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Student t quantiles (for the interval over n - 1 degrees of freedom).

/** ln Γ(x), x > 0: Lanczos' approximation (g = 7, 9 terms), |error| < 1e-13 on the range used. */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function, by the modified Lentz method. */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (p in (0.5, 1)), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 1e6;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------------------------------------
// Estimates.

/** A figure for the whole input: the estimate and its interval (null when there is none). */
export interface Estimate {
  estimate: number;
  low: number | null;
  high: number | null;
}

interface Design {
  /** Files sampled and in the whole input. */
  n: number;
  N: number;
  /** t quantile for the interval (NaN when n < 2). */
  t: number;
}

const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);

/** R = Σy / Σz and its linearized interval (see the file comment); `clamp` bounds a share. */
function ratioEstimate(y: number[], z: number[], d: Design, clamp?: [number, number]): Estimate {
  const zs = sum(z);
  const r = zs > 0 ? sum(y) / zs : 0;
  const f = d.n / d.N;
  if (f >= 1) return { estimate: r, low: r, high: r };
  if (d.n < 2 || zs <= 0) return { estimate: r, low: null, high: null };
  const zbar = zs / d.n;
  const s2 = sum(y.map((yi, i) => (yi - r * z[i]!) ** 2)) / (d.n - 1);
  const half = d.t * Math.sqrt(((1 - f) * s2) / (d.n * zbar * zbar));
  const [lo, hi] = clamp ?? [-Infinity, Infinity];
  return { estimate: r, low: Math.max(lo, r - half), high: Math.min(hi, r + half) };
}

function scaled(e: Estimate, k: number): Estimate {
  return { estimate: e.estimate * k, low: e.low === null ? null : e.low * k, high: e.high === null ? null : e.high * k };
}

/**
 * A total over the whole input: R · X with file bytes as the auxiliary variable when the input's
 * bytes X are known, else N · ȳ (the ratio to a count of one per file).
 */
function totalEstimate(y: number[], bytes: number[], inputBytes: number | undefined, d: Design): Estimate {
  if (d.n >= d.N) {
    const all = sum(y); // every file ran: the run's own total, not a float ratio of it
    return { estimate: all, low: all, high: all };
  }
  if (inputBytes !== undefined) return scaled(ratioEstimate(y, bytes, d, [0, Infinity]), inputBytes);
  return scaled(ratioEstimate(y, y.map(() => 1), d, [0, Infinity]), d.N);
}

export interface StageEstimate {
  pass: string;
  stage: string;
  /** In the sample. */
  docsIn: number;
  docsOut: number;
  /** Share of the documents entering the stage that it removes. */
  removed: Estimate;
  /** The same per reason. */
  reasons: Record<string, Estimate>;
  /** Share of the documents read that are still there after the stage. */
  kept: Estimate;
  /**
   * Corpus passes: the sample's own share, a lower bound for the whole input (a sample holds
   * few of the duplicates that other files would have given); no interval.
   */
  lowerBound: boolean;
}

export interface SampleEstimate {
  version: 1;
  design: {
    inputs: number;
    sampled: number;
    share: number;
    seed: number;
    selection: string;
    stratifiedBy: 'segment' | 'none';
    strata: number;
    sampledFiles: string[];
    notes: string[];
  };
  confidence: number;
  interval: string;
  /** How totals scale to the whole input: by its bytes, or by its number of files. */
  scaleBy: 'bytes' | 'files';
  /** Bytes of the whole input when every size is known, and how many sizes were not. */
  inputBytes: number | null;
  unsizedInputs: number;
  sampleBytes: number;
  stages: StageEstimate[];
  output: {
    /** After the streaming stages: documents and tokens for the whole input, with intervals. */
    streaming: { docs: Estimate; tokens: Estimate };
    /**
     * After every pass. With corpus passes: the sample's share that survives them applied to the
     * streaming estimate, an upper bound (their removals are lower bounds), no interval.
     */
    final: { docs: Estimate; tokens: Estimate; upperBound: boolean };
  };
  cpu: {
    /** How the sample's CPU time was measured and split over its files. */
    method: string;
    /** CPU seconds of the sample's streaming pass, null when not measured (resumed run). */
    sampleStreamingSeconds: number | null;
    /** MB of input per CPU second (one core). */
    streamingMBPerCoreSecond: number | null;
    streamingCoreHours: Estimate | null;
    /** Corpus passes scaled linearly from the sample: a rough figure, no interval. */
    corpusCoreHours: number | null;
    totalCoreHours: number | null;
    notes: string[];
  };
}

export const SAMPLE_CONFIDENCE = 0.95;
export const SAMPLE_INTERVAL = 'ratio estimator over files (the files are the sampling units: a cluster sample), linearized between-file variance with finite-population correction, Student t interval on n-1 degrees of freedom';

/** One sampled file's counts, from its streaming task. */
interface FileUnit {
  bytes: number;
  docsRead: number;
  stages: { in: number; out: number; dropped: Record<string, number> }[];
  docsWritten: number;
  tokensWritten: number;
  ms: number;
}

function fileUnit(t: TaskStats, listedSize: number | undefined): FileUnit {
  return {
    bytes: listedSize ?? t.reader?.bytes ?? 0,
    docsRead: t.stages[0]?.stats.docsIn ?? t.reader?.docs ?? 0,
    stages: t.stages.map((s) => ({ in: s.stats.docsIn, out: s.stats.docsOut, dropped: Object.fromEntries(Object.entries(s.stats.dropped).map(([k, v]) => [k, v.docs])) })),
    docsWritten: t.docsWritten,
    tokensWritten: t.tokensWritten,
    ms: t.ms,
  };
}

export interface SampleInput {
  selection: SampleSelection<{ uri: string; size?: number }>;
  /** Every input of the whole listing, with sizes where known. */
  all: { uri: string; size?: number }[];
  /** The sample run's merged stats and its streaming tasks, in rank order (= selection.picked order). */
  stats: RunStats;
  streamTasks: TaskStats[];
}

/** Every figure of the sample, for the whole input. */
export function estimateFromSample(a: SampleInput): SampleEstimate {
  const { selection, stats } = a;
  const n = a.streamTasks.length;
  const N = selection.total;
  const d: Design = { n, N, t: n >= 2 ? studentTQuantile(1 - (1 - SAMPLE_CONFIDENCE) / 2, n - 1) : NaN };
  const sizeOf = new Map(a.all.map((i) => [i.uri, i.size]));
  const units = a.streamTasks.map((t) => fileUnit(t, sizeOf.get(t.input ?? '')));
  const unsized = a.all.filter((i) => i.size === undefined).length;
  const inputBytes = unsized === 0 ? sum(a.all.map((i) => i.size!)) : undefined;
  const col = (f: (u: FileUnit) => number) => units.map(f);
  const bytes = col((u) => u.bytes);
  const read = col((u) => u.docsRead);

  const stream = stats.passes[0]!;
  const stages: StageEstimate[] = stream.stages.map(({ name }, s) => {
    const ins = col((u) => u.stages[s]?.in ?? 0);
    const reasons = Object.keys(stream.stages[s]!.stats.dropped).sort();
    return {
      pass: stream.pass,
      stage: name,
      docsIn: sum(ins),
      docsOut: sum(col((u) => u.stages[s]?.out ?? 0)),
      removed: ratioEstimate(col((u) => (u.stages[s] ? u.stages[s]!.in - u.stages[s]!.out : 0)), ins, d, [0, 1]),
      reasons: Object.fromEntries(reasons.map((r) => [r, ratioEstimate(col((u) => u.stages[s]?.dropped[r] ?? 0), ins, d, [0, 1])])),
      kept: ratioEstimate(col((u) => u.stages[s]?.out ?? 0), read, d, [0, 1]),
      lowerBound: false,
    };
  });

  // Corpus passes run on the sample's documents only: their removals are not per file.
  const readTotal = sum(read);
  const docPasses = documentPasses(stats);
  for (const p of docPasses.slice(1)) {
    for (const { name, stats: s } of p.stages) {
      const share = (x: number) => ({ estimate: s.docsIn ? x / s.docsIn : 0, low: null, high: null });
      stages.push({
        pass: p.pass,
        stage: name,
        docsIn: s.docsIn,
        docsOut: s.docsOut,
        removed: share(s.docsIn - s.docsOut),
        reasons: Object.fromEntries(Object.entries(s.dropped).map(([r, c]) => [r, share(c.docs)])),
        kept: { estimate: readTotal ? s.docsOut / readTotal : 0, low: null, high: null },
        lowerBound: true,
      });
    }
  }

  const streamingDocs = totalEstimate(col((u) => u.docsWritten), bytes, inputBytes, d);
  const streamingTokens = totalEstimate(col((u) => u.tokensWritten), bytes, inputBytes, d);
  const last = docPasses.at(-1)!;
  const corpus = last !== stream && (last.docsWritten !== stream.docsWritten || last.tokensWritten !== stream.tokensWritten || stages.some((s) => s.lowerBound));
  const through = (final: number, streamed: number, e: Estimate): Estimate => ({ estimate: streamed ? (e.estimate * final) / streamed : 0, low: null, high: null });
  const final = corpus
    ? { docs: through(last.docsWritten, stream.docsWritten, streamingDocs), tokens: through(last.tokensWritten, stream.tokensWritten, streamingTokens), upperBound: true }
    : { docs: streamingDocs, tokens: streamingTokens, upperBound: false };

  return {
    version: 1,
    design: {
      inputs: N,
      sampled: n,
      share: N ? n / N : 0,
      seed: selection.seed,
      selection: selection.stratifiedBy === 'segment' ? 'systematic over the files ordered by segment, then by a seeded random key (proportional allocation to segments)' : 'systematic over the files in a seeded random order (a simple random sample of files)',
      stratifiedBy: selection.stratifiedBy,
      strata: selection.strata,
      sampledFiles: selection.picked.map((p) => p.uri),
      notes: selection.notes,
    },
    confidence: SAMPLE_CONFIDENCE,
    interval: SAMPLE_INTERVAL,
    scaleBy: inputBytes !== undefined ? 'bytes' : 'files',
    inputBytes: inputBytes ?? null,
    unsizedInputs: unsized,
    sampleBytes: sum(bytes),
    stages,
    output: { streaming: { docs: streamingDocs, tokens: streamingTokens }, final },
    cpu: cpuEstimate(stats, units, bytes, inputBytes, d),
  };
}

/**
 * Core-hours for the whole input. The sample's streaming-pass CPU (the pool's process, all its
 * threads) is split over its files by their task times, so each file carries a CPU cost and
 * the between-file variance applies; corpus passes scale linearly, which under-states the ones
 * that grow faster than the corpus (MinHash clustering, the cross-part match).
 */
function cpuEstimate(stats: RunStats, units: FileUnit[], bytes: number[], inputBytes: number | undefined, d: Design): SampleEstimate['cpu'] {
  const stream = stats.passes[0]!;
  const method = 'CPU time (user+system) of the local pool over each pass, split over the sample\'s files in proportion to their task times; scaled like the other totals';
  const notes: string[] = [];
  if (stream.cpuMs === undefined) {
    notes.push('not measured: the run resumed (earlier tasks\' CPU is not known); run the sample into a new --output');
    return { method, sampleStreamingSeconds: null, streamingMBPerCoreSecond: null, streamingCoreHours: null, corpusCoreHours: null, totalCoreHours: null, notes };
  }
  const taskMs = sum(units.map((u) => u.ms));
  const perFileCpuHours = units.map((u) => (taskMs > 0 ? (stream.cpuMs! * u.ms) / taskMs : stream.cpuMs! / units.length) / 3.6e6);
  const streamingCoreHours = totalEstimate(perFileCpuHours, bytes, inputBytes, d);
  const scale = inputBytes !== undefined ? inputBytes / Math.max(1, sum(bytes)) : d.N / d.n;
  const corpusPasses = stats.passes.slice(1);
  const corpusMs = corpusPasses.every((p) => p.cpuMs !== undefined) ? sum(corpusPasses.map((p) => p.cpuMs!)) : undefined;
  const corpusCoreHours = corpusMs === undefined ? null : (corpusMs / 3.6e6) * scale;
  // Each pool thread loads modules and models once, inside its first task: a fixed cost that
  // the whole input pays per worker too, not per file, so a sample of small files over-states it.
  notes.push(`the sample's CPU includes each worker's one-time start (modules, models: a few CPU seconds per worker); with ${(stream.cpuMs / 1000 / Math.max(1, units.length)).toFixed(1)} CPU s per sampled file that ${stream.cpuMs / 1000 / Math.max(1, units.length) < 60 ? 'over-states the core-hours (README, "Sampling a dump"); it is negligible for 1 GB CommonCrawl files' : 'is negligible'}`);
  if (corpusPasses.length) notes.push('corpus passes scaled linearly from the sample: a rough figure (dedup clustering and cross-part matching grow faster than the corpus; see docs/scaling.md)');
  return {
    method,
    sampleStreamingSeconds: stream.cpuMs / 1000,
    streamingMBPerCoreSecond: stream.cpuMs > 0 ? sum(bytes) / 1e6 / (stream.cpuMs / 1000) : null,
    streamingCoreHours,
    corpusCoreHours,
    totalCoreHours: corpusCoreHours === null ? null : streamingCoreHours.estimate + corpusCoreHours,
    notes,
  };
}

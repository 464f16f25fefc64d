/**
 * The ScrapingHub article-extraction benchmark's metric (its `evaluate.py`; MIT), reimplemented:
 * tokens are the matches of `\w+` (Python's Unicode \w: letters, digits, underscore); a text is
 * the multiset of its 4-token shingles (a text with fewer tokens is one shorter shingle); per
 * page TP/FP/FN are counted over shingles and normalized to sum to 1; precision is averaged
 * over pages with tp+fp > 0, recall over pages with tp+fn > 0; F1 = 2PR/(P+R); ± is the
 * standard deviation over bootstrap resamples of the pages.
 */

export type TpFpFn = [number, number, number];

const TOKEN_RE = /[\p{L}\p{N}_]+/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN_RE) ?? [];
}

function shingles(text: string, n: number): Map<string, number> {
  const tokens = tokenize(text);
  const counts = new Map<string, number>();
  const last = Math.max(1, tokens.length - n + 1);
  for (let i = 0; i < last; i++) {
    const sh = tokens.slice(i, i + n);
    if (sh.length === 0) continue;
    const key = sh.join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function shingleMatching(truth: string, pred: string, n = 4): TpFpFn {
  const t = shingles(truth, n);
  const p = shingles(pred, n);
  let tp = 0, fp = 0, fn = 0;
  for (const [k, tc] of t) {
    const pc = p.get(k) ?? 0;
    tp += Math.min(tc, pc);
    fn += Math.max(0, tc - pc);
  }
  for (const [k, pc] of p) fp += Math.max(0, pc - (t.get(k) ?? 0));
  const s = tp + fp + fn;
  return s > 0 ? [tp / s, fp / s, fn / s] : [tp, fp, fn];
}

function precisionScore([tp, fp, fn]: TpFpFn): number {
  if (fp === 0 && fn === 0) return 1;
  if (tp === 0 && fp === 0) return 0;
  return tp / (tp + fp);
}

function recallScore([tp, fp, fn]: TpFpFn): number {
  if (fp === 0 && fn === 0) return 1;
  if (tp === 0 && fn === 0) return 0;
  return tp / (tp + fn);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export interface Metrics { precision: number; recall: number; f1: number }

export function metricsOf(rows: TpFpFn[]): Metrics {
  const precision = mean(rows.filter(([tp, fp]) => tp + fp > 0).map(precisionScore));
  const recall = mean(rows.filter(([tp, , fn]) => tp + fn > 0).map(recallScore));
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

export function accuracy(truth: string, pred: string): number {
  const a = tokenize(truth), b = tokenize(pred);
  return a.length === b.length && a.every((x, i) => x === b[i]) ? 1 : 0;
}

/** Sample standard deviation of each metric over `n` bootstrap resamples (seeded: reproducible). */
export function bootstrapStd(rows: TpFpFn[], accuracies: number[], n = 1000, seed = 1): Metrics & { accuracy: number } {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    // xorshift32
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x100000000;
  };
  const vals = { precision: [] as number[], recall: [] as number[], f1: [] as number[], accuracy: [] as number[] };
  for (let b = 0; b < n; b++) {
    const idx = rows.map(() => Math.floor(rand() * rows.length));
    const m = metricsOf(idx.map((i) => rows[i]));
    vals.precision.push(m.precision); vals.recall.push(m.recall); vals.f1.push(m.f1);
    vals.accuracy.push(mean(idx.map((i) => accuracies[i])));
  }
  const std = (xs: number[]): number => {
    const m = mean(xs);
    return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  };
  return { precision: std(vals.precision), recall: std(vals.recall), f1: std(vals.f1), accuracy: std(vals.accuracy) };
}

/**
 * Inline SVG charts, generated as strings: the report must open offline with no script and no
 * CDN, so every chart is static markup styled by the page's CSS (classes `s0`..`s3`, `bar`,
 * `thr`). Each chart is an `<svg class="chart" data-chart=...>`; a chart is only emitted when
 * it has data (callers print a "missing" note instead), and every mark has a `<title>` tooltip.
 */
import type { Histogram } from '../stats.js';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 1234567 -> "1,234,567" (fixed format, independent of the machine's locale). */
export function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const s = Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}

/** Short human form: 1.2k, 3.4M, 5.6G. */
export function fmtShort(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${+(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(n / 1e3).toPrecision(3)}k`;
  if (Number.isInteger(n)) return String(n);
  return String(+n.toPrecision(3));
}

export function fmtPct(frac: number, digits = 1): string {
  return `${(frac * 100).toFixed(digits)}%`;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** A round axis: step of 1, 2 or 5 x 10^k (whole for counts), at most `ticks` steps to reach max. */
export function niceAxis(max: number, ticks: number, integer: boolean): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 1 };
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * p).find((st) => st >= raw * (1 - 1e-12))!;
  if (integer) step = Math.max(1, Math.ceil(step));
  return { max: step * Math.ceil(max / step - 1e-12), step };
}

function svgOpen(kind: string, w: number, h: number, label: string): string {
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">`;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export interface Bar {
  label: string;
  value: number;
  /** Tooltip; defaults to "label: value". */
  title?: string;
  /** Series class (`s0`..`s3`). */
  cls?: string;
  /** Text printed after the bar; defaults to the formatted value. */
  note?: string;
}

/** Horizontal bars, one per row, labels on the left. */
export function hBarChart(kind: string, label: string, bars: Bar[], opts: { fmt?: (v: number) => string; width?: number; labelWidth?: number } = {}): string {
  const fmt = opts.fmt ?? fmtInt;
  const width = opts.width ?? 640;
  const labelW = opts.labelWidth ?? 200;
  const noteW = 110;
  const rowH = 20;
  const h = bars.length * rowH + 8;
  const max = Math.max(...bars.map((b) => b.value), 0) || 1;
  const plotW = width - labelW - noteW;
  const out = [svgOpen(kind, width, h, label)];
  bars.forEach((b, i) => {
    const y = 4 + i * rowH;
    const w = b.value > 0 ? Math.max(1, (b.value / max) * plotW) : 0;
    const title = b.title ?? `${b.label}: ${fmt(b.value)}`;
    out.push(
      `<text class="lbl" x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(clip(b.label, 32))}</text>`,
      `<rect class="bar ${b.cls ?? 's0'}" x="${labelW}" y="${y + 3}" width="${r1(w)}" height="${rowH - 6}"><title>${esc(title)}</title></rect>`,
      `<text class="val" x="${r1(labelW + w + 4)}" y="${y + 14}">${esc(b.note ?? fmt(b.value))}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

export interface Series {
  name: string;
  cls: string;
}

export interface Group {
  label: string;
  /** One value per series; null = not applicable (no bar drawn). */
  values: (number | null)[];
  /** Per-value class override (e.g. to color by unit). */
  classes?: (string | undefined)[];
  titles?: (string | undefined)[];
}

/** Vertical grouped bars (e.g. the funnel: % kept after each step, one bar per measure). */
export function vGroupedBars(
  kind: string,
  label: string,
  groups: Group[],
  series: Series[],
  opts: { yMax?: number; fmt?: (v: number) => string; width?: number; height?: number } = {},
): string {
  const fmt = opts.fmt ?? ((v: number) => fmtPct(v));
  const width = opts.width ?? 560;
  const height = opts.height ?? 320;
  const left = 44;
  const right = 70;
  const bottom = 110;
  const top = 24;
  const plotH = height - top - bottom;
  const plotW = width - left - right;
  const yMax = opts.yMax ?? (Math.max(...groups.flatMap((g) => g.values.map((v) => v ?? 0)), 0) || 1);
  const gw = plotW / Math.max(1, groups.length);
  const bw = Math.max(2, (gw * 0.8) / Math.max(1, series.length));
  const out = [svgOpen(kind, width, height, label)];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    out.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${r1(y)}" y2="${r1(y)}"/>`, `<text class="tick" x="${left - 4}" y="${r1(y + 4)}" text-anchor="end">${esc(fmt(v))}</text>`);
  }
  groups.forEach((g, gi) => {
    const gx = left + gi * gw + gw * 0.1;
    g.values.forEach((v, si) => {
      if (v === null || !Number.isFinite(v)) return;
      const hgt = Math.max(v > 0 ? 1 : 0, (Math.min(v, yMax) / yMax) * plotH);
      const x = gx + si * bw;
      const title = g.titles?.[si] ?? `${g.label} — ${series[si]?.name ?? ''}: ${fmt(v)}`;
      out.push(`<rect class="bar ${g.classes?.[si] ?? series[si]?.cls ?? 's0'}" x="${r1(x)}" y="${r1(top + plotH - hgt)}" width="${r1(bw - 1)}" height="${r1(hgt)}"><title>${esc(title)}</title></rect>`);
    });
    const cx = left + gi * gw + gw / 2;
    out.push(`<text class="xlbl" transform="translate(${r1(cx)},${top + plotH + 8}) rotate(35)">${esc(clip(g.label, 24))}</text>`);
  });
  series.forEach((s, si) => {
    const x = left + si * 130;
    out.push(`<rect class="bar ${s.cls}" x="${x}" y="4" width="10" height="10"/>`, `<text class="lbl" x="${x + 14}" y="13">${esc(s.name)}</text>`);
  });
  out.push(`<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`, '</svg>');
  return out.join('');
}

export interface Threshold {
  value: number;
  label: string;
  /** Which side of the line is removed: `max` = above, `min` = below. */
  side: 'max' | 'min';
}

/** Index of the bucket a value falls in (same rule as addToHistogram). */
function bucketOf(edges: number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bucket i covers [edges[i-1], edges[i]); the first and last are open-ended. */
export function bucketLabel(edges: number[], i: number): string {
  if (i === 0) return `< ${fmtShort(edges[0]!)}`;
  if (i === edges.length) return `≥ ${fmtShort(edges[i - 1]!)}`;
  return `[${fmtShort(edges[i - 1]!)}, ${fmtShort(edges[i]!)})`;
}

/**
 * A histogram as vertical bars over its buckets (equal width per bucket, so log-spaced edges
 * read as a log axis), empty buckets at both ends trimmed, thresholds drawn as labelled lines
 * with the removed side shaded.
 */
export function histogramChart(kind: string, label: string, h: Histogram, opts: { thresholds?: Threshold[]; width?: number; height?: number } = {}): string {
  const width = opts.width ?? 560;
  const height = opts.height ?? 220;
  const left = 52;
  const right = 12;
  const top = 22;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const thresholds = opts.thresholds ?? [];
  const nonzero = h.counts.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  let first = nonzero[0] ?? 0;
  let last = nonzero[nonzero.length - 1] ?? h.counts.length - 1;
  for (const t of thresholds) {
    const b = bucketOf(h.edges, t.value);
    first = Math.min(first, b);
    last = Math.max(last, b);
  }
  const n = last - first + 1;
  const bw = plotW / n;
  const axis = niceAxis(Math.max(...h.counts.slice(first, last + 1), 0), 5, true);
  const max = axis.max;
  const out = [svgOpen(kind, width, height, label)];
  for (let v = 0; v <= max; v += axis.step) {
    const y = top + plotH - (plotH * v) / max;
    out.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${r1(y)}" y2="${r1(y)}"/>`, `<text class="tick" x="${left - 4}" y="${r1(y + 4)}" text-anchor="end">${esc(fmtShort(v))}</text>`);
  }
  const xOf = (v: number): number => {
    const b = bucketOf(h.edges, v);
    const lo = h.edges[b - 1];
    const hi = h.edges[b];
    const frac = lo !== undefined && hi !== undefined && hi > lo ? (v - lo) / (hi - lo) : 0;
    return left + (b - first + frac) * bw;
  };
  for (const t of thresholds) {
    const x = xOf(t.value);
    const [x0, x1] = t.side === 'max' ? [x, width - right] : [left, x];
    if (x1 > x0) out.push(`<rect class="cut" x="${r1(x0)}" y="${top}" width="${r1(x1 - x0)}" height="${plotH}"><title>${esc(`removed side of ${t.label}`)}</title></rect>`);
  }
  for (let i = first; i <= last; i++) {
    const c = h.counts[i]!;
    const hgt = c > 0 ? Math.max(1, (c / max) * plotH) : 0;
    const x = left + (i - first) * bw;
    out.push(`<rect class="bar s0" x="${r1(x + 0.5)}" y="${r1(top + plotH - hgt)}" width="${r1(Math.max(0.5, bw - 1))}" height="${r1(hgt)}"><title>${esc(`${bucketLabel(h.edges, i)}: ${fmtInt(c)}`)}</title></rect>`);
  }
  // About six edge ticks along the x axis.
  const step = Math.max(1, Math.ceil(n / 6));
  for (let i = first + 1; i <= last; i += step) {
    const x = left + (i - first) * bw;
    out.push(`<text class="tick" x="${r1(x)}" y="${top + plotH + 14}" text-anchor="middle">${esc(fmtShort(h.edges[i - 1]!))}</text>`);
  }
  thresholds.forEach((t, ti) => {
    const x = xOf(t.value);
    // Labels near the right edge grow leftwards so they stay inside the chart.
    const rightSide = x > left + plotW * 0.6;
    out.push(
      `<line class="thr" x1="${r1(x)}" x2="${r1(x)}" y1="${top - 4}" y2="${top + plotH}"><title>${esc(t.label)}</title></line>`,
      `<text class="thrlbl" x="${r1(rightSide ? x - 3 : x + 3)}" y="${top - 8 + ti * 11}"${rightSide ? ' text-anchor="end"' : ''}>${esc(t.label)}</text>`,
    );
  });
  const mean = h.n ? h.sum / h.n : NaN;
  out.push(
    `<line class="axis" x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}"/>`,
    `<text class="tick" x="${width - right}" y="${height - 6}" text-anchor="end">${esc(`n = ${fmtInt(h.n)}${Number.isFinite(mean) ? `, mean ${fmtShort(mean)}` : ''}`)}</text>`,
    '</svg>',
  );
  return out.join('');
}

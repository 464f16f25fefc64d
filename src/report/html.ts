/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no external
 * resource), so it opens offline and can be mailed or attached to a run's artifacts.
 * URLs of documents are printed as text, never as links: removed documents include blocklisted
 * sites, and a report should not make them one click away.
 */
import type { ReportModel } from './model.js';
import { RW_FUNNEL, languageFunnelTable } from './model.js';
import type { SampleDoc } from './samples.js';
import { esc, fmtInt, fmtPct, fmtShort, hBarChart, histogramChart, vGroupedBars, type Bar, type Group } from './svg.js';

const CSS = `
:root{--fg:#1d2330;--muted:#5d6678;--line:#d9dde5;--bg:#fff;--card:#f6f7f9;--s0:#3b6fb6;--s1:#e08a2c;--s2:#3a9a5b;--s3:#8a8f99;--thr:#c62828}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:0 24px 48px;max-width:1280px;margin-inline:auto}
header{padding:20px 0 8px;border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;padding-top:8px;border-top:1px solid var(--line)}h3{font-size:15px;margin:18px 0 6px}
.sub,.src{color:var(--muted);font-size:12.5px}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;padding:8px 0;font-size:13px}nav a{color:var(--s0);text-decoration:none}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{background:var(--card);border-radius:6px;padding:8px 14px;min-width:150px}.card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:12px}
.row{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
figure{margin:6px 0;padding:0}figcaption{font-size:12.5px;color:var(--muted);margin:2px 0 6px;max-width:600px}
svg.chart{max-width:100%;height:auto;font-size:11px;font-family:inherit}
svg .bar.s0{fill:var(--s0)}svg .bar.s1{fill:var(--s1)}svg .bar.s2{fill:var(--s2)}svg .bar.s3{fill:var(--s3)}
svg .grid{stroke:#eceef2}svg .axis{stroke:#9aa1ad}svg .tick,svg .val{fill:var(--muted)}svg .lbl,svg .xlbl{fill:var(--fg)}
svg .thr{stroke:var(--thr);stroke-width:2;stroke-dasharray:4 2}svg .thrlbl{fill:var(--thr);font-weight:600}svg .cut{fill:var(--thr);opacity:.07}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:3px 10px 3px 0;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.missing{color:#8a5300;background:#fff6e5;border-left:3px solid #e0a030;padding:6px 10px;margin:6px 0}
ul.notes li{margin:3px 0}
.ok{color:var(--s2)}
details{margin:4px 0;border:1px solid var(--line);border-radius:5px;padding:4px 10px}summary{cursor:pointer;font-weight:600}
.doc{border-top:1px dashed var(--line);padding:6px 0}.doc:first-of-type{border-top:0}
.doc .meta{font-size:12.5px;color:var(--muted)}.doc .meta code{color:var(--fg);word-break:break-all}
.value{background:#ffe3e0;color:#a31515;font-weight:600;padding:0 4px;border-radius:3px}
pre.excerpt{white-space:pre-wrap;word-break:break-word;background:var(--card);padding:6px 8px;margin:4px 0;font-size:12.5px;max-height:16em;overflow:auto}
`;

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function missing(text: string): string {
  return `<p class="missing">${esc(text)}</p>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function table(head: string[], rows: string[][], opts: { id?: string; numeric?: number[]; rowAttrs?: string[] } = {}): string {
  const num = new Set(opts.numeric ?? []);
  const th = head.map((h, i) => `<th${num.has(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r, ri) => `<tr${opts.rowAttrs?.[ri] ?? ''}>${r.map((c, i) => `<td${num.has(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('');
  return `<table${opts.id ? ` id="${opts.id}"` : ''}><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function countBars(items: [string, number][], cls = 's0'): Bar[] {
  return items.map(([label, value]) => ({ label, value, cls }));
}

function fmtMs(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(2)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}

function fmtBytes(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

function fmtValue(v: number): string {
  return Number.isInteger(v) ? fmtInt(v) : String(+v.toPrecision(4));
}

function docHtml(d: SampleDoc, removed: boolean): string {
  const meta: string[] = [];
  if (removed && (d.value !== undefined || d.detail)) {
    const value = d.value === undefined ? '' : `value ${fmtValue(d.value)}`;
    meta.push(`<span class="value">${esc(d.detail ? `${d.detail}${value ? ` (${value})` : ''}` : value)}</span>`);
  }
  meta.push(`<code>${esc(d.url || '(no url)')}</code>`);
  if (d.language) meta.push(`lang ${esc(d.language)}${d.languageScore !== undefined ? ` ${d.languageScore.toFixed(2)}` : ''}`);
  meta.push(`${fmtInt(d.chars)} chars`);
  if (d.tokenCount !== undefined) meta.push(`${fmtInt(d.tokenCount)} tokens`);
  const cut = d.chars > d.excerpt.length ? ' …' : '';
  return `<div class="doc"><div class="meta">${meta.join(' · ')}</div><pre class="excerpt">${esc(d.excerpt)}${cut}</pre></div>`;
}

function summaryHtml(m: ReportModel): string {
  const s = m.summary;
  const card = (v: string, label: string) => `<div class="card"><b>${esc(v)}</b><span>${esc(label)}</span></div>`;
  const kept = s.inputDocs > 0 ? fmtPct(s.outputDocs / s.inputDocs) : '—';
  return `<div class="cards">${[
    card(fmtInt(s.inputDocs), 'documents in (first step)'),
    card(fmtInt(s.outputDocs), 'documents out'),
    card(kept, 'documents kept'),
    card(fmtInt(s.outputTokens), 'tokens written (last pass)'),
    card(String(s.passes), 'passes'),
    card(fmtInt(s.tasks), 'tasks'),
    card(fmtMs(s.ms), 'task time (sum)'),
  ].join('')}</div>
${m.passes.length ? table(
  ['pass', 'tasks', 'done', 'without done marker', 'data shards', 'excluded shards', 'samples from'],
  m.passes.map((p) => [esc(p.name), fmtInt(p.tasks) + (p.planned !== undefined ? ` of ${fmtInt(p.planned)} planned` : ''), fmtInt(p.done), p.missingDone.length ? `<b>${esc(p.missingDone.slice(0, 20).join(', '))}${p.missingDone.length > 20 ? ' …' : ''}</b>` : '<span class="ok">none</span>', fmtInt(p.dataFiles), fmtInt(p.excludedFiles), esc(p.sampleSource)]),
  { id: 'passes-table', numeric: [2, 4, 5] },
) : ''}`;
}

function funnelHtml(m: ReportModel): string {
  const f = m.funnel;
  if (!f.rows.length) return missing('No stage statistics: the funnel cannot be drawn. (The run has no stats.json and no task stats, or its passes have no stages.)');
  const groups: Group[] = [{ label: 'input', values: [1, f.charsBase ? null : 1] }];
  for (const r of f.rows) groups.push({ label: `${r.stage}`, values: [r.docsKept, r.charsKept], titles: [`${r.pass}/${r.stage}: ${fmtInt(r.docsOut)} of ${fmtInt(f.startDocs)} documents (${fmtPct(r.docsKept)})`, r.charsKept === null ? undefined : `${r.pass}/${r.stage}: ${fmtInt(r.charsOut)} chars (${fmtPct(r.charsKept)} of the text base)`] });
  const ours = vGroupedBars('funnel', 'Removal funnel of this run', groups, [{ name: 'documents', cls: 's0' }, { name: 'text characters', cls: 's2' }], { yMax: 1, fmt: (v) => fmtPct(v, 0) });
  const rwGroups: Group[] = [{ label: 'CommonCrawl', values: [1, null] }, ...RW_FUNNEL.map((r) => ({ label: r.stage, values: r.unit === 'documents' ? [r.keptPct / 100, null] : [null, r.keptPct / 100], titles: [`${r.stage}: ${r.keptPct}% kept (${r.unit}), ${r.removedPct}% removed vs previous`, `${r.stage}: ${r.keptPct}% kept (${r.unit}), ${r.removedPct}% removed vs previous`] }))];
  const rw = vGroupedBars('funnel-rw', 'RefinedWeb removal funnel (paper)', rwGroups, [{ name: 'documents', cls: 's0' }, { name: 'tokens', cls: 's1' }], { yMax: 1, fmt: (v) => fmtPct(v, 0) });
  const baseNote = f.charsBase
    ? `Text characters are relative to the output of ${f.charsBase.pass}/${f.charsBase.stage} (${fmtInt(f.charsBase.chars)} chars), the first step that rewrote documents to under half their size (markup to text); before it, characters are markup.`
    : 'Text characters are relative to the input of the first step.';
  const rows = [
    ['', 'input', fmtInt(f.startDocs), '', '100.0%', fmtInt(f.startChars), '', ''],
    ...f.rows.map((r) => [esc(r.pass), esc(r.stage), fmtInt(r.docsIn), fmtInt(r.docsOut), fmtPct(r.docsKept), fmtInt(r.charsIn), fmtInt(r.charsOut), r.charsKept === null ? '—' : fmtPct(r.charsKept)]),
  ];
  const attrs = ['', ...f.rows.map((r) => ` data-pass="${esc(r.pass)}" data-stage="${esc(r.stage)}" data-docs-in="${r.docsIn}" data-docs-out="${r.docsOut}" data-chars-in="${r.charsIn}" data-chars-out="${r.charsOut}"`)];
  // Tokens are counted when documents are written, so they compare passes, not steps.
  const firstTokens = f.written.find((w) => w.tokens > 0)?.tokens ?? 0;
  const written = f.written.length
    ? table(
        ['pass', 'documents written', 'tokens written', 'tokens, % of the first pass'],
        f.written.map((w) => [esc(w.pass), fmtInt(w.docs), fmtInt(w.tokens), firstTokens > 0 && w.tokens > 0 ? fmtPct(w.tokens / firstTokens) : '—']),
        { id: 'written-table', numeric: [1, 2, 3] },
      )
    : missing('No pass wrote documents yet (docsWritten = 0 everywhere).');
  return `<div class="row">${figure(ours, `This run: share of the first step's ${fmtInt(f.startDocs)} input documents kept after each step. ${baseNote}`)}${figure(rw, 'RefinedWeb (Penedo et al. 2023, Fig. 2, transcribed; approximate): % of CommonCrawl kept after each stage; documents for the first three stages, tokens after.')}</div>
${table(['pass', 'step', 'docs in', 'docs out', 'docs kept (of input)', 'chars in', 'chars out', 'text kept'], rows, { id: 'funnel-table', numeric: [2, 3, 4, 5, 6, 7], rowAttrs: attrs })}
<h3>Written</h3>${written}`;
}

function reasonsHtml(m: ReportModel): string {
  if (!m.reasons.length) return missing('No stage removed anything or counted an event (or there are no stage statistics).');
  return m.reasons
    .map((s) => {
      const chart = s.reasons.length
        ? figure(
            hBarChart('reasons', `Removals by reason in ${s.stage}`, s.reasons.map((r) => ({ label: r.reason, value: r.docs, note: `${fmtInt(r.docs)} (${fmtPct(r.frac, 2)})`, cls: 's1' })), { labelWidth: 220 }),
            `Documents removed by ${s.pass}/${s.stage}, by reason; % of its ${fmtInt(s.docsIn)} input documents.`,
          ) + table(['reason', 'docs', '% of input', 'chars'], s.reasons.map((r) => [esc(r.reason), fmtInt(r.docs), fmtPct(r.frac, 2), fmtInt(r.chars)]), { numeric: [1, 2, 3] })
        : '<p class="src">No removals.</p>';
      const events = s.events.length ? `<p class="src">Events: ${s.events.map(([k, v]) => `${esc(k)} ${fmtInt(v)}`).join(' · ')}</p>` : '';
      return `<h3>${esc(s.pass)} / ${esc(s.stage)}</h3>${chart}${events}`;
    })
    .join('');
}

function distributionsHtml(m: ReportModel): string {
  const withData = m.distributions.filter((d) => d.hist.n > 0);
  if (!withData.length) return missing('No stage recorded a distribution of measured values (StageStats.histograms is empty everywhere).');
  const figs = withData.map((d) =>
    figure(
      histogramChart('distribution', `${d.stage}: ${d.name}`, d.hist, { thresholds: d.thresholds }),
      `${d.pass}/${d.stage}: ${d.name}${d.thresholds.length ? ` — threshold: ${d.thresholds.map((t) => t.label).join(', ')} (shaded side removed)` : ' — no threshold found (no matching option in run.json, no removal detail)'}`,
    ),
  );
  return `<p class="src">A histogram <code>h</code> is matched to the stage option <code>max_h</code>/<code>h_max</code> (removed above), <code>min_h</code>/<code>h_min</code> (removed below), or <code>h_threshold</code>/<code>h</code> (else <code>max_</code>/<code>min_</code> + a tail of h's words); failing that, the threshold is read from the detail (<code>value&gt;threshold</code>) of removals whose reason is named h.</p><div class="row">${figs.join('')}</div>`;
}

function languagesHtml(m: ReportModel): string {
  const parts: string[] = [];
  const l = m.languages;
  if (l.kept.length) parts.push(figure(hBarChart('languages-kept', 'Languages of kept documents', countBars(l.kept, 's0'), { labelWidth: 80, width: 480 }), `Kept documents by language (${l.source}).`));
  if (l.removed.length) parts.push(figure(hBarChart('languages-removed', 'Languages of removed documents', countBars(l.removed, 's1'), { labelWidth: 80, width: 480 }), `Removed documents with a language label (${l.source}).`));
  if (m.languageScore) parts.push(figure(histogramChart('language-score', 'Language score', m.languageScore.hist), `Language-ID score (${m.languageScore.source}).`));
  return parts.length ? `<div class="row">${parts.join('')}</div>` : missing('No language labels: no sample files with languages, no language_score histogram, and no labelled rows in the scanned shards.');
}

function domainsHtml(m: ReportModel): string {
  const d = m.domains;
  const parts: string[] = [];
  const add = (items: [string, number][], kind: string, title: string, cls: string) => {
    if (items.length) parts.push(figure(hBarChart(kind, title, countBars(items, cls), { labelWidth: 200, width: 480 }), title));
  };
  add(d.keptHosts, 'hosts-kept', 'Top hosts, kept', 's0');
  add(d.removedHosts, 'hosts-removed', 'Top hosts, removed', 's1');
  add(d.keptTlds, 'tlds-kept', 'Top TLDs, kept', 's0');
  add(d.removedTlds, 'tlds-removed', 'Top TLDs, removed', 's1');
  if (!parts.length) return missing('No URLs to count: no sample files and no rows in the scanned shards.');
  return `<p class="src">Counted over ${esc(d.source)}. Hosts without a leading "www."; beyond a few thousand distinct hosts the rarest are pruned, so counts are lower bounds.</p><div class="row">${parts.join('')}</div>`;
}

function lengthsHtml(m: ReportModel): string {
  const parts: string[] = [];
  if (m.lengths.chars) parts.push(figure(histogramChart('length-chars', 'Document length (characters)', m.lengths.chars.hist), `Characters per document (${m.lengths.chars.source}).`));
  if (m.lengths.tokens) parts.push(figure(histogramChart('length-tokens', 'Tokens per document', m.lengths.tokens.hist), `GPT-2 tokens per document (${m.lengths.tokens.source}).`));
  const gaps: string[] = [];
  if (!m.lengths.chars) gaps.push(missing('No document length distribution: no sample files, no length histogram, no kept rows scanned.'));
  if (!m.lengths.tokens) gaps.push(missing('No token count distribution: token counts are not recorded on the kept documents (or none were sampled).'));
  return `<div class="row">${parts.join('')}</div>${gaps.join('')}`;
}

function dedupHtml(m: ReportModel): string {
  const c = m.clusterSizes.filter((d) => d.hist.n > 0);
  if (!c.length) return missing('No cluster_size histogram in the statistics: no dedup pass recorded cluster sizes (or none ran).');
  return `<div class="row">${c.map((d) => figure(histogramChart('cluster-size', `${d.stage}: cluster size`, d.hist), `${d.pass}/${d.stage}: documents per duplicate cluster (n = ${fmtInt(d.hist.n)} clusters).`)).join('')}</div>`;
}

function timeHtml(m: ReportModel): string {
  if (!m.passTimes.length) return missing('No timings: no statistics.');
  const stageBars = m.stageTimes.filter((s) => s.ms > 0).map((s) => ({ label: `${s.pass}/${s.stage}`, value: s.ms, note: fmtMs(s.ms), cls: 's3' }));
  const chart = stageBars.length ? figure(hBarChart('stage-time', 'Time per stage', stageBars, { labelWidth: 240 }), 'Wall time inside each stage, summed over tasks.') : missing('Stages recorded no time (ms = 0).');
  const stages = table(
    ['pass', 'stage', 'time', 'docs in', 'docs/s'],
    m.stageTimes.map((s) => [esc(s.pass), esc(s.stage), fmtMs(s.ms), fmtInt(s.docsIn), s.docsPerSec ? fmtShort(s.docsPerSec) : '—']),
    { numeric: [2, 3, 4] },
  );
  const passes = table(
    ['pass', 'tasks', 'task time (sum)', 'median task', 'slowest task', 'read', 'read MB/s'],
    m.passTimes.map((p) => [
      esc(p.pass),
      fmtInt(p.tasks),
      fmtMs(p.ms),
      fmtMs(p.medianTaskMs),
      fmtMs(p.maxTaskMs),
      p.readerBytes !== undefined ? fmtBytes(p.readerBytes) : '—',
      p.readerBytes && p.readerMs ? ((p.readerBytes / 1e6) / (p.readerMs / 1000)).toFixed(1) : '—',
    ]),
    { numeric: [1, 2, 3, 4, 5, 6] },
  );
  const slow = m.slowestTasks.length
    ? table(['pass', 'rank', 'input', 'time'], m.slowestTasks.map((t) => [esc(t.pass), String(t.rank), `<code>${esc(t.input ?? '')}</code>`, fmtMs(t.ms)]), { id: 'slowest-tasks', numeric: [1, 3] })
    : missing('No per-task times.');
  const taskFigs = m.passTimes
    .filter((p) => p.tasks >= 8)
    .map((p) => figure(histogramChart('task-time', `Task times of ${p.pass}`, p.taskHist), `${p.pass}: time per task in ms (${fmtInt(p.tasks)} tasks; median ${fmtMs(p.medianTaskMs)}, slowest ${fmtMs(p.maxTaskMs)}).`));
  return `${chart}${stages}<h3>Passes</h3>${passes}${taskFigs.length ? `<div class="row">${taskFigs.join('')}</div>` : ''}<h3>Slowest tasks</h3>${slow}`;
}

function readerHtml(m: ReportModel): string {
  const r = m.reader;
  if (!r) return missing('No reader statistics (no pass read raw input).');
  const skipped = Object.entries(r.skipped).sort((a, b) => b[1] - a[1]);
  const chart = skipped.length ? figure(hBarChart('reader-skipped', 'Records skipped by the reader', countBars(skipped, 's3'), { labelWidth: 160 }), `Records not passed on, by reason, of ${fmtInt(r.records)} records read.`) : '<p class="src">No records skipped.</p>';
  const problemRow = (p: (typeof m.readerProblems)[number]) => [esc(p.code), `<code>${esc(p.file)}</code>`, p.record === undefined ? '' : String(p.record), p.offset === undefined ? '' : String(p.offset), esc(p.message)];
  const head = ['code', 'file', 'record', 'offset', 'message'];
  const firstShown = 15;
  const problems = m.readerProblems.length
    ? table(head, m.readerProblems.slice(0, firstShown).map(problemRow), { id: 'reader-problems' }) +
      (m.readerProblems.length > firstShown ? `<details><summary>${fmtInt(m.readerProblems.length - firstShown)} more</summary>${table(head, m.readerProblems.slice(firstShown).map(problemRow))}</details>` : '') +
      (r.problems.length > m.readerProblems.length ? `<p class="src">${fmtInt(r.problems.length - m.readerProblems.length)} more problems in stats.json.</p>` : '')
    : '<p class="ok">No input problems.</p>';
  const retries = m.retries.length ? `<p class="src">Storage retries: ${m.retries.map(([k, v]) => `${esc(k)} ${fmtInt(v)}`).join(' · ')}</p>` : '';
  return `<p class="src">${fmtInt(r.files)} files, ${fmtInt(r.records)} records, ${fmtInt(r.docs)} documents passed on, ${fmtBytes(r.bytes)} read in ${fmtMs(r.ms)}.</p>${chart}<h3>Problems (file / record / offset)</h3>${problems}${retries}`;
}

function samplesHtml(m: ReportModel): string {
  if (!m.removedSamples.length) return missing('No samples of removed documents: no samples/*.json and no excluded shards.');
  return m.removedSamples
    .map(
      (p) =>
        `<h3>${esc(p.pass)}</h3><p class="src">From ${esc(p.source)}.</p>` +
        p.groups
          .map((g, gi) => `<details class="sample-group" data-stage="${esc(g.stage)}" data-reason="${esc(g.reason)}"${gi === 0 ? ' open' : ''}><summary>${esc(g.stage)} · ${esc(g.reason)} <span class="src">(${fmtInt(g.docs.length)} shown of ${g.removed !== undefined ? `${fmtInt(g.removed)} removed` : `${fmtInt(g.seen)} seen`})</span></summary>${g.docs.length ? g.docs.map((d) => docHtml(d, true)).join('') : '<p class="src">None sampled in the scanned prefix; try <code>refinery inspect</code>.</p>'}</details>`)
          .join(''),
    )
    .join('');
}

function languageFunnelHtml(m: ReportModel): string {
  const t = languageFunnelTable(m.languageFunnel!, fmtInt);
  return `<p class="src">Documents kept after each step, by the language lid.176 gave them (t = GPT-2 tokens, where counted); <code>final</code> is what <code>final/&lt;lang&gt;/</code> holds, after the dedup passes over all languages together.</p>${table(
    t.head.map(esc),
    t.rows.map((r) => r.map(esc)),
    { id: 'language-funnel-table', numeric: t.head.map((_, i) => i).slice(1) },
  )}`;
}

function keptHtml(m: ReportModel): string {
  if (!m.keptSamples.length) return missing('No samples of kept documents: no samples/*.json and no data shards.');
  return m.keptSamples.map((p) => `<details><summary>${esc(p.pass)} <span class="src">(${fmtInt(p.docs.length)} documents; from ${esc(p.source)})</span></summary>${p.docs.map((d) => docHtml(d, false)).join('')}</details>`).join('');
}

export function renderHtml(m: ReportModel): string {
  const sections: [string, string, string][] = [
    ['summary', 'Summary', summaryHtml(m)],
    ['missing', 'Missing data', m.notes.length ? `<ul class="notes">${m.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p class="ok">Nothing missing: every task has a done marker, and stats.json is present.</p>'],
    ['funnel', 'Removal funnel', funnelHtml(m)],
    ...(m.languageFunnel ? ([['language-funnel', 'Funnel per language', languageFunnelHtml(m)]] as [string, string, string][]) : []),
    ['reasons', 'Removals by reason', reasonsHtml(m)],
    ['distributions', 'Measured values and thresholds', distributionsHtml(m)],
    ['languages', 'Languages', languagesHtml(m)],
    ['domains', 'Domains and TLDs', domainsHtml(m)],
    ['lengths', 'Document length and tokens', lengthsHtml(m)],
    ['dedup', 'Dedup clusters', dedupHtml(m)],
    ['time', 'Time and throughput', timeHtml(m)],
    ['reader', 'Reader problems', readerHtml(m)],
    ['removed-samples', 'Removed documents (samples)', samplesHtml(m)],
    ['kept-samples', 'Kept documents (samples)', keptHtml(m)],
  ];
  const nav = sections.map(([id, title]) => `<a href="#${id}">${esc(title)}</a>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>refinery report: ${esc(m.root)}</title><style>${CSS}</style></head>
<body><header><h1>refinery report</h1><p class="sub">Run <code>${esc(m.root)}</code>${m.createdAt ? ` · created ${esc(m.createdAt)}` : ''} · statistics from ${esc(m.statsSource)}</p><nav>${nav}</nav></header>
${sections.map(([id, title, body]) => section(id, title, body)).join('\n')}
</body></html>
`;
}

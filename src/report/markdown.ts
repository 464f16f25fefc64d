/**
 * The Markdown summary written beside the HTML report: the numbers a reviewer pastes into a
 * pull request or a run log (funnel next to RefinedWeb's, top reasons, time, what is missing).
 */
import { RW_FUNNEL, languageFunnelTable, type ReportModel } from './model.js';
import { fmtInt, fmtPct } from './svg.js';

/** Escape the characters that would break a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function tbl(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function renderMarkdown(m: ReportModel): string {
  const out: string[] = [];
  const s = m.summary;
  out.push(`# refinery report: \`${m.root}\``, '');
  out.push(`${m.createdAt ? `Created ${m.createdAt}. ` : ''}Statistics from ${m.statsSource}. ${s.passes} passes, ${fmtInt(s.tasks)} tasks, ${secs(s.ms)} of task time.`, '');
  out.push(`- documents in: ${fmtInt(s.inputDocs)}`, `- documents out: ${fmtInt(s.outputDocs)}${s.inputDocs ? ` (${fmtPct(s.outputDocs / s.inputDocs)} kept)` : ''}`, `- tokens written: ${fmtInt(s.outputTokens)}`, '');

  out.push('## Missing data', '');
  out.push(m.notes.length ? m.notes.map((n) => `- ${n}`).join('\n') : 'Nothing missing.', '');

  out.push('## Removal funnel', '');
  if (m.funnel.rows.length) {
    out.push(
      tbl(
        ['pass', 'step', 'docs in', 'docs out', 'docs kept (of input)', 'text chars kept'],
        [['', 'input', fmtInt(m.funnel.startDocs), '', '100.0%', ''], ...m.funnel.rows.map((r) => [r.pass, r.stage, fmtInt(r.docsIn), fmtInt(r.docsOut), fmtPct(r.docsKept), r.charsKept === null ? '—' : fmtPct(r.charsKept)])],
      ),
      '',
    );
    if (m.funnel.charsBase) out.push(`Text characters are relative to the output of ${m.funnel.charsBase.pass}/${m.funnel.charsBase.stage}.`, '');
  } else out.push('No stage statistics.', '');
  out.push('RefinedWeb for comparison (paper, Fig. 2; approximate):', '');
  out.push(tbl(['stage', 'removed vs previous', 'kept vs CommonCrawl', 'unit'], RW_FUNNEL.map((r) => [r.stage, `${r.removedPct}%`, `${r.keptPct}%`, r.unit])), '');
  if (m.funnel.written.length) out.push(tbl(['pass', 'documents written', 'tokens written'], m.funnel.written.map((w) => [w.pass, fmtInt(w.docs), fmtInt(w.tokens)])), '');

  if (m.languageFunnel) {
    const t = languageFunnelTable(m.languageFunnel, fmtInt);
    out.push('## Funnel per language', '', 'Documents kept after each step, by the language lid.176 gave them (t = GPT-2 tokens, where counted); `final` is what `final/<lang>/` holds.', '');
    out.push(tbl(t.head, t.rows), '');
  }

  out.push('## Removals by reason', '');
  if (m.reasons.some((r) => r.reasons.length)) {
    out.push(tbl(['pass', 'stage', 'reason', 'docs', '% of stage input'], m.reasons.flatMap((st) => st.reasons.map((r) => [st.pass, st.stage, r.reason, fmtInt(r.docs), fmtPct(r.frac, 2)]))), '');
  } else out.push('No removals recorded.', '');

  const thr = m.distributions.filter((d) => d.thresholds.length && d.hist.n > 0);
  if (thr.length) {
    out.push('## Measured values with thresholds', '');
    out.push(tbl(['pass', 'stage', 'value', 'n', 'mean', 'threshold'], thr.map((d) => [d.pass, d.stage, d.name, fmtInt(d.hist.n), (d.hist.sum / d.hist.n).toPrecision(3), d.thresholds.map((t) => t.label).join(', ')])), '');
  }

  if (m.languages.kept.length) out.push('## Languages (kept)', '', m.languages.kept.map(([l, n]) => `${l} ${fmtInt(n)}`).join(' · '), '', `(counted over ${m.languages.source})`, '');
  if (m.domains.keptHosts.length || m.domains.removedHosts.length) {
    out.push('## Top hosts', '');
    if (m.domains.keptHosts.length) out.push(`Kept: ${m.domains.keptHosts.slice(0, 10).map(([h, n]) => `${h} ${fmtInt(n)}`).join(' · ')}`, '');
    if (m.domains.removedHosts.length) out.push(`Removed: ${m.domains.removedHosts.slice(0, 10).map(([h, n]) => `${h} ${fmtInt(n)}`).join(' · ')}`, '');
    out.push(`(counted over ${m.domains.source})`, '');
  }

  if (m.stageTimes.length) {
    out.push('## Time per stage', '');
    out.push(tbl(['pass', 'stage', 'time', 'docs/s'], m.stageTimes.map((t) => [t.pass, t.stage, secs(t.ms), t.docsPerSec ? t.docsPerSec.toFixed(0) : '—'])), '');
  }
  if (m.slowestTasks.length) {
    out.push('## Slowest tasks', '');
    out.push(tbl(['pass', 'rank', 'input', 'time'], m.slowestTasks.map((t) => [t.pass, String(t.rank), t.input ?? '', secs(t.ms)])), '');
  }
  if (m.reader) {
    const r = m.reader;
    out.push('## Reader', '', `${fmtInt(r.files)} files, ${fmtInt(r.records)} records, ${fmtInt(r.docs)} documents passed on, ${fmtInt(r.problems.length)} located problems.`, '');
    const skipped = Object.entries(r.skipped);
    if (skipped.length) out.push(`Skipped: ${skipped.map(([k, v]) => `${k} ${fmtInt(v)}`).join(' · ')}`, '');
  }
  return out.join('\n');
}

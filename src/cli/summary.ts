/** The table printed at the end of a run: what each stage removed, and why. */
import { documentPasses, type RunStats } from '../stats.js';
import { formatBytes, formatDuration } from '../progress.js';
import { RW_FUNNEL } from '../report/model.js';
import type { Estimate, SampleEstimate } from '../sample.js';

const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '-');

export function formatSummary(stats: RunStats, outputRoot: string): string {
  const lines: string[] = [];
  for (const p of stats.passes) {
    if (!p.reader && p.stages.length === 0) {
      // Corpus passes that remove nothing themselves (bookkeeping, final shards): one line.
      lines.push(`pass ${p.pass}: ${p.tasks} task(s), ${formatDuration(p.ms)} of task time, ${p.docsWritten} documents`);
      continue;
    }
    lines.push(`pass ${p.pass}: ${p.tasks} task(s), ${formatDuration(p.ms)} of task time`);
    if (p.reader) {
      const r = p.reader;
      const skipped = Object.entries(r.skipped).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(`  read   ${r.files} file(s), ${formatBytes(r.bytes)}, ${r.records} records -> ${r.docs} documents${skipped ? ` (not documents: ${skipped})` : ''}`);
      if (r.problems.length) lines.push(`  input problems: ${r.problems.length} (first: ${r.problems[0]!.file}, record ${r.problems[0]!.record ?? '?'}, offset ${r.problems[0]!.offset ?? '?'}: ${r.problems[0]!.message})`);
    }
    for (const { name, stats: s } of p.stages) {
      const reasons = Object.entries(s.dropped).sort((a, b) => b[1].docs - a[1].docs).slice(0, 4).map(([k, v]) => `${k} ${v.docs}`).join(', ');
      lines.push(`  ${name.padEnd(22)} ${String(s.docsIn).padStart(8)} -> ${String(s.docsOut).padStart(8)}  removed ${pct(s.docsIn - s.docsOut, s.docsIn).padStart(6)}${reasons ? `  (${reasons})` : ''}`);
    }
    lines.push(`  written ${p.docsWritten} documents${p.tokensWritten ? `, ${p.tokensWritten.toLocaleString('en-US')} tokens` : ''}`);
  }
  lines.push(...funnelLines(stats));
  lines.push(`output: ${outputRoot} (stats.json has every count; \`refinery report\` draws it)`);
  return lines.join('\n');
}

/**
 * Documents kept after each step that writes documents, as a share of the documents read,
 * then the RefinedWeb paper's funnel for comparison (spec, "Removal funnel"; the paper counts
 * its later stages in tokens, of all CommonCrawl).
 */
function funnelLines(stats: RunStats): string[] {
  const docPasses = documentPasses(stats);
  const start = docPasses[0]?.stages[0]?.stats.docsIn ?? 0;
  if (!start) return [];
  const ours = docPasses.flatMap((p) => p.stages.map((s) => `${s.name} ${pct(s.stats.docsOut, start)}`));
  const paper = RW_FUNNEL.map((r) => `${r.stage} ${r.keptPct.toFixed(1)}%${r.unit === 'tokens' ? 't' : ''}`);
  return [`kept (documents, of those read): ${ours.join(' > ')}`, ...languageLine(docPasses[0]!), `RefinedWeb paper (of CommonCrawl; t = tokens): ${paper.join(' > ')}`];
}

/** Per language (the most kept first): documents labelled, and kept after the last streaming stage. */
function languageLine(stream: RunStats['passes'][number]): string[] {
  const labelled = stream.stages.find((s) => s.stats.languages)?.stats.languages;
  const last = stream.stages.at(-1)?.stats.languages;
  if (!labelled || !last) return [];
  const langs = Object.keys(last).filter((l) => last[l]!.docsOut > 0).sort((a, b) => last[b]!.docsOut - last[a]!.docsOut || (a < b ? -1 : 1));
  if (langs.length < 2) return [];
  return [`kept per language (labelled > after ${stream.stages.at(-1)!.name}): ${langs.slice(0, 12).map((l) => `${l} ${labelled[l]?.docsIn ?? 0} > ${last[l]!.docsOut}`).join(', ')}`];
}

const sharePct = (x: number) => `${(100 * x).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
const count = (x: number) => Math.round(x).toLocaleString('en-US');
const withInterval = (e: Estimate, f: (x: number) => string) => (e.low === null || e.high === null ? f(e.estimate) : `${f(e.estimate)} [${f(e.low)}, ${f(e.high)}]`);

/**
 * What a sample says about the whole input (src/sample.ts): the design, the funnel with
 * intervals, corpus passes as lower bounds, the output size and the core-hours.
 */
export function formatSampleEstimate(e: SampleEstimate, jsonPath: string): string {
  const d = e.design;
  const conf = `${Math.round(e.confidence * 100)}%`;
  const lines = [
    `sample: ${d.sampled} of ${d.inputs} input files (${sharePct(d.share)}), seed ${d.seed}, ${d.stratifiedBy === 'segment' ? `stratified by segment (${d.strata} segments)` : 'not stratified (no CommonCrawl segments in the paths)'}`,
    ...d.notes.map((n) => `  note: ${n}`),
    `estimates for all ${d.inputs} files, ${conf} intervals [low, high]: ${e.interval}; totals scaled by ${e.scaleBy === 'bytes' ? `input bytes (${formatBytes(e.inputBytes!)} in all)` : `number of files (${e.unsizedInputs} input size(s) unknown)`}`,
  ];
  const streaming = e.stages.filter((s) => !s.lowerBound);
  const corpus = e.stages.filter((s) => s.lowerBound);
  const stageLine = (s: SampleEstimate['stages'][number], mark: string) => {
    const reasons = Object.entries(s.reasons).filter(([, r]) => r.estimate > 0).sort((a, b) => b[1].estimate - a[1].estimate).slice(0, 3).map(([k, r]) => `${k} ${mark}${withInterval(r, sharePct)}`).join(', ');
    return `  ${s.stage.padEnd(22)} removed ${mark}${withInterval(s.removed, sharePct)}${reasons ? `  (${reasons})` : ''}`;
  };
  lines.push('  streaming stages (share of the documents entering each stage):');
  for (const s of streaming) lines.push(stageLine(s, ''));
  if (corpus.length) {
    lines.push('  corpus passes, LOWER BOUNDS (a sample holds few of the duplicates across files: removals that compare documents do not scale with the corpus):');
    for (const s of corpus) lines.push(stageLine(s, '>= '));
  }
  const o = e.output;
  lines.push(`  output after the streaming stages: ${withInterval(o.streaming.docs, count)} documents, ${withInterval(o.streaming.tokens, count)} tokens`);
  if (o.final.upperBound) lines.push(`  final output: at most ${count(o.final.docs.estimate)} documents, ${count(o.final.tokens.estimate)} tokens (the corpus passes' removals are lower bounds)`);
  const c = e.cpu;
  if (c.streamingCoreHours) {
    const hours = (x: number) => (x < 10 ? x.toPrecision(2) : count(x));
    lines.push(`  core-hours for the whole input: streaming pass ${withInterval(c.streamingCoreHours, hours)} (sample: ${c.sampleStreamingSeconds!.toFixed(1)} CPU s, ${c.streamingMBPerCoreSecond?.toFixed(2) ?? '-'} MB/s per core)${c.corpusCoreHours !== null ? `, corpus passes ~${hours(c.corpusCoreHours)}, total ~${hours(c.totalCoreHours!)}` : ''}`);
  } else {
    lines.push('  core-hours: not estimated');
  }
  for (const n of c.notes) lines.push(`  note: ${n}`);
  lines.push(`sample estimates: ${jsonPath}`);
  return lines.join('\n');
}

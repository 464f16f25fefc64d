/**
 * `refinery explain <run> <url|id> [--json]`: one document's fate through every stage of a run
 * (src/explain.ts does the work; this file parses and prints).
 */
import { parse, wholeNumberArg } from './args.js';
import type { CliEnv } from './main.js';
import { loadRegistry, openInputSource } from '../executors/run-task.js';
import { openStorage } from '../storage/open.js';
import { isRunDir, notARunDir } from '../run-dir.js';
import { RefineryError } from '../errors.js';
import { explain, type Explanation, type StageStep } from '../explain.js';

export const EXPLAIN_HELP = `refinery explain <run-dir|s3://...> <url|document-id> [--json] [--max N]

One document's fate through every stage of a run: where it came from (input file, record
number, byte offset), what each streaming stage measured and against which thresholds, where
it was removed (stage, reason, value vs threshold) or which duplicate it lost to (MinHash:
its cluster and the document kept in its place; URL dedup: the document that kept the URL),
the spans a pass cut (when the pass records them, e.g. exact_substring with write_spans: true),
and its final row (final/ part file and row). A URL with several captures explains each.

The streaming stages' measured values come from re-reading the record at its offset and
re-running the stages on it (the pipeline is deterministic); a re-run that disagrees with
what the run recorded is said so.

Needs a run made with \`refinery run --explain\` (filter/explain/: each document's record,
offset and streaming fate). Without it, only documents the streaming stages kept (or removed,
with --excluded) are found, and their input is read from the start to find the record.

Options:
      --json     the explanation as JSON (one object: {query, run, traced, documents, more})
      --max N    explain at most N documents of a URL (default 20)
  -h, --help     this text

Exit codes: 0 explained, 2 not a run directory, no such document, or a bad flag.`;

export async function explainCommand(argv: string[], env: CliEnv): Promise<number> {
  const { values, positionals } = parse(argv, {
    json: { type: 'boolean' },
    max: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(EXPLAIN_HELP + '\n');
    return 0;
  }
  if (positionals.length !== 2) throw new RefineryError('ERR_CONFIG', `expected <run-dir> <url|document-id>, got ${positionals.length} argument(s) (see --help)`, {}, { usage: true });
  const [target, query] = positionals as [string, string];
  const run = openStorage(target);
  if (!(await isRunDir(run)) || !(await run.exists('run.json'))) throw notARunDir(target);
  const registry = await loadRegistry(env.registryModule);
  const result = await explain(
    {
      run,
      registry,
      openInput: (uri) => openInputSource(uri),
    },
    query,
    { max: wholeNumberArg('max', values.max, 1) },
  );
  if (values.json) {
    process.stdout.write(JSON.stringify({ query, run: target, traced: result.traced, documents: result.docs, more: result.more }, null, 1) + '\n');
  } else {
    const text = result.docs.map(formatExplanation).join('\n\n');
    const more = result.more ? `\n\n(${result.more} more documents match; --max raises the limit)` : '';
    const header = result.docs.length > 1 ? `${result.docs.length} documents match ${query}\n\n` : '';
    process.stdout.write(header + text + more + '\n');
  }
  return 0;
}

const int = (n: number) => n.toLocaleString('en-US');

function num(v: number): string {
  return Number.isInteger(v) ? int(v) : String(Math.round(v * 10000) / 10000);
}

function kv(o: Record<string, unknown>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? num(v) : Array.isArray(v) ? JSON.stringify(v) : String(v)}`)
    .join('  ');
}

function removal(s: { reason?: string; value?: number | null; detail?: string | null }): string {
  const value = s.detail ? s.detail : s.value !== undefined && s.value !== null ? num(s.value) : '';
  return `${s.reason ?? ''}${value ? `: ${value}` : ''}`;
}

function stageLine(s: StageStep, width: number): string[] {
  const mark = s.result === 'removed' ? 'REMOVED' : s.result === 'annotated' ? 'flagged' : 'kept';
  const sizes = s.charsIn !== s.charsOut ? `  ${int(s.charsIn)} -> ${int(s.charsOut)} chars` : '';
  const lines = [`  ${s.stage.padEnd(width)}  ${mark.padEnd(7)}  ${s.result === 'kept' ? (s.language ? `language ${s.language}` : '') : removal(s)}${sizes}`.trimEnd()];
  if (Object.keys(s.measured).length) lines.push(`  ${''.padEnd(width)}  measured    ${kv(s.measured)}`);
  if (Object.keys(s.events).length) lines.push(`  ${''.padEnd(width)}  events      ${kv(s.events)}`);
  if (Object.keys(s.options).length) lines.push(`  ${''.padEnd(width)}  options     ${kv(s.options)}`);
  return lines;
}

/** The terminal form: source, then one block per stage and pass, then the final row and fate. */
export function formatExplanation(e: Explanation): string {
  const out: string[] = [`document ${e.id}`, `  url     ${e.url}`];
  const where = e.source.record !== undefined ? `, record ${e.source.record}, byte offset ${e.source.offset}` : '';
  out.push(`  source  ${e.source.input}${where} (task ${e.source.task})`);
  const width = Math.max(8, ...e.stages.map((s) => s.stage.length), ...e.passes.map((p) => p.pass.length));
  out.push('', 'streaming stages (re-run on the record)');
  for (const s of e.stages) out.push(...stageLine(s, width));
  if (e.recorded) out.push(`  recorded by the run: removed by ${e.recorded.stage}, ${removal(e.recorded)}`);
  if (e.stagesNote) out.push(`  note: ${e.stagesNote}`);
  if (e.passes.length) {
    out.push('', 'corpus passes');
    for (const p of e.passes) {
      const mark = p.result === 'removed' ? 'REMOVED' : p.result;
      const sizes = p.charsIn !== undefined && p.charsOut !== undefined && p.charsIn !== p.charsOut ? `  ${int(p.charsIn)} -> ${int(p.charsOut)} chars` : '';
      out.push(`  ${p.pass.padEnd(width)}  ${mark.padEnd(7)}  ${p.result === 'removed' ? removal(p) : p.output ? `${p.output.file} row ${p.output.row}` : ''}${sizes}`.trimEnd());
      if (p.facts) out.push(`  ${''.padEnd(width)}  ${kv(p.facts)}`);
      for (const r of p.related ?? []) out.push(`  ${''.padEnd(width)}  ${r.role}: ${r.id} ${r.url} (${r.file} row ${r.row})`);
      for (const s of p.spans ?? []) out.push(`  ${''.padEnd(width)}  cut [${s.start}, ${s.end}): ${JSON.stringify(s.text.length > 120 ? `${s.text.slice(0, 117)}...` : s.text)}`);
    }
  }
  out.push('');
  if (e.final) out.push(`final   ${e.final.file} row ${e.final.row}${e.final.language ? ` (language ${e.final.language})` : ''}`);
  out.push(e.fate.kept ? `fate    kept${e.final ? '' : ' (no final shards yet)'}` : `fate    removed by ${e.fate.stage ?? '?'}${e.fate.reason ? `, ${removal(e.fate)}` : ''}`);
  return out.join('\n');
}

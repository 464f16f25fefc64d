/**
 * `refinery inspect <run-dir> --stage S --reason R --n 5`: prints removed (or, with --kept,
 * kept) documents in the terminal, the value that removed each one highlighted, through a
 * pager when stdout is a terminal. Without --stage/--reason it lists the reasons to choose from.
 * Reads the excluded shards (only their stage/reason columns until a match), else the
 * pass's sample files.
 */
import { spawn } from 'node:child_process';
import { parseTargetCommand, wholeNumberArg } from './args.js';
import type { Storage } from '../storage/storage.js';
import { openRun } from '../report/index.js';
import { isRunDir } from '../run-dir.js';
import { EXIT } from './exit-codes.js';
import { loadRun, scanExcluded, scanKept, type RemovedSample } from '../report/load.js';
import { mergeSampleFiles, readSampleFiles, type SampleDoc } from '../report/samples.js';
import { fmtInt } from '../report/svg.js';

export interface InspectDeps {
  openStorage?: (url: string) => Storage | Promise<Storage>;
  /** Output (default: process.stdout, paged when it is a TTY). */
  write?: (text: string) => void;
  /** Force ANSI colors on or off (default: on when stdout is a TTY and NO_COLOR is unset). */
  color?: boolean;
  log?: (line: string) => void;
}

export const INSPECT_USAGE = `usage: refinery inspect <run-dir|s3://...> [--stage S] [--reason R] [--n 5] [--pass P] [--kept] [--chars 2000]
  Prints documents that stage S removed for reason R (either may be omitted), with the value
  that removed them highlighted; --kept prints kept documents instead. With neither --stage,
  --reason nor --kept, lists the stages and reasons of the run.
  --max-rows N   rows scanned per pass at most (default 1000000)`;

export interface InspectQuery {
  pass?: string;
  stage?: string;
  reason?: string;
  n: number;
  kept: boolean;
  chars: number;
  maxRows: number;
}

type Shown = SampleDoc & { stage?: string; reason?: string; pass: string };

/** Find up to `n` documents matching the query: excluded/data shards first, then sample files. */
export async function findDocs(storage: Storage, q: InspectQuery): Promise<{ docs: Shown[]; sources: string[]; note?: string }> {
  const run = await loadRun(storage, { perKey: 0, maxScanRows: 0, maxScanFiles: 0 });
  const passes = run.passes.filter((p) => !q.pass || p.name === q.pass);
  const docs: Shown[] = [];
  const sources: string[] = [];
  if (q.kept) {
    // The last pass that wrote documents holds what the run finally kept.
    for (const p of [...passes].reverse()) {
      if (!p.dataFiles.length) continue;
      const k = await scanKept(storage, p.dataFiles, { excerptChars: q.chars, maxScanRows: q.n, maxScanFiles: p.dataFiles.length });
      docs.push(...k.docs.map((d) => ({ ...d, pass: p.name })));
      sources.push(`${p.name}/data (first ${k.scannedRows} rows)`);
      break;
    }
    return { docs: docs.slice(0, q.n), sources };
  }
  const want = (stage: string, reason: string) => (!q.stage || stage === q.stage) && (!q.reason || reason === q.reason);
  const counted = passes.filter((p) => p.stats);
  if (counted.length && !counted.some((p) => p.stats!.stages.some((s) => Object.entries(s.stats.dropped).some(([r, d]) => d.docs > 0 && want(s.name, r))))) {
    return { docs, sources, note: 'the statistics record no such removal' };
  }
  for (const p of passes) {
    if (docs.length >= q.n) break;
    // The statistics say which passes removed anything for this query: skip the others.
    if (p.stats && !p.stats.stages.some((s) => Object.entries(s.stats.dropped).some(([r, d]) => d.docs > 0 && want(s.name, r)))) continue;
    if (p.excludedFiles.length) {
      const ex = await scanExcluded(storage, p.excludedFiles, { perKey: q.n - docs.length, excerptChars: q.chars, maxScanRows: q.maxRows, maxScanFiles: p.excludedFiles.length, want, stopAfter: q.n - docs.length });
      for (const g of ex.groups) docs.push(...g.docs.map((d) => ({ ...d, stage: g.stage, reason: g.reason, pass: p.name })));
      sources.push(`${p.name}/excluded (${fmtInt(ex.scannedRows)} rows scanned)`);
    } else {
      const done = new Set(p.doneRanks);
      const { files } = await readSampleFiles(storage, p.name, { accept: (r) => !done.size || done.has(r), max: 256 });
      if (!files.length) continue;
      const merged = mergeSampleFiles(files, Math.max(q.n, 1));
      for (const g of merged.removed) if (want(g.stage, g.reason)) docs.push(...g.docs.map((d) => ({ ...d, excerpt: d.excerpt.slice(0, q.chars), stage: g.stage, reason: g.reason, pass: p.name })));
      sources.push(`${p.name}/samples (excerpts)`);
    }
  }
  return { docs: docs.slice(0, q.n), sources };
}

const ANSI = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', head: '\x1b[1;36m', hit: '\x1b[1;97;41m' };

/** Web text may carry terminal escapes: show control characters as visible code points. */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function fmtValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(+v.toPrecision(6));
}

/** A word-like detail (e.g. a matched blocklist word) is highlighted where it occurs in the text. */
function wordLike(detail: string | undefined): string | undefined {
  return detail && /^[\p{L}\p{N}_.-]{3,}$/u.test(detail) && !/^[\d.]+$/.test(detail) ? detail : undefined;
}

export function formatDoc(d: Shown, i: number, total: number, color: boolean): string {
  const c = (code: string, s: string) => (color ? `${code}${s}${ANSI.reset}` : s);
  const lines: string[] = [];
  const what = d.stage !== undefined ? `${d.pass} / ${d.stage} / ${d.reason}` : `${d.pass} / kept`;
  lines.push(c(ANSI.head, `── ${i + 1}/${total} · ${what} ${'─'.repeat(Math.max(3, 60 - what.length))}`));
  if (d.value !== undefined || d.detail) {
    const parts: string[] = [];
    if (d.value !== undefined) parts.push(`value ${fmtValue(d.value)}`);
    if (d.detail) parts.push(`(${safeText(d.detail)})`);
    lines.push(`removed by: ${c(ANSI.hit, ` ${parts.join(' ')} `)}`);
  }
  lines.push(`url:  ${safeText(d.url || '(none)')}`);
  const meta = [`id ${safeText(d.id)}`, `${fmtInt(d.chars)} chars`];
  if (d.language) meta.push(`lang ${d.language}${d.languageScore !== undefined ? ` ${d.languageScore.toFixed(3)}` : ''}`);
  if (d.tokenCount !== undefined) meta.push(`${fmtInt(d.tokenCount)} tokens`);
  lines.push(c(ANSI.dim, meta.join(' · ')));
  let text = safeText(d.excerpt);
  const word = wordLike(d.detail);
  if (word && color) text = text.split(word).join(c(ANSI.hit, word));
  lines.push('', text + (d.chars > d.excerpt.length ? c(ANSI.dim, ` … (${fmtInt(d.chars - d.excerpt.length)} more chars)`) : ''), '');
  return lines.join('\n');
}

async function listReasons(storage: Storage): Promise<string> {
  const run = await loadRun(storage, { perKey: 0, maxScanRows: 0, maxScanFiles: 0 });
  const lines = ['pass / stage / reason: documents removed'];
  for (const p of run.stats?.passes ?? []) {
    for (const s of p.stages) for (const [reason, d] of Object.entries(s.stats.dropped).sort((a, b) => b[1].docs - a[1].docs)) lines.push(`  ${p.pass} / ${s.name} / ${reason}: ${fmtInt(d.docs)}`);
  }
  if (lines.length === 1) lines.push('  (no removals in the statistics)');
  for (const n of run.notes) lines.push(`note: ${n}`);
  lines.push('', 'then: refinery inspect <run> --stage S --reason R --n 5');
  return `${lines.join('\n')}\n`;
}

/** Write through $PAGER (default `less -R -F -X`) when stdout is a TTY; plain write otherwise. */
function page(text: string): Promise<void> {
  if (!process.stdout.isTTY) {
    process.stdout.write(text);
    return Promise.resolve();
  }
  const [cmd, ...args] = (process.env.PAGER?.trim() || 'less -R -F -X').split(/\s+/);
  return new Promise((done) => {
    const child = spawn(cmd!, args, { stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', () => {
      process.stdout.write(text);
      done();
    });
    child.on('close', () => done());
    child.stdin.on('error', () => {}); // the user quit the pager early
    child.stdin.end(text);
  });
}

export async function inspectCommand(argv: string[], deps: InspectDeps = {}): Promise<number> {
  const log = deps.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const parsed = parseTargetCommand('inspect', INSPECT_USAGE, argv, {
    stage: { type: 'string' },
    reason: { type: 'string' },
    pass: { type: 'string' },
    n: { type: 'string', short: 'n' },
    kept: { type: 'boolean' },
    chars: { type: 'string' },
    'max-rows': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, log, deps.log ? log : (t) => process.stdout.write(`${t}\n`));
  if (typeof parsed === 'number') return parsed;
  const { values: v, target } = parsed;
  const write = deps.write ?? ((t: string) => void page(t));
  const color = deps.color ?? (!!process.stdout.isTTY && !process.env.NO_COLOR);
  try {
    const storage = await openRun(target, deps.openStorage);
    if (!(await isRunDir(storage))) {
      log(`refinery inspect: ${target} is not a run directory (no run.json or stats.json): give the --output of a \`refinery run\``);
      return EXIT.usage;
    }
    if (!v.stage && !v.reason && !v.kept) {
      const text = await listReasons(storage);
      if (deps.write) deps.write(text);
      else await page(text);
      return 0;
    }
    const q: InspectQuery = { pass: v.pass, stage: v.stage, reason: v.reason, kept: !!v.kept, n: wholeNumberArg('n', v.n) ?? 5, chars: wholeNumberArg('chars', v.chars) ?? 2000, maxRows: wholeNumberArg('max-rows', v['max-rows']) ?? 1_000_000 };
    const found = await findDocs(storage, q);
    const what = (n: number) => `${n === 1 ? 'document' : 'documents'}${q.kept ? ' kept' : ` removed${q.stage ? ` by ${q.stage}` : ''}${q.reason ? ` for ${q.reason}` : ''}`}`;
    if (!found.docs.length) {
      log(`refinery inspect: no ${what(2)} found (${found.note ?? `searched: ${found.sources.join('; ') || 'nothing: no excluded shards or sample files'}`}). Run without --stage/--reason to list them.`);
      return 1;
    }
    const header = `${found.docs.length} ${what(found.docs.length)} · from ${found.sources.join('; ')}\n\n`;
    const text = header + found.docs.map((d, i) => formatDoc(d, i, found.docs.length, color)).join('\n');
    if (deps.write) write(text);
    else await page(text);
    return 0;
  } catch (e) {
    log(`refinery inspect: ${(e as Error).message}`);
    return 1;
  }
}

export type { RemovedSample };

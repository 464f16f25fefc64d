/**
 * `refinery report <run-dir|s3://...> [-o report.html]`: writes the self-contained HTML report
 * and a Markdown summary beside it (same name, `.md`).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Storage } from '../storage/storage.js';
import { buildReport, openRun } from '../report/index.js';
import { isRunDir } from '../run-dir.js';
import { EXIT } from './exit-codes.js';
import { parseTargetCommand, wholeNumberArg } from './args.js';

export interface ReportDeps {
  /** Opens `s3://...` (or any non-local URL) runs; the CLI dispatcher passes the storage resolver. */
  openStorage?: (url: string) => Storage | Promise<Storage>;
  /** Where messages go (tests capture them). */
  log?: (line: string) => void;
}

export const REPORT_USAGE = `usage: refinery report <run-dir|s3://...> [-o report.html] [--samples N] [--excerpt CHARS] [--max-scan-rows N]
  Writes a self-contained HTML report (default: <run-dir>/report.html, or ./report.html for a
  remote run) and a Markdown summary beside it. Reads stats.json, run.json and sample files;
  without sample files, only the first rows of each pass's shards.
  --samples N        documents shown per removal reason (default 5)
  --excerpt CHARS    characters of text shown per document (default 600)
  --max-scan-rows N  rows scanned per pass when there are no sample files (default 4000)`;

function isRemote(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('file://');
}

export async function reportCommand(argv: string[], deps: ReportDeps = {}): Promise<number> {
  const log = deps.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const parsed = parseTargetCommand('report', REPORT_USAGE, argv, {
    output: { type: 'string', short: 'o' },
    samples: { type: 'string' },
    excerpt: { type: 'string' },
    'max-scan-rows': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, log, deps.log ? log : (t) => process.stdout.write(`${t}\n`));
  if (typeof parsed === 'number') return parsed;
  const { values, target } = parsed;
  try {
    const started = performance.now();
    const storage = await openRun(target, deps.openStorage);
    // Checked before anything is written: a mistyped path must not become a folder with a report.
    if (!(await isRunDir(storage))) {
      log(`refinery report: ${target} is not a run directory (no run.json or stats.json): give the --output of a \`refinery run\``);
      return EXIT.usage;
    }
    const report = await buildReport(storage, {
      openStorage: deps.openStorage,
      perKey: wholeNumberArg('samples', values.samples),
      excerptChars: wholeNumberArg('excerpt', values.excerpt),
      maxScanRows: wholeNumberArg('max-scan-rows', values['max-scan-rows']),
    });
    const out = resolve(values.output ?? (isRemote(target) ? 'report.html' : resolve(target.replace(/^file:\/\//, ''), 'report.html')));
    const md = /\.html?$/i.test(out) ? out.replace(/\.html?$/i, '.md') : `${out}.md`;
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, report.html);
    await writeFile(md, report.markdown);
    const ms = Math.round(performance.now() - started);
    log(`refinery report: wrote ${out} and ${md} (${ms} ms)`);
    for (const n of report.model.notes) log(`  missing: ${n}`);
    return 0;
  } catch (e) {
    log(`refinery report: ${(e as Error).message}`);
    return 1;
  }
}

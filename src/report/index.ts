/**
 * `buildReport`: the HTML report and its Markdown summary for a run directory (local path or
 * any Storage, e.g. S3). Reads statistics and bounded samples only (load.ts), so it takes
 * seconds whatever the size of the run. Deterministic: the same run gives the same bytes.
 */
import type { Storage } from '../storage/storage.js';
import { localStorage } from '../storage/local.js';
import { RefineryError } from '../errors.js';
import { loadRun, type LoadOptions, type RunData } from './load.js';
import { buildModel, type ReportModel } from './model.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export interface ReportOptions extends Partial<LoadOptions> {
  /** Opens a non-local run (`s3://...`); the CLI passes the project's storage resolver. */
  openStorage?: (url: string) => Storage | Promise<Storage>;
  /** Rows in the "top" lists (languages, hosts, TLDs). */
  top?: number;
}

export interface Report {
  html: string;
  markdown: string;
  model: ReportModel;
  run: RunData;
}

/** A Storage for a run given as a path or URL. */
export async function openRun(target: string | Storage, openStorage?: ReportOptions['openStorage']): Promise<Storage> {
  if (typeof target !== 'string') return target;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('file://')) {
    if (!openStorage) throw new RefineryError('ERR_STORAGE', `${target}: no storage available for this URL scheme here`);
    return openStorage(target);
  }
  return localStorage(target.startsWith('file://') ? new URL(target).pathname : target);
}

export async function buildReport(target: string | Storage, options: ReportOptions = {}): Promise<Report> {
  const storage = await openRun(target, options.openStorage);
  const run = await loadRun(storage, options);
  const model = buildModel(run, { top: options.top });
  return { html: renderHtml(model), markdown: renderMarkdown(model), model, run };
}

export { loadRun, buildModel, renderHtml, renderMarkdown };
export type { RunData, ReportModel };

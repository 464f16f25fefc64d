/**
 * `refinery explain <run> <url|id>`: one document's fate through every stage of a run, read
 * from the run directory (docs/explain.md).
 *
 *  1. Where it came from: the run's trace (`--explain`, src/explain-trace.ts) gives input file,
 *     record number, byte offset and, when a streaming stage removed it, the recorded drop.
 *     Without a trace, a document the streaming stages kept is found in `filter/data` (its
 *     shard name gives the input file) and its record by reading that input from the start.
 *  2. What each streaming stage measured: the record is read again at its offset and the
 *     stages re-run on it, one by one, observing their measured values (the pipeline is
 *     deterministic, so this is what the run saw; a re-run that disagrees with the recorded
 *     drop is said so: the code or a model changed since).
 *  3. Each corpus pass that writes documents: the document is followed by id from the shard it
 *     was in to the pass's data (kept: file, row) or excluded output (removed: reason, value,
 *     detail), with the pass's own account (`CorpusPass.explain`: e.g. the duplicate cluster
 *     and the copy kept in its place) and the spans it cut when it recorded them
 *     (`<pass>/spans/<shard>.jsonl`, lines `{id, start, end, text}`).
 *  4. Its final row: part file and row in `final/`.
 * Memory: one Parquet row group (of one or a few columns) at a time, and one input record.
 */
import type { Registry, RunConfig } from './config.js';
import type { Doc } from './doc.js';
import { RefineryError } from './errors.js';
import { hasTraces, readTrace, TRACE_DIR, tracePath, type TraceLine } from './explain-trace.js';
import { corpusPassesOf } from './corpus.js';
import { finalPlace } from './final-shards.js';
import { readParquetRows, storageParquet } from './formats/parquet.js';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { PassExplanation } from './pass.js';
import { inputShardFiles } from './pass-io.js';
import { readInputDocs, type InputSource } from './readers/input.js';
import { stageModuleOf } from './user-stages.js';
import { isDrop, createStage, type Drop, type StageContext } from './stage.js';
import { emptyReaderStats } from './stats.js';
import { pad, readManifest, STREAM_PASS, type RunManifest } from './run-dir.js';
import type { ObjectInfo, Storage } from './storage/storage.js';

export interface StageStep {
  stage: string;
  /**
   * The stage's options for this document's language that can be thresholds: numbers, flags,
   * short strings, lists of numbers and short lists of strings (not word lists or block lists).
   */
  options: Record<string, string | number | boolean | (string | number)[]>;
  /** The document's language when the stage ran. */
  language?: string;
  /** What the stage measured (`ctx.observe`), by metric. */
  measured: Record<string, number>;
  /** Events it counted for this document (`ctx.count`), e.g. lines removed. */
  events: Record<string, number>;
  result: 'kept' | 'removed' | 'annotated';
  reason?: string;
  value?: number | null;
  detail?: string | null;
  charsIn: number;
  charsOut: number;
}

export interface RelatedDoc {
  role: string;
  id: string;
  url: string;
  /** Its place in the pass's input. */
  file: string;
  row: number;
}

export interface PassStep {
  pass: string;
  /** Where the document was in the pass's input. */
  input: { file: string; row: number };
  result: 'kept' | 'removed' | 'not found';
  /** Kept: where it is in the pass's output. */
  output?: { file: string; row: number };
  reason?: string;
  value?: number | null;
  detail?: string | null;
  charsIn?: number;
  charsOut?: number;
  facts?: PassExplanation['facts'];
  related?: RelatedDoc[];
  /** Character ranges (of the text as the pass read it) that the pass cut, with the text cut. */
  spans?: { start: number; end: number; text: string }[];
}

export interface Explanation {
  id: string;
  url: string;
  source: { input: string; task: number; record?: number; offset?: number };
  /** Recorded by the run (trace or excluded output): the streaming stage that removed it. */
  recorded?: { stage: string; reason: string; value: number | null; detail: string | null };
  stages: StageStep[];
  /** Why `stages` is empty or partial, and whether the re-run agrees with the record. */
  stagesNote?: string;
  passes: PassStep[];
  fate: { kept: boolean; stage?: string; reason?: string; value?: number | null; detail?: string | null };
  final?: { file: string; row: number; language?: string };
}

export interface ExplainEnv {
  run: Storage;
  registry: Registry;
  openInput(uri: string): Promise<InputSource>;
}

/** A document of the run found by id or URL: its task (input index) and what the run recorded. */
interface Found {
  task: number;
  id: string;
  url: string;
  record?: number;
  offset?: number;
  recorded?: Explanation['recorded'];
  /** Its place in `filter/data` when the streaming stages kept it (found without a trace). */
  kept?: { file: string; row: number };
}

/** Explain every document of the run whose id or URL is `query` (all captures of a URL). */
export async function explain(env: ExplainEnv, query: string, opts: { max?: number } = {}): Promise<{ docs: Explanation[]; more: number; traced: boolean }> {
  const manifest = await readManifest(env.run);
  const traced = await hasTraces(env.run);
  const found = traced ? await findInTraces(env.run, manifest, query) : await findInOutputs(env.run, query);
  if (found.length === 0) {
    const hint = traced ? '' : ' (this run kept no trace, so documents the streaming stages removed are found only in filter/excluded/ with --excluded: rerun with --explain)';
    throw new RefineryError('ERR_CONFIG', `no document with id or URL ${JSON.stringify(query)} in the run${hint}`, {}, { usage: true });
  }
  const max = opts.max ?? 20;
  const docs: Explanation[] = [];
  for (const f of found.slice(0, max)) docs.push(await explainOne(env, manifest, f));
  return { docs, more: Math.max(0, found.length - max), traced };
}

async function findInTraces(run: Storage, manifest: RunManifest, query: string): Promise<Found[]> {
  const out: Found[] = [];
  // Tasks still running (or never run) have no trace yet: their documents are not found.
  const present = new Set((await run.list(`${TRACE_DIR}/`)).map((o) => o.path));
  for (let task = 0; task < manifest.inputs.length; task++) {
    if (!present.has(tracePath(task))) continue;
    for await (const l of readTrace(run, task)) {
      if (l.id !== query && l.url !== query) continue;
      out.push({ task, id: l.id, url: l.url, record: l.record, offset: l.offset, recorded: recordedDrop(l) });
    }
  }
  return out;
}

function recordedDrop(l: Pick<TraceLine, 'stage' | 'reason' | 'value' | 'detail'>): Explanation['recorded'] {
  return l.stage === undefined ? undefined : { stage: l.stage, reason: l.reason ?? '', value: l.value ?? null, detail: l.detail ?? null };
}

/** Without a trace: `filter/data` (kept) and `filter/excluded` (removed, with --excluded), ids and URLs only. */
async function findInOutputs(run: Storage, query: string): Promise<Found[]> {
  const out: Found[] = [];
  for (const kind of ['data', 'excluded'] as const) {
    for (const f of await parquetFiles(run, `${STREAM_PASS}/${kind}`)) {
      const task = Number(f.path.slice(f.path.lastIndexOf('/') + 1).split('-')[0]);
      let row = 0;
      const columns = kind === 'data' ? ['id', 'url'] : ['id', 'url', 'stage', 'reason', 'value', 'detail'];
      for await (const r of readParquetRows(storageParquet(run, f.path, f.size), { columns })) {
        if (r.id === query || r.url === query) {
          const hit: Found = { task, id: String(r.id), url: String(r.url) };
          if (kind === 'data') hit.kept = { file: f.path, row };
          else hit.recorded = recordedDrop(r as Pick<TraceLine, 'stage' | 'reason' | 'value' | 'detail'>);
          out.push(hit);
        }
        row++;
      }
    }
  }
  return out.sort((a, b) => a.task - b.task);
}

async function parquetFiles(run: Storage, dir: string): Promise<ObjectInfo[]> {
  return (await run.list(`${dir}/`)).filter((o) => o.path.endsWith('.parquet'));
}

async function explainOne(env: ExplainEnv, manifest: RunManifest, f: Found): Promise<Explanation> {
  const { config } = manifest;
  const input = manifest.inputs[f.task] ?? '';
  const e: Explanation = {
    id: f.id,
    url: f.url,
    source: { input, task: f.task, ...(f.record !== undefined ? { record: f.record, offset: f.offset } : {}) },
    ...(f.recorded ? { recorded: f.recorded } : {}),
    stages: [],
    passes: [],
    fate: f.recorded ? { kept: false, ...f.recorded } : { kept: true },
  };
  // 2. The streaming stages, re-run on the record.
  try {
    const doc = await readRecord(env, config, input, f);
    if (!doc) e.stagesNote = `record not found again in ${input}: the input changed since the run`;
    else {
      if (f.record === undefined && doc.source) Object.assign(e.source, { record: doc.source.record, offset: doc.source.offset });
      e.stages = await rerunStages(env.registry, config, doc);
      const removed = e.stages.find((s) => s.result === 'removed');
      const agrees = f.recorded ? removed?.stage === f.recorded.stage && removed.reason === f.recorded.reason : !removed;
      if (!agrees) {
        const now = removed ? `${removed.stage} (${removed.reason})` : 'no stage';
        const then = f.recorded ? `${f.recorded.stage} (${f.recorded.reason})` : 'no stage';
        e.stagesNote = `the re-run disagrees with the run: now ${now} removes it, the run recorded ${then} (code, config or a model changed since the run)`;
      }
    }
  } catch (err) {
    e.stagesNote = `the stages could not be re-run: ${(err as Error).message}`;
  }
  if (f.recorded) return e;
  // 3. The corpus passes, from where the streaming pass wrote it.
  let at = f.kept ?? (await keptPlace(env.run, f.task, f.id));
  if (!at) {
    e.stagesNote ??= 'not in filter/data although the trace records no removal (the run did not finish its streaming pass?)';
    e.fate = { kept: false };
    return e;
  }
  let folder = STREAM_PASS;
  for (const p of corpusPassesOf(config, env.registry)) {
    if (!p.pass.writesDocs || p.input !== folder) continue;
    const step = await followPass(env, config, p, at);
    e.passes.push(step);
    if (step.result !== 'kept') {
      e.fate = { kept: false, stage: p.pass.name, reason: step.reason ?? step.result, value: step.value, detail: step.detail };
      return e;
    }
    at = step.output!;
    folder = p.pass.name;
  }
  // 4. The final row (a JSONL part is not checked row by row).
  const place = await finalPlace(env.run, config.output, at.file, at.row);
  if (place) {
    e.final = { file: place.path, row: place.row, ...(place.language ? { language: place.language } : {}) };
    if (place.path.endsWith('.parquet') && (await env.run.exists(place.path))) {
      const size = (await env.run.list(place.path.slice(0, place.path.lastIndexOf('/') + 1))).find((o) => o.path === place.path)?.size;
      const [r] = size === undefined ? [] : await rowsAt(env.run, { path: place.path, size }, place.row, ['id']);
      if (r?.id !== e.id) e.stagesNote = `${place.path} row ${place.row} holds ${String(r?.id)}, not this document (final shards rewritten since?)`;
    }
  }
  return e;
}

/** The record again: from its offset (WARC, plain JSONL) or read from the start of the input. */
async function readRecord(env: ExplainEnv, config: RunConfig, input: string, f: Found): Promise<Doc | undefined> {
  const source = await env.openInput(input);
  const ranged = f.offset !== undefined && source.readRange !== undefined && source.size !== undefined && /\.(w?arc)(\.gz)?$|\.jsonl$/i.test(input);
  const from: InputSource = ranged ? { name: source.name, read: () => source.readRange!(f.offset!, source.size!) } : source;
  for await (const doc of readInputDocs(from, config.reader, emptyReaderStats())) {
    if (doc.id !== f.id) {
      if (ranged) return undefined; // the record at the offset is another one
      continue;
    }
    if (ranged) doc.source = { file: input, offset: f.offset!, record: f.record };
    return doc;
  }
  return undefined;
}

function thresholdOptions(options: Record<string, unknown>, language: string | undefined): StageStep['options'] {
  const perLanguage = options.per_language as Record<string, Record<string, unknown>> | undefined;
  const own = (language !== undefined && perLanguage?.[language]) || options;
  const out: StageStep['options'] = {};
  for (const [k, v] of Object.entries(own)) {
    if (k === 'per_language') continue;
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 80)) out[k] = v;
    else if (Array.isArray(v) && (v.every((x) => typeof x === 'number') || (v.length <= 8 && v.every((x) => typeof x === 'string' && x.length <= 20)))) out[k] = v as (string | number)[];
  }
  return out;
}

/** Every streaming stage on the one document, in order, recording what each observed. */
async function rerunStages(registry: Registry, config: RunConfig, input: Doc): Promise<StageStep[]> {
  const steps: StageStep[] = [];
  let doc = input;
  for (const [i, entry] of config.stages.entries()) {
    const { name, options } = entry;
    const mod = await stageModuleOf(entry, i, registry);
    const measured: Record<string, number> = {};
    const events: Record<string, number> = {};
    const ctx: StageContext = {
      observe: (metric, value) => void (measured[metric] = value),
      count: (event, n = 1) => void (events[event] = (events[event] ?? 0) + n),
      log: () => {},
    };
    const stage = await createStage(mod, options as never, ctx);
    const charsIn = doc.text.length > 0 ? doc.text.length : (doc.html?.length ?? 0);
    const languageBefore = doc.language;
    let r: Doc | Drop;
    try {
      r = stage.applyBatch ? (await stage.applyBatch([doc]))[0]! : await stage.apply(doc);
    } finally {
      await stage.close?.();
    }
    const after = isDrop(r) ? doc : r;
    const language = after.language ?? languageBefore;
    const step: StageStep = { stage: name, options: thresholdOptions(options, language), ...(language ? { language } : {}), measured, events, result: 'kept', charsIn, charsOut: charsIn };
    steps.push(step);
    if (isDrop(r)) {
      const annotate = config.mode === 'annotate' && doc.text.length > 0;
      Object.assign(step, { result: annotate ? 'annotated' : 'removed', reason: r.reason, value: r.value ?? null, detail: r.detail ?? null });
      if (!annotate) break;
      continue;
    }
    step.charsOut = r.text.length > 0 ? r.text.length : (r.html?.length ?? 0);
    doc = r;
  }
  return steps;
}

/** Where the streaming pass wrote document `id` of task `task`: its part of `filter/data`, row. */
async function keptPlace(run: Storage, task: number, id: string): Promise<{ file: string; row: number } | undefined> {
  for (const f of await parquetFiles(run, `${STREAM_PASS}/data`)) {
    if (!f.path.slice(f.path.lastIndexOf('/') + 1).startsWith(`${pad(task)}-`)) continue;
    const row = await rowOfId(run, f, id);
    if (row >= 0) return { file: f.path, row };
  }
  return undefined;
}

/** Row of `id` in a Parquet file (its id column only, a row group at a time), or -1. */
async function rowOfId(run: Storage, f: ObjectInfo, id: string): Promise<number> {
  let row = 0;
  for await (const r of readParquetRows(storageParquet(run, f.path, f.size), { columns: ['id'] })) {
    if (r.id === id) return row;
    row++;
  }
  return -1;
}

async function rowsAt(run: Storage, f: { path: string; size: number }, row: number, columns: string[]): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const r of readParquetRows(storageParquet(run, f.path, f.size), { start: row, end: row + 1, columns })) rows.push(r);
  return rows;
}

type Planned = ReturnType<typeof corpusPassesOf>[number];

/** One corpus pass that writes documents: kept (where), or removed (why), and its own account. */
async function followPass(env: ExplainEnv, config: RunConfig, p: Planned, at: { file: string; row: number }): Promise<PassStep> {
  const { run } = env;
  const name = p.pass.name;
  const shards = await inputShardFiles(run, p.input);
  const shard = shards.findIndex((s) => s.path === at.file);
  const step: PassStep = { pass: name, input: at, result: 'not found' };
  if (shard < 0) return step;
  const [before] = await rowsAt(run, shards[shard]!, at.row, ['id', 'content']);
  if (before?.id !== undefined && typeof before.content === 'string') step.charsIn = before.content.length;
  // A pass's task r reads input shard r and writes `<pass>/data/<r>.parquet` (src/pass.ts); any
  // other layout is searched file by file.
  const byPath = new Map((await run.list(`${name}/`)).map((o) => [o.path, o]));
  const named = (kind: string) => byPath.get(`${name}/${kind}/${pad(shard)}.parquet`);
  const search = async (kind: 'data' | 'excluded'): Promise<{ file: ObjectInfo; row: number } | undefined> => {
    const first = named(kind);
    const files = [...(first ? [first] : []), ...[...byPath.values()].filter((o) => o !== first && o.path.startsWith(`${name}/${kind}/`) && o.path.endsWith('.parquet'))];
    for (const file of files) {
      const row = await rowOfId(run, file, String(before?.id ?? ''));
      if (row >= 0) return { file, row };
    }
    return undefined;
  };
  const kept = await search('data');
  if (kept) {
    step.result = 'kept';
    step.output = { file: kept.file.path, row: kept.row };
    const [r] = await rowsAt(run, kept.file, kept.row, ['content']);
    if (typeof r?.content === 'string') step.charsOut = r.content.length;
  } else {
    const ex = await search('excluded');
    if (ex) {
      const [r] = await rowsAt(run, ex.file, ex.row, ['stage', 'reason', 'value', 'detail']);
      Object.assign(step, { result: 'removed', reason: String(r?.reason ?? ''), value: (r?.value as number | null) ?? null, detail: (r?.detail as string | null) ?? null });
    }
  }
  const spansFile = byPath.get(`${name}/spans/${pad(shard)}.jsonl`);
  if (spansFile) {
    const spans: NonNullable<PassStep['spans']> = [];
    const needle = JSON.stringify(String(before?.id ?? ''));
    for await (const line of createInterface({ input: Readable.from(run.read(spansFile.path)), crlfDelay: Infinity })) {
      if (!line.includes(needle)) continue;
      const s = JSON.parse(line) as { id: string; start: number; end: number; text: string };
      if (s.id === before?.id) spans.push({ start: s.start, end: s.end, text: s.text });
    }
    if (spans.length) step.spans = spans;
  }
  if (!step.spans && step.charsIn !== undefined && step.charsOut !== undefined && step.charsOut !== step.charsIn) {
    step.facts = { ...step.facts, note: `the text changed here, but ${name} recorded no spans (${name}/spans/)` };
  }
  if (p.pass.explain && step.result !== 'not found') {
    const ctx = { run, input: p.input, options: p.options, runConfig: config as unknown as Record<string, unknown>, log: () => {} };
    const own = await p.pass.explain({ shard, row: at.row, kept: step.result === 'kept' }, ctx);
    if (own?.facts) step.facts = own.facts;
    if (own?.related?.length) {
      step.related = [];
      for (const rel of own.related) {
        const f = shards[rel.shard];
        const [r] = f ? await rowsAt(run, f, rel.row, ['id', 'url']) : [];
        step.related.push({ role: rel.role, id: String(r?.id ?? '?'), url: String(r?.url ?? '?'), file: f?.path ?? `shard ${rel.shard}`, row: rel.row });
      }
    }
  }
  return step;
}

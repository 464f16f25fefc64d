/**
 * The built-in last step of every run: the corpus as Parquet shards of a target size under
 * `final/`, and `final/manifest.json` (files, rows, tokens, bytes, sha256) for a training
 * data loader. Part k always holds global rows [k*R, (k+1)*R) of the last documents folder
 * read in file-name order, so the parts are identical whatever the executor and the number
 * of tasks of every pass.
 *
 * With `output.by_language`, each document language gets its own parts and manifest:
 * `final/<lang>/part-*.parquet` and `final/<lang>/manifest.json` (part k of a language holds
 * that language's rows [k*R, (k+1)R) in the same order), and `final/manifest.json` lists every
 * language's files (paths relative to `final/`) with per-language totals.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { CorpusPass, CorpusStep, PassContext } from './pass.js';
import type { OutputOptions } from './config.js';
import { parquetRowCount, readParquetRows, storageParquet } from './formats/parquet.js';
import { parquetFileWriter } from './pass-io.js';
import { docToRow, rowToDoc, type DocRow } from './formats/schema.js';
import { paths } from './run-dir.js';
import type { TaskStats } from './stats.js';
import type { Storage } from './storage/storage.js';

export const FINAL_DIR = 'final';

export interface FinalManifest {
  files: { path: string; rows: number; tokens: number; bytes: number; sha256: string }[];
  rows: number;
  tokens: number;
  bytes: number;
  /** With `output.by_language`: totals per document language (each also in `<lang>/manifest.json`). */
  languages?: Record<string, { files: number; rows: number; tokens: number; bytes: number }>;
}

/** The language folder of a document without a language label (no language stage ran). */
export const NO_LANGUAGE = 'und';

interface ShardInfo {
  path: string;
  size: number;
  rows: number;
}

type PartFacts = FinalManifest['files'][number] & { language?: string };

/** What `plan` leaves for the tasks: the input shards, and with by_language each language's rows per shard. */
interface Layout {
  shards: ShardInfo[];
  languageRows?: Record<string, number[]>;
}

/** Where `plan` leaves the input shards' row counts, so each task need not read every footer. */
const LAYOUT_FILE = 'final_shards/layout.json';
/** What each task records of a part it wrote (the manifest only gathers them). */
const partFactsFile = (part: number) => `final_shards/parts/${String(part).padStart(5, '0')}.json`;

async function inputShards(run: Storage, input: string): Promise<ShardInfo[]> {
  const files = (await run.list(paths.data(input))).filter((f) => f.path.endsWith('.parquet'));
  const out: ShardInfo[] = [];
  for (const f of files) out.push({ ...f, rows: await parquetRowCount(storageParquet(run, f.path, f.size)) });
  return out;
}

/** Rows per part: the configured rows, or the configured bytes at the corpus' mean row size. */
function rowsPerPart(opts: OutputOptions, shards: ShardInfo[]): number {
  if (opts.final_shard_bytes > 0) {
    const rows = shards.reduce((a, s) => a + s.rows, 0);
    const bytes = shards.reduce((a, s) => a + s.size, 0);
    if (rows > 0 && bytes > 0) return Math.max(1, Math.round(opts.final_shard_bytes / (bytes / rows)));
  }
  return opts.final_shard_rows;
}

function partName(part: number, format: string, language?: string): string {
  return `${FINAL_DIR}/${language === undefined ? '' : `${language}/`}part-${String(part).padStart(5, '0')}.${format}`;
}

/** Rows of each language in each shard (one column read per shard). */
async function languageRows(run: Storage, shards: ShardInfo[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [i, s] of shards.entries()) {
    for await (const r of readParquetRows(storageParquet(run, s.path, s.size), { columns: ['language'] })) {
      const lang = languageOf(r);
      (out[lang] ??= new Array(shards.length).fill(0))[i]++;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function languageOf(row: Record<string, unknown>): string {
  return typeof row.language === 'string' && row.language.length > 0 ? row.language : NO_LANGUAGE;
}

/** Every part to write, in order: global part index -> (language, part within it, its row range). */
function partList(opts: OutputOptions, l: Layout): { language?: string; part: number; from: number; to: number }[] {
  const perPart = rowsPerPart(opts, l.shards);
  const out: { language?: string; part: number; from: number; to: number }[] = [];
  const groups: [string | undefined, number][] = l.languageRows
    ? Object.entries(l.languageRows).map(([lang, rows]) => [lang, rows.reduce((a, b) => a + b, 0)])
    : [[undefined, l.shards.reduce((a, s) => a + s.rows, 0)]];
  for (const [language, total] of groups) {
    for (let k = 0; k * perPart < total; k++) out.push({ language, part: k, from: k * perPart, to: Math.min(total, (k + 1) * perPart) });
  }
  return out;
}

/** Rows [from, to) among the rows of `language`, in shard order (skipping shards before them). */
async function* languageRowsInRange(run: Storage, l: Layout, language: string, from: number, to: number): AsyncGenerator<Record<string, unknown>> {
  const counts = l.languageRows![language]!;
  let base = 0;
  for (const [i, s] of l.shards.entries()) {
    const n = counts[i]!;
    if (base + n > from && n > 0) {
      let at = base;
      for await (const r of readParquetRows(storageParquet(run, s.path, s.size))) {
        if (languageOf(r) !== language) continue;
        if (at >= from && at < to) yield r;
        at++;
        if (at >= to) break;
      }
    }
    base += n;
    if (base >= to) break;
  }
}

/** A JSONL part (gzipped or not) in one piece; Parquet parts are streamed instead. */
function encodePart(rows: DocRow[], opts: OutputOptions): Uint8Array {
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  return opts.format === 'jsonl.gz' ? gzipSync(text, { level: 6 }) : Buffer.from(text);
}

function taskCount(opts: OutputOptions, l: Layout): number {
  return Math.ceil(partList(opts, l).length / opts.final_parts_per_task);
}

async function* rowsInRange(run: Storage, shards: ShardInfo[], from: number, to: number): AsyncGenerator<Record<string, unknown>> {
  let base = 0;
  for (const s of shards) {
    const lo = Math.max(from, base);
    const hi = Math.min(to, base + s.rows);
    if (lo < hi) yield* readParquetRows(storageParquet(run, s.path, s.size), { start: lo - base, end: hi - base });
    base += s.rows;
    if (base >= to) break;
  }
}

function taskStats(pass: string, rank: number, docs: number, tokens: number, ms: number): TaskStats {
  return { pass, rank, stages: [], docsWritten: docs, tokensWritten: tokens, retries: {}, ms };
}

const finalShards: CorpusPass<OutputOptions> = {
  // Bookkeeping (stats, done markers) goes to `final_shards/`; the parts to `final/`.
  name: 'final_shards',
  writesDocs: false,
  async plan(ctx) {
    // Footers are read once, here; the input is committed and fixed, so tasks reuse the list.
    const shards = await inputShards(ctx.run, ctx.input);
    const l: Layout = { shards, languageRows: ctx.options.by_language ? await languageRows(ctx.run, shards) : undefined };
    await ctx.run.writeAll(LAYOUT_FILE, JSON.stringify(l));
    return taskCount(ctx.options, l);
  },
  async run(rank, ctx) {
    const t0 = performance.now();
    const l = JSON.parse((await ctx.run.readAll(LAYOUT_FILE)).toString('utf8')) as Layout;
    const parts = partList(ctx.options, l);
    const first = rank * ctx.options.final_parts_per_task;
    const last = Math.min(parts.length, first + ctx.options.final_parts_per_task);
    let docs = 0;
    let tokens = 0;
    for (let part = first; part < last; part++) {
      const p = parts[part]!;
      const name = partName(p.part, ctx.options.format, p.language);
      const hash = createHash('sha256');
      let bytes = 0;
      let partRows = 0;
      let partTokens = 0;
      const rowsOfPart = async function* () {
        const source = p.language === undefined ? rowsInRange(ctx.run, l.shards, p.from, p.to) : languageRowsInRange(ctx.run, l, p.language, p.from, p.to);
        for await (const r of source) {
          const row = docToRow(rowToDoc(r, String(r.id)));
          partRows++;
          partTokens += row.token_count ?? 0;
          yield row;
        }
      };
      if (ctx.options.format === 'parquet') {
        // Streamed a row group at a time (the same bytes as encoding the part at once).
        const pq = parquetFileWriter<DocRow>(ctx.run, name, false, 'write', {
          parquet: { rowGroupRows: ctx.options.row_group_rows, zstdLevel: ctx.options.zstd_level },
          onBytes: (b) => {
            hash.update(b);
            bytes += b.byteLength;
          },
        });
        try {
          for await (const row of rowsOfPart()) await pq.add(row);
          await pq.close();
        } catch (e) {
          await pq.abort();
          throw e;
        }
      } else {
        const rows: DocRow[] = [];
        for await (const row of rowsOfPart()) rows.push(row);
        const encoded = encodePart(rows, ctx.options);
        await ctx.run.writeAll(name, encoded);
        hash.update(encoded);
        bytes = encoded.byteLength;
      }
      // The part's bytes went through the hash: no need to re-read the corpus.
      const facts: PartFacts = {
        path: name.slice(FINAL_DIR.length + 1),
        rows: partRows,
        tokens: partTokens,
        bytes,
        sha256: hash.digest('hex'),
        ...(p.language === undefined ? {} : { language: p.language }),
      };
      await ctx.run.writeAll(partFactsFile(part), JSON.stringify(facts));
      docs += partRows;
      tokens += partTokens;
    }
    return taskStats('final_shards', rank, docs, tokens, performance.now() - t0);
  },
};

const finalManifest: CorpusPass<OutputOptions> = {
  name: 'final_manifest',
  writesDocs: false,
  plan: async () => 1,
  async run(rank, ctx: PassContext & { options: OutputOptions }) {
    const t0 = performance.now();
    const manifest: FinalManifest = { files: [], rows: 0, tokens: 0, bytes: 0 };
    const perLanguage = new Map<string, FinalManifest>();
    for (const f of await ctx.run.list('final_shards/parts')) {
      const { language, ...facts } = JSON.parse((await ctx.run.readAll(f.path)).toString('utf8')) as PartFacts;
      addPart(manifest, facts);
      if (language !== undefined) {
        if (!perLanguage.has(language)) perLanguage.set(language, { files: [], rows: 0, tokens: 0, bytes: 0 });
        addPart(perLanguage.get(language)!, { ...facts, path: facts.path.slice(language.length + 1) });
      }
    }
    if (ctx.options.by_language) {
      manifest.languages = {};
      for (const [language, m] of perLanguage) {
        manifest.languages[language] = { files: m.files.length, rows: m.rows, tokens: m.tokens, bytes: m.bytes };
        await ctx.run.writeAll(`${FINAL_DIR}/${language}/manifest.json`, JSON.stringify(m, null, 1) + '\n');
      }
    }
    await ctx.run.writeAll(`${FINAL_DIR}/manifest.json`, JSON.stringify(manifest, null, 1) + '\n');
    return taskStats('final_manifest', rank, manifest.rows, manifest.tokens, performance.now() - t0);
  },
};


function addPart(m: FinalManifest, facts: FinalManifest['files'][number]): void {
  m.files.push(facts);
  m.rows += facts.rows;
  m.tokens += facts.tokens;
  m.bytes += facts.bytes;
}

/** Options come from the config's `output` section. */
export const finalStep: CorpusStep<OutputOptions> = {
  name: 'final',
  description: 'the corpus as Parquet shards of a target size, with manifest.json',
  defaults: {} as OutputOptions,
  passes: [finalShards, finalManifest],
};

/**
 * Where row `row` of shard `shardPath` of the last documents folder is in `final/` (for
 * `refinery explain`): the part file and its row there, from the layout the plan left (part k
 * holds rows [k*R, (k+1)*R), per language with by_language). Undefined before final_shards ran.
 */
export async function finalPlace(run: Storage, opts: OutputOptions, shardPath: string, row: number): Promise<{ path: string; row: number; language?: string } | undefined> {
  if (!(await run.exists(LAYOUT_FILE))) return undefined;
  const l = JSON.parse((await run.readAll(LAYOUT_FILE)).toString('utf8')) as Layout;
  const s = l.shards.findIndex((x) => x.path === shardPath);
  if (s < 0) return undefined;
  const perPart = rowsPerPart(opts, l.shards);
  let g = 0;
  let language: string | undefined;
  if (l.languageRows) {
    const shard = l.shards[s]!;
    let at = 0;
    for await (const r of readParquetRows(storageParquet(run, shard.path, shard.size), { end: row + 1, columns: ['language'] })) {
      if (at === row) language = languageOf(r);
      at++;
    }
    if (language === undefined) return undefined;
    const counts = l.languageRows[language]!;
    for (let i = 0; i < s; i++) g += counts[i]!;
    at = 0;
    for await (const r of readParquetRows(storageParquet(run, shard.path, shard.size), { end: row, columns: ['language'] })) if (languageOf(r) === language) at++;
    g += at;
  } else {
    for (let i = 0; i < s; i++) g += l.shards[i]!.rows;
    g += row;
  }
  const part = Math.floor(g / perPart);
  return { path: partName(part, opts.format, language), row: g - part * perPart, ...(language !== undefined ? { language } : {}) };
}

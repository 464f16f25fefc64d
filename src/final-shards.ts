/**
 * The built-in last step of every run: the corpus as Parquet shards of a target size under
 * `final/`, and `final/manifest.json` (files, rows, tokens, bytes, sha256) for a training
 * data loader. Part k always holds global rows [k*R, (k+1)*R) of the last documents folder
 * read in file-name order, so the parts are identical whatever the executor and the number
 * of tasks of every pass.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { CorpusPass, CorpusStep, PassContext } from './pass.js';
import type { OutputOptions } from './config.js';
import { parquetRowCount, parquetStreamWriter, readParquetRows, storageParquet } from './formats/parquet.js';
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
}

interface ShardInfo {
  path: string;
  size: number;
  rows: number;
}

type PartFacts = FinalManifest['files'][number];

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

function partName(part: number, format: string): string {
  return `${FINAL_DIR}/part-${String(part).padStart(5, '0')}.${format}`;
}

/** A JSONL part (gzipped or not) in one piece; Parquet parts are streamed instead. */
function encodePart(rows: DocRow[], opts: OutputOptions): Uint8Array {
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  return opts.format === 'jsonl.gz' ? gzipSync(text, { level: 6 }) : Buffer.from(text);
}

function layout(opts: OutputOptions, shards: ShardInfo[]) {
  const total = shards.reduce((a, s) => a + s.rows, 0);
  const perPart = rowsPerPart(opts, shards);
  const parts = Math.ceil(total / perPart);
  const tasks = Math.ceil(parts / opts.final_parts_per_task);
  return { total, perPart, parts, tasks };
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
    await ctx.run.writeAll(LAYOUT_FILE, JSON.stringify(shards));
    return layout(ctx.options, shards).tasks;
  },
  async run(rank, ctx) {
    const t0 = performance.now();
    const shards = JSON.parse((await ctx.run.readAll(LAYOUT_FILE)).toString('utf8')) as ShardInfo[];
    const { total, perPart, parts } = layout(ctx.options, shards);
    const first = rank * ctx.options.final_parts_per_task;
    const last = Math.min(parts, first + ctx.options.final_parts_per_task);
    let docs = 0;
    let tokens = 0;
    for (let part = first; part < last; part++) {
      const name = partName(part, ctx.options.format);
      const hash = createHash('sha256');
      let bytes = 0;
      let partRows = 0;
      let partTokens = 0;
      const rowsOfPart = async function* () {
        for await (const r of rowsInRange(ctx.run, shards, part * perPart, Math.min(total, (part + 1) * perPart))) {
          const row = docToRow(rowToDoc(r, String(r.id)));
          partRows++;
          partTokens += row.token_count ?? 0;
          yield row;
        }
      };
      if (ctx.options.format === 'parquet') {
        // Streamed a row group at a time (the same bytes as encoding the part at once).
        const out = await ctx.run.create(name);
        try {
          const pq = parquetStreamWriter<DocRow>(async (b) => {
            hash.update(b);
            bytes += b.byteLength;
            await out.write(b);
          }, false, { rowGroupRows: ctx.options.row_group_rows, zstdLevel: ctx.options.zstd_level });
          for await (const row of rowsOfPart()) await pq.add(row);
          await pq.close();
          await out.commit();
        } catch (e) {
          await out.abort();
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
    for (const f of await ctx.run.list('final_shards/parts')) {
      const facts = JSON.parse((await ctx.run.readAll(f.path)).toString('utf8')) as PartFacts;
      manifest.files.push(facts);
      manifest.rows += facts.rows;
      manifest.tokens += facts.tokens;
      manifest.bytes += facts.bytes;
    }
    await ctx.run.writeAll(`${FINAL_DIR}/manifest.json`, JSON.stringify(manifest, null, 1) + '\n');
    return taskStats('final_manifest', rank, manifest.rows, manifest.tokens, performance.now() - t0);
  },
};


/** Options come from the config's `output` section. */
export const finalStep: CorpusStep<OutputOptions> = {
  name: 'final',
  description: 'the corpus as Parquet shards of a target size, with manifest.json',
  defaults: {} as OutputOptions,
  passes: [finalShards, finalManifest],
};

/**
 * Runs exactly one task of a run: the unit that the local pool and Slurm arrays both launch
 * (`refinery task <run-dir> <pass> <rank>`). A task redoes its work from scratch unless its
 * commit marker exists; its outputs are visible only once committed.
 */
import type { Registry } from './config.js';
import type { Doc } from './doc.js';
import { createStage, type Drop } from './stage.js';
import { BATCH_SIZE, newActiveStage, runStages, stageContext, type ActiveStage } from './pipeline.js';
import { emptyReaderStats, emptyStageStats, type TaskStats } from './stats.js';
import { docToRow, type ExcludedRow } from './formats/schema.js';
import { clearTaskShards, createShardWriter } from './writers/shard-writer.js';
import { readInputDocs, type InputSource } from './readers/input.js';
import { commitTask, isTaskDone, paths, readManifest, readTaskStats, STREAM_PASS, type RunManifest } from './run-dir.js';
import type { Storage } from './storage/storage.js';
import type { CorpusPass, PassContext } from './pass.js';
import type { RetryCounts } from './storage/retry.js';
import { newSampler, writeSamples } from './report/samples.js';
import { RefineryError } from './errors.js';
import { stageModuleOf } from './user-stages.js';
import type { InputProblem } from './stats.js';
import { traceWriter } from './explain-trace.js';

/** Shared progress counters (a SharedArrayBuffer seen by the orchestrator). */
export const PROGRESS_SLOTS = { bytes: 0, docsIn: 1, docsOut: 2 } as const;

export interface TaskEnv {
  run: Storage;
  registry: Registry;
  openInput(uri: string): Promise<InputSource>;
  progress?: BigInt64Array;
  /** Retries of this task's storage reads and writes, by kind (copied into its stats). */
  retryCounts: RetryCounts;
  log(message: string): void;
}

function bump(progress: BigInt64Array | undefined, slot: number, n: number): void {
  if (progress) Atomics.add(progress, slot, BigInt(n));
}

/** The streaming pass, task `rank`: inputs[rank] → reader → stages → shards. */
export async function runStreamingTask(env: TaskEnv, rank: number, manifest?: RunManifest): Promise<TaskStats> {
  const { run } = env;
  if (await isTaskDone(run, STREAM_PASS, rank)) return readTaskStats(run, STREAM_PASS, rank);
  manifest ??= await readManifest(run);
  const { config } = manifest;
  const input = manifest.inputs[rank];
  if (input === undefined) throw new Error(`task ${rank} of pass ${STREAM_PASS}: no such input (the run has ${manifest.inputs.length})`);
  const t0 = performance.now();
  const dataDir = paths.data(STREAM_PASS);
  const excludedDir = paths.excluded(STREAM_PASS);
  await clearTaskShards(run, dataDir, rank);
  await clearTaskShards(run, excludedDir, rank);

  const stages: ActiveStage[] = [];
  for (const [i, entry] of config.stages.entries()) {
    const { name, options } = entry;
    const stats = emptyStageStats();
    const mod = await stageModuleOf(entry, i, env.registry);
    const stage = await createStage(mod, options, stageContext(stats, (m) => env.log(`[${name}] ${m}`)));
    stages.push(newActiveStage(stage, stats));
  }
  // Between passes documents are always Parquet; `output.format` is the final shards' format.
  const shardOpts = { ...config.output, format: 'parquet' };
  const out = createShardWriter(run, dataDir, rank, shardOpts, false);
  const excluded = config.output.excluded ? createShardWriter<ExcludedRow>(run, excludedDir, rank, shardOpts, true) : undefined;
  // Bounded, deterministic samples of what each rule removed and of what was kept, so the
  // report never reads the corpus (src/report/samples.ts).
  const sampler = newSampler(STREAM_PASS, rank, { perKey: config.output.samples_per_reason });
  // `--explain`: where each document came from and which stage removed it (src/explain-trace.ts).
  const trace = config.output.explain ? traceWriter(run, rank) : undefined;
  const onDrop = async (stage: string, doc: Doc, drop: Drop) => {
    sampler.removed(stage, doc, drop);
    await trace?.dropped(stage, doc, drop);
    if (excluded) await excluded.add({ ...docToRow(doc), stage, reason: drop.reason, value: drop.value ?? null, detail: drop.detail ?? null });
  };

  const reader = emptyReaderStats();
  let tokens = 0;
  let source: InputSource;
  try {
    source = await env.openInput(input);
  } catch (e) {
    // An input that cannot be opened at all is a located problem of this task, not a crash
    // of the run: counted, reported, and the other files go on (unless strict).
    if (config.reader.strict) throw e;
    source = { name: input, read: () => failingStream(e) };
  }
  // Bad records are counted (an input whose every record is bad reads like an empty one,
  // src/run.ts); with --strict the first one stops the task, located.
  let badRecords = 0;
  const onProblem = (p: InputProblem, records: number) => {
    badRecords += records;
    if (config.reader.strict) {
      throw new RefineryError('ERR_BAD_RECORD', `bad record (${p.code}): ${p.message} (--strict stops at the first bad record; without it, bad records are counted and skipped)`, { file: p.file, record: p.record, offset: p.offset });
    }
  };
  const docs = readInputDocs(source, config.reader, reader, (n) => bump(env.progress, PROGRESS_SLOTS.bytes, n), onProblem);
  const limit = manifest.limit ?? Infinity;
  const counted = (async function* () {
    let n = 0;
    for await (const d of docs) {
      if (n++ >= limit) break;
      bump(env.progress, PROGRESS_SLOTS.docsIn, 1);
      trace?.read(d);
      yield d;
    }
  })();
  try {
    for await (const doc of runStages(counted, stages, onDrop, BATCH_SIZE, { annotate: config.mode === 'annotate' })) {
      await out.add(docToRow(doc));
      sampler.kept(doc);
      await trace?.kept(doc);
      tokens += doc.tokenCount ?? 0;
      bump(env.progress, PROGRESS_SLOTS.docsOut, 1);
    }
    await out.close();
    await excluded?.close();
    const traced = await trace?.close();
    if (traced) env.log(`explain trace: ${traced.lines} documents, at most ${traced.mostPending} held before their fate was known`);
  } catch (e) {
    await trace?.abort();
    throw e;
  } finally {
    for (const s of stages) await s.stage.close?.();
  }
  await writeSamples(run, sampler);
  const ms = performance.now() - t0;
  reader.ms = ms - stages.reduce((a, s) => a + s.stats.ms, 0);
  const stats: TaskStats = {
    pass: STREAM_PASS,
    rank,
    input,
    reader,
    badRecords,
    stages: stages.map((s) => ({ name: s.stage.name, stats: s.stats })),
    docsWritten: out.rows,
    tokensWritten: tokens,
    retries: { ...env.retryCounts },
    ms,
  };
  // (Retries of the stats file and the marker themselves cannot be in the stats.)
  await commitTask(run, stats);
  return stats;
}

// eslint-disable-next-line require-yield
async function* failingStream(e: unknown): AsyncGenerator<Uint8Array> {
  throw e;
}


/** A corpus pass, task `rank`. */
export async function runPassTask(env: TaskEnv, pass: CorpusPass, ctx: PassContext, rank: number): Promise<TaskStats> {
  if (await isTaskDone(env.run, pass.name, rank)) return readTaskStats(env.run, pass.name, rank);
  const t0 = performance.now();
  const stats = await pass.run(rank, ctx);
  for (const [k, v] of Object.entries(env.retryCounts)) stats.retries[k] = (stats.retries[k] ?? 0) + v;
  stats.pass = pass.name;
  stats.rank = rank;
  stats.ms ||= performance.now() - t0;
  await commitTask(env.run, stats);
  return stats;
}

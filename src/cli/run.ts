import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile, type Registry, type RunConfig } from '../config.js';
import { jobStates, planAndSubmit, readJobs } from '../executors/slurm.js';
import { paths, readTaskStats, removeStaleTemporaries, STREAM_PASS } from '../run-dir.js';
import { acquireRunLock, type RunLock } from '../run-lock.js';
import { EXIT } from './exit-codes.js';
import type { RunStats } from '../stats.js';
import type { Storage } from '../storage/storage.js';
import { runStatus } from './slurm.js';
import { RefineryError } from '../errors.js';
import { localExecutor } from '../executors/local.js';
import { loadRegistry } from '../executors/run-task.js';
import { isUrl, projectRoot } from '../paths.js';
import { executeRun, prepareRunDir } from '../run.js';
import { expandInputSources, openStorage } from '../storage/open.js';
import { parse, percentArg, wholeNumberArg } from './args.js';
import { formatSampleEstimate, formatSummary } from './summary.js';
import { estimateFromSample, selectSample, type SampleRequest, type SampleSelection } from '../sample.js';
import type { ListedInput } from '../storage/open.js';
import type { CliEnv } from './main.js';

export const RUN_HELP = `refinery run [config.yaml] [--input SRC ...] [--output DIR|s3://bucket/prefix] [options]

Runs the pipeline of a config (default: configs/refinedweb.yaml) over the inputs (default:
the bundled data-samples/) into a run directory (default: ./out). One input file is one task;
tasks run in parallel on --workers threads, and the output is identical for any number of
workers. Rerunning the same command resumes: finished tasks are skipped.

Inputs (--input SRC ..., -i; repeatable): every value after --input up to the next option is an
input, so an unquoted glob (--input crawl/*.warc.gz) works as the shell expands it. The config is
the value before --input, or any value ending in .yaml/.yml (at most one).
  path/to/file.warc.gz, "dir/*.warc.gz"   local files, globs (quoted: expanded by refinery), directories
  https://host/path.warc.gz               streamed over HTTP(S), resumed on dropped connections
  s3://bucket/key or s3://bucket/prefix/  S3 (credentials and AWS_ENDPOINT_URL from the environment)
  .../warc.paths.gz                       a CommonCrawl listing; relative lines resolve against --base-url
  corpus.jsonl[.gz|.zst], corpus.parquet  an existing corpus with a "text" (or "content") column

Options:
  -o, --output DIR        run directory: local path or s3://bucket/prefix (default ./out)
  -w, --workers N         parallel tasks (default: the number of cores)
  -n, --limit N           read at most N documents per input file (for a quick look)
      --excluded          also write removed documents with stage and reason (<pass>/excluded/)
      --explain           keep each document's origin (record, offset) and streaming-stage fate
                          (filter/explain/, ~65 bytes per document) for "refinery explain"
      --format F          parquet (default), jsonl or jsonl.gz
      --base-url URL      base for relative paths in .paths listings (default https://data.commoncrawl.org/)
      --executor E        local (default: a pool of worker threads) or slurm (job arrays chained
                          with afterok; options in the config's slurm: section)
      --detach            with --executor slurm: submit and return (see refinery status/cancel)
      --strict            stop a task at the first bad record (corrupt, truncated, bad_length,
                          too_large, undecodable...) with its file, record and offset (exit 4),
                          instead of counting it and going on
  -q, --quiet             no progress line
  -h, --help              this text

Sampling a dump (is this input and config worth the cluster?):
      --sample P%         run a deterministic random P% of the input files (0 < P <= 100; at
                          least 2 files); a CommonCrawl listing is stratified by segment
      --sample-files N    the same with N files (more than the inputs: all of them, said)
      --sample-seed S     seed of the draw (default 0); the same seed and inputs, the same files
                          After the run: the funnel per stage, the output in documents and tokens
                          and the core-hours for the WHOLE input, each with a 95% interval
                          (ratio estimator over files, the sampling units; between-file variance,
                          Student t), also in <output>/sample.json. Corpus passes (dedup) are
                          reported as lower bounds: a sample holds few of the duplicates across
                          files. Totals scale by input bytes when every size is known (local
                          files, S3 listings, local listings), else by the number of files.
                          Local executor only.

Output: <output>/filter/data/*.parquet (then one folder per corpus pass), stats.json, run.json.
One run at a time per output: <output>/run.lock names the run holding it (pid, host); a lock
left by a process that ended on this host is taken over, one of another host is explained.
Exit codes: 0 finished, 1 finished but an input gave nothing, 2 usage/config error, 3 stopped
(a task failed, or the output is locked), 4 --strict met a bad record (see refinery --help).`;

const VALUE_OPTIONS = new Set(['--output', '-o', '--workers', '-w', '--limit', '-n', '--format', '--base-url', '--executor', '--sample', '--sample-files', '--sample-seed']);
const isConfigName = (v: string) => /\.ya?ml$/i.test(v);

/**
 * The input rule (see RUN_HELP): `--input` takes every value up to the next option; the config
 * is the value before any --input, or the one ending in .yaml/.yml. Returns the other options
 * for parseArgs, the inputs in the order given, and the config file if one was named.
 */
export function splitRunArgs(argv: string[]): { options: string[]; inputs: string[]; config?: string } {
  const options: string[] = [];
  const inputs: string[] = [];
  const configs: string[] = [];
  let inInput = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--input' || arg === '-i') {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next.length > 1)) {
        throw new RefineryError('ERR_CONFIG', '--input: expected a value (a file, glob, directory, listing or URL) (see --help)');
      }
      inInput = true;
      continue;
    }
    const inline = /^--input=(.*)$/s.exec(arg) ?? /^-i(.+)$/s.exec(arg);
    if (inline) {
      (isConfigName(inline[1]!) ? configs : inputs).push(inline[1]!);
      inInput = true;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      inInput = false;
      options.push(arg);
      if (VALUE_OPTIONS.has(arg) && i + 1 < argv.length) options.push(argv[++i]!);
      continue;
    }
    if (isConfigName(arg) || !inInput) configs.push(arg);
    else inputs.push(arg);
  }
  if (configs.length > 1) throw new RefineryError('ERR_CONFIG', `one config file expected, got ${configs.join(' ')} (inputs go after --input; a config ends in .yaml or .yml)`);
  return { options, inputs, config: configs[0] };
}

/** --output must be a directory (or not exist yet): a file there is a usage error, said before anything runs. */
function checkOutputDir(output: string): void {
  if (isUrl(output)) return;
  let st;
  try {
    st = statSync(output);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') return; // absent: created by the run
    throw new RefineryError('ERR_OUTPUT', `--output ${resolve(output)}: a parent of it is a file, not a directory`, {}, { usage: true });
  }
  if (!st.isDirectory()) throw new RefineryError('ERR_OUTPUT', `--output ${resolve(output)}: is a file, not a directory (give a directory or a new path)`, {}, { usage: true });
}

/**
 * Hold the run lock while `body` runs; released at its end, on errors, and on SIGINT/SIGTERM
 * (then the process exits 130/143, as a shell reports a killed command).
 */
async function withRunLock<T>(run: Storage, log: (m: string) => void, body: () => Promise<T>): Promise<T> {
  // The handlers come first: a signal while the lock is being taken releases it once taken.
  let lock: RunLock | undefined;
  let stopping: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals, held: RunLock) => {
    log(`${signal}: stopping; rerun the same command to resume`);
    const code = signal === 'SIGINT' ? 130 : 143;
    if (held.releaseSync) {
      held.releaseSync();
      process.exit(code);
    }
    void held.release().finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopping ??= signal;
    if (lock) stop(signal, lock);
  };
  const onExit = () => lock?.releaseSync?.();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  try {
    lock = await acquireRunLock(run, { command: ['refinery', ...process.argv.slice(2)].join(' ').slice(0, 300), log });
    if (stopping) stop(stopping, lock);
    await removeStaleTemporaries(run, log);
    return await body();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
    await lock?.release();
  }
}

export async function runCommand(argv: string[], env: CliEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(RUN_HELP + '\n');
    return 0;
  }
  const split = splitRunArgs(argv);
  const { values, positionals } = parse(split.options, {
    output: { type: 'string', short: 'o' },
    workers: { type: 'string', short: 'w' },
    limit: { type: 'string', short: 'n' },
    excluded: { type: 'boolean' },
    explain: { type: 'boolean' },
    format: { type: 'string' },
    'base-url': { type: 'string' },
    strict: { type: 'boolean' },
    executor: { type: 'string' },
    detach: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
    sample: { type: 'string' },
    'sample-files': { type: 'string' },
    'sample-seed': { type: 'string' },
  });
  if (positionals.length > 0) throw new RefineryError('ERR_CONFIG', `unexpected ${positionals.join(' ')} (see --help)`);
  const registry = await loadRegistry(env.registryModule);
  const configFile = split.config ?? join(projectRoot, 'configs', 'refinedweb.yaml');
  const config = await loadConfigFile(configFile, registry);
  if (values.excluded) config.output.excluded = true;
  if (values.explain) config.output.explain = true;
  if (values.format) config.output.format = values.format;
  if (values.strict) config.reader.strict = true;
  const workers = values.workers ? wholeNumberArg('workers', values.workers, 1) : availableParallelism();
  const limit = values.limit ? wholeNumberArg('limit', values.limit, 1) : undefined;
  const sampling = sampleRequest(values);
  if (sampling && values.executor === 'slurm') throw new RefineryError('ERR_CONFIG', '--sample/--sample-files run on the local executor (a sample is meant to take minutes here); drop --executor slurm');
  const sources = split.inputs.length ? split.inputs : [join(projectRoot, 'data-samples')];
  // An input that does not exist (ERR_INPUT) is a mistake in the command: exit 2; a storage
  // failure while listing (ERR_STORAGE) is not.
  const all = await expandInputSources(sources, { baseUrl: values['base-url'] }).catch((e: unknown) => {
    throw e instanceof RefineryError && e.code === 'ERR_INPUT' ? new RefineryError(e.code, e.message, {}, { usage: true, cause: e }) : e;
  });
  if (all.length === 0) throw new RefineryError('ERR_INPUT', `no input files found in ${sources.join(' ')}`, {}, { usage: true });
  const selection = sampling ? selectSample(all, sampling) : undefined;
  const listed = selection?.picked ?? all;
  const inputs = listed.map((i) => i.uri);
  const output = values.output ?? 'out';
  checkOutputDir(output);
  const run = openStorage(output);
  // Sizes the expansion learnt for free (local stat, S3 listing); unknown for URLs and single keys.
  const inputBytes = listed.every((i) => i.size !== undefined) ? listed.reduce((a, i) => a + i.size!, 0) : NaN;
  const log = (m: string) => process.stderr.write(`refinery: ${m}\n`);
  const executorName = values.executor ?? 'local';
  if (executorName === 'slurm') {
    return withRunLock(run, log, () => runOnSlurm({ config, inputs, limit, output, run, registry, detach: Boolean(values.detach), quiet: Boolean(values.quiet), log }));
  }
  if (executorName !== 'local') throw new RefineryError('ERR_CONFIG', `--executor: expected local or slurm, got "${executorName}"`);
  return withRunLock(run, log, async () => {
    log(`${inputs.length} input file(s) -> ${run.root}, ${workers} worker(s), config ${configFile}`);
    if (selection) {
      log(`sample: ${inputs.length} of ${all.length} input files, seed ${selection.seed}${selection.stratifiedBy === 'segment' ? `, across ${selection.strata} segments` : ''}`);
      for (const n of selection.notes) log(`sample: ${n}`);
    }
    const executor = localExecutor(Math.min(workers, Math.max(inputs.length, 1)));
    try {
      const stats = await executeRun({
        config,
        inputs,
        limit,
        runDir: output,
        run,
        registry,
        registryModule: env.registryModule,
        executor,
        inputBytes: Number.isFinite(inputBytes) ? inputBytes : undefined,
        progress: !values.quiet,
        log,
      });
      process.stdout.write(formatSummary(stats, run.root) + '\n');
      if (selection) await reportSample(run, stats, selection, all);
      return finishedExit(stats, log);
    } finally {
      await executor.close();
    }
  });
}

/** --sample P% / --sample-files N (at most one), --sample-seed S; undefined without sampling. */
function sampleRequest(values: { sample?: string; 'sample-files'?: string; 'sample-seed'?: string }): SampleRequest | undefined {
  if (values.sample !== undefined && values['sample-files'] !== undefined) throw new RefineryError('ERR_CONFIG', '--sample and --sample-files: give one of them');
  const seed = wholeNumberArg('sample-seed', values['sample-seed'], 0) ?? 0;
  if (values.sample !== undefined) return { share: percentArg('sample', values.sample), seed };
  if (values['sample-files'] !== undefined) return { files: wholeNumberArg('sample-files', values['sample-files'], 1), seed };
  if (values['sample-seed'] !== undefined) throw new RefineryError('ERR_CONFIG', '--sample-seed: goes with --sample or --sample-files');
  return undefined;
}

/** The sample's estimates for the whole input: printed, and written to <output>/sample.json. */
async function reportSample(run: Storage, stats: RunStats, selection: SampleSelection<ListedInput>, all: ListedInput[]): Promise<void> {
  const streamTasks = await Promise.all(selection.picked.map((_, rank) => readTaskStats(run, STREAM_PASS, rank)));
  const estimate = estimateFromSample({ selection, all, stats, streamTasks });
  await run.writeAll(paths.sample, JSON.stringify(estimate, null, 1) + '\n');
  process.stdout.write(formatSampleEstimate(estimate, `${run.root}/${paths.sample}`) + '\n');
}

/** 0, or 1 when nothing could be read from some input (named). */
function finishedExit(stats: RunStats, log: (m: string) => void): number {
  const bad = stats.unreadableInputs ?? [];
  if (bad.length === 0) return EXIT.ok;
  const shown = bad.slice(0, 5).join(', ') + (bad.length > 5 ? ` and ${bad.length - 5} more` : '');
  log(`nothing could be read from ${bad.length} input(s) (empty, or every record bad): ${shown}`);
  return EXIT.inputUnreadable;
}

async function runOnSlurm(a: {
  config: RunConfig;
  inputs: string[];
  limit?: number;
  output: string;
  run: Storage;
  registry: Registry;
  detach: boolean;
  quiet: boolean;
  log(m: string): void;
}): Promise<number> {
  // A chain submitted earlier (--detach) may still run: a second one would run the same tasks.
  const live = jobStates((await readJobs(a.run)).map((j) => j.jobId));
  if (live.length) {
    throw new RefineryError('ERR_LOCKED', `${a.run.root}: Slurm jobs ${live.map((j) => j.jobId).join(', ')} of an earlier submission are still queued or running; wait for them (refinery status) or cancel them (refinery cancel ${a.output})`);
  }
  // Jobs run with their own working directory: give them absolute paths.
  const runDir = a.output.startsWith('s3://') ? a.output : resolve(a.output);
  const inputs = a.inputs.map((i) => (/^[a-z0-9]+:\/\//i.test(i) ? i : resolve(i)));
  const mode = await prepareRunDir(a.run, { version: 1, config: a.config, inputs, ...(a.limit ? { limit: a.limit } : {}) });
  if (mode === 'resume') a.log(`resuming the run in ${a.run.root} (finished tasks are skipped)`);
  if (await a.run.exists(paths.stats)) await a.run.delete(paths.stats);
  await planAndSubmit(a.run, runDir, a.registry, 0, a.config.slurm);
  a.log(`submitted to Slurm; follow with: refinery status ${runDir}`);
  if (a.detach) return 0;
  // Wait for the chain: it ends when the last planner writes stats.json, or when no job of
  // the run is left in the queue without it (a task failed all its attempts).
  let last = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const status = await runStatus(a.run, a.registry);
    const line = status.passes.map((p) => `${p.pass} ${p.done}/${p.tasks ?? '?'}`).join(', ');
    if (!a.quiet && line !== last) a.log(line);
    last = line;
    if (status.finished) break;
    if (status.liveJobs === 0) {
      // Re-check once: the last planner may have finished between the two reads.
      if (await a.run.exists(paths.stats)) break;
      const stuck = status.passes.find((p) => p.tasks === undefined || p.done < p.tasks);
      a.log(`the Slurm chain stopped before the end (pass ${stuck?.pass ?? '?'}); see the logs in ${runDir.startsWith('s3://') ? 'the refinery-logs temp folder' : join(runDir, 'logs')} and rerun the same command to resume`);
      return EXIT.stopped;
    }
  }
  const stats = JSON.parse((await a.run.readAll(paths.stats)).toString('utf8')) as RunStats;
  process.stdout.write(formatSummary(stats, a.run.root) + '\n');
  return finishedExit(stats, a.log);
}

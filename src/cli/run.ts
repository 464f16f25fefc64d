import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile, type Registry, type RunConfig } from '../config.js';
import { planAndSubmit } from '../executors/slurm.js';
import { paths } from '../run-dir.js';
import type { RunStats } from '../stats.js';
import type { Storage } from '../storage/storage.js';
import { runStatus } from './slurm.js';
import { RefineryError } from '../errors.js';
import { localExecutor } from '../executors/local.js';
import { loadRegistry } from '../executors/run-task.js';
import { projectRoot } from '../paths.js';
import { executeRun, prepareRunDir } from '../run.js';
import { expandInputSources, openStorage } from '../storage/open.js';
import { parse, wholeNumberArg } from './args.js';
import { formatSummary } from './summary.js';
import type { CliEnv } from './main.js';

export const RUN_HELP = `refinery run [config.yaml] [--input SRC ...] [--output DIR|s3://bucket/prefix] [options]

Runs the pipeline of a config (default: configs/refinedweb.yaml) over the inputs (default:
the bundled data-samples/) into a run directory (default: ./out). One input file is one task;
tasks run in parallel on --workers threads, and the output is identical for any number of
workers. Rerunning the same command resumes: finished tasks are skipped.

Inputs (--input, repeatable; -i):
  path/to/file.warc.gz, "dir/*.warc.gz"   local files, globs, or directories
  https://host/path.warc.gz               streamed over HTTP(S), resumed on dropped connections
  s3://bucket/key or s3://bucket/prefix/  S3 (credentials and AWS_ENDPOINT_URL from the environment)
  .../warc.paths.gz                       a CommonCrawl listing; relative lines resolve against --base-url
  corpus.jsonl[.gz|.zst], corpus.parquet  an existing corpus with a "text" (or "content") column

Options:
  -o, --output DIR        run directory: local path or s3://bucket/prefix (default ./out)
  -w, --workers N         parallel tasks (default: the number of cores)
  -n, --limit N           read at most N documents per input file (for a quick look)
      --excluded          also write removed documents with stage and reason (<pass>/excluded/)
      --format F          parquet (default), jsonl or jsonl.gz
      --base-url URL      base for relative paths in .paths listings (default https://data.commoncrawl.org/)
      --executor E        local (default: a pool of worker threads) or slurm (job arrays chained
                          with afterok; options in the config's slurm: section)
      --detach            with --executor slurm: submit and return (see refinery status/cancel)
      --strict            stop a task at the first bad record instead of counting it and going on
  -q, --quiet             no progress line
  -h, --help              this text

Output: <output>/filter/data/*.parquet (then one folder per corpus pass), stats.json, run.json.`;

export async function runCommand(argv: string[], env: CliEnv): Promise<number> {
  const { values, positionals } = parse(argv, {
    input: { type: 'string', short: 'i', multiple: true },
    output: { type: 'string', short: 'o' },
    workers: { type: 'string', short: 'w' },
    limit: { type: 'string', short: 'n' },
    excluded: { type: 'boolean' },
    format: { type: 'string' },
    'base-url': { type: 'string' },
    strict: { type: 'boolean' },
    executor: { type: 'string' },
    detach: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(RUN_HELP + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new RefineryError('ERR_CONFIG', `one config file expected, got ${positionals.join(' ')} (inputs go after --input)`);
  const registry = await loadRegistry(env.registryModule);
  const configFile = positionals[0] ?? join(projectRoot, 'configs', 'refinedweb.yaml');
  const config = loadConfigFile(configFile, registry);
  if (values.excluded) config.output.excluded = true;
  if (values.format) config.output.format = values.format;
  if (values.strict) config.reader.strict = true;
  const workers = values.workers ? wholeNumberArg('workers', values.workers, 1) : availableParallelism();
  const limit = values.limit ? wholeNumberArg('limit', values.limit, 1) : undefined;
  const sources = values.input ?? [join(projectRoot, 'data-samples')];
  const listed = await expandInputSources(sources, { baseUrl: values['base-url'] });
  const inputs = listed.map((i) => i.uri);
  if (inputs.length === 0) throw new RefineryError('ERR_INPUT', `no input files found in ${sources.join(' ')}`);
  const output = values.output ?? 'out';
  const run = openStorage(output);
  // Sizes the expansion learnt for free (local stat, S3 listing); unknown for URLs and single keys.
  const inputBytes = listed.every((i) => i.size !== undefined) ? listed.reduce((a, i) => a + i.size!, 0) : NaN;
  const log = (m: string) => process.stderr.write(`refinery: ${m}\n`);
  const executorName = values.executor ?? 'local';
  if (executorName === 'slurm') {
    return runOnSlurm({ config, inputs, limit, output, run, registry, detach: Boolean(values.detach), quiet: Boolean(values.quiet), log });
  }
  if (executorName !== 'local') throw new RefineryError('ERR_CONFIG', `--executor: expected local or slurm, got "${executorName}"`);
  log(`${inputs.length} input file(s) -> ${run.root}, ${workers} worker(s), config ${configFile}`);
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
    const first = stats.passes[0];
    if (first?.reader && first.reader.records === 0) {
      log('nothing could be read from the inputs');
      return 1;
    }
    return 0;
  } finally {
    await executor.close();
  }
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
      return 1;
    }
  }
  const stats = JSON.parse((await a.run.readAll(paths.stats)).toString('utf8')) as RunStats;
  process.stdout.write(formatSummary(stats, a.run.root) + '\n');
  return 0;
}

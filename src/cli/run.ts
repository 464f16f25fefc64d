import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile } from '../config.js';
import { RefineryError } from '../errors.js';
import { localExecutor } from '../executors/local.js';
import { loadRegistry } from '../executors/run-task.js';
import { projectRoot } from '../paths.js';
import { executeRun } from '../run.js';
import { expandInputs, openStorage } from '../storage/open.js';
import { parse } from './args.js';
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
  const workers = values.workers ? positiveInt('--workers', values.workers) : availableParallelism();
  const limit = values.limit ? positiveInt('--limit', values.limit) : undefined;
  const sources = values.input ?? [join(projectRoot, 'data-samples')];
  const inputs = await expandInputs(sources, { baseUrl: values['base-url'] });
  if (inputs.length === 0) throw new RefineryError('ERR_INPUT', `no input files found in ${sources.join(' ')}`);
  const output = values.output ?? 'out';
  const run = openStorage(output);
  let inputBytes = 0;
  for (const i of inputs) {
    if (/^[a-z0-9]+:\/\//i.test(i)) {
      inputBytes = NaN;
      break;
    }
    inputBytes += (await stat(i)).size;
  }
  const log = (m: string) => process.stderr.write(`refinery: ${m}\n`);
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

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new RefineryError('ERR_CONFIG', `${flag}: expected a positive whole number, got "${v}"`);
  return n;
}

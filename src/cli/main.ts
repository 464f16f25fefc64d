/**
 * The `refinery` command line. Commands are small modules; this file only dispatches.
 * The registry of stages (stages/index.ts) is passed in by bin/refinery.js, so the framework
 * itself names no stage.
 */
import { RefineryError } from '../errors.js';
import { runCommand } from './run.js';
import { taskCommand } from './task.js';
import { EXIT, EXIT_HELP, exitCodeFor } from './exit-codes.js';
import { stagesCommand } from './stages.js';
import { cancelCommand, slurmPlanCommand, statusCommand } from './slurm.js';
import { reportCommand } from './report.js';
import { inspectCommand } from './inspect.js';
import { explainCommand } from './explain.js';
import { openStorage } from '../storage/open.js';
import type { Registry } from '../config.js';

export interface CliEnv {
  /** URL of the module exporting the registry (`stageModules`, `corpusSteps`, `commands`). */
  registryModule: string;
}

export interface Command {
  summary: string;
  run(argv: string[], env: CliEnv): Promise<number>;
}

export type CommandRegistry = Registry & { commands?: Record<string, { summary: string; run(argv: string[]): Promise<number> }> };

const builtins: Record<string, Command> = {
  run: { summary: 'run a pipeline over WARC files or a corpus (see `refinery run --help`)', run: runCommand },
  task: { summary: 'run exactly one task of a run (what executors launch)', run: taskCommand },
  stages: { summary: 'list the stages and corpus passes with their options and defaults', run: stagesCommand },
  report: { summary: 'write the statistics report of a run (self-contained HTML + Markdown)', run: (argv) => reportCommand(argv, { openStorage }) },
  inspect: { summary: 'print samples of removed (or kept) documents, by stage and reason', run: (argv) => inspectCommand(argv, { openStorage }) },
  explain: { summary: "one document's fate through every stage of a run, by URL or id", run: explainCommand },
  status: { summary: 'tasks done per pass (and Slurm jobs) of a run', run: statusCommand },
  cancel: { summary: 'cancel the Slurm jobs of a run', run: cancelCommand },
};

/** Commands that executors call, not people: dispatched, not listed in --help. */
const internal: Record<string, Command> = {
  'slurm-plan': { summary: 'plan one pass of a Slurm run and submit it', run: slurmPlanCommand },
};

function help(extra: Record<string, { summary: string }>): string {
  const all = { ...builtins, ...extra };
  const width = Math.max(...Object.keys(all).map((k) => k.length));
  return [
    'refinery: turn raw CommonCrawl WARC dumps into a clean, deduplicated pretraining corpus.',
    '',
    'Usage: refinery <command> [options]    (refinery <command> --help for more)',
    '',
    'Commands:',
    ...Object.entries(all).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'Start here:  refinery run            (the bundled data-samples/ with configs/refinedweb.yaml into ./out)',
    '             refinery run configs/refinedweb.yaml --input crawl/*.warc.gz --output s3://bucket/run1',
    '',
    EXIT_HELP,
  ].join('\n');
}

export async function main(argv: string[], env: CliEnv): Promise<number> {
  const [name, ...rest] = argv;
  const registry = (await import(env.registryModule)) as CommandRegistry;
  const extra = registry.commands ?? {};
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help(extra) + '\n');
    return name ? 0 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('refinery 0.1.0\n');
    return 0;
  }
  try {
    if (builtins[name]) return await builtins[name].run(rest, env);
    if (internal[name]) return await internal[name].run(rest, env);
    if (extra[name]) return await extra[name].run(rest);
    process.stderr.write(`refinery: unknown command "${name}"\n\n${help(extra)}\n`);
    return EXIT.usage;
  } catch (e) {
    if (e instanceof RefineryError) {
      process.stderr.write(`refinery ${name}: ${e.message} [${e.code}]\n`);
      return exitCodeFor(e);
    }
    throw e;
  }
}

import { runTaskSpec } from '../executors/run-task.js';
import { RefineryError } from '../errors.js';
import { parse } from './args.js';
import type { CliEnv } from './main.js';

export const TASK_HELP = `refinery task <run-dir> <pass> <rank>: run exactly one task of a prepared run (what the
local pool and Slurm job arrays launch). Skips the task if its done marker exists.
If <rank> is omitted, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX gives it.`;

export async function taskCommand(argv: string[], env: CliEnv): Promise<number> {
  const { values, positionals } = parse(argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(TASK_HELP + '\n');
    return 0;
  }
  const [runDir, pass, rankArg] = positionals;
  const rankText = rankArg ?? process.env.SLURM_ARRAY_TASK_ID ?? process.env.JOB_COMPLETION_INDEX;
  if (!runDir || !pass || rankText === undefined) throw new RefineryError('ERR_CONFIG', 'usage: refinery task <run-dir> <pass> <rank>');
  const rank = Number(rankText);
  if (!Number.isInteger(rank) || rank < 0) throw new RefineryError('ERR_CONFIG', `rank: expected a whole number, got "${rankText}"`);
  const stats = await runTaskSpec({ runDir, registryModule: env.registryModule, pass, rank });
  process.stdout.write(`${pass}/${rank}: done, ${stats.docsWritten} documents written in ${(stats.ms / 1000).toFixed(1)} s\n`);
  return 0;
}

import { loadRegistry } from '../executors/run-task.js';
import type { CliEnv } from './main.js';
import { parse } from './args.js';

export const STAGES_HELP = 'refinery stages: every stage (config `stages:`) and corpus step (config `passes:`) with its options and defaults';

/** `refinery stages`: what a config can name, with every option's default. */
export async function stagesCommand(argv: string[], env: CliEnv): Promise<number> {
  const { values } = parse(argv, { help: { type: 'boolean', short: 'h' } }, false);
  if (values.help) {
    process.stdout.write(STAGES_HELP + '\n');
    return 0;
  }
  const registry = await loadRegistry(env.registryModule);
  const out: string[] = ['Streaming stages (config `stages:`, in order):'];
  for (const [name, m] of Object.entries(registry.stageModules)) {
    out.push(`  ${name}: ${m.description}`);
    for (const [k, v] of Object.entries(m.defaults)) out.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  out.push('', 'Corpus steps (config `passes:`, in order):');
  for (const [name, s] of Object.entries(registry.corpusSteps)) {
    out.push(`  ${name}: ${s.description}  [passes: ${s.passes.map((p) => p.name).join(' -> ')}]`);
    for (const [k, v] of Object.entries(s.defaults)) out.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

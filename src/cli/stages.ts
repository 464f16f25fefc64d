import { fileURLToPath } from 'node:url';
import { loadRegistry } from '../executors/run-task.js';
import { loadConfigFile } from '../config.js';
import type { StageModule } from '../stage.js';
import { loadStageModule } from '../user-stages.js';
import type { CliEnv } from './main.js';
import { parse } from './args.js';

export const STAGES_HELP = `refinery stages [--config x.yaml]: every stage (config \`stages:\`) and corpus step (config \`passes:\`) with its options and defaults
  -c, --config FILE   also list the stages that FILE takes from modules (\`- module: ./x.js\`), checked as \`refinery run\` checks them`;

/** `refinery stages`: what a config can name, with every option's default. */
export async function stagesCommand(argv: string[], env: CliEnv): Promise<number> {
  const { values } = parse(argv, { help: { type: 'boolean', short: 'h' }, config: { type: 'string', short: 'c' } }, false);
  if (values.help) {
    process.stdout.write(STAGES_HELP + '\n');
    return 0;
  }
  const registry = await loadRegistry(env.registryModule);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const describe = (out: string[], name: string, m: StageModule<any>) => {
    out.push(`  ${name}: ${m.description ?? ''}`);
    for (const [k, v] of Object.entries(m.defaults)) out.push(`      ${k}: ${JSON.stringify(v)}`);
    const langs = Object.keys(m.languageDefaults ?? {});
    if (langs.length) out.push(`      per_language: built-in values for ${langs.join(', ')} (docs/languages.md)`);
  };
  const out: string[] = ['Streaming stages (config `stages:`, in order):'];
  for (const [name, m] of Object.entries(registry.stageModules)) describe(out, name, m);
  if (values.config) {
    const config = await loadConfigFile(values.config, registry);
    out.push('', `Stages from modules in ${values.config}:`);
    const own = config.stages.flatMap((s, i) => (s.module ? [{ ...s, i }] : []));
    if (own.length === 0) out.push('  (none)');
    for (const s of own) {
      // Already loaded (and checked) by loadConfigFile: this returns the same module.
      describe(out, `${s.name} (${fileURLToPath(s.module!)})`, (await loadStageModule(s.module!, `stages[${s.i}]`)).module);
    }
  }
  out.push('', 'Any stage takes `per_language: {<lid.176 code>: {<option>: value}}`.');
  out.push('', 'Corpus steps (config `passes:`, in order):');
  for (const [name, s] of Object.entries(registry.corpusSteps)) {
    out.push(`  ${name}: ${s.description}  [passes: ${s.passes.map((p) => p.name).join(' -> ')}]`);
    for (const [k, v] of Object.entries(s.defaults)) out.push(`      ${k}: ${JSON.stringify(v)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

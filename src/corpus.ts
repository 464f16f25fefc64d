/**
 * Corpus steps (MinHash, exact substring, URL dedup, sharding) as the orchestrator and the
 * task entry see them: which pass is which, and what each reads.
 */
import type { Registry, RunConfig } from './config.js';
import type { CorpusPass, PassContext } from './pass.js';
import type { Storage } from './storage/storage.js';
import { STREAM_PASS, type RunManifest } from './run-dir.js';
import { finalStep } from './final-shards.js';

export interface PlannedPass {
  step: number;
  pass: CorpusPass;
  options: Record<string, unknown>;
  /** The folder whose `data/` this pass's step consumes. */
  input: string;
}

/** Every corpus pass of a config, in run order, with the documents each consumes. */
export function corpusPassesOf(config: RunConfig, registry: Registry): PlannedPass[] {
  const out: PlannedPass[] = [];
  let input = STREAM_PASS;
  config.passes.forEach(({ name, options }, step) => {
    const mod = registry.corpusSteps[name]!;
    const stepInput = input;
    for (const pass of mod.passes) {
      out.push({ step, pass, options, input: stepInput });
      if (pass.writesDocs) input = pass.name;
    }
  });
  // Every run ends with the final training shards, made from the last documents written.
  for (const pass of finalStep.passes) {
    out.push({ step: config.passes.length, pass: pass as unknown as CorpusPass, options: config.output as unknown as Record<string, unknown>, input });
  }
  return out;
}

/** The folder holding the run's final documents: the last pass that wrote any. */
export function finalDocsFolder(config: RunConfig, registry: Registry): string {
  let folder = STREAM_PASS;
  for (const p of corpusPassesOf(config, registry)) if (p.pass.writesDocs) folder = p.pass.name;
  return folder;
}

export function findPass(config: RunConfig, registry: Registry, name: string): PlannedPass {
  const found = corpusPassesOf(config, registry).find((p) => p.pass.name === name);
  if (!found) throw new Error(`no pass "${name}" in this run (passes: ${[STREAM_PASS, ...corpusPassesOf(config, registry).map((p) => p.pass.name)].join(', ')})`);
  return found;
}

export async function passContext(
  run: Storage,
  manifest: RunManifest,
  _registry: Registry,
  p: PlannedPass,
  log: (message: string) => void = () => {},
): Promise<PassContext> {
  return {
    run,
    input: p.input,
    options: p.options,
    runConfig: manifest.config as unknown as Record<string, unknown>,
    log,
  };
}

/**
 * The registry: every streaming stage and corpus pass, by the name used in configs, and the
 * commands that stages add to the CLI. This is the one place that knows every stage; src/
 * (the framework) knows none.
 */
import type { StageModule } from '../src/stage.js';
import type { CorpusStep } from '../src/pass.js';
import { extractStage } from './extract/index.js';
import { extractCommand } from './extract/cli.js';
import { language } from './language/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stageModules: Record<string, StageModule<any>> = {
  extract: extractStage,
  language,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const corpusSteps: Record<string, CorpusStep<any>> = {
};

export const commands: Record<string, { summary: string; run(argv: string[]): Promise<number> }> = {
  extract: { summary: 'extract the main text of HTML files (plain or .gz, - for stdin) as JSON lines', run: extractCommand },
};

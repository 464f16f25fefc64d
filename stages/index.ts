/**
 * The registry: every streaming stage and corpus pass, by the name used in configs.
 * This is the one place that knows every stage; src/ (the framework) knows none.
 */
import type { StageModule } from '../src/stage.js';
import type { CorpusStep } from '../src/pass.js';
import { tokenCount } from './token_count/index.js';
import { minhash } from './minhash/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stageModules: Record<string, StageModule<any>> = {
  token_count: tokenCount,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const corpusSteps: Record<string, CorpusStep<any>> = {
  minhash,
};

/**
 * The registry: every streaming stage and corpus pass, by the name used in configs.
 * This is the one place that knows every stage; src/ (the framework) knows none.
 */
import type { StageModule } from '../src/stage.js';
import type { CorpusStep } from '../src/pass.js';
import { exactSubstring } from './exact_substring/index.js';
import { urlDedup } from './url_dedup/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stageModules: Record<string, StageModule<any>> = {
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const corpusSteps: Record<string, CorpusStep<any>> = {
  exact_substring: exactSubstring,
  url_dedup: urlDedup,
};

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
import { urlFilter } from './url_filter/index.js';
import { gopherRepetition } from './gopher_repetition/index.js';
import { gopherQuality } from './gopher_quality/index.js';
import { lineCorrections } from './line_corrections/index.js';
import { c4Filters } from './c4_filters/index.js';
import { finewebQuality } from './fineweb_quality/index.js';
import { pii } from './pii/index.js';
import { tokenCount } from './token_count/index.js';
import { minhash } from './minhash/index.js';
import { exactSubstring } from './exact_substring/index.js';
import { urlDedup } from './url_dedup/index.js';
import { tokenize } from './tokenize/index.js';
import { fasttextClassifier } from './fasttext_classifier/index.js';
import { tokenizeCommand, tokensCommand } from './tokenize/cli.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stageModules: Record<string, StageModule<any>> = {
  [urlFilter.name]: urlFilter,
  extract: extractStage,
  language,
  [gopherRepetition.name]: gopherRepetition,
  [gopherQuality.name]: gopherQuality,
  [lineCorrections.name]: lineCorrections,
  [c4Filters.name]: c4Filters,
  [finewebQuality.name]: finewebQuality,
  [pii.name]: pii,
  token_count: tokenCount,
  [fasttextClassifier.name]: fasttextClassifier,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const corpusSteps: Record<string, CorpusStep<any>> = {
  minhash,
  exact_substring: exactSubstring,
  url_dedup: urlDedup,
  tokenize,
};

export const commands: Record<string, { summary: string; run(argv: string[]): Promise<number> }> = {
  extract: { summary: 'extract the main text of HTML files (plain or .gz, - for stdin) as JSON lines', run: extractCommand },
  tokenize: { summary: 'tokenize a finished run into Megatron-LM .bin/.idx shards (GPT-2 or a tokenizer.json)', run: tokenizeCommand },
  tokens: { summary: 'statistics of token shards, and --decode N to read document N back', run: tokensCommand },
};

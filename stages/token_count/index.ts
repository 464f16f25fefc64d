/**
 * token_count: sets `doc.tokenCount` to the GPT-2 BPE token count of the text (spec "Output":
 * `token_count (GPT-2)`), with the native tokenizer (src/tokenizer/gpt2.ts). Never drops.
 */
import type { Doc } from '../../src/doc.js';
import type { Stage, StageContext, StageModule } from '../../src/stage.js';
import { countTokens } from '../../src/tokenizer/gpt2.js';

export type TokenCountConfig = Record<string, never>;

export const tokenCount: StageModule<TokenCountConfig> = {
  name: 'token_count',
  description: 'Set token_count to the GPT-2 BPE token count of the text (native tokenizer, equal to tiktoken gpt2)',
  defaults: {},
  create(_config: TokenCountConfig, ctx: StageContext): Stage {
    const annotate = (docs: Doc[]): Doc[] => {
      const counts = countTokens(docs.map((d) => d.text));
      docs.forEach((d, i) => {
        d.tokenCount = counts[i]!;
        ctx.observe('token_count', counts[i]!);
      });
      return docs;
    };
    return {
      name: 'token_count',
      apply: (doc) => annotate([doc])[0]!,
      applyBatch: async (docs) => annotate(docs),
    };
  },
};

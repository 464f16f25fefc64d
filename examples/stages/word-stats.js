// An annotator: never removes a document, adds output columns (`Doc.columns`) that later
// choices can use (train-time weights, an analysis in DuckDB). Written as a full StageModule:
// `create` runs once per task and returns the stage; `apply` sees one document at a time.
//
//   stages:
//     - module: ./word-stats.js
//       options: { column_prefix: ws_ }
import { int } from 'refinery';

/** @type {import('refinery').StageModule<{ column_prefix: string, digits: number }>} */
export default {
  name: 'word_stats',
  description: 'Add columns <prefix>words (word count) and <prefix>mean_word_length',
  defaults: { column_prefix: 'ws_', digits: 3 },
  ranges: { digits: int(0, 10) },
  create(options, ctx) {
    const scale = 10 ** options.digits;
    return {
      name: 'word_stats',
      apply(doc) {
        const words = doc.text.split(/\s+/).filter((w) => w.length > 0);
        const chars = words.reduce((n, w) => n + w.length, 0);
        const mean = words.length ? Math.round((chars / words.length) * scale) / scale : 0;
        ctx.observe('mean_word_length', mean);
        // Numbers become float64 columns, strings UTF-8; keep the columns other stages set.
        doc.columns = { ...doc.columns, [`${options.column_prefix}words`]: words.length, [`${options.column_prefix}mean_word_length`]: mean };
        return doc;
      },
    };
  },
};

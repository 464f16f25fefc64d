// A formatter: changes the text and keeps every document. Trailing spaces go, and runs of
// blank lines shrink to at most `max_blank_lines`. Counted as events (stats.json), so the
// report shows how many documents it touched.
//
//   stages:
//     - module: ./tidy-whitespace.js
//       options: { max_blank_lines: 1 }
import { int } from 'refinery';

/** @type {import('refinery').StageModule<{ max_blank_lines: number }>} */
export default {
  name: 'tidy_whitespace',
  description: 'Strip trailing spaces and collapse runs of blank lines',
  defaults: { max_blank_lines: 1 },
  ranges: { max_blank_lines: int(0, 100) },
  create(options, ctx) {
    return {
      name: 'tidy_whitespace',
      apply(doc) {
        const out = [];
        let blank = 0;
        for (const line of doc.text.split('\n')) {
          const trimmed = line.replace(/[ \t]+$/, '');
          blank = trimmed === '' ? blank + 1 : 0;
          if (blank <= options.max_blank_lines) out.push(trimmed);
        }
        const text = out.join('\n').trim();
        if (text !== doc.text) {
          ctx.count('documents_tidied');
          doc.text = text;
        }
        return doc;
      },
    };
  },
};

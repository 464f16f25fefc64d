// A filter: remove documents that still hold placeholder text ("lorem ipsum", template
// filler). One small file is a whole stage: `refinery run` counts what it removes, writes the
// removed documents with --excluded, and shows its histogram in the report.
//
//   stages:
//     - module: ./no-lorem.js          # relative to the config file's folder
//       options: { max_hits: 0 }
import { dropFor, int, textFilter } from 'refinery';

export default textFilter({
  name: 'no_lorem',
  description: 'Remove documents with placeholder text (lorem ipsum and the like)',
  defaults: {
    /** Lower-case phrases that mark placeholder text. */
    phrases: ['lorem ipsum', 'dolor sit amet', 'placeholder text'],
    /** Occurrences allowed before the document is removed. */
    max_hits: 0,
  },
  ranges: { max_hits: int(0) },
  check(text, options, doc, tools) {
    const lower = text.toLowerCase();
    let hits = 0;
    for (const phrase of options.phrases) {
      for (let at = lower.indexOf(phrase); at >= 0; at = lower.indexOf(phrase, at + phrase.length)) hits++;
    }
    tools.observe('placeholder_hits', hits);
    // A Drop with the measured value and the threshold it broke; returning nothing keeps the document.
    if (hits > options.max_hits) return dropFor('placeholder', hits, '>', options.max_hits);
  },
});

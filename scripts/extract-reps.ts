/**
 * Runs the extractor (or htmlparser2's no-op Tokenizer) R times over the first 40 benchmark
 * pages, for instruction counts that the shared machine's load does not disturb:
 *
 *   valgrind --tool=callgrind node dist/scripts/extract-reps.js extract 3
 *   valgrind --tool=callgrind node dist/scripts/extract-reps.js extract 8
 *
 * (I(8) - I(3)) / 5 is the steady-state cost of one pass (JIT compilation and loading cancel
 * out); the same for `tokenizer` gives the yardstick.
 */
import { sharedData } from '../src/paths.js';
import { loadBenchmark, tokenizeOnly } from './eval-extract.js';
import { extractMainContent } from '../stages/extract/extract.js';

const dir = sharedData('extraction', 'scrapinghub');
if (!dir) {
  console.error('extract-reps: shared data absent');
  process.exitCode = 2;
} else {
  const pages = loadBenchmark(dir).slice(0, 40);
  const mode = process.argv[2] ?? 'extract';
  const reps = Number(process.argv[3] ?? 3);
  for (let r = 0; r < reps; r++) {
    for (const p of pages) {
      if (mode === 'tokenizer') tokenizeOnly(p.html);
      else extractMainContent(p.html, p.url);
    }
  }
}

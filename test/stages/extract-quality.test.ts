/**
 * Quality floors on every main-text extraction set under ../shared/data/extraction/ (the
 * ScrapingHub benchmark and the dev sets; their metric, stages/extract/shingle-eval.ts): fails
 * if precision, recall or F1 of a set, with the default options or with include_comments,
 * falls below what the extractor reached when the floor was set, less MARGIN. A set whose data
 * is absent is skipped. `npm run eval:extract` prints the same figures with bootstrap std.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../../src/paths.js';
import { extractMainContent } from '../../stages/extract/extract.js';
import { loadBenchmark, evaluateQuality, MODES } from '../../scripts/eval-extract.js';

/**
 * Allowed drop below the level reached (stated in stages/extract/README.md): about one
 * bootstrap std of the smaller sets' F1, so a harmless change passes and a real loss fails.
 */
const MARGIN = 0.01;

interface Level { precision: number; recall: number; f1: number }
/** What the extractor reached, per set and mode (npm run eval:extract). */
const REACHED: Record<string, { pages: number; default: Level; include_comments: Level }> = {
  scrapinghub: { pages: 181, default: { precision: 0.974, recall: 0.977, f1: 0.976 }, include_comments: { precision: 0.954, recall: 0.977, f1: 0.965 } },
  'cleaneval-dev': { pages: 57, default: { precision: 0.939, recall: 0.738, f1: 0.827 }, include_comments: { precision: 0.937, recall: 0.765, f1: 0.842 } },
  cleanportaleval: { pages: 71, default: { precision: 0.954, recall: 0.908, f1: 0.930 }, include_comments: { precision: 0.910, recall: 0.908, f1: 0.909 } },
  'dragnet-train': { pages: 966, default: { precision: 0.935, recall: 0.737, f1: 0.824 }, include_comments: { precision: 0.914, recall: 0.847, f1: 0.879 } },
  readability: { pages: 130, default: { precision: 0.971, recall: 0.887, f1: 0.927 }, include_comments: { precision: 0.957, recall: 0.888, f1: 0.921 } },
};

function setDir(name: string): string | undefined {
  const d = name === 'scrapinghub' ? sharedData('extraction', 'scrapinghub') : sharedData('extraction', 'dev', name);
  return d && existsSync(join(d, 'ground-truth.json')) ? d : undefined;
}

for (const [name, reached] of Object.entries(REACHED)) {
  const dir = setDir(name);
  test(`extraction quality on ${name}: P, R, F1 within ${MARGIN} of the level reached`, { skip: dir ? false : 'shared data absent' }, () => {
    const pages = loadBenchmark(dir!);
    assert.equal(pages.length, reached.pages);
    for (const mode of MODES) {
      const q = evaluateQuality(pages, (p) => extractMainContent(p.html, p.url, mode.options).text, 0);
      const level = reached[mode.label as 'default' | 'include_comments'];
      for (const k of ['precision', 'recall', 'f1'] as const) {
        assert.ok(q[k] >= level[k] - MARGIN, `${name} ${mode.label}: ${k} ${q[k].toFixed(4)} < ${level[k]} - ${MARGIN} (P ${q.precision.toFixed(3)} R ${q.recall.toFixed(3)} F1 ${q.f1.toFixed(3)})`);
      }
    }
  });
}

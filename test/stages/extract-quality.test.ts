/**
 * Quality floor on the ScrapingHub article-extraction benchmark (181 pages, their metric):
 * fails if F1 falls below what the extractor reached when this test was written.
 * Skips when ../shared/data is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedData } from '../../src/paths.js';
import { extractMainContent } from '../../stages/extract/extract.js';
import { loadBenchmark, evaluateQuality } from '../../scripts/eval-extract.js';

const dir = sharedData('extraction', 'scrapinghub');

/** The level reached (F1 0.975 at the time of writing), less a margin for harmless changes. */
const F1_FLOOR = 0.97;

test(`ScrapingHub benchmark: F1 >= ${F1_FLOOR}`, { skip: dir ? false : 'shared data absent' }, () => {
  const pages = loadBenchmark(dir!);
  assert.equal(pages.length, 181);
  const q = evaluateQuality(pages, (p) => extractMainContent(p.html, p.url).text);
  assert.ok(q.f1 >= F1_FLOOR, `F1 ${q.f1.toFixed(4)} < ${F1_FLOOR} (P ${q.precision.toFixed(3)}, R ${q.recall.toFixed(3)})`);
  assert.ok(q.precision >= 0.965 && q.recall >= 0.97, `P ${q.precision.toFixed(3)} R ${q.recall.toFixed(3)}`);
});

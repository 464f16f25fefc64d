import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureMaker, loadSources, makeWarc, warcPath } from '../../bench/scale-warcs.js';
import { readWarcDocs } from '../../src/readers/warc.js';
import { emptyReaderStats } from '../../src/stats.js';

const CAPTURES = 400;

test('scale WARCs: deterministic, CommonCrawl-shaped, with the copies and re-crawls they claim', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-scale-warcs-'));
  try {
    const src = await loadSources();
    assert.ok(src.pages.length >= 20, 'data-samples alone gives pages (26; 932 with ../shared/data)');
    const a = warcPath(join(dir, 'a'), 0);
    const b = warcPath(join(dir, 'b'), 0);
    const made = await makeWarc(src, a, 0, 0, CAPTURES);
    await makeWarc(await loadSources(), b, 0, 0, CAPTURES);
    assert.ok(readFileSync(a).equals(readFileSync(b)), 'the same file from the same seed');
    assert.match(a, /crawl-data\/CC-MAIN-2023-06\/segments\/[\d.]+\/warc\/CC-MAIN-\d{14}-\d{14}-00000\.warc\.gz$/);
    const again = await makeWarc(src, a, 0, 0, CAPTURES);
    assert.equal(again.reused, true);
    assert.deepEqual(again.kinds, made.kinds, 'a reused file reports the same counts');

    const stats = emptyReaderStats();
    const docs = [];
    for await (const d of readWarcDocs(createReadStream(a), { file: a, maxPageBytes: 4 << 20, maxInflatedBytes: 64 << 20 }, stats)) docs.push(d);
    assert.equal(stats.records, 1 + 3 * CAPTURES, 'warcinfo, then request/response/metadata per capture');
    assert.equal(docs.length, CAPTURES - made.kinds.nonOk, 'every 200 response is an HTML document');
    assert.equal(docs[0]!.dump, 'CC-MAIN-2023-06');

    // Capture k is a function of k alone: the same from a fresh maker, in another order.
    const m1 = new CaptureMaker(src);
    const m2 = new CaptureMaker(src);
    const ks = [CAPTURES - 1, 7, 123];
    for (const k of ks) assert.ok(m1.capture(k).body.equals(m2.capture(k).body));

    // Exact copies repeat an earlier payload under a new URL; re-crawls repeat an earlier URL.
    const seenDigests = new Set<string>();
    const seenUrls = new Set<string>();
    let exact = 0, recrawl = 0;
    for (let k = 0; k < CAPTURES; k++) {
      const c = m1.capture(k);
      const digest = c.body.toString('base64');
      if (c.kind === 'exact') {
        assert.ok(seenDigests.has(digest), `capture ${k} copies an earlier page`);
        assert.ok(!seenUrls.has(c.url), `capture ${k} has a URL of its own`);
        exact++;
      }
      if (c.kind === 'recrawl') {
        assert.ok(seenUrls.has(c.url), `capture ${k} re-crawls an earlier URL`);
        recrawl++;
      }
      seenDigests.add(digest);
      seenUrls.add(c.url);
    }
    assert.ok(exact > 0 && recrawl > 0);
    assert.equal(exact, made.kinds.exact);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeUrl, urlDedup } from '../../stages/url_dedup/index.js';
import { newDoc } from '../../src/doc.js';
import type { Doc } from '../../src/doc.js';
import { readFolderDocs, runStep, tempRun, writeShards } from './corpus-harness.js';
import { seededRandom } from '../../src/random.js';

test('normalizeUrl: scheme and host lowercased, fragment and default port dropped, path and query kept', () => {
  assert.equal(normalizeUrl('HTTP://Example.COM:80/Path/A?q=B#frag'), 'http://example.com/Path/A?q=B');
  assert.equal(normalizeUrl('https://example.com:443/x'), 'https://example.com/x');
  assert.equal(normalizeUrl('https://example.com:8443/x'), 'https://example.com:8443/x');
  assert.equal(normalizeUrl('https://example.com'), 'https://example.com/');
  assert.equal(normalizeUrl('https://example.com/a#'), 'https://example.com/a');
  assert.notEqual(normalizeUrl('https://example.com/A'), normalizeUrl('https://example.com/a'));
  assert.equal(normalizeUrl('  not a url  '), 'not a url');
  assert.equal(normalizeUrl(''), '');
});

async function dedup(shards: Doc[][], buckets: number) {
  const run = await tempRun();
  await writeShards(run, shards);
  await runStep(urlDedup, run, { buckets });
  return {
    kept: (await readFolderDocs(run, 'url_dedup')).map((d) => d.id),
    dropped: (await readFolderDocs(run, 'url_dedup', 'excluded')).map((d) => [d.id, d.reason]),
  };
}

test('url_dedup: the first copy in (dump, file, record) order wins; other dumps, files and records lose', async () => {
  const d = (id: string, url: string, dump?: string) => newDoc({ id, url, dump, text: id });
  const shards = [
    [d('a-2023', 'https://x.com/a', 'CC-MAIN-2023-06'), d('b-2023', 'https://x.com/b#top', 'CC-MAIN-2023-06'), d('c1', 'https://x.com/c', 'CC-MAIN-2023-06'), d('c2', 'HTTPS://X.COM:443/c', 'CC-MAIN-2023-06')],
    [d('a-2022', 'https://X.com/a#frag', 'CC-MAIN-2022-49'), d('b-2023-file1', 'https://x.com/b', 'CC-MAIN-2023-06'), d('nourl1', ''), d('nourl2', '')],
  ];
  for (const buckets of [1, 4]) {
    const got = await dedup(shards, buckets);
    assert.deepEqual(got.kept, ['b-2023', 'c1', 'a-2022', 'nourl1', 'nourl2'], `buckets ${buckets}`);
    assert.deepEqual(got.dropped, [['a-2023', 'duplicate_url'], ['c2', 'duplicate_url'], ['b-2023-file1', 'duplicate_url']]);
  }
});

test('url_dedup: same result for 1 shard and N shards, for any bucket count, and equal to a sequential reference', async () => {
  const r = seededRandom(3);
  const dumps = ['CC-MAIN-2022-49', 'CC-MAIN-2023-06', 'CC-MAIN-2023-14'];
  const docs = Array.from({ length: 200 }, (_, i) =>
    newDoc({ id: `d${i}`, url: `https://site${Math.floor(r() * 5)}.com/p${Math.floor(r() * 40)}`, dump: dumps[Math.floor(r() * 3)], text: `t${i}` }),
  );
  // Reference: one shard, so the order is (dump, row): the first of each URL in that order survives.
  const order = docs.map((d, i) => ({ d, i })).sort((a, b) => (a.d.dump! < b.d.dump! ? -1 : a.d.dump! > b.d.dump! ? 1 : a.i - b.i));
  const seen = new Set<string>();
  const keep = new Set<string>();
  for (const { d } of order) if (!seen.has(d.url)) seen.add(d.url), keep.add(d.id);
  const one = await dedup([docs], 3);
  assert.deepEqual(one.kept, docs.filter((d) => keep.has(d.id)).map((d) => d.id));
  // N shards: the surviving set may differ only by file order inside a dump, so compare
  // against the same reference with (dump, shard, row) order.
  const shards = [docs.slice(0, 70), docs.slice(70, 150), docs.slice(150)];
  const many = await dedup(shards, 5);
  assert.deepEqual(many.kept, one.kept, 'shards in row order keep the same documents');
  assert.equal(many.kept.length, new Set(docs.map((d) => d.url)).size);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDoc } from '../src/doc.js';
import { pruneCounts, spread, hostOf, mergeSampleFiles, newSampler, readSampleFiles, samplesPath, tldOf, writeSamples } from '../src/report/samples.js';
import { localStorage } from '../src/storage/local.js';
import { buildSyntheticRun } from './helpers/synthetic-run.js';
import { findDocs, formatDoc, inspectCommand, safeText } from '../src/cli/inspect.js';

const doc = (i: number, host = `h${i % 7}.example.com`) => newDoc({ id: `d${i}`, url: `https://www.${host}/p/${i}`, text: `text of ${i} `.repeat(20), language: i % 3 ? 'en' : 'de', languageScore: (i % 10) / 10, tokenCount: 40 + i });

test('sampler: a bounded reservoir per (stage, reason), every offer counted, deterministic', () => {
  const fill = () => {
    const s = newSampler('filter', 3, { perKey: 4, excerptChars: 10 });
    for (let i = 0; i < 1000; i++) {
      if (i % 4 === 0) s.kept(doc(i));
      else s.removed(i % 2 ? 'quality' : 'repetition', doc(i), { reason: i % 3 ? 'words' : 'dup_line_frac', value: i, detail: `${i}>3` });
    }
    return s.toJSON();
  };
  const f = fill();
  assert.deepEqual(fill(), f, 'same offers, same samples');
  const total = f.removed.reduce((a, g) => a + g.seen, 0);
  assert.equal(total, 750);
  assert.equal(f.kept.seen, 250);
  for (const g of f.removed) {
    assert.equal(g.docs.length, 4);
    for (const d of g.docs) {
      assert.equal(d.excerpt.length, 10);
      assert.equal(d.detail, `${d.value}>3`);
    }
  }
  // A reservoir keeps more than the first offers (Algorithm R replaces as it goes).
  assert.ok(f.kept.docs.some((d) => Number(d.id.slice(1)) >= 16));
  assert.equal(f.profile.kept.docs, 250);
  assert.equal(f.profile.removed.docs, 750);
  assert.equal(Object.values(f.profile.kept.languages).reduce((a, b) => a + b, 0), 250);
  assert.equal(f.profile.kept.tokens.n, 250);
  assert.equal(f.profile.kept.hosts['h0.example.com'], [...Array(1000).keys()].filter((i) => i % 4 === 0 && i % 7 === 0).length);
});

test('sampler: hosts are pruned to the most frequent when over budget', () => {
  const s = newSampler('p', 0, { maxHosts: 10 });
  for (let i = 0; i < 500; i++) s.kept(doc(i, i % 2 ? 'big.example.org' : `rare${i}.example.net`));
  const hosts = s.toJSON().profile.kept.hosts;
  assert.ok(Object.keys(hosts).length <= 10);
  assert.equal(hosts['big.example.org'], 250);
});

test('sampler: files round-trip through storage and merge round-robin across ranks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-samples-'));
  try {
    const storage = localStorage(dir);
    for (const rank of [1, 0]) {
      const s = newSampler('filter', rank, { perKey: 3 });
      for (let i = 0; i < 5; i++) s.removed('st', doc(rank * 100 + i), { reason: 'r' });
      await writeSamples(storage, s);
    }
    assert.ok(await storage.exists(samplesPath('filter', 1)));
    const { files, bad } = await readSampleFiles(storage, 'filter');
    assert.deepEqual(bad, []);
    assert.deepEqual(files.map((f) => f.rank), [0, 1]);
    const merged = mergeSampleFiles(files, 4);
    assert.equal(merged.removed[0]!.seen, 10);
    const ranks = merged.removed[0]!.docs.map((d) => (Number(d.id.slice(1)) >= 100 ? 1 : 0));
    assert.deepEqual(ranks, [0, 1, 0, 1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('pruneCounts keeps the largest counts, ties in insertion order, within the budget', () => {
  const m = new Map([['a', 1], ['b', 5], ['c', 2], ['d', 2], ['e', 9], ['f', 2]]);
  assert.deepEqual([...pruneCounts(m, 4)], [['b', 5], ['c', 2], ['d', 2], ['e', 9]]);
  assert.deepEqual([...pruneCounts(m, 2)], [['b', 5], ['e', 9]]);
  assert.equal(pruneCounts(m, 10), m);
});

test('spread picks k items evenly, first and last included', () => {
  assert.deepEqual(spread([0, 1, 2, 3, 4, 5, 6, 7, 8], 3), [0, 4, 8]);
  assert.deepEqual(spread([1, 2], 5), [1, 2]);
  assert.deepEqual(spread([1, 2, 3], 1), [1]);
});

test('report: at most maxSampleFiles sample files are read per pass, and the report says so', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-samples-'));
  try {
    await buildSyntheticRun(dir, { tasks: 5, docsPerTask: 30, dedup: false });
    const { buildReport } = await import('../src/report/index.js');
    const { run, html } = await buildReport(dir, { maxSampleFiles: 2 });
    assert.deepEqual(run.passes[0]!.sampleFiles, { read: 2, available: 5 });
    assert.deepEqual(run.passes[0]!.samples!.ranks, [0, 4]);
    assert.ok(html.includes('2 of 5 tasks'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hosts and TLDs', () => {
  assert.equal(hostOf('https://WWW.Example.co.uk:8080/x'), 'example.co.uk');
  assert.equal(hostOf('not a url'), '');
  assert.equal(hostOf('http://user:pw@Sub.Example.org./p?q#f'), 'sub.example.org');
  assert.equal(hostOf('https://[::1]:8080/'), '[::1]');
  assert.equal(tldOf('example.co.uk'), 'uk');
  assert.equal(tldOf('10.0.0.1'), '');
});

test('inspect: finds removed documents by stage and reason, with the removing value', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-inspect-'));
  try {
    await buildSyntheticRun(dir, { tasks: 2, docsPerTask: 150, dedup: true });
    const storage = localStorage(dir);
    const found = await findDocs(storage, { stage: 'gopher_repetition', reason: 'dup_line_frac', n: 3, kept: false, chars: 200, maxRows: 1e6 });
    assert.equal(found.docs.length, 3);
    for (const d of found.docs) {
      assert.equal(d.reason, 'dup_line_frac');
      assert.ok(d.value! > 0.3, `value ${d.value} is over the threshold`);
      assert.ok(d.excerpt.length <= 200);
    }
    const dups = await findDocs(storage, { reason: 'minhash_duplicate', n: 2, kept: false, chars: 50, maxRows: 1e6 });
    assert.deepEqual(dups.docs.map((d) => d.pass), ['minhash_filter', 'minhash_filter']);
    const kept = await findDocs(storage, { kept: true, n: 2, chars: 50, maxRows: 1e6 });
    assert.equal(kept.docs.length, 2);
    assert.equal(kept.docs[0]!.pass, 'minhash_filter');

    const colored = formatDoc(found.docs[0]!, 0, 3, true);
    assert.match(colored, /\x1b\[1;97;41m value 0\.\d+ \(0\.\d+>0\.3\) \x1b\[0m/);
    const plain = formatDoc(found.docs[0]!, 0, 3, false);
    assert.doesNotMatch(plain, /\x1b/);
    assert.match(plain, /removed by: {2}value 0\.\d+ \(0\.\d+>0\.3\)/);

    let out = '';
    assert.equal(await inspectCommand([dir, '--stage', 'language', '--reason', 'low_language_score', '--n', '2'], { write: (t) => (out += t), color: false, log: () => {} }), 0);
    assert.equal((out.match(/── \d\/2 · filter \/ language \/ low_language_score/g) ?? []).length, 2);
    out = '';
    assert.equal(await inspectCommand([dir], { write: (t) => (out += t), log: () => {} }), 0);
    assert.match(out, /filter \/ language \/ not_wanted_language: \d+/);
    assert.equal(await inspectCommand([dir, '--reason', 'no_such_reason'], { write: () => {}, log: () => {} }), 1);

    // Without excluded shards (the default output), the tasks' sample files answer.
    await rm(join(dir, 'filter/excluded'), { recursive: true });
    const fromSamples = await findDocs(storage, { stage: 'gopher_repetition', reason: 'dup_line_frac', n: 2, kept: false, chars: 40, maxRows: 1e6 });
    assert.equal(fromSamples.docs.length, 2);
    assert.deepEqual(fromSamples.sources, ['filter/samples (excerpts)']);
    assert.ok(fromSamples.docs.every((d) => d.excerpt.length <= 40 && d.value! > 0.3));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('inspect: terminal escapes inside web text are shown, not executed', () => {
  assert.equal(safeText('a\x1b[2Jb\u009bc\n\td'), 'a\\x1b[2Jb\\x9bc\n\td');
});

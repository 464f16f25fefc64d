import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minhash, MINHASH_PRESETS, candidateProbability } from '../../stages/minhash/index.js';
import { bandKeys } from '../../stages/minhash/kernel.js';
import { referenceBands } from '../../stages/minhash/reference.js';
import { normalizeForMinhash } from '../../stages/minhash/normalize.js';
import { DocClusters } from '../../stages/minhash/clusters.js';
import { readSigHeader } from '../../stages/minhash/files.js';
import { encode } from '../../src/tokenizer/gpt2.js';
import { localStorage } from '../../src/storage/local.js';
import type { Storage } from '../../src/storage/storage.js';
import { newDoc } from '../../src/doc.js';
import type { Doc } from '../../src/doc.js';
import { RefineryError } from '../../src/errors.js';
import { sharedData } from '../../src/paths.js';
import { readFolderDocs, runStep, splitShards, writeShards } from './corpus-harness.js';
import { seededRandom } from '../../src/random.js';

/**
 * Pairs of word sets with Jaccard exactly i/u (u distinct words in the union), shingled as
 * 1-grams so the shingle sets are the word sets: this isolates the hashing and banding.
 */
function jaccardPairs(level: number, pairs: number, seed: number, u = 100): { a: string[]; b: string[]; s: number } {
  const i = Math.round(level * u);
  const a: string[] = [];
  const b: string[] = [];
  let next = seed * 1_000_000;
  const word = () => `w${(next++).toString(36)}`;
  for (let p = 0; p < pairs; p++) {
    const common = Array.from({ length: i }, word);
    const onlyA = Array.from({ length: Math.ceil((u - i) / 2) }, word);
    const onlyB = Array.from({ length: Math.floor((u - i) / 2) }, word);
    a.push([...common, ...onlyA].join(' '));
    b.push([...onlyB, ...common].join(' '));
  }
  return { a, b, s: i / u };
}

function detected(ka: BigUint64Array, kb: BigUint64Array, bands: number, p: number): boolean {
  for (let k = 0; k < bands; k++) if (ka[p * bands + k] === kb[p * bands + k]) return true;
  return false;
}

// Documents of 100 words, and of 8 (where schemes cheaper than independent hashes, such as
// one-permutation hashing with densification, drift from the formula).
const ACCURACY_LEVELS: Record<number, number[]> = {
  100: [0.3, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0],
  8: [0.25, 0.5, 0.625, 0.75, 0.875, 1.0],
};

for (const [preset, c] of Object.entries(MINHASH_PRESETS)) {
  for (const [u, levels] of Object.entries(ACCURACY_LEVELS).map(([u, l]) => [Number(u), l] as const)) {
    test(`minhash accuracy (${preset}, ${c.bands}x${c.rows}, ${u}-word documents): detection rate per Jaccard level is 1-(1-s^r)^b within binomial error`, (t) => {
      const pairs = 200;
      const opts = { ...c, shingle: 'words', ngram: 1 };
      const rows: string[] = [];
      for (const [li, level] of levels.entries()) {
        const { a, b, s } = jaccardPairs(level, pairs, li + 1, u);
        const ka = bandKeys(a, opts).keys;
        const kb = bandKeys(b, opts).keys;
        let hits = 0;
        for (let p = 0; p < pairs; p++) if (detected(ka, kb, c.bands, p)) hits++;
        const expected = candidateProbability(s, c.bands, c.rows);
        const sigma = Math.sqrt((expected * (1 - expected)) / pairs);
        rows.push(`s=${s} measured ${(hits / pairs).toFixed(3)} expected ${expected.toFixed(3)}`);
        // 4 sigma (+ one pair) so the check is about the formula, not about luck.
        assert.ok(Math.abs(hits / pairs - expected) <= 4 * sigma + 1 / pairs, rows.join('\n'));
        if (s === 1) assert.equal(hits, pairs, 'exact duplicates are always caught');
      }
      t.diagnostic(rows.join('; '));
      // Unrelated documents (different pairs of the lowest level) never share a band key.
      const { a } = jaccardPairs(levels[0]!, pairs, 1, u);
      const keys = bandKeys(a, opts).keys;
      assert.equal(new Set(keys).size, keys.length, 'unrelated documents share a band key');
    });
  }
}

test('minhash kernel: the AVX-512 path (where the CPU has it) and the portable path give the same band keys', () => {
  const words = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919) % 1500}`);
  // From 1 shingle to thousands, so races run from one slot to hundreds.
  const texts = [1, 2, 5, 20, 100, 700, 3000].map((n) => words.slice(0, n).join(' '));
  for (const c of Object.values(MINHASH_PRESETS)) {
    const opts = { ...c, shingle: 'words' };
    assert.deepEqual(Array.from(bandKeys(texts, opts, { portable: true }).keys), Array.from(bandKeys(texts, opts).keys));
  }
});

test('minhash kernel: normalizing in native code gives the keys of the JS-normalized texts (both presets)', () => {
  const raw = [
    '  Héllo,   WÖRLD!!\n\nÇa va? 2023 — «ok»  ',
    'ΟΔΟΣ ΣΟΦΙΑΣ: Ελληνικά κείμενα, 42 φορές.',
    'Room 42, floor 7 — déjà vu; naïve café 🙂 ½ ² ٣',
    'The quick brown fox jumps over the lazy dog, again and again!',
    '',
    '!!!',
  ];
  for (const c of Object.values(MINHASH_PRESETS)) {
    const small = { ...c, bands: 9, rows: 4 };
    const native = bandKeys(raw, small, { normalize: true });
    const js = bandKeys(raw.map((t) => normalizeForMinhash(t, c.digits_to_zero)), small);
    assert.deepEqual(Array.from(native.shingles), Array.from(js.shingles));
    assert.deepEqual(Array.from(native.keys), Array.from(js.keys));
  }
});

test('minhash band keys depend on the set of shingles only: order and repeats do not matter', () => {
  const opts = { ...MINHASH_PRESETS.refinedweb, shingle: 'words', ngram: 1 };
  const { keys, shingles } = bandKeys(['alpha beta gamma delta', 'delta gamma beta alpha alpha beta', 'alpha beta gamma'], opts);
  const bands = opts.bands;
  assert.deepEqual(Array.from(shingles), [4, 4, 3]);
  assert.deepEqual(Array.from(keys.subarray(0, bands)), Array.from(keys.subarray(bands, 2 * bands)));
  assert.notDeepEqual(Array.from(keys.subarray(0, bands)), Array.from(keys.subarray(2 * bands, 3 * bands)));
});

test('minhash kernel: native band keys equal the TypeScript reference bit for bit (gpt2 and words)', () => {
  // The last text has more shingles than one arrival batch of the kernel (kChunk = 4096).
  const letters = (n: number) => n.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));
  const long = Array.from({ length: 6000 }, (_, i) => letters((i * 7919) % 5003)).join(' ');
  const texts = ['The quick brown fox jumps over the lazy dog, again and again!', 'short', '', 'Ünïcödé 2023 text: naïve café, 42 times', long].map((t) =>
    normalizeForMinhash(t, true),
  );
  // 9x4 components: races that finish; 60x50: short texts that leave components to the tail.
  for (const [bands, rows] of [[9, 4], [60, 50]]) {
    for (const shingle of ['gpt2', 'words'] as const) {
      const p = { shingle, ngram: 5, bands, rows, seed: 7 };
      const native = bandKeys(texts, p);
      const ref = referenceBands(texts, p, encode);
      assert.ok(native.shingles[4]! > 4096, `${native.shingles[4]} shingles in the long text`);
      assert.deepEqual(Array.from(native.shingles), Array.from(ref.shingles));
      assert.deepEqual(Array.from(native.keys), Array.from(ref.keys));
    }
  }
});

test('minhash normalization: lowercase, accents and punctuation removed, whitespace collapsed, digits -> 0 (FineWeb)', () => {
  assert.equal(normalizeForMinhash('  Héllo,   WÖRLD!!\n\nÇa va? 2023 — «ok»  ', false), 'hello world ca va 2023 ok');
  assert.equal(normalizeForMinhash('Room 42, floor 7', true), 'room 00 floor 0');
});

test('union-find clusters: root is the smallest id, transitive, sizes counted', () => {
  const uf = new DocClusters(10);
  uf.addPairs(Uint32Array.from([5, 7, 7, 9, 2, 9, 3, 4]));
  const { sizes, clusters, removed } = uf.finish();
  assert.deepEqual(Array.from(uf.parent), [0, 1, 2, 3, 3, 2, 6, 2, 8, 2]);
  assert.equal(sizes[2], 4);
  assert.equal(clusters, 2);
  assert.equal(removed, 4);
});

// ---- the four passes end to end, through a local run directory ----

const VOCAB = Array.from({ length: 3000 }, (_, i) => `${'bcdfghjklmnpqrstvwz'[i % 19]}${'aeiou'[(i >> 2) % 5]}${(i * 7919).toString(36)}`);

function article(r: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(VOCAB[Math.floor(r() * VOCAB.length)]! + (r() < 0.08 ? '.' : ''));
  return out.join(' ');
}

/** Originals, then exact and near copies (one word in 60 changed, case and punctuation noise). */
function corpus(): { docs: Doc[]; copies: Set<string> } {
  const r = seededRandom(42);
  const originals = Array.from({ length: 40 }, (_, i) => newDoc({ id: `orig-${i}`, text: article(r, 300 + Math.floor(r() * 200)), url: `https://a.example/${i}` }));
  const docs = [...originals];
  const copies = new Set<string>();
  originals.forEach((o, i) => {
    if (i % 4 === 0) {
      docs.push(newDoc({ id: `exact-${i}`, text: o.text, url: `https://b.example/${i}` }));
      copies.add(`exact-${i}`);
    } else if (i % 4 === 1) {
      const words = o.text.split(' ');
      for (let k = 30; k < words.length; k += 60) words[k] = 'CHANGED';
      docs.push(newDoc({ id: `near-${i}`, text: words.join(' ').toUpperCase().replace(/\./g, '!'), url: `https://c.example/${i}` }));
      copies.add(`near-${i}`);
    }
  });
  return { docs, copies };
}

async function keptIds(run: Storage): Promise<string[]> {
  return (await readFolderDocs(run, 'minhash_filter')).map((d) => d.id);
}

async function withRun<T>(fn: (run: Storage, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'refinery-minhash-'));
  try {
    return await fn(localStorage(dir), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const SMALL_RW = { ...MINHASH_PRESETS.refinedweb, bands: 90, rows: 20 };

test('minhash passes: every injected exact and near copy removed, originals kept; same result for 1 and 3 shards, 1 or 7 bands per bucket task', async () => {
  const { docs, copies } = corpus();
  const results: string[][] = [];
  const clusterFiles: string[] = [];
  for (const [shards, bandsPerTask] of [[1, 1], [3, 7], [3, 1]] as const) {
    const kept = await withRun(async (run) => {
      await writeShards(run, splitShards(docs, shards));
      const stats = await runStep(minhash, run, { ...SMALL_RW, write_clusters: true, bands_per_task: bandsPerTask });
      assert.equal(stats.filter((s) => s.pass === 'minhash_buckets').length, Math.ceil(SMALL_RW.bands / bandsPerTask));
      assert.equal((await run.list('minhash_buckets/pairs/')).length, Math.ceil(SMALL_RW.bands / bandsPerTask));
      const clusters = stats.find((s) => s.pass === 'minhash_clusters')!.stages[0]!.stats;
      assert.equal(clusters.dropped.minhash_duplicate!.docs, copies.size);
      assert.equal(clusters.events.clusters, copies.size);
      const filtered = stats.filter((s) => s.pass === 'minhash_filter');
      assert.equal(filtered.reduce((n, s) => n + s.docsWritten, 0), docs.length - copies.size);
      const clustersJsonl = (await run.readAll('minhash_clusters/clusters.jsonl')).toString();
      clusterFiles.push(clustersJsonl);
      const lines = clustersJsonl.trim().split('\n');
      assert.equal(lines.length, copies.size);
      // Excluded documents name the survivor they duplicate.
      const excluded = await run.list('minhash_filter/excluded/');
      assert.ok(excluded.length > 0);
      return keptIds(run);
    });
    assert.deepEqual(kept, docs.filter((d) => !copies.has(d.id)).map((d) => d.id));
    results.push(kept);
  }
  assert.deepEqual(results[0], results[1]);
  assert.deepEqual(results[1], results[2]);
  assert.equal(clusterFiles[1], clusterFiles[2], 'the clusters do not depend on the bucket task split');
});

/** Every file a MinHash run wrote under `folders`, path -> bytes. */
async function filesUnder(run: Storage, folders: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of folders) for (const o of await run.list(`${f}/`)) out.set(o.path, await run.readAll(o.path));
  return out;
}

test('minhash signature runs: a shard cut into runs of 1 or 7 documents gives the same pairs, removal lists, clusters and documents, byte for byte, as one run', async () => {
  const { docs, copies } = corpus();
  // Documents without shingles (empty text) inside runs, too.
  const withEmpty = docs.flatMap((d, i) => (i % 9 === 4 ? [d, newDoc({ id: `empty-${i}`, text: ' ' })] : [d]));
  const outputs: Map<string, Buffer>[] = [];
  for (const chunkDocs of [0, 7, 1]) {
    outputs.push(
      await withRun(async (run) => {
        await writeShards(run, splitShards(withEmpty, 2));
        const stats = await runStep(minhash, run, { ...SMALL_RW, write_clusters: true, bands_per_task: 30, chunk_docs: chunkDocs });
        assert.equal(stats.find((s) => s.pass === 'minhash_clusters')!.stages[0]!.stats.dropped.minhash_duplicate!.docs, copies.size);
        // The signature files really hold that many runs.
        const headers = await Promise.all((await run.list('minhash_signatures/sigs/')).map((o) => readSigHeader(run, o.path, o.size)));
        const shardDocs = splitShards(withEmpty, 2).map((s) => s.length);
        assert.deepEqual(headers.map((h) => h.runs.length), shardDocs.map((n) => (chunkDocs ? Math.ceil(n / chunkDocs) : 1)));
        assert.deepEqual(headers.map((h) => h.docs), shardDocs);
        return filesUnder(run, ['minhash_buckets/pairs', 'minhash_clusters', 'minhash_filter/data', 'minhash_filter/excluded']);
      }),
    );
  }
  assert.ok(outputs[0]!.size >= 2 + 2 + 2 + 2);
  for (const other of outputs.slice(1)) {
    assert.deepEqual([...other.keys()], [...outputs[0]!.keys()]);
    for (const [path, bytes] of outputs[0]!) assert.ok(bytes.equals(other.get(path)!), `${path} differs when the shards are cut into runs`);
  }
});

test('minhash passes (FineWeb preset): word 5-grams with digits -> 0 catch a copy that differs only in numbers', async () => {
  const r = seededRandom(7);
  const base = article(r, 200);
  const docs = [
    newDoc({ id: 'a', text: `${base} in 2021 there were 15 cases` }),
    newDoc({ id: 'b', text: article(r, 200) }),
    newDoc({ id: 'c', text: `${base} in 2023 there were 17 cases` }),
  ];
  await withRun(async (run) => {
    await writeShards(run, splitShards(docs, 2));
    await runStep(minhash, run, MINHASH_PRESETS.fineweb);
    assert.deepEqual(await keptIds(run), ['a', 'b']);
  });
});

test('minhash passes: a corrupt or truncated signature file is detected and named (ERR_CORRUPT)', async () => {
  const { docs } = corpus();
  await withRun(async (run, dir) => {
    await writeShards(run, splitShards(docs, 2));
    // One band per bucket task, so a task rank names the band it reads.
    const ctx = { run, input: 'filter', options: { ...SMALL_RW, bands_per_task: 1 }, runConfig: {}, log: () => {} };
    const [sig, buckets, clusters] = minhash.passes;
    for (let r = 0; r < 2; r++) await sig!.run(r, ctx);
    const file = join(dir, 'minhash_signatures/sigs/00001.bin');
    const good = await readFile(file);
    const isCorrupt = (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CORRUPT' && String(e.location.file).endsWith('sigs/00001.bin');

    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 0x10; // a record in the last band's section
    await writeFile(file, flipped);
    await buckets!.run(0, ctx); // band 0 untouched: fine
    await assert.rejects(buckets!.run(SMALL_RW.bands - 1, ctx), isCorrupt);

    await truncate(file, good.length - 12);
    await assert.rejects(buckets!.run(0, ctx), isCorrupt);

    const header = Buffer.from(good);
    header[9]! ^= 1; // band count
    await writeFile(file, header);
    await assert.rejects(buckets!.run(0, ctx), isCorrupt);

    // Pairs files are checked too.
    await writeFile(file, good);
    for (let b = 0; b < SMALL_RW.bands; b++) await buckets!.run(b, ctx);
    const pairs = join(dir, 'minhash_buckets/pairs/00003.bin');
    const p = await readFile(pairs);
    p[0]! ^= 1;
    await writeFile(pairs, p);
    await assert.rejects(clusters!.run(0, ctx), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CORRUPT' && String(e.location.file).endsWith('00003.bin'));
  });
});

const parityFile = sharedData('parity', 'datatrove-filters.jsonl');
test('minhash passes on real web text (both presets): injected exact and near copies removed, nothing else changes', { skip: !parityFile && 'shared data absent' }, async () => {
  const originals = readFileSync(parityFile!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 80)
    .map((l, i) => newDoc({ id: `orig-${i}`, text: (JSON.parse(l) as { text: string }).text }))
    .filter((d) => d.text.split(/\s+/).length >= 150); // short pages change too much with one edit
  const copies: Doc[] = [];
  originals.forEach((o, i) => {
    if (i % 5 === 0) copies.push(newDoc({ id: `exact-${i}`, text: o.text }));
    if (i % 5 === 1) {
      // One word in 100 replaced, different case and punctuation, extra whitespace.
      const words = o.text.split(' ');
      for (let k = 50; k < words.length; k += 100) words[k] = 'replaced';
      copies.push(newDoc({ id: `near-${i}`, text: words.join('  ').toUpperCase().replace(/[.,]/g, ';') }));
    }
  });
  assert.ok(copies.length >= 10);
  for (const preset of [{ ...MINHASH_PRESETS.refinedweb }, MINHASH_PRESETS.fineweb]) {
    const baseline = await withRun(async (run) => {
      await writeShards(run, splitShards(originals, 2));
      await runStep(minhash, run, preset);
      return keptIds(run);
    });
    const withCopies = await withRun(async (run) => {
      await writeShards(run, splitShards([...originals, ...copies], 3));
      await runStep(minhash, run, preset);
      return keptIds(run);
    });
    assert.deepEqual(withCopies, baseline, `${preset.bands}x${preset.rows}: the copies are removed and the originals' fate is unchanged`);
  }
});

test('minhash files: records stream back intact across read pieces that split records; a bad checksum is refused', async () => {
  const { readRecords, encodeTrailerFile, readTrailer, REMOVE_MAGIC } = await import('../../stages/minhash/files.js');
  await withRun(async (run) => {
    const body = new Uint32Array(3 * 100_000).map((_, i) => (i * 2654435761) >>> 0); // 1.2 MB: several 256 KB pieces
    await run.writeAll('x/records.bin', encodeTrailerFile(REMOVE_MAGIC, body, 7, 3));
    const size = (await run.list('x/'))[0]!.size;
    const t = await readTrailer(run, 'x/records.bin', size, REMOVE_MAGIC, 3);
    assert.equal(t.count, 100_000);
    assert.equal(t.aux, 7);
    const back: number[] = [];
    for await (const chunk of readRecords(run, 'x/records.bin', t.body, 3, t.bodyCrc)) {
      assert.equal(chunk.length % 3, 0);
      for (const w of chunk) back.push(w);
    }
    assert.deepEqual(back, Array.from(body));
    await assert.rejects(
      (async () => {
        for await (const _ of readRecords(run, 'x/records.bin', t.body, 3, t.bodyCrc ^ 1)) void _;
      })(),
      (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CORRUPT',
    );
  });
});

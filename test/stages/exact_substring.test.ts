import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTO_BUCKET_BYTES, bucketCount, exactSubstringStep } from '../../stages/exact_substring/index.js';
import type { ExactSubstringConfig } from '../../stages/exact_substring/index.js';
import { winnowKernels } from '../../stages/exact_substring/native.js';
import { decodeColumns, encodeColumns } from '../../stages/exact_substring/columns.js';
import { newDoc } from '../../src/doc.js';
import type { Doc } from '../../src/doc.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { encodeWithOffsets } from '../../src/tokenizer/gpt2-js.js';
import { RefineryError } from '../../src/errors.js';
import { readFolderDocs, runStep, tempRun, writeShards } from './corpus-harness.js';
import { seededRandom } from '../../src/random.js';

// ---- a tokenizer whose tokens the test controls: "<prefix><id> " per token ------------------
// Prefixes of 1 and 2 UTF-16 units (an emoji is a surrogate pair) so character mapping is tested.
const PREFIX = ['w', 'é', '😀'];
const word = (id: number) => `${PREFIX[id % 3]}${id} `;
const render = (ids: number[]) => ids.map(word).join('');
const wordTokenizer = (): Tokenizer => ({
  encodeWithOffsets(text) {
    const ids: number[] = [];
    const offsets: number[] = [];
    for (const m of text.matchAll(/\S+ /g)) {
      ids.push(Number(m[0].replace(/\D/g, '')));
      offsets.push(m.index!);
    }
    return { ids: Uint32Array.from(ids), offsets: Uint32Array.from(offsets) };
  },
});
const step = exactSubstringStep(wordTokenizer);

// The same tokens through a batch encoder (as a native one would be called): it is handed the
// texts as UTF-8 bytes, and returns u16 ids and document-local offsets, concatenated.
let batchCalls = 0;
const batchWordTokenizer = (): Tokenizer => ({
  ...wordTokenizer(),
  encodeBatchWithOffsets(texts) {
    batchCalls++;
    const each = texts.map((t) => {
      assert.ok(t instanceof Uint8Array, 'a batch tokenizer is given UTF-8 bytes');
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(t);
      return { ...wordTokenizer().encodeWithOffsets(text), units: text.length };
    });
    const ids = new Uint16Array(each.reduce((a, e) => a + e.ids.length, 0));
    const offsets = new Uint32Array(ids.length);
    let at = 0;
    for (const e of each) {
      ids.set(e.ids, at);
      offsets.set(e.offsets, at);
      at += e.ids.length;
    }
    return { tokens: ids, offsets, lengths: each.map((e) => e.ids.length), units: each.reduce((a, e) => a + e.units, 0) };
  },
});

// ---- the oracle: all pairs of positions, no suffix array, no hashing -----------------------
interface Expected {
  kept: { id: string; text: string }[];
  dropped: { id: string; reason: string }[];
}

function oracle(docs: number[][], k: number, o: Partial<ExactSubstringConfig> = {}): Expected {
  const mode = o.mode ?? 'cut';
  const minChars = o.min_chars_left ?? 20;
  const maxFrac = o.max_dup_fraction ?? 0.2;
  // Every token position (doc, index) in one list; matches never cross documents.
  const pos: [number, number][] = [];
  docs.forEach((d, di) => d.forEach((_, ti) => pos.push([di, ti])));
  const dup = docs.map((d) => new Array<boolean>(d.length).fill(false));
  for (let a = 0; a < pos.length; a++) {
    for (let b = a + 1; b < pos.length; b++) {
      const [da, ta] = pos[a]!;
      const [db, tb] = pos[b]!;
      let len = 0;
      while (ta + len < docs[da]!.length && tb + len < docs[db]!.length && docs[da]![ta + len] === docs[db]![tb + len]) len++;
      if (len >= k) {
        for (let i = 0; i < len; i++) {
          dup[da]![ta + i] = true;
          dup[db]![tb + i] = true;
        }
      }
    }
  }
  const out: Expected = { kept: [], dropped: [] };
  docs.forEach((d, di) => {
    const id = `d${di}`;
    const text = render(d);
    const removed = d.reduce((a, t, i) => a + (dup[di]![i] ? word(t).length : 0), 0);
    const cut = d.filter((_, i) => !dup[di]![i]).map(word).join('');
    if (removed === 0) out.kept.push({ id, text });
    else if (mode === 'dropany') out.dropped.push({ id, reason: 'exact_substring_any' });
    else if (mode === 'droppartial') {
      if (removed / text.length > maxFrac) out.dropped.push({ id, reason: 'exact_substring_partial' });
      else out.kept.push({ id, text });
    } else if (cut.length < minChars) out.dropped.push({ id, reason: 'exact_substring_short' });
    else out.kept.push({ id, text: cut });
  });
  return out;
}

async function runNative(docs: number[][], shards: number, o: Partial<ExactSubstringConfig> = {}, withStep = step): Promise<Expected> {
  const run = await tempRun();
  const all = docs.map((d, i) => newDoc({ id: `d${i}`, url: `https://e.com/${i}`, text: render(d) }));
  const per = Math.ceil(all.length / shards);
  await writeShards(run, Array.from({ length: shards }, (_, s) => all.slice(s * per, (s + 1) * per)));
  await runStep(withStep, run, o);
  const kept = await readFolderDocs(run, 'exact_substring');
  const dropped = await readFolderDocs(run, 'exact_substring', 'excluded');
  return { kept: kept.map((d) => ({ id: d.id, text: d.text })), dropped: dropped.map((d) => ({ id: d.id, reason: d.reason! })) };
}

// ---- random corpora with planted repeats ---------------------------------------------------
function randomCorpus(seed: number, nDocs: number): number[][] {
  const r = seededRandom(seed);
  const int = (n: number) => Math.floor(r() * n);
  // A large alphabet: chance repeats of 50 tokens cannot happen; short ones do.
  const docs = Array.from({ length: nDocs }, () => Array.from({ length: 20 + int(120) }, () => int(5000)));
  const plant = (src: number[], dst: number[], at: number) => dst.splice(at, 0, ...src);
  const lengths = [49, 50, 51, 50, 49, 75, 120];
  for (let p = 0; p < 10; p++) {
    const len = lengths[int(lengths.length)]!;
    const from = docs[int(nDocs)]!;
    if (from.length < len) continue;
    const start = int(from.length - len + 1);
    const span = from.slice(start, start + len);
    const to = docs[int(nDocs)]!;
    const where = int(3); // doc start, doc end, or anywhere
    plant(span, to, where === 0 ? 0 : where === 1 ? to.length : int(to.length + 1));
    if (int(2) === 0) {
      // An overlapping repeat: the span's second half plus fresh tokens, elsewhere.
      const half = span.slice(len >> 1).concat(Array.from({ length: 40 }, () => int(5000)));
      const to2 = docs[int(nDocs)]!;
      plant(half, to2, int(to2.length + 1));
    }
  }
  return docs;
}

test('exact_substring: removed text equals the all-pairs oracle on random corpora with planted repeats (49, 50, 51+ tokens, doc starts/ends, overlaps), 1 and N shards', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const docs = randomCorpus(seed, 14);
    const expected = oracle(docs, 50);
    assert.ok(expected.kept.some((d, i) => d.text !== render(docs[Number(d.id.slice(1))]!)) || expected.dropped.length > 0, `seed ${seed}: the corpus has duplicates`);
    for (const shards of [1, 3, 7]) {
      const got = await runNative(docs, shards, { buckets: 3 });
      assert.deepEqual(got, expected, `seed ${seed}, ${shards} shard(s)`);
    }
  }
});

test('exact_substring: buckets 0 takes one per AUTO_BUCKET_BYTES of input (at least one); a number is taken as given; the output does not depend on it', async () => {
  const o = { ...step.defaults, buckets: 0 };
  const shards = (...sizes: number[]) => sizes.map((size, i) => ({ path: `s/${i}.parquet`, size }));
  assert.equal(bucketCount(o, shards()), 1);
  assert.equal(bucketCount(o, shards(10, 20)), 1);
  assert.equal(bucketCount(o, shards(AUTO_BUCKET_BYTES, 1)), 2);
  assert.equal(bucketCount(o, shards(...Array(9).fill(AUTO_BUCKET_BYTES / 2))), 5);
  assert.equal(bucketCount({ ...o, buckets: 7 }, shards(10)), 7);
  const docs = randomCorpus(2, 14);
  assert.deepEqual(await runNative(docs, 3, { buckets: 0 }), await runNative(docs, 3, { buckets: 5 }));
});

test('exact_substring: a batch tokenizer (UTF-8 bytes in, u16 ids out) gives what the per-document one gives', async () => {
  const batchStep = exactSubstringStep(batchWordTokenizer);
  for (let seed = 1; seed <= 3; seed++) {
    const docs = randomCorpus(seed, 14);
    batchCalls = 0;
    const got = await runNative(docs, 3, { buckets: 3 }, batchStep);
    assert.ok(batchCalls >= 3, 'one batch call per row group of each shard');
    assert.deepEqual(got, oracle(docs, 50), `seed ${seed}`);
  }
});

test('exact_substring: a repeat of 49 tokens stays, a repeat of 50 is cut from every copy', async () => {
  const r = seededRandom(7);
  const fresh = (n: number) => Array.from({ length: n }, () => 1000 + Math.floor(r() * 9000));
  const span = fresh(50);
  const a49 = [...fresh(10), ...span.slice(0, 49), ...fresh(10)];
  const b49 = [...fresh(10), ...span.slice(0, 49), ...fresh(10)];
  const got49 = await runNative([a49, b49], 2);
  assert.deepEqual(got49.kept.map((d) => d.text), [render(a49), render(b49)]);
  const a50 = [...fresh(10), ...span, ...fresh(10)];
  const b50 = [...fresh(12), ...span, ...fresh(8)];
  const got50 = await runNative([a50, b50], 2);
  assert.deepEqual(got50.kept.map((d) => d.text), [render([...a50.slice(0, 10), ...a50.slice(60)]), render([...b50.slice(0, 12), ...b50.slice(62)])]);
});

test('exact_substring: contexts come by ranged reads from a large token file (a span copied out of a 200k-token shard)', async () => {
  const r = seededRandom(31);
  const fresh = (n: number) => Array.from({ length: n }, () => 1000 + Math.floor(r() * 9000));
  const big = fresh(200_000);
  const at = 123_456;
  const small = [...fresh(7), ...big.slice(at, at + 60), ...fresh(9)];
  const got = await runNative([big, small], 2, { buckets: 2 });
  assert.deepEqual(got.kept.map((d) => d.text), [render([...big.slice(0, at), ...big.slice(at + 60)]), render([...small.slice(0, 7), ...small.slice(67)])]);
});

test('exact_substring: a periodic document of 30k tokens (one gram at thousands of picks) is all duplicated, its neighbour untouched', async () => {
  const r = seededRandom(32);
  const fresh = (n: number) => Array.from({ length: n }, () => 1000 + Math.floor(r() * 9000));
  // Period 3: the window at s equals the one at s + 3 (overlapping self-occurrences), so every token is duplicated.
  const periodic = Array.from({ length: 30_000 }, (_, i) => [7, 8, 9][i % 3]!);
  const other = fresh(300);
  const run = await tempRun();
  await writeShards(run, [[newDoc({ id: 'd0', text: render(periodic) }), newDoc({ id: 'd1', text: render(other) })]]);
  const stats = await runStep(step, run, {});
  const kept = await readFolderDocs(run, 'exact_substring');
  const dropped = await readFolderDocs(run, 'exact_substring', 'excluded');
  assert.deepEqual(kept.map((d) => [d.id, d.text]), [['d1', render(other)]]);
  assert.deepEqual(dropped.map((d) => [d.id, d.reason]), [['d0', 'exact_substring_short']]);
  const inGroups = stats.flatMap((t) => t.stages).filter((st) => st.name === 'exact_substring_match').reduce((a, st) => a + (st.stats.events.picks_in_groups ?? 0), 0);
  assert.ok(inGroups > 5000, `one gram, ${inGroups} picks`);
});

test('exact_substring: a match never runs across a document boundary', async () => {
  const r = seededRandom(9);
  const fresh = (n: number) => Array.from({ length: n }, () => 1000 + Math.floor(r() * 9000));
  const p = fresh(30);
  const q = fresh(30);
  // Doc 0 ends with p, doc 1 starts with q, doc 2 holds p+q: no 50-token span repeats inside documents.
  const docs = [[...fresh(20), ...p], [...q, ...fresh(20)], [...fresh(5), ...p, ...q, ...fresh(5)]];
  const got = await runNative(docs, 1);
  assert.deepEqual(got.kept.map((d) => d.text), docs.map(render));
});

test('exact_substring: modes DROPANY and DROPPARTIAL (> 20% duplicated) and the 20-character floor of CUT agree with the oracle', async () => {
  for (const seed of [11, 12]) {
    const docs = randomCorpus(seed, 12);
    for (const mode of ['dropany', 'droppartial']) {
      assert.deepEqual(await runNative(docs, 3, { mode }), oracle(docs, 50, { mode }), `${mode} seed ${seed}`);
    }
    assert.deepEqual(await runNative(docs, 2, { min_chars_left: 600 }), oracle(docs, 50, { min_chars_left: 600 }));
  }
  await assert.rejects(runNative([[1]], 1, { mode: 'mask' }), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CONFIG');
});

test('exact_substring: duplicated spans are written out for inspection when write_spans is set', async () => {
  const span = Array.from({ length: 60 }, (_, i) => 100 + i);
  const docs = [[1, 2, 3, ...span, 4, 5, 6, 7, 8, 9, 10, 11], [...span, 20, 21, 22, 23, 24, 25, 26, 27]];
  const run = await tempRun();
  await writeShards(run, [docs.map((d, i) => newDoc({ id: `d${i}`, text: render(d) }))]);
  await runStep(step, run, { write_spans: true });
  const lines = (await run.readAll('exact_substring/spans/00000.jsonl')).toString().trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; start: number });
  assert.deepEqual(lines.map((l) => [l.id, l.text, l.start]), [['d0', render(span), render([1, 2, 3]).length], ['d1', render(span), 0]]);
});

test('exact_substring: a gram-hash collision (forged: unrelated picks of two shards given one hash) is settled by the token check, never cuts text', async () => {
  const r = seededRandom(21);
  const fresh = (n: number) => Array.from({ length: n }, () => 1000 + Math.floor(r() * 9000));
  const run = await tempRun();
  const docs = [fresh(80), fresh(80)];
  await writeShards(run, docs.map((d, i) => [newDoc({ id: `d${i}`, text: render(d) })]));
  const opts = { ...step.defaults, buckets: 1 };
  const ctx = { run, input: 'filter', options: opts, runConfig: {}, log: () => {} };
  const [index, match, apply] = step.passes;
  for (let rank = 0; rank < 2; rank++) await index!.run(rank, ctx);
  // Every pick of both shards gets one hash: one group of unrelated windows.
  for (const rank of [0, 1]) {
    const path = `exact_substring_index/picks/00000/0000${rank}.bin`;
    const f = decodeColumns(await run.readAll(path), ['u64', 'u32'], path);
    assert.ok(f[0]!.length > 1);
    (f[0] as BigUint64Array).fill(42n);
    await run.writeAll(path, encodeColumns(f));
  }
  const st = await match!.run(0, ctx);
  assert.equal(st.stages[0]!.stats.events.picks_in_groups, st.stages[0]!.stats.events.picks);
  assert.equal(st.stages[0]!.stats.events.spans, 0);
  for (let rank = 0; rank < 2; rank++) await apply!.run(rank, ctx);
  assert.deepEqual((await readFolderDocs(run, 'exact_substring')).map((d) => d.text), docs.map(render));
});

// ---- the winnowing kernel against brute force -----------------------------------------------
test('winnowSpans: the windows marked around each pick equal brute force over its group, with full and truncated (colliding) fingerprints', () => {
  const { winnowSpans } = winnowKernels();
  const r = seededRandom(77);
  let collisions = 0;
  for (let it = 0; it < 300; it++) {
    const k = 1 + Math.floor(r() * 9);
    const q = 1 + Math.floor(r() * k);
    const w = k - q + 1;
    const S = 2 * (w - 1) + q;
    // Groups of 1-4 members take the pairwise path, larger ones the fingerprint path.
    const sizes = Array.from({ length: 1 + Math.floor(r() * 4) }, () => 1 + Math.floor(r() * (it % 2 ? 4 : 16)));
    const m = sizes.reduce((a, b) => a + b, 0);
    const groupStarts = Uint32Array.from([0, ...sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0))]);
    const alphabet = 1 + Math.floor(r() * 3);
    const context = Uint32Array.from({ length: m * S }, () => Math.floor(r() * alphabet));
    const left = Uint32Array.from({ length: m }, () => (r() < 0.5 ? w - 1 : Math.floor(r() * w)));
    const right = Uint32Array.from({ length: m }, () => (r() < 0.5 ? w - 1 + q : Math.floor(r() * (w + q))));
    const tok = (x: number, i: number) => context[x * S + i]!;
    const lo = new Uint32Array(m);
    const hi = new Uint32Array(m);
    for (let g = 0; g + 1 < groupStarts.length; g++) {
      for (let x = groupStarts[g]!; x < groupStarts[g + 1]!; x++) {
        for (let j = 0; j < w; j++) {
          if (left[x]! < j || right[x]! < k - j) continue;
          for (let y = groupStarts[g]!; y < groupStarts[g + 1]!; y++) {
            if (y === x || left[y]! < j || right[y]! < k - j) continue;
            let same = true;
            for (let i = w - 1 - j; i < w - 1 - j + k; i++) same &&= tok(x, i) === tok(y, i);
            if (same) {
              lo[x] = Math.max(lo[x]!, j);
              hi[x] = Math.max(hi[x]!, k - j);
            }
          }
        }
      }
    }
    for (const bits of [64, 2]) {
      const got = winnowSpans(context, left, right, groupStarts, k, q, it, bits);
      assert.deepEqual([Array.from(got.lo), Array.from(got.hi)], [Array.from(lo), Array.from(hi)], `it ${it} bits ${bits}`);
      if (bits === 2) collisions += got.collisions;
    }
  }
  assert.ok(collisions > 0, 'truncated fingerprints collided and were resolved');
});

test('winnowPicks: every k-token window holds a pick, the same offset in every copy of the window, in position order per bucket', () => {
  const { winnowPicks } = winnowKernels();
  const r = seededRandom(78);
  for (let it = 0; it < 200; it++) {
    const k = 1 + Math.floor(r() * 12);
    const q = 1 + Math.floor(r() * k);
    const lens = Uint32Array.from({ length: 1 + Math.floor(r() * 5) }, () => Math.floor(r() * 40));
    const alphabet = 1 + Math.floor(r() * 4);
    const tokens = Uint32Array.from({ length: lens.reduce((a, b) => a + b, 0) }, () => Math.floor(r() * alphabet));
    const buckets = 1 + Math.floor(r() * 4);
    const p = winnowPicks(tokens, lens, k, q, buckets, it);
    assert.equal(p.bucketStarts[buckets], p.pos.length);
    // The token file's narrow widths give the same picks (the index pass passes u8/u16 ids).
    for (const narrow of [Uint8Array.from(tokens), Uint16Array.from(tokens)]) {
      const n = winnowPicks(narrow, lens, k, q, buckets, it);
      assert.deepEqual([n.hash, n.pos, n.bucketStarts], [p.hash, p.pos, p.bucketStarts]);
    }
    const picked = new Map<number, bigint>();
    for (let b = 0; b < buckets; b++) {
      for (let i = p.bucketStarts[b]!; i < p.bucketStarts[b + 1]!; i++) {
        assert.equal(Math.floor((Number(p.hash[i]! >> 32n) * buckets) / 2 ** 32), b);
        if (i > p.bucketStarts[b]!) assert.ok(p.pos[i - 1]! < p.pos[i]!);
        picked.set(p.pos[i]!, p.hash[i]!);
      }
    }
    // Per window: the offsets of its picks; equal windows must share one.
    const offsetsOf = new Map<string, Set<number>[]>();
    let t = 0;
    for (const len of lens) {
      for (let s = t; s + k <= t + len; s++) {
        const inWindow = new Set<number>();
        for (let g = s; g + q <= s + k; g++) if (picked.has(g)) inWindow.add(g - s);
        assert.ok(inWindow.size > 0, `window at ${s} has a pick`);
        const key = Array.from(tokens.subarray(s, s + k)).join(',');
        if (!offsetsOf.has(key)) offsetsOf.set(key, []);
        offsetsOf.get(key)!.push(inWindow);
      }
      t += len;
    }
    for (const sets of offsetsOf.values()) {
      const common = [...sets[0]!].filter((o) => sets.every((st) => st.has(o)));
      assert.ok(common.length > 0, 'copies of a window share a pick offset');
    }
  }
});

// ---- the whole step against brute force on low-entropy corpora ------------------------------
function lowEntropyCorpus(seed: number): number[][] {
  const r = seededRandom(seed);
  const int = (n: number) => Math.floor(r() * n);
  const alphabet = 2 + int(4);
  const docs: number[][] = [];
  const nDocs = 8 + int(20);
  for (let d = 0; d < nDocs; d++) {
    const kind = int(4);
    const len = int(70);
    if (kind === 0) {
      // Periodic: one gram repeated at thousands of overlapping positions.
      const period = 1 + int(4);
      const unit = Array.from({ length: period }, () => int(alphabet));
      docs.push(Array.from({ length: len + int(200) }, (_, i) => unit[i % period]!));
    } else if (kind === 1 && docs.length) {
      // A copy of a piece of an earlier document, with a few changes.
      const src = docs[int(docs.length)]!;
      const a = int(src.length + 1);
      docs.push(src.slice(a, a + len).map((t) => (r() < 0.05 ? int(alphabet) : t)));
    } else docs.push(Array.from({ length: len }, () => int(alphabet)));
  }
  return docs;
}

test('exact_substring: the duplicated tokens equal the all-pairs oracle on small-alphabet, periodic and copied corpora (k 4-12, many shards and buckets)', async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const docs = lowEntropyCorpus(seed);
    const k = 4 + (seed % 9);
    const expected = oracle(docs, k, { min_chars_left: 0 });
    assert.ok(expected.kept.some((d) => d.text !== render(docs[Number(d.id.slice(1))]!)), `seed ${seed}: the corpus has duplicates`);
    const shards = 1 + (seed % 5);
    const buckets = 1 + ((seed * 7) % 9);
    const got = await runNative(docs, shards, { min_tokens: k, buckets, min_chars_left: 0 });
    assert.deepEqual(got, expected, `seed ${seed}, k ${k}, ${shards} shards, ${buckets} buckets`);
    // Small batches: the contexts are gathered into per-batch files first (a group larger
    // than a batch is one batch of its own).
    const batchMembers = 1 + ((seed * 5) % 40);
    const batched = await runNative(docs, shards, { min_tokens: k, buckets, min_chars_left: 0, batch_members: batchMembers });
    assert.deepEqual(batched, expected, `seed ${seed}, k ${k}, ${shards} shards, ${buckets} buckets, batches of ${batchMembers}`);
  }
});

test('exact_substring: a shard whose documents are all dropped still writes a (zero-row) data file', async () => {
  const span = Array.from({ length: 60 }, (_, i) => 300 + i);
  const docs = [[...span], [...span], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]];
  const got = await runNative(docs, 3);
  assert.deepEqual(got, oracle(docs, 50));
  assert.deepEqual(got.dropped.map((d) => d.id), ['d0', 'd1']);
});

test('exact_substring: another hash_seed gives the same result', async () => {
  const docs = randomCorpus(8, 12);
  assert.deepEqual(await runNative(docs, 3, { hash_seed: 12345 }), oracle(docs, 50));
});

test('column files: a truncated file is ERR_CORRUPT, not garbage', () => {
  const bytes = encodeColumns([BigUint64Array.of(1n, 2n), Uint32Array.of(3, 4)]);
  const [a, b] = decodeColumns(bytes, ['u64', 'u32'], 'f');
  assert.deepEqual([Array.from(a as BigUint64Array), Array.from(b as Uint32Array)], [[1n, 2n], [3, 4]]);
  assert.throws(() => decodeColumns(bytes.subarray(0, bytes.length - 8), ['u64', 'u32'], 'f'), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CORRUPT');
  assert.throws(() => decodeColumns(bytes, ['u32', 'u32'], 'f'), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_CORRUPT');
});

// ---- with the real GPT-2 tokenizer ----------------------------------------------------------
test('GPT-2 offsets: each token starts where its decoded prefix ends (UTF-16, multi-byte characters included)', () => {
  const text = 'Hello wörld ✓ 😀 — naïve café\n\n<|endoftext|> 日本語のテキスト';
  const { ids, offsets } = encodeWithOffsets(text);
  assert.ok(ids.length > 10);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! >= offsets[i - 1]!);
  assert.equal(offsets[0], 0);
  assert.ok(offsets[offsets.length - 1]! < text.length);
  // A token starting on a character boundary: its offset is that character's index.
  assert.equal(offsets[1], 'Hello'.length);
  const iCafe = text.indexOf(' café');
  assert.ok(Array.from(offsets).includes(iCafe));
});

test('exact_substring with GPT-2 tokens: a shared paragraph of > 50 tokens is cut from both documents, the rest kept', async () => {
  const shared =
    'The committee met on Tuesday to review the annual budget, and after a long discussion about the costs of maintenance, ' +
    'staffing, and the new library wing, it voted to postpone the final decision until the regional grant applications were answered in the spring. ' +
    'Members of the public who attended the session asked several questions about the opening hours of the swimming pool.';
  const a = `Opening remarks from the mayor about the weather. ${shared} Closing note: the next meeting is in May.`;
  const b = `A completely different introduction, written by someone else entirely. ${shared} Questions can be sent by post.`;
  const run = await tempRun();
  await writeShards(run, [[newDoc({ id: 'a', text: a })], [newDoc({ id: 'b', text: b })]]);
  await runStep(exactSubstringStep(() => ({ encodeWithOffsets })), run);
  const kept = await readFolderDocs(run, 'exact_substring');
  assert.equal(kept.length, 2);
  for (const d of kept) {
    assert.ok(!d.text.includes('regional grant'), d.text);
    assert.ok(d.text.length < (d.id === 'a' ? a : b).length - shared.length + 5);
  }
  assert.ok(kept[0]!.text.startsWith('Opening remarks from the mayor'));
  assert.ok(kept[1]!.text.endsWith('Questions can be sent by post.'));
  assert.equal(kept[0]!.meta.exact_substring_removed_chars, a.length - kept[0]!.text.length);
});

test('exact_substring: the output is byte-identical across runs', async () => {
  const docs = randomCorpus(3, 10);
  const outs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const run = await tempRun();
    await writeShards(run, [docs.slice(0, 5), docs.slice(5)].map((s, j) => s.map((d, q) => newDoc({ id: `d${j}-${q}`, text: render(d) }))));
    await runStep(step, run);
    outs.push((await run.readAll('exact_substring/data/00000.parquet')).toString('hex') + (await run.readAll('exact_substring/data/00001.parquet')).toString('hex'));
  }
  assert.equal(outs[0], outs[1]);
});

test('exact_substring: tokenColumns narrows ids and offset steps to the narrowest width, steps restart at each document (empty ones too)', () => {
  const { tokenColumns } = winnowKernels();
  const tokens = Uint32Array.from([5, 300, 7, 9, 65535]);
  // Documents of 2, 0, 3 tokens; offsets restart at 0 in each.
  const offsets = Uint32Array.from([0, 4, 2, 2, 260]);
  const c = tokenColumns(tokens, offsets, Int32Array.from([2, 0, 3]));
  assert.ok(c.ids instanceof Uint16Array);
  assert.deepEqual(Array.from(c.ids), [5, 300, 7, 9, 65535]);
  assert.ok(c.steps instanceof Uint16Array, 'a step of 258 needs 16 bits');
  assert.deepEqual(Array.from(c.steps), [0, 4, 2, 0, 258]);
  const small = tokenColumns(Uint16Array.from([1, 2, 3]), Uint32Array.from([3, 4, 9]), Uint32Array.from([3]));
  assert.ok(small.ids instanceof Uint8Array && small.steps instanceof Uint8Array);
  assert.deepEqual([Array.from(small.ids), Array.from(small.steps)], [[1, 2, 3], [3, 1, 5]]);
  assert.ok(tokenColumns(Uint32Array.from([70000]), Uint32Array.from([0]), Uint32Array.from([1])).ids instanceof Uint32Array);
  assert.throws(() => tokenColumns(tokens, offsets, Int32Array.from([2, 2])), /sum to tokens.length/);
  assert.throws(() => tokenColumns(Uint32Array.from([1, 2]), Uint32Array.from([5, 3]), Uint32Array.from([2])), /offsets decrease/);
});

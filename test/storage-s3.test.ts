import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { s3Storage } from '../src/storage/s3.js';
import { expandInputSources, expandInputs, openInput, openStorage } from '../src/storage/open.js';
import { RefineryError } from '../src/errors.js';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolveRetry, type RetryCounts } from '../src/storage/retry.js';
import { startS3rver, type RunningS3 } from './helpers/s3.js';
import { faultCycle, faultWhen, startFlakyProxy } from './helpers/flaky-proxy.js';

const MB = 1024 * 1024;
const big = randomBytes(8 * MB + 12345);
let s3: RunningS3;

const fast = (retryCounts: RetryCounts = {}, maxRetries = 4) => ({ retryCounts, maxRetries, baseDelayMs: 1, maxDelayMs: 5 });

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

before(async () => {
  s3 = await startS3rver();
  const seed = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(), ...fast() });
  await seed.writeAll('warcs/big.warc.gz', big);
});

after(async () => {
  await s3?.stop();
});

test('s3: writeAll / exists / readAll / ranged read / list (paginated, directory-like) / delete', async () => {
  const store = s3Storage(`s3://${s3.bucket}/run1`, { ...s3.s3Options(), ...fast(), pageSize: 2 });
  assert.equal(store.root, `s3://${s3.bucket}/run1`);
  for (const name of ['a/1.json', 'a/2.json', 'a/sub/3.json', 'ab/4.json', 'top.txt']) await store.writeAll(name, `content of ${name}`);
  assert.equal(await store.exists('a/1.json'), true);
  assert.equal(await store.exists('a/nope.json'), false);
  assert.equal((await store.readAll('a/sub/3.json')).toString(), 'content of a/sub/3.json');

  const all = await store.list('');
  assert.deepEqual(all.map((o) => o.path), ['a/1.json', 'a/2.json', 'a/sub/3.json', 'ab/4.json', 'top.txt'], 'three pages of 2 keys');
  assert.equal(all[0]!.size, 'content of a/1.json'.length);
  assert.deepEqual((await store.list('a')).map((o) => o.path), ['a/1.json', 'a/2.json', 'a/sub/3.json'], "'a' is a folder: not 'ab'");

  const bigStore = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(), ...fast() });
  const slice = await collect(bigStore.read('warcs/big.warc.gz', { start: 3 * MB + 5, end: 5 * MB }));
  assert.ok(slice.equals(big.subarray(3 * MB + 5, 5 * MB)));
  assert.equal((await collect(bigStore.read('warcs/big.warc.gz', { start: big.length }))).length, 0, 'past the end: empty');

  await store.delete('a'); // like rm -r
  assert.deepEqual((await store.list('')).map((o) => o.path), ['ab/4.json', 'top.txt']);
  await store.delete('top.txt');
  assert.equal(await store.exists('top.txt'), false);
  await assert.rejects(store.readAll('top.txt'), (e: unknown) => e instanceof RefineryError && e.code === 'ERR_STORAGE' && /run1\/top\.txt/.test(e.message));
  await store.delete(''); // the whole prefix
  assert.deepEqual(await store.list(''), []);
  assert.equal(await bigStore.exists('warcs/big.warc.gz'), true, 'nothing outside the prefix');
});

test('s3: create() is a multipart upload invisible until commit, and gone after abort', async () => {
  const store = s3Storage(`s3://${s3.bucket}/mp`, { ...s3.s3Options(), ...fast(), partSize: 5 * MB });
  const data = randomBytes(12 * MB + 1);
  const w = await store.create('shard-0.parquet');
  for (let i = 0; i < data.length; i += MB) await w.write(data.subarray(i, i + MB));
  assert.equal(await store.exists('shard-0.parquet'), false, 'two parts uploaded, object not visible yet');
  assert.deepEqual(await store.list(''), []);
  await w.commit();
  assert.equal(await store.exists('shard-0.parquet'), true);
  assert.ok((await store.readAll('shard-0.parquet')).equals(data), 'three parts reassembled in order');

  const aborted = await store.create('shard-1.parquet');
  await aborted.write(data.subarray(0, 6 * MB)); // one part uploaded
  await aborted.abort();
  assert.equal(await store.exists('shard-1.parquet'), false);

  const small = await store.create('small.json');
  await small.write(Buffer.from('{"a":'));
  await small.write(Buffer.from('1}'));
  assert.equal(await store.exists('small.json'), false);
  await small.commit();
  assert.equal((await store.readAll('small.json')).toString(), '{"a":1}');
  const smallAborted = await store.create('small2.json');
  await smallAborted.write(Buffer.from('x'));
  await smallAborted.abort();
  assert.deepEqual((await store.list('')).map((o) => o.path), ['shard-0.parquet', 'small.json']);
});

test('s3: a connection killed mid-object is resumed with a Range from the last byte; bytes identical', async () => {
  const proxy = await startFlakyProxy({
    targetPort: s3.port,
    plan: faultWhen(new RegExp(`^GET /${s3.bucket}/warcs/big\\.warc\\.gz`), { kind: 'drop', afterBytes: 3 * MB }),
  });
  try {
    const counts: RetryCounts = {};
    const store = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(proxy.url), ...fast(counts) });
    const got = await collect(store.read('warcs/big.warc.gz'));
    assert.equal(proxy.injected.drop, 1, 'the proxy did cut the first GET');
    assert.equal(got.length, big.length);
    assert.ok(got.equals(big), 'bytes identical to the object');
    assert.deepEqual(counts, { s3_reset: 1 });
  } finally {
    await proxy.stop();
  }
});

test('s3: 503 SlowDown on writes and reads is retried and counted; a dead endpoint fails with ERR_STORAGE', async () => {
  const proxy = await startFlakyProxy({ targetPort: s3.port, plan: faultWhen(/^(PUT|GET) /, { kind: '503' }, 3) });
  try {
    const counts: RetryCounts = {};
    const store = s3Storage(`s3://${s3.bucket}/slow`, { ...s3.s3Options(proxy.url), ...fast(counts) });
    await store.writeAll('x.json', '{"ok":true}');
    assert.equal((await store.readAll('x.json')).toString(), '{"ok":true}');
    assert.equal(proxy.injected['503'], 3);
    assert.deepEqual(counts, { s3_throttle: 3 });

    proxy.setPlan(() => ({ kind: 'reset' }));
    const dead: RetryCounts = {};
    const deadStore = s3Storage(`s3://${s3.bucket}/slow`, { ...s3.s3Options(proxy.url), ...fast(dead, 2), idleTimeoutMs: 2000 });
    await assert.rejects(collect(deadStore.read('x.json', { start: 3 })), (e: unknown) => {
      assert.ok(e instanceof RefineryError);
      assert.equal(e.code, 'ERR_STORAGE');
      assert.equal(e.location.file, `s3://${s3.bucket}/slow/x.json`);
      assert.equal(e.location.offset, 3);
      return true;
    });
    assert.deepEqual(dead, { s3_reset: 2 });
  } finally {
    await proxy.stop();
  }
});

test('s3: openStorage/openInput/expandInputs understand s3:// URLs', async () => {
  const opts = { ...s3.s3Options(), ...fast() };
  const store = openStorage(`s3://${s3.bucket}/inputs/`, opts);
  assert.equal(store.root, `s3://${s3.bucket}/inputs`);
  await store.writeAll('CC-MAIN-1.warc.gz', 'w1');
  await store.writeAll('sub/CC-MAIN-2.warc.gz', 'w2');
  await store.writeAll('sub/notes.txt', 'not an input');
  await store.writeAll('docs.jsonl.zst', 'j');

  assert.deepEqual(await expandInputs([`s3://${s3.bucket}/inputs/`], opts), [
    `s3://${s3.bucket}/inputs/CC-MAIN-1.warc.gz`,
    `s3://${s3.bucket}/inputs/docs.jsonl.zst`,
    `s3://${s3.bucket}/inputs/sub/CC-MAIN-2.warc.gz`,
  ]);
  assert.deepEqual(await expandInputs([`s3://${s3.bucket}/inputs/sub`], opts), [`s3://${s3.bucket}/inputs/sub/CC-MAIN-2.warc.gz`]);
  assert.deepEqual(await expandInputSources([`s3://${s3.bucket}/inputs/sub/`, `s3://${s3.bucket}/inputs/x.warc.gz`], opts), [
    { uri: `s3://${s3.bucket}/inputs/sub/CC-MAIN-2.warc.gz`, size: 2 }, // sized by the listing
    { uri: `s3://${s3.bucket}/inputs/x.warc.gz` }, // a single key: not checked, not sized
  ]);

  const input = await openInput(`s3://${s3.bucket}/inputs/sub/CC-MAIN-2.warc.gz`, opts);
  assert.equal(input.name, 'CC-MAIN-2.warc.gz');
  assert.equal(input.size, 2);
  await assert.rejects(openInput(`s3://${s3.bucket}/inputs/missing.warc.gz`, opts), { code: 'ERR_STORAGE' });
  assert.equal((await collect(input.read())).toString(), 'w2');
});

test('s3: a response idle longer than idleTimeoutMs is abandoned and retried (counted as timeout)', async () => {
  const proxy = await startFlakyProxy({ targetPort: s3.port, plan: faultWhen(/^GET /, { kind: 'delay', ms: 1500 }) });
  try {
    const counts: RetryCounts = {};
    const store = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(proxy.url), ...fast(counts), idleTimeoutMs: 300 });
    const got = await collect(store.read('warcs/big.warc.gz', { start: 100, end: 200_000 }));
    assert.ok(got.equals(big.subarray(100, 200_000)));
    assert.equal(proxy.injected.delay, 1);
    assert.deepEqual(counts, { s3_timeout: 1 });
  } finally {
    await proxy.stop();
  }
});

test('s3: under a chaos proxy (SlowDown, resets, cut bodies) a multipart write and its read-back are exact', async () => {
  const proxy = await startFlakyProxy({
    targetPort: s3.port,
    plan: faultCycle(/^(GET|PUT|POST|HEAD) /, [{ kind: '503' }, { kind: 'reset' }, { kind: 'drop', afterBytes: 1_500_000 }], 2),
  });
  try {
    const counts: RetryCounts = {};
    const store = s3Storage(`s3://${s3.bucket}/chaos`, { ...s3.s3Options(proxy.url), ...fast(counts, 6), partSize: 5 * MB });
    const data = randomBytes(11 * MB);
    const w = await store.create('part-0.parquet');
    for (let i = 0; i < data.length; i += 512 * 1024) await w.write(data.subarray(i, i + 512 * 1024));
    await w.commit();
    await store.writeAll('done/0', '');
    const back = await collect(store.read('part-0.parquet'));
    assert.ok(back.equals(data), 'read back through the chaos proxy: identical');
    assert.deepEqual((await store.list('')).map((o) => o.path), ['done/0', 'part-0.parquet']);
    const injected = proxy.injected['503'] + proxy.injected.reset + proxy.injected.drop;
    const retried = Object.values(counts).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 2, `faults injected: ${JSON.stringify(proxy.injected)}`);
    assert.ok(retried >= 2, `retries counted: ${JSON.stringify(counts)}`);
  } finally {
    await proxy.stop();
  }
});

test('s3: endpoint and credentials come from AWS_ENDPOINT_URL / S3_ENDPOINT and AWS_* env vars (path-style)', async () => {
  const saved = { ...process.env };
  try {
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'S3_ENDPOINT', 'AWS_PROFILE']) delete process.env[k];
    Object.assign(process.env, s3.env);
    const viaAws = openStorage(`s3://${s3.bucket}/env`, fast());
    await viaAws.writeAll('a.txt', 'from env');
    delete process.env.AWS_ENDPOINT_URL;
    process.env.S3_ENDPOINT = s3.endpoint;
    process.env.AWS_REGION = 'eu-west-1'; // a different client; s3rver ignores the region
    const viaS3Endpoint = openStorage(`s3://${s3.bucket}/env`, fast());
    assert.equal((await viaS3Endpoint.readAll('a.txt')).toString(), 'from env');
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('s3: an object replaced between a dropped connection and the resume is an error, not a spliced file', async () => {
  const direct = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(), ...fast() });
  await direct.writeAll('warcs/replaced.warc.gz', big);
  // First GET: cut after 2 MB. Second GET (the resume): replace the object before forwarding it.
  // (Replacing it while s3rver streams it would stall that response: s3rver overwrites in place.)
  const cut = faultWhen(/^GET \S*replaced/, { kind: 'drop', afterBytes: 2 * MB });
  let gets = 0;
  const proxy = await startFlakyProxy({
    targetPort: s3.port,
    plan: async (conn) => {
      if (/^GET \S*replaced/.test(conn.firstRequest) && ++gets === 2) {
        await direct.writeAll('warcs/replaced.warc.gz', randomBytes(big.length));
      }
      return cut(conn);
    },
  });
  try {
    const store = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(proxy.url), ...fast() });
    await assert.rejects(collect(store.read('warcs/replaced.warc.gz')), (e: unknown) => {
      assert.ok(e instanceof RefineryError && e.code === 'ERR_STORAGE');
      assert.match(e.message, /changed/);
      assert.ok(e.location.offset! > 0, 'the error names the offset the resume started at');
      return true;
    });
    assert.equal(gets, 2);
    assert.equal(proxy.injected.drop, 1);
  } finally {
    await proxy.stop();
  }
});

test('s3: an endpoint that accepts TCP and never answers is given up on after REFINERY_STORAGE_TIMEOUT_MS x 3', { timeout: 20_000 }, async () => {
  // Accepts, reads the request, never answers (a hung proxy or a half-dead server).
  const sockets: import('node:net').Socket[] = [];
  const silent = createServer((sock) => {
    sockets.push(sock);
    sock.on('data', () => {});
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  const saved = process.env.REFINERY_STORAGE_TIMEOUT_MS;
  process.env.REFINERY_STORAGE_TIMEOUT_MS = '300';
  try {
    const counts: RetryCounts = {};
    // Default retry budget (6): only the timeout setting is short.
    const store = s3Storage(`s3://${s3.bucket}/silent`, { ...s3.s3Options(`http://127.0.0.1:${port}`), retryCounts: counts, baseDelayMs: 1, maxDelayMs: 5 });
    const t0 = performance.now();
    await assert.rejects(collect(store.read('x.warc.gz')), (e: unknown) => {
      assert.ok(e instanceof RefineryError && e.code === 'ERR_STORAGE');
      assert.match(e.message, /no answer/);
      return true;
    });
    await assert.rejects(store.exists('x.warc.gz'), { code: 'ERR_STORAGE' });
    assert.deepEqual(counts, { s3_timeout: 4 }, '2 retries per request, then given up');
    assert.ok(performance.now() - t0 < 15_000);
  } finally {
    if (saved === undefined) delete process.env.REFINERY_STORAGE_TIMEOUT_MS;
    else process.env.REFINERY_STORAGE_TIMEOUT_MS = saved;
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('storage: by default a server that never answers is given up on in well under a minute', () => {
  const r = resolveRetry({});
  // (timeouts in a row allowed + 1) attempts of one timeout each, plus the longest backoffs between them.
  let worst = (r.maxTimeoutRetries + 1) * r.timeoutMs;
  for (let a = 0; a < r.maxTimeoutRetries; a++) worst += Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** a);
  assert.ok(worst <= 35_000, `worst case ${worst} ms`);
});

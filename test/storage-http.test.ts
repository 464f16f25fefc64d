import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readHttp } from '../src/storage/http.js';
import { RefineryError } from '../src/errors.js';
import type { RetryCounts } from '../src/storage/retry.js';
import { startRangeServer } from './helpers/range-server.js';

const MB = 1024 * 1024;
const file = randomBytes(6 * MB);
const fast = (retryCounts: RetryCounts, maxRetries = 4) => ({ retryCounts, maxRetries, baseDelayMs: 1, maxDelayMs: 5 });

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

test('http: a connection dropped mid-file is resumed with Range from the last byte received', async () => {
  const server = await startRangeServer(file, { dropOnceAt: 2_500_000 });
  try {
    const counts: RetryCounts = {};
    const got = await collect(readHttp(`${server.url}/CC-MAIN-x.warc.gz`, undefined, fast(counts)));
    assert.equal(got.length, file.length);
    assert.ok(got.equals(file), 'streamed bytes equal the file');
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]!.range, undefined, 'first request reads the whole file');
    const m = /^bytes=(\d+)-$/.exec(server.requests[1]!.range ?? '');
    assert.ok(m, `resume asks for an open range, got ${server.requests[1]!.range}`);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) <= 2_500_000, 'resume starts where the drop happened, not at 0');
    assert.equal(server.requests[1]!.status, 206);
    assert.equal(counts.http_reset, 1);
  } finally {
    await server.stop();
  }
});

test('http: a byte range [start, end) with a drop inside it is resumed and clipped', async () => {
  const server = await startRangeServer(file, { dropOnceAt: 2 * MB });
  try {
    const counts: RetryCounts = {};
    const got = await collect(readHttp(`${server.url}/f`, { start: MB + 7, end: 3 * MB + 1 }, fast(counts)));
    assert.ok(got.equals(file.subarray(MB + 7, 3 * MB + 1)));
    assert.equal(server.requests[0]!.range, `bytes=${MB + 7}-${3 * MB}`);
    assert.match(server.requests[1]!.range ?? '', new RegExp(`^bytes=\\d+-${3 * MB}$`));
    assert.equal(counts.http_reset, 1);
  } finally {
    await server.stop();
  }
});

test('http: a server that ignores Range is re-read from the start, skipping bytes already delivered', async () => {
  const server = await startRangeServer(file, { dropOnceAt: 3 * MB + 123, ignoreRange: true });
  try {
    const counts: RetryCounts = {};
    const got = await collect(readHttp(`${server.url}/f`, undefined, fast(counts)));
    assert.ok(got.equals(file), 'no byte duplicated or lost');
    assert.equal(server.requests.length, 2);
    assert.match(server.requests[1]!.range ?? '', /^bytes=\d+-$/, 'the resume did ask for a range');
    assert.equal(server.requests[1]!.status, 200, 'and the server answered with the whole file');
  } finally {
    await server.stop();
  }
});

test('http: a server that answers a range with a smaller one is asked again for the rest (no retry)', async () => {
  const server = await startRangeServer(file, { maxRangeBytes: MB });
  try {
    const counts: RetryCounts = {};
    const got = await collect(readHttp(`${server.url}/f`, { start: 10, end: 3 * MB + 500 }, fast(counts)));
    assert.ok(got.equals(file.subarray(10, 3 * MB + 500)));
    assert.deepEqual(
      server.requests.map((r) => r.range),
      [`bytes=10-${3 * MB + 499}`, `bytes=${MB + 10}-${3 * MB + 499}`, `bytes=${2 * MB + 10}-${3 * MB + 499}`, `bytes=${3 * MB + 10}-${3 * MB + 499}`],
    );
    assert.deepEqual(counts, {});
  } finally {
    await server.stop();
  }
});

test('http: 503 twice then success is retried with backoff and counted as throttling', async () => {
  const server = await startRangeServer(file, { failFirst: 2 });
  try {
    const counts: RetryCounts = {};
    const got = await collect(readHttp(`${server.url}/f`, undefined, fast(counts)));
    assert.ok(got.equals(file));
    assert.deepEqual(server.requests.map((r) => r.status), [503, 503, 200]);
    assert.deepEqual(counts, { http_throttle: 2 });
  } finally {
    await server.stop();
  }
});

test('http: a server that keeps failing ends in ERR_STORAGE naming the URL and offset after maxRetries', async () => {
  const server = await startRangeServer(file, { alwaysFail: true, failStatus: 502 });
  try {
    const counts: RetryCounts = {};
    const url = `${server.url}/dead.warc.gz`;
    await assert.rejects(collect(readHttp(url, { start: 1000 }, fast(counts, 3))), (e: unknown) => {
      assert.ok(e instanceof RefineryError);
      assert.equal(e.code, 'ERR_STORAGE');
      assert.equal(e.location.file, url);
      assert.equal(e.location.offset, 1000);
      assert.match(e.message, /dead\.warc\.gz.*offset 1000.*3 retries/);
      return true;
    });
    assert.equal(server.requests.length, 4, 'first attempt + 3 retries, then stop');
    assert.deepEqual(counts, { http_5xx: 3 });
  } finally {
    await server.stop();
  }
});

test('http: 404 is permanent: one request, no retry', async () => {
  const server = await startRangeServer(file, { alwaysFail: true, failStatus: 404 });
  try {
    const counts: RetryCounts = {};
    await assert.rejects(collect(readHttp(`${server.url}/missing`, undefined, fast(counts))), { code: 'ERR_STORAGE' });
    assert.equal(server.requests.length, 1);
    assert.deepEqual(counts, {});
  } finally {
    await server.stop();
  }
});

test('http: an object replaced between the drop and the resume is an error, not a spliced file', async () => {
  let server: Awaited<ReturnType<typeof startRangeServer>> | undefined;
  server = await startRangeServer(file, { dropOnceAt: MB, onDrop: () => server!.setData(randomBytes(5 * MB)) });
  try {
    await assert.rejects(collect(readHttp(`${server.url}/f`, undefined, fast({}))), (e: unknown) => {
      assert.ok(e instanceof RefineryError && e.code === 'ERR_STORAGE');
      assert.match(e.message, /changed/);
      return true;
    });
  } finally {
    await server.stop();
  }
});

test('http: a range starting at or past the end is empty', async () => {
  const server = await startRangeServer(file.subarray(0, 1000));
  try {
    assert.equal((await collect(readHttp(`${server.url}/f`, { start: 1000 }, fast({})))).length, 0);
    assert.equal((await collect(readHttp(`${server.url}/f`, { start: 10, end: 10 }, fast({})))).length, 0);
  } finally {
    await server.stop();
  }
});

test('http: REFINERY_STORAGE_RETRIES / _RETRY_BASE_MS set the policy when options do not', async () => {
  const server = await startRangeServer(file, { alwaysFail: true });
  const saved = { ...process.env };
  try {
    process.env.REFINERY_STORAGE_RETRIES = '2';
    process.env.REFINERY_STORAGE_RETRY_BASE_MS = '1';
    const counts: RetryCounts = {};
    await assert.rejects(collect(readHttp(`${server.url}/f`, undefined, { retryCounts: counts })), { code: 'ERR_STORAGE' });
    assert.equal(server.requests.length, 3);
    assert.deepEqual(counts, { http_throttle: 2 });
    process.env.REFINERY_STORAGE_RETRIES = 'many';
    assert.throws(() => readHttp(`${server.url}/f`), { code: 'ERR_CONFIG' });
  } finally {
    process.env = saved;
    await server.stop();
  }
});

test('http: HTTP_PROXY is honoured (the request is tunnelled through the proxy)', async () => {
  // A forward proxy that answers CONNECT for any host by tunnelling to the range server, so
  // `http://refinery-test.invalid/f` only works if the request really goes through the proxy.
  const origin = await startRangeServer(file.subarray(0, 5000));
  const originPort = Number(new URL(origin.url).port);
  const tunnels: string[] = [];
  const proxy = createServer((_req, res) => res.writeHead(501).end());
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const upstream = connect(originPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const saved = { ...process.env };
  try {
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'http_proxy']) delete process.env[k];
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const got = await collect(readHttp('http://refinery-test.invalid/f', undefined, { ...fast({}), headersTimeoutMs: 5000 }));
    assert.ok(got.equals(file.subarray(0, 5000)));
    assert.deepEqual(tunnels, ['refinery-test.invalid:80']);
    assert.equal(origin.requests.length, 1);
  } finally {
    process.env = saved;
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
    await origin.stop();
  }
});

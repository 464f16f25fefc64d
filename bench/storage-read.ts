/**
 * Read throughput of the storage layer on loopback: local file, HTTP (undici, Range server),
 * HTTP with one dropped connection (resume), S3 GET through s3rver. Prints MB/s and CPU ms per
 * MB of this process, which also runs the servers: both are upper bounds of the client's cost.
 * Usage: node dist/bench/storage-read.js [MB=128]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInput } from '../src/storage/open.js';
import { readHttp } from '../src/storage/http.js';
import { s3Storage } from '../src/storage/s3.js';
import { startRangeServer } from '../test/helpers/range-server.js';
import { startS3rver } from '../test/helpers/s3.js';

const mb = Number(process.argv[2] ?? 128);
const data = randomBytes(mb * 1024 * 1024);

async function measure(name: string, open: () => Promise<AsyncIterable<Uint8Array>>, after?: () => Promise<void>): Promise<void> {
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const it = await open();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    for await (const c of it) n += c.byteLength;
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (n !== data.length) throw new Error(`${name}: read ${n} of ${data.length} bytes`);
    runs.push({ wall, cpu: (cpu.user + cpu.system) / 1000 });
    await after?.();
  }
  runs.sort((a, b) => a.wall - b.wall);
  const med = runs[1]!;
  console.log(`${name.padEnd(28)} ${(mb / (med.wall / 1000)).toFixed(0).padStart(6)} MB/s   ${(med.cpu / mb).toFixed(2)} CPU ms/MB (median of 3, ${mb} MB)`);
}

const dir = await mkdtemp(join(tmpdir(), 'refinery-bench-'));
const path = join(dir, 'x.bin');
await writeFile(path, data);
const local = await openInput(path);
await measure('local file', async () => local.read());

const http = await startRangeServer(data);
await measure('http (undici)', async () => readHttp(`${http.url}/x`, undefined, { retryCounts: {} }));
await http.stop();

// A fresh server per run, each cutting the connection once half-way.
let dropping: Awaited<ReturnType<typeof startRangeServer>> | undefined;
await measure(
  'http, 1 drop + resume',
  async () => {
    dropping = await startRangeServer(data, { dropOnceAt: Math.floor(data.length / 2) });
    return readHttp(`${dropping.url}/x`, undefined, { retryCounts: {}, baseDelayMs: 1 });
  },
  async () => dropping!.stop(),
);

const s3 = await startS3rver();
const store = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(), retryCounts: {} });
await store.writeAll('x.bin', data);
await measure('s3 GET (s3rver)', async () => store.read('x.bin'));
await s3.stop();
await rm(dir, { recursive: true });

// The run lock (src/run-lock.ts) on local disk and on a real S3 server (s3rver, which ignores
// If-None-Match on PUT: the claims fallback is what runs there).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, LOCK_FILE, type RunLock } from '../src/run-lock.js';
import { localStorage } from '../src/storage/local.js';
import { s3Storage } from '../src/storage/s3.js';
import { RefineryError } from '../src/errors.js';
import type { Storage } from '../src/storage/storage.js';
import { startS3rver, type RunningS3 } from './helpers/s3.js';

const dir = mkdtempSync(join(tmpdir(), 'refinery-lock-'));
let s3: RunningS3 | undefined;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await s3?.stop();
});

const locked = (e: unknown) => e instanceof RefineryError && e.code === 'ERR_LOCKED';

/** Many contenders at once: exactly one gets the lock, the others ERR_LOCKED; after release, the next one can. */
async function contend(open: () => Storage, n: number): Promise<{ winners: RunLock[]; logs: string[] }> {
  const logs: string[] = [];
  const results = await Promise.allSettled(Array.from({ length: n }, () => acquireRunLock(open(), { command: 'test', log: (m) => logs.push(m) })));
  for (const r of results) if (r.status === 'rejected') assert.ok(locked(r.reason), String(r.reason));
  return { winners: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])), logs };
}

test('local: of 8 concurrent acquirers at most one wins; the lock names pid and host; release frees it', async () => {
  const root = join(dir, 'run-a');
  const { winners } = await contend(() => localStorage(root), 8);
  assert.equal(winners.length, 1);
  const held = winners[0]!;
  assert.equal(held.holder.pid, process.pid);
  assert.equal(held.holder.host, hostname());
  await assert.rejects(acquireRunLock(localStorage(root), { command: 'x', log: () => {} }), (e: unknown) => locked(e) && (e as Error).message.includes(`pid ${process.pid} on ${hostname()}`));
  await held.release();
  const next = await acquireRunLock(localStorage(root), { command: 'x', log: () => {} });
  next.releaseSync!();
  assert.equal(await localStorage(root).exists(LOCK_FILE), false, 'releaseSync removes it');
});

test('local: a lock of a reused pid (same pid, other start time) is stale', async () => {
  const root = join(dir, 'run-b');
  const store = localStorage(root);
  await store.writeAll(LOCK_FILE, JSON.stringify({ pid: process.pid, host: hostname(), started: 'then', command: 'old', procStart: '1' }));
  const logs: string[] = [];
  const lock = await acquireRunLock(store, { command: 'new', log: (m) => logs.push(m) });
  assert.match(logs.join('\n'), /taking over a stale lock/);
  await lock.release();
});

test('local: an unreadable lock file is held, with the way to clear it', async () => {
  const root = join(dir, 'run-c');
  localStorage(root);
  await localStorage(root).writeAll('x', '');
  writeFileSync(join(root, LOCK_FILE), 'garbage');
  await assert.rejects(acquireRunLock(localStorage(root), { command: 'x', log: () => {} }), (e: unknown) => locked(e) && (e as Error).message.includes(`rm ${join(root, LOCK_FILE)}`));
});

test('s3 (s3rver ignores If-None-Match): claims fallback, at most one of 4 concurrent acquirers wins', async () => {
  s3 = await startS3rver();
  const open = () => s3Storage(`s3://${s3!.bucket}/runs/one`, { ...s3!.s3Options(), maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 });
  const { winners, logs } = await contend(open, 4);
  assert.ok(winners.length <= 1, `${winners.length} winners`);
  assert.match(logs.join('\n'), /ignores conditional writes/);
  for (const w of winners) await w.release();
  // Alone, it always gets it; a second one is refused naming the first; release clears everything.
  const first = await acquireRunLock(open(), { command: 'first', log: () => {} });
  await assert.rejects(acquireRunLock(open(), { command: 'second', log: () => {} }), (e: unknown) => locked(e) && (e as Error).message.includes(`pid ${process.pid}`) && (e as Error).message.includes('(first)'));
  await first.release();
  assert.deepEqual(await open().list(''), []);
});

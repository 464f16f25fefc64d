/**
 * The run directory's lock (`<run>/run.lock`): one `refinery run` at a time per output, so two
 * runs cannot both check run.json, both pass, and write over each other's tasks. Only the
 * orchestrator takes it; the tasks it launches (pool workers, `refinery task`, Slurm arrays)
 * never look at it.
 *
 * - Local disk: the lock file is created with O_EXCL and holds pid, host, start time and the
 *   command. A lock whose process is gone (same host, pid not alive, or alive but started at
 *   another time: a reused pid) is stale: it is taken over, and the run says so. A lock of
 *   another host cannot be checked from here: the message says how to remove it.
 * - S3: a conditional put (`If-None-Match: *`, AWS S3 since 2024, MinIO). Some servers ignore
 *   the condition (s3rver, the test server: a second put silently overwrites), so the put is
 *   repeated once: a server that accepts it does not enforce the condition, and refinery then
 *   falls back to claims: it writes `run.lock.d/<token>`, lists `run.lock.d/`, and holds the
 *   lock only if its claim is the only one. S3 lists are consistent after writes, so of two
 *   runs that race, the one that lists second sees the other's claim: at most one wins (both
 *   may lose, and say so). Staleness is checked as on disk when the holder is on this host.
 * Released at exit: normal end, errors, SIGINT and SIGTERM (the CLI's handlers).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { RefineryError } from './errors.js';
import type { Storage } from './storage/storage.js';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  command: string;
  /** Start time of the process (Linux: /proc/<pid>/stat field 22), to tell a reused pid. */
  procStart?: string;
  token?: string;
}

export interface RunLock {
  readonly holder: LockHolder;
  /** Remove the lock if it is still ours. */
  release(): Promise<void>;
  /** The same, synchronously, for `process.on('exit')` (local disk only; S3 needs a request). */
  releaseSync?(): void;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Is the holder's process still running? Only answerable on its own host. */
export function holderAlive(h: LockHolder): boolean | undefined {
  if (h.host !== hostname()) return undefined;
  if (!Number.isInteger(h.pid) || h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = procStart(h.pid);
  return !(h.procStart && now && now !== h.procStart);
}

function describe(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} since ${h.started} (${h.command})`;
}

async function readHolder(run: Storage): Promise<LockHolder | undefined> {
  // The file is written right after it is created: an empty read is retried once.
  for (let attempt = 0; attempt < 2; attempt++) {
    let text: string;
    try {
      text = (await run.readAll(LOCK_FILE)).toString('utf8');
    } catch {
      return undefined;
    }
    if (text.trim()) {
      try {
        return JSON.parse(text) as LockHolder;
      } catch {
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: 0, host: '?', started: '?', command: 'unreadable lock file' };
}

function lockPath(run: Storage): string {
  return `${run.root.replace(/\/+$/, '')}/${LOCK_FILE}`;
}

function lockedError(run: Storage, h: LockHolder, why = ''): RefineryError {
  const remove = run.root.startsWith('s3://') ? `aws s3 rm ${lockPath(run)}` : `rm ${lockPath(run)}`;
  return new RefineryError(
    'ERR_LOCKED',
    `${run.root} is in use by another run: ${describe(h)}${why}. Wait for it to end, or give another --output; ` +
      `if no run is using it any more, remove the lock: ${remove}`,
  );
}

/**
 * Take the lock of a run directory, or throw ERR_LOCKED naming the holder. A stale lock of a
 * dead process on this host is taken over (logged).
 */
export async function acquireRunLock(run: Storage, opts: { command: string; log(m: string): void }): Promise<RunLock> {
  if (!run.createExclusive) throw new RefineryError('ERR_OUTPUT', `${run.root}: this storage cannot take a lock`);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: opts.command, procStart: procStart(process.pid), token: randomBytes(8).toString('hex') };
  const body = JSON.stringify(me, null, 1) + '\n';
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(run.root);
  for (let attempt = 0; ; attempt++) {
    // (On a server that ignores If-None-Match the put would overwrite: look first.)
    if (!(remote && (await run.exists(LOCK_FILE))) && (await run.createExclusive(LOCK_FILE, body))) break;
    const holder = await readHolder(run);
    if (!holder) continue; // released between our put and our read: try again
    if (holderAlive(holder) === false && attempt === 0) {
      opts.log(`taking over a stale lock of ${run.root}: ${describe(holder)} is no longer running`);
      await run.delete(LOCK_FILE);
      await run.delete(CLAIMS);
      continue;
    }
    throw lockedError(run, holder, holderAlive(holder) === undefined ? ` (another host: refinery cannot tell whether it still runs)` : '');
  }
  let claim: string | undefined;
  if (remote && (await run.createExclusive(LOCK_FILE, body))) claim = await claimLock(run, me, body, opts.log);
  const ours = async () => (await readHolder(run))?.token === me.token;
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(run.root);
  return {
    holder: me,
    async release() {
      if (await ours().catch(() => false)) await run.delete(LOCK_FILE);
      if (claim) await run.delete(claim).catch(() => undefined);
    },
    releaseSync: local
      ? () => {
          const file = join(run.root, LOCK_FILE);
          try {
            if ((JSON.parse(readFileSync(file, 'utf8')) as LockHolder).token === me.token) unlinkSync(file);
          } catch {
            // gone already, or not ours
          }
        }
      : undefined,
  };
}

const CLAIMS = 'run.lock.d';

/** The fallback for servers that ignore If-None-Match (file comment): a claim, then a list. */
async function claimLock(run: Storage, me: LockHolder, body: string, log: (m: string) => void): Promise<string> {
  log(`note: the S3 server of ${run.root} ignores conditional writes (If-None-Match); the run lock uses claims in ${CLAIMS}/`);
  const mine = `${CLAIMS}/${me.token}`;
  await run.writeAll(mine, body);
  const others = (await run.list(CLAIMS)).filter((o) => o.path !== mine);
  if (others.length) {
    await run.delete(mine);
    let holder = await readHolder(run);
    // Our put may have overwritten the winner's lock file: take ours away (its claim still holds).
    if (holder?.token === me.token) {
      await run.delete(LOCK_FILE);
      holder = undefined;
    }
    const clear = `aws s3 rm ${lockPath(run)}; aws s3 rm --recursive ${run.root.replace(/\/+$/, '')}/${CLAIMS}/`;
    throw new RefineryError('ERR_LOCKED', `${run.root} is in use by another run (${holder ? describe(holder) : 'started at the same time'}). Wait for it to end, or give another --output; if no run is using it any more: ${clear}`);
  }
  // Won: the lock file names us (a loser's put may have overwritten it).
  await run.writeAll(LOCK_FILE, body);
  return mine;
}

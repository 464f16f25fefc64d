import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { RefineryError } from '../errors.js';
import type { AtomicWriter, FillableRead, ObjectInfo, Storage } from './storage.js';

/**
 * A temporary's name says who writes it (`<final>.tmp-<host>-<pid>-<random>`), so a later run
 * can tell a temporary left by a dead process from one a live task is writing (src/run-dir.ts).
 */
export function tempName(final: string): string {
  return `${final}.tmp-${hostname().replace(/[^\w.-]/g, '_')}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The owner of a temporary from its name (undefined for names without one: older versions). */
export function tempOwner(name: string): { host: string; pid: number } | undefined {
  const m = /\.tmp-(.+)-(\d+)-[0-9a-f]{12}$/.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

/** A failed write of the run directory (disk full, permissions, a file where a folder should be): ERR_OUTPUT with the path. */
function outputError(path: string, e: unknown): unknown {
  const errno = (e as NodeJS.ErrnoException)?.code;
  if (e instanceof RefineryError || !errno) return e;
  const why = errno === 'ENOSPC' ? 'no space left on the device (ENOSPC)' : errno === 'EEXIST' || errno === 'ENOTDIR' ? `a file is in the way of a folder (${errno})` : (e as Error).message;
  return new RefineryError('ERR_OUTPUT', `cannot write: ${why}`, { file: path }, { cause: e });
}

/** Largest chunk a ranged read yields (memory per read in flight). */
const READ_CHUNK = 8 << 20;

/** Local directory storage: temp name in the same folder, then rename (atomic on POSIX). */
export function localStorage(rootDir: string): Storage {
  const root = resolve(rootDir);
  const abs = (p: string) => join(root, p);
  const guard = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw outputError(path, e);
    }
  };
  return {
    root,
    async list(prefix) {
      const out: ObjectInfo[] = [];
      const start = abs(prefix);
      const walk = async (dir: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
          throw e;
        }
        for (const ent of entries) {
          const p = join(dir, ent.name);
          if (ent.isDirectory()) await walk(p);
          else if (ent.isFile() && !ent.name.includes('.tmp-')) {
            out.push({ path: relative(root, p).split(sep).join('/'), size: (await stat(p)).size });
          }
        }
      };
      await walk(start);
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async exists(path) {
      try {
        await stat(abs(path));
        return true;
      } catch {
        return false;
      }
    },
    read(path, range) {
      const end = range?.end;
      if (end === undefined) return createReadStream(abs(path), { start: range?.start ?? 0, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
      const start = range?.start ?? 0;
      const stop = end;
      // A bounded range (a Parquet row group, a column slice): read straight into buffers, in
      // chunks of up to READ_CHUNK (a read stream costs ~2x the CPU: 1 MB chunks, copies); or,
      // through `fill`, into the caller's buffer (no allocation: no GC for external memory).
      /** Bytes from file offset `from` into target[0, want): how many there were. */
      const readAt = async (target: Uint8Array, from: number, want: number): Promise<number> => {
        const fh = await open(abs(path), 'r');
        try {
          let filled = 0;
          while (filled < want) {
            const { bytesRead } = await fh.read(target, filled, want - filled, from + filled);
            if (bytesRead === 0) break;
            filled += bytesRead;
          }
          return filled;
        } finally {
          await fh.close();
        }
      };
      async function* chunks() {
        for (let at = start; at < stop; ) {
          const chunk = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK, stop - at));
          const n = await readAt(chunk, at, chunk.length);
          if (n > 0) yield n === chunk.length ? chunk : chunk.subarray(0, n);
          if (n < chunk.length) return; // the end of the file
          at += n;
        }
      }
      const fill = (target: Uint8Array) => readAt(target, start, Math.max(0, Math.min(target.length, stop - start)));
      return Object.assign(chunks(), { fill }) as FillableRead;
    },
    readAll: (path) => readFile(abs(path)),
    async create(path) {
      const final = abs(path);
      const tmp = tempName(final);
      const fh = await guard(final, async () => {
        await mkdir(dirname(final), { recursive: true });
        return open(tmp, 'w');
      });
      let closed = false;
      // A failed write gives its space back at once (a full disk keeps no half shard).
      const failed = async (e: unknown) => {
        await writer.abort().catch(() => undefined);
        return outputError(final, e);
      };
      const writer: AtomicWriter = {
        async write(chunk) {
          try {
            await fh.write(chunk);
          } catch (e) {
            throw await failed(e);
          }
        },
        async commit() {
          try {
            await fh.sync();
            await fh.close();
            closed = true;
            await rename(tmp, final);
          } catch (e) {
            throw await failed(e);
          }
        },
        async abort() {
          if (!closed) await fh.close();
          closed = true;
          await rm(tmp, { force: true });
        },
      };
      return writer;
    },
    async writeAll(path, data) {
      const final = abs(path);
      const tmp = tempName(final);
      await guard(final, async () => {
        await mkdir(dirname(final), { recursive: true });
        try {
          await writeFile(tmp, data);
          await rename(tmp, final);
        } catch (e) {
          await rm(tmp, { force: true }).catch(() => undefined);
          throw e;
        }
      });
    },
    async createExclusive(path, data) {
      const final = abs(path);
      return guard(final, async () => {
        await mkdir(dirname(final), { recursive: true });
        try {
          await writeFile(final, data, { flag: 'wx' });
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw e;
        }
      });
    },
    async delete(path) {
      await rm(abs(path), { force: true, recursive: true });
    },
  };
}

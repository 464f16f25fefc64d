import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AtomicWriter, ObjectInfo, Storage } from './storage.js';

/** Local directory storage: temp name in the same folder, then rename (atomic on POSIX). */
export function localStorage(rootDir: string): Storage {
  const root = resolve(rootDir);
  const abs = (p: string) => join(root, p);
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
    async *read(path, range) {
      const end = range?.end;
      yield* createReadStream(abs(path), {
        start: range?.start ?? 0,
        end: end === undefined ? undefined : end - 1,
        highWaterMark: 1 << 20,
      }) as AsyncIterable<Buffer>;
    },
    readAll: (path) => readFile(abs(path)),
    async create(path) {
      const final = abs(path);
      await mkdir(dirname(final), { recursive: true });
      const tmp = `${final}.tmp-${randomBytes(6).toString('hex')}`;
      const fh = await open(tmp, 'w');
      let closed = false;
      const writer: AtomicWriter = {
        async write(chunk) {
          await fh.write(chunk);
        },
        async commit() {
          await fh.sync();
          await fh.close();
          closed = true;
          await rename(tmp, final);
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
      await mkdir(dirname(final), { recursive: true });
      const tmp = `${final}.tmp-${randomBytes(6).toString('hex')}`;
      await writeFile(tmp, data);
      await rename(tmp, final);
    },
    async delete(path) {
      await rm(abs(path), { force: true, recursive: true });
    },
  };
}

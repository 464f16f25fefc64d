import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The project root, whether running from src (ts) or dist (compiled). */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('refinery: cannot find the project root');
    dir = up;
  }
  return dir;
})();

/**
 * `../shared/data` beside the project: real public data for tests and benchmarks.
 * REFINERY_SHARED_DATA overrides it. Returns undefined when absent, so tests skip cleanly.
 */
export function sharedDataDir(): string | undefined {
  const dir = process.env.REFINERY_SHARED_DATA ?? resolve(projectRoot, '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}

/** Path under the shared data, or undefined when that file or folder is absent. */
export function sharedData(...parts: string[]): string | undefined {
  const dir = sharedDataDir();
  if (!dir) return undefined;
  const p = join(dir, ...parts);
  return existsSync(p) ? p : undefined;
}

/** `s3://...`, `https://...`: a URL rather than a local path. */
export function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

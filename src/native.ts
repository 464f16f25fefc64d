/**
 * Loads the project's one Node-API addon (native/, built by node-gyp at `npm install`).
 * Kernels declare their TypeScript signatures in `NativeAddon` below.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';
import { RefineryError } from './errors.js';

export interface NativeAddon {
  buildInfo: { compiler: string; napiVersion: number };
  // Kernels add their signatures here.
  [kernel: string]: unknown;
}

let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const file = join(projectRoot, 'native', 'build', 'Release', 'refinery_native.node');
  if (!existsSync(file)) {
    throw new RefineryError(
      'ERR_NATIVE',
      `native addon not built (${file} is missing): run \`npm install\` (needs g++, make, python3 and Node's headers)`,
    );
  }
  cached = createRequire(import.meta.url)(file) as NativeAddon;
  return cached;
}

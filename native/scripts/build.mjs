// Builds the native addon with node-gyp, quietly: its output (hundreds of lines of progress,
// and GCC's notes) is printed only when the build fails, so a failure keeps its whole error.
// Usage: node native/scripts/build.mjs rebuild|build   (REFINERY_BUILD_VERBOSE=1: print all)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
// `build` needs node-gyp's configure step to have run (native/build/config.gypi): in a fresh
// clone or worktree it has not, so `npm run build` would fail with "run configure first".
const asked = process.argv[2] ?? 'rebuild';
const verb = asked === 'build' && !existsSync(join(dir, 'build', 'config.gypi')) ? 'rebuild' : asked;
const t0 = Date.now();
// npm puts its bundled node-gyp on PATH for scripts; `npx node-gyp` would be the fallback.
const r = spawnSync('node-gyp', [verb, '--directory', dir], { encoding: 'utf8', stdio: process.env.REFINERY_BUILD_VERBOSE ? 'inherit' : 'pipe', maxBuffer: 64 << 20 });
if (r.error || r.status !== 0) {
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  process.stderr.write(`refinery: building the native addon failed (${r.error?.message ?? `node-gyp exited with ${r.status}`})\n`);
  process.exit(r.status || 1);
}
const warnings = ((r.stdout ?? '') + (r.stderr ?? '')).match(/warning:/g)?.length ?? 0;
process.stdout.write(`refinery: native addon built in ${((Date.now() - t0) / 1000).toFixed(0)} s${warnings ? ` (${warnings} compiler warnings; REFINERY_BUILD_VERBOSE=1 shows them)` : ''}\n`);

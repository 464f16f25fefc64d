// Builds the native addon with node-gyp, quietly: its output (hundreds of lines of progress,
// and GCC's notes) is printed only when the build fails, so a failure keeps its whole error.
// Usage: node native/scripts/build.mjs rebuild|build   (REFINERY_BUILD_VERBOSE=1: print all)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
// `build` reuses node-gyp's configure step, which fixed the list of sources (binding.gyp
// lists native/src/*.cc when it is configured). In a fresh clone it has not run ("run
// configure first"), and after a .cc file was added or removed the old Makefile names files
// that are gone: both need `rebuild` (configure again).
const asked = process.argv[2] ?? 'rebuild';
const verb = asked === 'build' && !configuredForSources() ? 'rebuild' : asked;

function configuredForSources() {
  const mk = join(dir, 'build', 'refinery_native.target.mk');
  if (!existsSync(join(dir, 'build', 'config.gypi')) || !existsSync(mk)) return false;
  const built = [...readFileSync(mk, 'utf8').matchAll(/\/src\/([\w.-]+)\.o\b/g)].map((m) => m[1]).sort();
  const sources = readdirSync(join(dir, 'src')).filter((f) => f.endsWith('.cc')).map((f) => f.slice(0, -3)).sort();
  return built.join() === sources.join();
}
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

/**
 * `npm run bench`: every benchmark of the project, one after the other (each is also
 * runnable alone: `node dist/bench/<name>.js`). Figures are per core unless a line says
 * otherwise; run on an idle machine and quote medians of a few runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const skip = new Set(['run.js', 'measure.js']);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !skip.has(f))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort((a, b) => (a === 'pipeline.js' ? -1 : b === 'pipeline.js' ? 1 : a.localeCompare(b)));
let failed = 0;
for (const f of benches) {
  if (!existsSync(join(here, f))) continue;
  console.log(`\n=== ${f.replace(/\.js$/, '')} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;

// What `npm install refinery` gets (package.json `files`): everything the CLI, the workers and
// the native build read at run time, and the public API with its types; no tests or benches.
// `npm pack --dry-run --ignore-scripts` lists the tarball without building or writing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectDir } from './helpers/cli.js';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(projectDir, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(relative('.', p));
  }
  return out;
}

test('the package tarball holds what a run needs, and no tests', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: projectDir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const packed = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  const pkg = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8'));
  const needed = [
    pkg.bin.refinery,
    pkg.exports['.'].default,
    pkg.exports['.'].types,
    'native/binding.gyp',
    'native/scripts/build.mjs',
    'configs/refinedweb.yaml',
    ...filesUnder('dist/src').filter((f) => /\.(js|json)$/.test(f)),
    ...filesUnder('dist/stages').filter((f) => /\.(js|json)$/.test(f)),
    ...filesUnder('native/src'),
    ...filesUnder('data-samples'),
  ].map((f) => f.replace(/^\.\//, ''));
  const missing = needed.filter((f) => !packed.has(f));
  assert.deepEqual(missing, [], 'files a run reads but the package leaves out');
  const tests = [...packed].filter((f) => /^(dist\/)?(test|bench)\//.test(f));
  assert.deepEqual(tests, []);
});

// A task killed with SIGKILL at some point of its work leaves nothing that a rerun or a later
// pass takes for finished: the rerun's output is identical to an uninterrupted run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { projectDir, refinery, refineryAsync, splitWarc } from './helpers/cli.js';

const bench = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');

test('a task killed mid-way (kill -9), then a rerun: output identical to an uninterrupted run', { skip: !bench && 'shared data absent', timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-crash-'));
  try {
    const inputs = splitWarc(bench!, 2, dir);
    const config = join(projectDir, 'test/fixtures/pipeline-small.yaml');
    const args = (out: string) => ['run', config, ...inputs.flatMap((i) => ['-i', i]), '-o', out, '-w', '1', '-q'];
    assert.equal(refinery(args(join(dir, 'clean'))).code, 0);
    // Prepare the run directory, then kill a task process part-way through its work.
    const crashed = join(dir, 'crashed');
    const first = refineryAsync(args(crashed));
    // With one worker the tasks run in order: once task 0 is committed, task 1 is under way.
    const deadline = Date.now() + 120_000;
    while (!existsSync(join(crashed, 'filter/done/00000')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
    assert.ok(existsSync(join(crashed, 'filter/done/00000')), 'task 0 finished before the kill');
    assert.ok(!existsSync(join(crashed, 'filter/done/00001')), 'task 1 was killed before its commit');
    assert.ok(!existsSync(join(crashed, 'final/manifest.json')));
    const again = refinery(args(crashed));
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      JSON.parse(readFileSync(join(crashed, 'final/manifest.json'), 'utf8')),
      JSON.parse(readFileSync(join(dir, 'clean/final/manifest.json'), 'utf8')),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

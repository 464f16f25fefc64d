// The pipeline reading its WARCs from S3 and writing its run directory to S3, through a proxy
// that injects faults (503 SlowDown, resets, connections cut mid-body, slow responses):
// the same final shards as a local run, and the retries counted in stats.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { s3Storage } from '../src/storage/s3.js';
import { startS3rver } from './helpers/s3.js';
import { faultCycle, startFlakyProxy } from './helpers/flaky-proxy.js';
import { projectDir, refinery, refineryBin, splitWarc } from './helpers/cli.js';

const bench = sharedData('warc', 'bench', 'CC-MAIN-20230201000000-20230201030000-00000.warc.gz');

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [refineryBin, ...args], { cwd: projectDir, env: { ...process.env, ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stderr, stdout }));
  });
}

test('S3 in and out through a faulty network: same output as local, retries counted', { skip: !bench && 'shared data absent', timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-s3e2e-'));
  const s3 = await startS3rver({ bucket: 'crawl' });
  const proxy = await startFlakyProxy({ targetPort: s3.port });
  try {
    const inputs = splitWarc(bench!, 2, dir);
    const store = s3Storage('s3://crawl', s3.s3Options());
    for (const [i, f] of inputs.entries()) await store.writeAll(`in/part-${i}.warc`, readFileSync(f));
    const config = join(projectDir, 'test/fixtures/pipeline-small.yaml');
    const local = refinery(['run', config, ...inputs.flatMap((i) => ['-i', i]), '-o', join(dir, 'local'), '-w', '2', '-q']);
    assert.equal(local.code, 0, local.stderr);

    // Every other GET or PUT meets a fault, in turn.
    proxy.setPlan(faultCycle(/^(GET|PUT) /, [{ kind: '503' }, { kind: 'reset' }, { kind: 'drop', afterBytes: 100_000 }, { kind: 'delay', ms: 300 }], 2));
    const r = await runCli(['run', config, '-i', 's3://crawl/in/', '-o', 's3://crawl/runs/r1', '-w', '2', '-q'], { ...s3.env, AWS_ENDPOINT_URL: proxy.url });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(proxy.injected['503'] > 0 && proxy.injected.reset > 0 && proxy.injected.drop > 0, JSON.stringify(proxy.injected));

    const remote = JSON.parse((await store.readAll('runs/r1/final/manifest.json')).toString('utf8'));
    const mine = JSON.parse(readFileSync(join(dir, 'local/final/manifest.json'), 'utf8'));
    assert.ok(mine.rows > 0);
    assert.deepEqual(remote, mine);
    const stats = JSON.parse((await store.readAll('runs/r1/stats.json')).toString('utf8'));
    const retries = stats.passes.reduce((a: number, p: { retries: Record<string, number> }) => a + Object.values(p.retries).reduce((x, y) => x + y, 0), 0);
    assert.ok(retries > 0, `retries counted in stats.json: ${JSON.stringify(stats.passes.map((p: { retries: unknown }) => p.retries))}`);
  } finally {
    await proxy.stop();
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

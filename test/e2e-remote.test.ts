// End to end over the network (issue 2 "S3" and "HTTPS/HTTP" tests, issue 7 "S3 end to end"):
// the real CLI in a child process reads WARCs from S3 / HTTP through servers that fail on
// purpose, writes its run directory to S3, and produces the same final shards as a local run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sharedData } from '../src/paths.js';
import { s3Storage } from '../src/storage/s3.js';
import type { RunStats } from '../src/stats.js';
import { refineryBin, projectDir } from './helpers/cli.js';
import { startS3rver } from './helpers/s3.js';
import { startFlakyProxy, type Fault } from './helpers/flaky-proxy.js';
import { startRangeServer } from './helpers/range-server.js';

const warcA = sharedData('warc', 'real', 'CC-MAIN-2020-34-excerpt.warc.gz');
const warcB = sharedData('warc', 'real', 'IAH-urls-wget.warc.gz');
const skip = !(warcA && warcB) && 'shared data absent';
const config = join(projectDir, 'test', 'fixtures', 'pipeline-small.yaml');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [refineryBin, ...args], {
      cwd: projectDir,
      env: {
        ...process.env,
        REFINERY_STORAGE_RETRY_BASE_MS: '1',
        REFINERY_STORAGE_RETRY_MAX_MS: '20',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

// One local reference run over both WARCs, shared by the tests (a CLI run costs seconds).
const workDir = mkdtempSync(join(tmpdir(), 'refinery-e2e-'));
let reference: Promise<Map<string, Buffer>> | undefined;
function referenceFinal(): Promise<Map<string, Buffer>> {
  reference ??= (async () => {
    const res = await cli(['run', config, '--input', warcA!, '--input', warcB!, '--output', join(workDir, 'local'), '-w', '2', '-q'], {});
    assert.equal(res.code, 0, res.stderr);
    return localFinal(join(workDir, 'local'));
  })();
  return reference;
}
after(() => rmSync(workDir, { recursive: true, force: true }));

function localFinal(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(join(dir, 'final')).sort()) out.set(f, readFileSync(join(dir, 'final', f)));
  return out;
}

function totalRetries(stats: RunStats): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const p of stats.passes) for (const [k, v] of Object.entries(p.retries)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

test('e2e S3: WARCs from s3rver behind a proxy that cuts a GET mid-object and throttles, output to S3 = local run', { skip }, async () => {
  referenceFinal().catch(() => undefined); // start the local reference run alongside
  const s3 = await startS3rver();
  let proxy: Awaited<ReturnType<typeof startFlakyProxy>> | undefined;
  try {
    const direct = s3Storage(`s3://${s3.bucket}`, { ...s3.s3Options(), retryCounts: {} });
    for (const f of [warcA!, warcB!]) await direct.writeAll(`crawl/${basename(f)}`, readFileSync(f));

    // Faults: the first GET of the first WARC is cut after 60 kB; the first 2 PUTs of task
    // outputs get SlowDown (tasks count their retries into stats; the coordinator's own writes
    // such as run.json are retried too but are not a task's).
    let cutDone = false;
    let putsThrottled = 0;
    proxy = await startFlakyProxy({
      targetPort: s3.port,
      plan: ({ firstRequest }): Fault | undefined => {
        if (!cutDone && firstRequest.startsWith(`GET /${s3.bucket}/crawl/${basename(warcA!)}`)) {
          cutDone = true;
          return { kind: 'drop', afterBytes: 60_000 };
        }
        if (putsThrottled < 2 && firstRequest.startsWith(`PUT /${s3.bucket}/runs/r1/filter/`)) {
          putsThrottled++;
          return { kind: '503' };
        }
        return undefined;
      },
    });
    const env = { ...s3.env, AWS_ENDPOINT_URL: proxy.url };
    const res = await cli(['run', config, '--input', `s3://${s3.bucket}/crawl/`, '--output', `s3://${s3.bucket}/runs/r1`, '-w', '2', '-q'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(proxy.injected.drop, 1, 'a GET was cut mid-object');
    assert.equal(proxy.injected['503'], 2);

    const out = s3Storage(`s3://${s3.bucket}/runs/r1`, { ...s3.s3Options(), retryCounts: {} });
    const expected = await referenceFinal();
    const got = (await out.list('final')).map((o) => o.path);
    assert.deepEqual(got, [...expected.keys()].map((f) => `final/${f}`));
    for (const [f, bytes] of expected) {
      assert.ok((await out.readAll(`final/${f}`)).equals(bytes), `final/${f} identical to the local run`);
    }
    const stats = JSON.parse((await out.readAll('stats.json')).toString()) as RunStats;
    const retries = totalRetries(stats);
    assert.equal(retries.s3_reset, 1, `resume counted: ${JSON.stringify(retries)}`);
    assert.equal(retries.s3_throttle, 2, `SlowDown counted: ${JSON.stringify(retries)}`);
  } finally {
    await proxy?.stop();
    await s3.stop();
  }
});

test('e2e HTTP: WARCs served with Range support, one dropping the connection mid-file, give the same output as the local files', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-e2e-http-'));
  const bytesA = readFileSync(warcA!);
  const pathA = `/crawl-data/${basename(warcA!)}`;
  const pathB = `/crawl-data/${basename(warcB!)}`;
  const server = await startRangeServer(
    { [pathA]: bytesA, [pathB]: readFileSync(warcB!) },
    { dropOnceAt: Math.floor(bytesA.length / 2), dropPath: pathA },
  );
  try {
    const res = await cli(['run', config, '--input', `${server.url}${pathA}`, '--input', `${server.url}${pathB}`, '--output', join(dir, 'http'), '-w', '2', '-q'], {});
    assert.equal(res.code, 0, res.stderr);
    assert.equal(server.requests.length, 3, 'B once; A dropped once and resumed');
    assert.equal(server.requests.filter((r) => r.range !== undefined).length, 1);
    assert.match(server.requests.find((r) => r.range)!.range!, /^bytes=\d+-$/);
    const expected = await referenceFinal();
    const got = localFinal(join(dir, 'http'));
    assert.deepEqual([...got.keys()], [...expected.keys()]);
    for (const [f, b] of expected) assert.ok(got.get(f)!.equals(b), `final/${f} identical`);
    const stats = JSON.parse(readFileSync(join(dir, 'http', 'stats.json'), 'utf8')) as RunStats;
    assert.deepEqual(totalRetries(stats), { http_reset: 1 });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
